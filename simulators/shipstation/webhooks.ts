import type { Delays } from '../shared/faults';
import type { SeededRandom } from '../shared/random';
import type { WebhookSigner } from './signing';

/** One notification to send: V1 ones are plain, V2 ones get signed. */
export interface Notification {
  api: 'v1' | 'v2';
  url: string;
  resourceType: string;
  resourceUrl: string;
  /** V2 only: the event's `data`. */
  data?: Record<string, unknown>;
  /** V2 only: the subscription's custom headers. */
  headers?: { key: string; value: string }[];
}

export interface WebhookDelivery {
  api: 'v1' | 'v2';
  url: string;
  resourceType: string;
  resourceUrl: string;
  /** HTTP status of the last attempt, 0 when the receiver could not be reached. */
  status: number;
  attempts: number;
  /** True for the extra copy sent by the duplicate knob. */
  duplicate: boolean;
  /** V2: the key id the delivery was signed with. */
  keyId?: string;
}

export interface WebhookKnobs {
  /** Share (0..1) of notifications delivered twice. */
  duplicateShare: number;
  /** Send the notifications collected in one tick newest first. */
  outOfOrder: boolean;
  /** Replace the resource_url's origin with this one (e.g. `https://ssapi.evil.example`), or null. */
  foreignResourceHost: string | null;
  /** Added to V2's x-shipengine-timestamp, to test a receiver's 5-minute window. */
  timestampSkewSeconds: number;
}

const NO_KNOBS: WebhookKnobs = {
  duplicateShare: 0,
  outOfOrder: false,
  foreignResourceHost: null,
  timestampSkewSeconds: 0,
};
const MAX_ATTEMPTS = 3;
const RETRY_DELAY_MS = 500;
const SEND_TIMEOUT_MS = 5000;

/**
 * Webhook deliveries. Notifications are queued while a request or tick runs, then sent one after
 * another, so the order chosen here (with `outOfOrder`, reversed) is the order the receiver sees.
 * A non-2xx or unreachable receiver is tried up to 3 times (ShipStation's retry policy is UNCONFIRMED).
 */
export class WebhookDispatcher {
  knobs: WebhookKnobs = { ...NO_KNOBS };
  readonly deliveries: WebhookDelivery[] = [];
  private queue: Notification[] = [];
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly signer: WebhookSigner,
    private readonly random: SeededRandom,
    private readonly delays: Delays,
    /** Real time: receivers compare the signature timestamp with their own clock. */
    private readonly realNow: () => number = Date.now,
  ) {}

  enqueue(n: Notification): void {
    this.queue.push(n);
  }

  /** Start sending everything queued so far. */
  send(): void {
    if (this.queue.length === 0) return;
    const batch = this.knobs.outOfOrder ? this.queue.reverse() : this.queue;
    this.queue = [];
    const out: { n: Notification; duplicate: boolean }[] = [];
    for (const n of batch) {
      const resourceUrl = this.rewrite(n.resourceUrl);
      out.push({ n: { ...n, resourceUrl }, duplicate: false });
      if (this.random.chance(this.knobs.duplicateShare))
        out.push({ n: { ...n, resourceUrl }, duplicate: true });
    }
    const p = this.sendAll(out);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  async flush(): Promise<void> {
    this.send();
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  reset(): void {
    this.queue = [];
    this.deliveries.length = 0;
    this.knobs = { ...NO_KNOBS };
  }

  private rewrite(resourceUrl: string): string {
    if (!this.knobs.foreignResourceHost) return resourceUrl;
    const original = new URL(resourceUrl);
    return `${this.knobs.foreignResourceHost.replace(/\/+$/, '')}${original.pathname}${original.search}`;
  }

  private async sendAll(items: { n: Notification; duplicate: boolean }[]): Promise<void> {
    for (const { n, duplicate } of items) {
      const payload: Record<string, unknown> = { resource_url: n.resourceUrl, resource_type: n.resourceType };
      if (n.data) payload.data = n.data;
      const body = JSON.stringify(payload);
      const delivery: WebhookDelivery = {
        api: n.api,
        url: n.url,
        resourceType: n.resourceType,
        resourceUrl: n.resourceUrl,
        status: 0,
        attempts: 0,
        duplicate,
      };
      this.deliveries.push(delivery);
      while (delivery.attempts < MAX_ATTEMPTS) {
        delivery.attempts++;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (n.api === 'v2') {
          for (const h of n.headers ?? []) headers[h.key] = h.value;
          const timestamp = new Date(this.realNow() + this.knobs.timestampSkewSeconds * 1000).toISOString();
          const { keyId, signature } = this.signer.sign(timestamp, body);
          headers['x-shipengine-rsa-sha256-key-id'] = keyId;
          headers['x-shipengine-rsa-sha256-signature'] = signature;
          headers['x-shipengine-timestamp'] = timestamp;
          delivery.keyId = keyId;
        }
        delivery.status = await post(n.url, body, headers);
        if (delivery.status >= 200 && delivery.status < 300) break;
        if (!(await this.delays.wait(RETRY_DELAY_MS * delivery.attempts))) return;
      }
    }
  }
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
