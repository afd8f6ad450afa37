// The worker behind the ShipStation V1 webhook route: the route only stores each delivery in the
// webhook inbox and answers; this drainer follows the stored pointers and applies what they name.
//
// One drainer per connection, one row at a time: following a pointer is a GET through the
// connection's 40-requests-a-minute limiter, so working on two rows at once would only make both
// wait. A pass claims the oldest row of this connection (FOR UPDATE SKIP LOCKED, so drainers in
// other processes never take the same row), processes it and claims the next, until none is left.
//
// What starts a pass:
// - kick(): the route stored a new delivery;
// - a timer, `intervalMs` after the last pass ended: rows put back to `received` by a failure, and
//   `processing` rows whose processor died (claimed more than `staleAfterMs` ago).
// A failure (ShipStation down, rate limited, Temporal or the database unreachable) ends the pass
// and kicks are ignored until the timer's next pass: the failed row is the oldest, and retrying it
// on every new delivery would spend its attempts as fast as deliveries arrive.

import { ApplicationFailure } from '@temporalio/client';
import type { Logger } from 'pino';
import {
  acceptShipments,
  cancelOrdersCancelledAtWarehouse,
  type ShipmentIntake,
} from '../../activities/orders/fulfilment';
import type { FulfilmentPort } from '../ports';
import { SHIPSTATION_ERROR_TYPES } from './errors';
import { parseV1Webhook } from './webhook';
import type { WebhookInboxRepo } from '../../lib/db/repos';
import type { WebhookInboxEntry } from '../../lib/db/types';

/** The inbox source of a connection's V1 deliveries (the route stores, the drainer claims). */
export const shipStationV1Source = (connection: string) => `shipstation:${connection}`;

const SHIPMENT_EVENTS = new Set(['SHIP_NOTIFY', 'ITEM_SHIP_NOTIFY']);
const ORDER_EVENTS = new Set(['ORDER_NOTIFY', 'ITEM_ORDER_NOTIFY']);

/** A refusal of the pointer itself (foreign host, odd path): the sender's fault, never retried. */
export function isRefusedPointer(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === SHIPSTATION_ERROR_TYPES.foreignUrl;
}

export interface ShipStationWebhookDrainerOptions {
  connection: string;
  port: FulfilmentPort;
  intake: ShipmentIntake;
  inbox: Pick<WebhookInboxRepo, 'claimNext' | 'markProcessed' | 'markFailed'>;
  log: Logger;
  /** Pause between passes, and so the wait before a failed row is tried again (default 30 s). */
  intervalMs?: number;
  /**
   * A `processing` row claimed longer ago than this is taken as abandoned by a dead processor and
   * claimed again. Longer than the slowest processing (a pointer with several pages, each waiting
   * for the limiter and possibly a 429): default 10 minutes.
   */
  staleAfterMs?: number;
  /** Attempts before a row stays `failed` for an operator (default 5). */
  maxAttempts?: number;
}

type Outcome = 'empty' | 'done' | 'failed';

/** A stored row that is no V1 webhook body: trying again cannot help. */
class UnreadableRow extends Error {}

export class ShipStationWebhookDrainer {
  private readonly source: string;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly staleAfterMs: number;
  private readonly maxAttempts: number;
  private timer: NodeJS.Timeout | undefined;
  /** The pass in progress, if any. */
  private pass: Promise<void> | undefined;
  /** A kick arrived during the pass: claim once more (its row may be newer than the last empty claim). */
  private kicked = false;
  /** The last pass ended on a failure: only the timer starts the next. */
  private backingOff = false;
  private closed = false;

  constructor(private readonly opts: ShipStationWebhookDrainerOptions) {
    this.source = shipStationV1Source(opts.connection);
    this.log = opts.log.child({ component: 'shipstation-webhook-drain', connection: opts.connection });
    this.intervalMs = opts.intervalMs ?? 30_000;
    this.staleAfterMs = opts.staleAfterMs ?? 10 * 60_000;
    this.maxAttempts = opts.maxAttempts ?? 5;
  }

