import { createHmac, randomUUID } from 'node:crypto';
import type { Delays } from '../shared/faults';
import type { FedexSimWebhook } from './options';
import { eventsAt, nextEventAfter, type ShipmentStore, type StoredShipment } from './shipments';
import { trackResult } from './track';

export interface WebhookDelivery {
  trackingNumber: string;
  eventType: string;
  /** HTTP status of the last attempt, or 0 when the destination could not be reached. */
  status: number;
  attempts: number;
}

/** Base64 HMAC-SHA256 of the raw body keyed by the AIV security token: FedEx's `fdx-signature`. */
export function signAivBody(rawBody: string, securityToken: string): string {
  return createHmac('sha256', securityToken).update(rawBody, 'utf8').digest('base64');
}

const MAX_ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;
const SEND_TIMEOUT_MS = 5000;

interface DuePush {
  body: string;
  trackingNumber: string;
  eventType: string;
}

/** A shipment whose events cannot change before `until` unless its cancellation changes. */
interface Quiet {
  until: number;
  cancelledAt: number | undefined;
}

/**
 * Advanced Integrated Visibility pushes: every status change of every package becomes one POST
 * whose body is a Track-API-shaped result as of that event. With `outOfOrder`, the events found
 * in one tick are sent newest first, as FedEx warns they may arrive.
 *
 * Only changes after the destination is set are pushed. `seen` holds, per package, how many of
 * its events have been accounted for: what a scan of every shipment at every tick gives. Ticks
 * without a destination only note their time, and `configure` catches `seen` up to it, so a tick
 * costs nothing while pushes are off (the benchmark runs thousands of shipments that way).
 */
export class WebhookPusher {
  outOfOrder = false;
  readonly deliveries: WebhookDelivery[] = [];
  private current: FedexSimWebhook | undefined;
  private readonly seen = new Map<string, number>();
  /** Shipments a scan can pass over: their events are at most those `seen` already counts. */
  private readonly quiet = new Map<StoredShipment, Quiet>();
  /** `store.cancellations` at the last scan: after every scan each `quiet` entry has its shipment's `cancelledAt`. */
  private cancellationsScanned = 0;
  /** Simulated time of the last tick; every change to a shipment is followed by a tick. */
  private lastTickAt = -Infinity;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly store: ShipmentStore,
    private readonly now: () => number,
    private readonly delays: Delays,
  ) {}

  /** Where pushes go; undefined while they are switched off. */
  get config(): FedexSimWebhook | undefined {
    return this.current;
  }

  /**
   * Set, replace or clear the destination. Switching pushes on first marks as seen every event
   * that had happened by the last tick, as the ticks while pushes were off would have: the next
   * tick pushes only what is new since then.
   */
  configure(config: FedexSimWebhook | undefined): void {
    if (config && !this.current) this.scan(this.lastTickAt, false);
    this.current = config;
  }

  /** Find status changes since the last tick and start pushing them. */
  tick(): void {
    const now = this.now();
    this.lastTickAt = now;
    const config = this.current;
    if (!config) return;
    const due = this.scan(now, true);
    if (this.outOfOrder) due.reverse();
    // Sent one after another so the order chosen above is the order the receiver sees.
    if (due.length > 0) this.track(this.sendAll(config, due));
  }

  /** Bring `seen` up to `now`; with `push`, return one push per event not seen before, in store order. */
  private scan(now: number, push: boolean): DuePush[] {
    const due: DuePush[] = [];
    // Reading cancelledAt off every shipment is most of a scan's cost; only a cancel changes it.
    const cancelled = this.store.cancellations !== this.cancellationsScanned;
    this.cancellationsScanned = this.store.cancellations;
    for (const shipment of this.store.values()) {
      const quiet = this.quiet.get(shipment);
      // Before `until` eventsAt gives at most the events of the scan that set it, all in `seen`.
      if (quiet && now < quiet.until && (!cancelled || quiet.cancelledAt === shipment.cancelledAt)) continue;
      const events = eventsAt(shipment, now);
      this.quiet.set(shipment, { until: nextEventAfter(shipment, now), cancelledAt: shipment.cancelledAt });
      for (const pkg of shipment.packages) {
        const already = this.seen.get(pkg.trackingNumber) ?? 0;
        if (events.length <= already) continue;
        this.seen.set(pkg.trackingNumber, events.length);
        if (!push) continue;
        for (let i = already; i < events.length; i++) {
          const result = trackResult(shipment, pkg.trackingNumber, now, { detailedScans: true, upTo: i + 1 });
          const body = JSON.stringify({
            transactionId: randomUUID(),
            output: {
              completeTrackResults: [{ trackingNumber: pkg.trackingNumber, trackResults: [result] }],
            },
          });
          due.push({ body, trackingNumber: pkg.trackingNumber, eventType: events[i]!.code });
        }
      }
    }
    return due;
  }

  /** Wait until every push started so far has finished (delivered or given up). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Forget what was seen and delivered (the store is cleared alongside). */
  reset(): void {
    this.seen.clear();
    this.quiet.clear();
    this.lastTickAt = -Infinity;
    this.deliveries.length = 0;
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async sendAll(config: FedexSimWebhook, due: DuePush[]) {
    for (const item of due) {
      const delivery: WebhookDelivery = {
        trackingNumber: item.trackingNumber,
        eventType: item.eventType,
        status: 0,
        attempts: 0,
      };
      this.deliveries.push(delivery);
      const signature = signAivBody(item.body, config.securityToken);
      while (delivery.attempts < MAX_ATTEMPTS) {
        delivery.attempts++;
        delivery.status = await post(config.url, item.body, signature);
        if (delivery.status >= 200 && delivery.status < 300) break;
        if (!(await this.delays.wait(RETRY_DELAY_MS * delivery.attempts))) return;
      }
    }
  }
}

async function post(url: string, body: string, signature: string): Promise<number> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'fdx-signature': signature },
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
