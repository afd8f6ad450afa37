// ShipStation webhooks for one connection.
//
// V1 (POST /webhooks/shipstation/<connection>/<token>): unsigned `{resource_url, resource_type}`.
// The token in the path is compared in constant time; the body is only a pointer, to be followed
// with the connection's own credentials and only to ShipStation's hosts (or the configured
// simulator): a pointer elsewhere is refused (400) from the URL alone, before anything is stored.
// The route answers as soon as the delivery is stored in the webhook inbox (200 `accepted`, or
// `duplicate` for a delivery stored before, whatever became of it; 503 when it cannot be stored,
// so the sender delivers again). Following the pointer is a rate-limited GET (40/min), too slow to
// do before answering: ShipStation gives up after a few seconds and delivers again. The
// connection's ShipStationWebhookDrainer (shipstation-drain.ts), kicked by each new delivery,
// follows the stored pointers one at a time: SHIP_NOTIFY shipments go to their order workflows
// once per shipmentId (the shipment poll uses the same intake), ORDER_NOTIFY tells a workflow its
// order was cancelled in ShipStation.
//
// V2 (POST /webhooks/shipstation-v2/<connection>): RSA-SHA256 signed, verified against the JWKS.
// V2 events point at V2 resources; a verified one triggers the connection's shipment poll at once.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ShipmentIntake } from '../../activities/orders/fulfilment';
import type { FulfilmentPort } from '../ports';
import { checkWebhookToken, parseV1Webhook, parseV2Webhook, ShipStationV2WebhookVerifier } from './webhook';
import { shipmentPollScheduleId } from '../../domain/ids';
import type { WebhookInboxRepo } from '../../lib/db/repos';
import { sendJson, type Handler } from '../../lib/http-routes';
import { isRefusedPointer, shipStationV1Source, type ShipStationWebhookDrainer } from './webhook-drain';

export const SHIPSTATION_DEFAULT_JWKS_URL = 'https://api.shipengine.com/jwks';

export interface ShipStationWebhookOptions {
  connection: string;
  /** The secret token of the V1 URL; without one, no V1 route exists. */
  v1Token?: string;
  /** JWKS for V2 signatures (default ShipStation's). */
  jwksUrl?: string;
  /** Checks V1 pointers before they are stored (the drainer follows them). */
  port: Pick<FulfilmentPort, 'checkResourceUrl'>;
  /** V2: the Temporal client that triggers the shipment poll. */
  intake: ShipmentIntake;
  inbox: Pick<WebhookInboxRepo, 'insertOnce' | 'markProcessed' | 'markFailed'>;
  /** Processes the stored V1 deliveries; kicked by each new one. */
  drainer: Pick<ShipStationWebhookDrainer, 'kick'>;
  log: Logger;
}

export function shipStationWebhookRoutes(opts: ShipStationWebhookOptions): Record<string, Handler> {
  const log = opts.log.child({ component: 'shipstation-webhook', connection: opts.connection });
  const routes: Record<string, Handler> = {};
  const source = shipStationV1Source(opts.connection);

  if (opts.v1Token) {
    const token = opts.v1Token;
    routes[`POST /webhooks/shipstation/${opts.connection}/:token`] = async (req, res, body, params) => {
      if (!checkWebhookToken(params.token, token)) {
        log.warn('ShipStation webhook refused: wrong token in the URL');
        return sendJson(res, 401, { error: 'unknown webhook token' });
      }
      const parsed = parseV1Webhook(body);
      if (!parsed.ok) {
        log.warn({ error: parsed.error }, 'ShipStation webhook refused: malformed body');
        return sendJson(res, 400, { error: parsed.error });
      }
      try {
        opts.port.checkResourceUrl(parsed.resourceUrl);
      } catch (err) {
        if (!isRefusedPointer(err)) throw err;
        const message = (err as Error).message;
        log.warn({ err: message }, 'ShipStation webhook refused: resource_url');
        return sendJson(res, 400, { error: message });
      }
      let stored: { id: string; duplicate: boolean };
      try {
        stored = await opts.inbox.insertOnce({
          source,
          dedupKey: parsed.dedupKey,
          eventType: parsed.resourceType,
          headers: { 'content-type': String(req.headers['content-type'] ?? '').slice(0, 200) },
          body: body.toString('utf8'),
        });
      } catch (err) {
        log.error(
          { err: err instanceof Error ? err.message : String(err) },
          'ShipStation webhook not stored; the sender will deliver it again',
        );
        return sendJson(res, 503, { error: 'could not store the delivery; retry later' });
      }
      // Stored before (processed, in progress or waiting for a retry): the drainer has it.
      if (stored.duplicate) return sendJson(res, 200, { status: 'duplicate' });
      opts.drainer.kick();
      log.debug({ inboxId: stored.id, type: parsed.resourceType }, 'ShipStation webhook accepted');
      return sendJson(res, 200, { status: 'accepted' });
    };
  }

  const verifier = new ShipStationV2WebhookVerifier({
    jwksUrl: opts.jwksUrl ?? SHIPSTATION_DEFAULT_JWKS_URL,
    log,
  });
  routes[`POST /webhooks/shipstation-v2/${opts.connection}`] = async (req, res, body) => {
    const verified = await verifier.verify(req.headers, body);
    if (!verified.ok) {
      log.warn({ status: verified.status, reason: verified.reason }, 'ShipStation V2 webhook refused');
      return sendJson(res, verified.status, { error: verified.reason });
    }
    const parsed = parseV2Webhook(body);
    if (!parsed.ok) return sendJson(res, 400, { error: parsed.error });
    const stored = await opts.inbox.insertOnce({
      source: `${source}:v2`,
      dedupKey: `shipstation:v2:sha256:${createHash('sha256').update(body).digest('hex')}`,
      eventType: parsed.resourceType,
      headers: {},
      body: body.toString('utf8'),
    });
    if (stored.duplicate) return sendJson(res, 200, { status: 'duplicate' });
    try {
      // The event is a doorbell: the poll reads the shipments with our credentials and applies each once.
      await opts.intake.client.schedule.getHandle(shipmentPollScheduleId(opts.connection)).trigger();
      await opts.inbox.markProcessed(stored.id);
      return sendJson(res, 200, { status: 'processed', triggered: 'shipment-poll' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await opts.inbox.markFailed(stored.id, message).catch(() => undefined);
      log.warn({ err: message }, 'ShipStation V2 webhook: could not trigger the shipment poll');
      return sendJson(res, 503, { error: 'not processed; retry later' });
    }
  };
  return routes;
}