  /** Drain what is already stored (rows left by an earlier run), then keep the timer going. */
  start(): void {
    this.run();
  }

  /** A new row was stored: process it now, unless a failure is being waited out. */
  kick(): void {
    if (this.backingOff) return;
    this.run();
  }

  /** Stops the timer and waits for the row in progress; rows left `received` wait for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private run(): void {
    if (this.closed) return;
    if (this.pass) {
      this.kicked = true;
      return;
    }
    clearTimeout(this.timer);
    this.pass = this.drain().finally(() => {
      this.pass = undefined;
      if (this.closed) return;
      this.timer = setTimeout(() => {
        this.backingOff = false;
        this.run();
      }, this.intervalMs);
      this.timer.unref();
    });
  }

  private async drain(): Promise<void> {
    do {
      this.kicked = false;
      for (;;) {
        if (this.closed) return;
        const outcome = await this.processNext();
        if (outcome === 'empty') break;
        if (outcome === 'failed') {
          this.backingOff = true;
          return;
        }
      }
    } while (this.kicked);
  }

  /** Claims and processes one row. Never throws: a failure is logged and answered 'failed'. */
  private async processNext(): Promise<Outcome> {
    let row: WebhookInboxEntry | undefined;
    try {
      [row] = await this.opts.inbox.claimNext(1, { source: this.source, staleAfterMs: this.staleAfterMs });
      if (!row) return 'empty';
      const result = await this.process(row);
      await this.opts.inbox.markProcessed(row.id);
      this.log.info(
        { inboxId: row.id, type: row.event_type, attempt: row.attempts, ...result },
        'ShipStation webhook processed',
      );
      return 'done';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!row) {
        this.log.error({ err: message }, 'ShipStation webhook inbox unreadable; trying again later');
        return 'failed';
      }
      if (isRefusedPointer(err) || err instanceof UnreadableRow) {
        // Kept as failed with the reason; nothing reclaims a failed row, and nothing needs a pause.
        await this.markFailed(row.id, message, 0);
        this.log.warn({ inboxId: row.id, err: message }, 'ShipStation webhook refused: resource_url');
        return 'done';
      }
      await this.markFailed(row.id, message, this.maxAttempts);
      this.log.error(
        { inboxId: row.id, attempt: row.attempts, maxAttempts: this.maxAttempts, err: message },
        'ShipStation webhook processing failed; tried again later (the shipment poll is the backstop)',
      );
      return 'failed';
    }
  }

  /** What the route used to do inline: follow the pointer and apply what it names. */
  private async process(row: WebhookInboxEntry): Promise<Record<string, unknown>> {
    const { port, intake, connection } = this.opts;
    const parsed = parseV1Webhook(row.body);
    // The route stores only bodies it parsed, so this is a row some other writer left.
    if (!parsed.ok) throw new UnreadableRow(`stored body is not a V1 webhook: ${parsed.error}`);
    if (SHIPMENT_EVENTS.has(parsed.resourceType)) {
      const shipments = await port.shipmentsAt(parsed.resourceUrl);
      return { ...(await acceptShipments(intake, connection, shipments, 'webhook')) };
    }
    if (ORDER_EVENTS.has(parsed.resourceType)) {
      const orders = await port.ordersAt(parsed.resourceUrl);
      const keys = orders.filter((o) => o.phase === 'cancelled').map((o) => o.externalOrderKey);
      return { cancelled: await cancelOrdersCancelledAtWarehouse(intake, connection, keys, 'ShipStation') };
    }
    return {}; // an event this connector does not act on: processed, nothing to do
  }

  private async markFailed(id: string, message: string, maxAttempts: number): Promise<void> {
    try {
      await this.opts.inbox.markFailed(id, message, { maxAttempts });
    } catch (err) {
      // The row stays `processing`; it is claimed again once stale.
      this.log.error(
        { inboxId: id, err: err instanceof Error ? err.message : String(err) },
        'could not record a failed ShipStation webhook',
      );
    }
  }
}
