// ShipStation webhooks for one connection.
//
// V1 (POST /webhooks/shipstation/<connection>/<token>): unsigned `{resource_url, resource_type}`.
// The token in the path is compared in constant time; the body is only a pointer, followed with the
// connection's own credentials and only to ShipStation's hosts (or the configured simulator). Each
// delivery is stored once in the webhook inbox; SHIP_NOTIFY shipments go to their order workflows
// once per shipmentId (the shipment poll uses the same intake), ORDER_NOTIFY tells a workflow its
// order was cancelled in ShipStation.
//
// V2 (POST /webhooks/shipstation-v2/<connection>): RSA-SHA256 signed, verified against the JWKS.
// V2 events point at V2 resources; a verified one triggers the connection's shipment poll at once.

import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/client';
import type { Logger } from 'pino';
import type { FulfilmentPort } from '../../../activities/orders/ports';
import {
  acceptShipments,
  cancelOrdersCancelledAtWarehouse,
  type ShipmentIntake,
} from '../../../activities/orders/fulfilment';
import {
  checkWebhookToken,
  parseV1Webhook,
  parseV2Webhook,
  ShipStationV2WebhookVerifier,
} from '../../../activities/shipstation/webhook';
import { SHIPSTATION_ERROR_TYPES } from '../../../activities/shipstation/errors';
import { shipmentPollScheduleId } from '../../../domain/ids';
import type { WebhookInboxRepo } from '../../../lib/db/repos';
import { sendJson, type Handler } from '../server';

export const SHIPSTATION_DEFAULT_JWKS_URL = 'https://api.shipengine.com/jwks';

export interface ShipStationWebhookOptions {
  connection: string;
  /** The secret token of the V1 URL; without one, no V1 route exists. */
  v1Token?: string;
  /** JWKS for V2 signatures (default ShipStation's). */
  jwksUrl?: string;
  port: FulfilmentPort;
  intake: ShipmentIntake;
  inbox: Pick<WebhookInboxRepo, 'insertOnce' | 'get' | 'markProcessed' | 'markFailed'>;
  log: Logger;
}

const SHIPMENT_EVENTS = new Set(['SHIP_NOTIFY', 'ITEM_SHIP_NOTIFY']);
const ORDER_EVENTS = new Set(['ORDER_NOTIFY', 'ITEM_ORDER_NOTIFY']);

/** A refusal of the pointer itself (foreign host, odd path): the sender's fault, never retried. */
function isRefusedPointer(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === SHIPSTATION_ERROR_TYPES.foreignUrl;
}

export function shipStationWebhookRoutes(opts: ShipStationWebhookOptions): Record<string, Handler> {
  const log = opts.log.child({ component: 'shipstation-webhook', connection: opts.connection });
  const routes: Record<string, Handler> = {};
  const source = `shipstation:${opts.connection}`;

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
      const stored = await opts.inbox.insertOnce({
        source,
        dedupKey: parsed.dedupKey,
        eventType: parsed.resourceType,
        headers: { 'content-type': String(req.headers['content-type'] ?? '').slice(0, 200) },
        body: body.toString('utf8'),
      });
      if (stored.duplicate && (await opts.inbox.get(stored.id))?.status === 'processed') {
        return sendJson(res, 200, { status: 'duplicate' });
      }
      try {
        let result: Record<string, unknown> = {};
        if (SHIPMENT_EVENTS.has(parsed.resourceType)) {
          const shipments = await opts.port.shipmentsAt(parsed.resourceUrl);
          result = { ...(await acceptShipments(opts.intake, opts.connection, shipments, 'webhook')) };
        } else if (ORDER_EVENTS.has(parsed.resourceType)) {
          const orders = await opts.port.ordersAt(parsed.resourceUrl);
          const keys = orders.filter((o) => o.phase === 'cancelled').map((o) => o.externalOrderKey);
          result = {
            cancelled: await cancelOrdersCancelledAtWarehouse(
              opts.intake,
              opts.connection,
              keys,
              'ShipStation',
            ),
          };
        }
        await opts.inbox.markProcessed(stored.id);
        log.info(
          { inboxId: stored.id, type: parsed.resourceType, ...result },
          'ShipStation webhook processed',
        );
        return sendJson(res, 200, { status: 'processed', ...result });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (isRefusedPointer(err)) {
          // Kept as failed with the reason (nothing reclaims a failed row), so a redelivery of the
          // same pointer is refused again instead of being answered as a processed duplicate.
          await opts.inbox.markFailed(stored.id, message, { maxAttempts: 0 }).catch(() => undefined);
          log.warn({ inboxId: stored.id, err: message }, 'ShipStation webhook refused: resource_url');
          return sendJson(res, 400, { error: message });
        }
        await opts.inbox.markFailed(stored.id, message).catch(() => undefined);
        log.error(
          { inboxId: stored.id, err: message },
          'ShipStation webhook processing failed; the redelivery or the shipment poll will bring it',
        );
        return sendJson(res, 503, { error: 'stored but not processed; retry later' });
      }
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
