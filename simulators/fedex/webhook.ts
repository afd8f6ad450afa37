import { createHmac, randomUUID } from 'node:crypto';
import type { Delays } from '../shared/faults';
import type { FedexSimWebhook } from './options';
import { eventsAt, type ShipmentStore } from './shipments';
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

/**
 * Advanced Integrated Visibility pushes: every status change of every package becomes one POST
 * whose body is a Track-API-shaped result as of that event. With `outOfOrder`, the events found
 * in one tick are sent newest first, as FedEx warns they may arrive.
 */
export class WebhookPusher {
  config: FedexSimWebhook | undefined;
  outOfOrder = false;
  readonly deliveries: WebhookDelivery[] = [];
  private readonly seen = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly store: ShipmentStore,
    private readonly now: () => number,
    private readonly delays: Delays,
  ) {}

  /** Find status changes since the last tick and start pushing them. */
  tick(): void {
    const now = this.now();
    const due: { body: string; trackingNumber: string; eventType: string }[] = [];
    for (const shipment of this.store.all()) {
      const events = eventsAt(shipment, now);
      for (const pkg of shipment.packages) {
        const already = this.seen.get(pkg.trackingNumber) ?? 0;
        if (events.length <= already) continue;
        this.seen.set(pkg.trackingNumber, events.length);
        if (!this.config) continue;
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
    if (this.outOfOrder) due.reverse();
    // Sent one after another so the order chosen above is the order the receiver sees.
    if (due.length > 0 && this.config) this.track(this.sendAll(this.config, due));
  }

  /** Wait until every push started so far has finished (delivered or given up). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  reset(): void {
    this.seen.clear();
    this.deliveries.length = 0;
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async sendAll(
    config: FedexSimWebhook,
    due: { body: string; trackingNumber: string; eventType: string }[],
  ) {
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
