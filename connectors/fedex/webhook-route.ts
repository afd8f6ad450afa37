// POST /webhooks/fedex: FedEx Advanced Integrated Visibility pushes. Verified (fdx-signature, in
// constant time), stored once in the webhook inbox before anything acts on them, applied to the
// shipments in scan-time order, then handed to `onEvent` (the lead routes them to order workflows).

import type http from 'node:http';
import type { Logger } from 'pino';
import type { TrackingUpdate } from '../../domain/model';
import { applyTrackingUpdates, type AppliedTrackingUpdate } from './carrier';
import { parseAivWebhook, verifyAivSignature } from './webhook';
import type { Repos, WebhookInboxRepo } from '../../lib/db/repos';
import { sendJson, type Handler } from '../../lib/http-routes';

export const FEDEX_WEBHOOK_PATH = '/webhooks/fedex';
const SOURCE = 'fedex';

/** One tracking update for a shipment of ours, ready to be signalled to its order workflow. */
export interface FedexTrackingEvent {
  update: TrackingUpdate;
  shipment: NonNullable<AppliedTrackingUpdate['shipment']>;
}

export interface FedexWebhookRouteOptions {
  /** The AIV project's security token (the HMAC key). */
  securityToken: string;
  inbox: Pick<WebhookInboxRepo, 'insertOnce' | 'get' | 'markProcessed' | 'markFailed'>;
  /** Where the updates are applied: tracking_events (once per scan) and shipments' status. */
  tracking: Pick<Repos, 'shipments' | 'trackingEvents'>;
  /** Called per update that moved one of our shipments (and again for every update when a failed push is redelivered). */
  onEvent: (event: FedexTrackingEvent) => Promise<void>;
  log: Logger;
  now?: () => Date;
}

/** Headers worth keeping with the stored body: never the signature. */
function keptHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['content-type', 'user-agent', 'x-forwarded-for']) {
    const v = req.headers[name];
    if (typeof v === 'string') out[name] = v.slice(0, 200);
  }
  return out;
}

export function fedexWebhookRoute(opts: FedexWebhookRouteOptions): Handler {
  const log = opts.log.child({ component: 'fedex-webhook' });
  const now = opts.now ?? (() => new Date());
  if (!opts.securityToken) throw new Error('fedexWebhookRoute needs the AIV security token');

  return async (req, res, body) => {
    const signature = req.headers['fdx-signature'];
    if (
      !verifyAivSignature(body, typeof signature === 'string' ? signature : undefined, opts.securityToken)
    ) {
      log.warn(
        { hasSignature: signature !== undefined },
        'FedEx webhook refused: bad or missing fdx-signature',
      );
      return sendJson(res, 401, { error: 'invalid or missing fdx-signature' });
    }
    const parsed = parseAivWebhook(body, { now: now() });
    if (!parsed.ok) {
      log.warn({ error: parsed.error }, 'FedEx webhook refused: malformed body');
      return sendJson(res, 400, { error: parsed.error });
    }

    const stored = await opts.inbox.insertOnce({
      source: SOURCE,
      dedupKey: parsed.dedupKey,
      eventType: parsed.eventType,
      headers: keptHeaders(req),
      body: body.toString('utf8'),
    });
    // A push already handled is acknowledged and dropped; one whose handling failed is handled again.
    const redelivery = stored.duplicate;
    if (redelivery && (await opts.inbox.get(stored.id))?.status === 'processed') {
      return sendJson(res, 200, { status: 'duplicate' });
    }

    try {
      const applied = await applyTrackingUpdates(opts.tracking, parsed.updates, 'webhook');
      let routed = 0;
      for (const a of applied) {
        // On redelivery the first attempt may have stored the scans before failing to route them,
        // so every update of ours goes out again; the order workflow ignores what it has seen.
        if (!a.shipment || !(a.changed || redelivery)) continue;
        await opts.onEvent({ update: a.update, shipment: a.shipment });
        routed++;
      }
      await opts.inbox.markProcessed(stored.id);
      log.info({ inboxId: stored.id, updates: applied.length, routed }, 'FedEx webhook processed');
      sendJson(res, 200, { status: 'processed', updates: applied.length, routed });
    } catch (err) {
      const message = (err as Error).message;
      await opts.inbox.markFailed(stored.id, message).catch(() => undefined);
      log.error(
        { inboxId: stored.id, err: message },
        'FedEx webhook processing failed; FedEx will redeliver',
      );
      sendJson(res, 503, { error: 'stored but not processed; retry later' });
    }
  };
}
