import type http from 'node:http';
import { AcceleratedClock } from '../shared/clock';
import { Delays, FaultKnobs, type FaultSettings } from '../shared/faults';
import { BodyTooLargeError, readBody, sendJson, startHttpServer } from '../shared/http';
import { SeededRandom } from '../shared/random';
import { adminRoutes } from './admin';
import { Credentials } from './auth';
import { ApiError, v1Errors, v2Error, v2Errors } from './errors';
import { MinuteWindowLimiter, type LimitDecision } from './limits';
import { nonNegative, positive, resolveOptions, type ShipStationSimOptions } from './options';
import type { InternationalOptions } from './model';
import { OrderBook, type UpsertResult } from './orders';
import { matchRoute, type Route } from './router';
import { WebhookSigner, type Jwks } from './signing';
import { SimStore, type StoredShipment } from './store';
import { toV2DateTime } from './time';
import { v1Routes } from './v1';
import { v2Routes } from './v2';
import { seLabelId, trackingInfo } from './v2render';
import { Warehouse } from './warehouse';
import { WebhookDispatcher, type WebhookDelivery, type WebhookKnobs } from './webhooks';

export interface ShipStationCounters {
  /** Keyed "METHOD /template", e.g. "GET /orders/{orderId}"; unknown routes by their path. */
  requestsByEndpoint: Record<string, number>;
  responsesByStatus: Record<string, number>;
  tooManyRequestsSent: number;
  ordersCreated: number;
  ordersUpdated: number;
  /** createorder(s) refused because the order is shipped or cancelled. */
  lockedOrderUpdatesRefused: number;
  /** Accepted createorder(s) writes per orderKey (created + updated). */
  upsertsByOrderKey: Record<string, number>;
  shipments: number;
  inventoryWrites: number;
  webhooksSent: number;
  webhookDeliveries: WebhookDelivery[];
  /** 2xx answers not sent because of dropAnswers (the request was applied, the caller never heard). */
  answersDropped: number;
}

export interface ShipStationLimits {
  v1RateLimitPerMinute?: number;
  v2RateLimitPerMinute?: number;
}

export interface WarehouseSettings {
  /** Simulated seconds from awaiting_shipment to shipped. */
  shipAfterSeconds?: number;
  /** Stop shipping due orders (shipNow still works). */
  paused?: boolean;
}

export interface OrderSummary {
  orderId: number;
  orderNumber: string;
  orderKey: string;
  orderStatus: string;
  modifyDate: string;
  shipDueAt: string | null;
  /** shipTo.country. */
  country: string | null;
  /** The customs part as stored (null when the order came without one). */
  internationalOptions: InternationalOptions | null;
}

export interface ShipmentSummary {
  shipmentId: number;
  orderId: number;
  orderKey: string;
  trackingNumber: string;
  carrierCode: string;
  serviceCode: string;
  shipmentCost: number;
  batchId: number;
  items: { sku: string | null; quantity: number }[];
}

export interface ShipStationSimulator {
  /** Base URL for V1 (`/orders`...) and V2 (`/v2/...`), no trailing slash. */
  url: string;
  /** Where the V2 webhook public keys are served (no authentication). */
  jwksUrl: string;
  /**
   * The base URL webhooks put in their resource_url (default `url`): the address clients reach the
   * simulator at when that is not its own, e.g. a recording proxy in front of it. `undefined` resets.
   */
  setResourceBaseUrl(url: string | undefined): void;
  stop(): Promise<void>;
  setFaults(patch: Partial<FaultSettings>): FaultSettings;
  /** Answer 429 to every V1 and/or V2 call for `seconds`. */
  burst(seconds: number, api?: 'v1' | 'v2' | 'both'): void;
  setLimits(patch: ShipStationLimits): void;
  setClockSpeed(speed: number): void;
  /** Move simulated time forward; orders due by then ship at once. */
  advanceClock(seconds: number): void;
  now(): Date;
  setWarehouse(patch: WarehouseSettings): void;
  /** Ship awaiting_shipment orders now: the given ones, or all of them. */
  shipNow(orderIds?: number[]): ShipmentSummary[];
  setWebhookKnobs(patch: Partial<WebhookKnobs>): WebhookKnobs;
  /**
   * The next `count` (default 1) 2xx answers of `endpoint` ("METHOD /template", as in
   * requestsByEndpoint, e.g. "POST /orders/createorder") are not sent: the request is applied, then
   * its connection is closed, as when an answer is lost on the way. Other answers are sent as usual
   * and leave the count as it is. `count` 0 clears the endpoint. Returns what is still to drop.
   */
  dropAnswers(endpoint: string, count?: number): Record<string, number>;
  flushWebhooks(): Promise<void>;
  /** A new V2 signing key (the old one stays in the JWKS); returns its key id. */
  rotateSigningKey(): string;
  jwks(): Jwks;
  counters(): ShipStationCounters;
  orders(): OrderSummary[];
  shipments(): ShipmentSummary[];
  /** On-hand quantity per location id and SKU. */
  inventory(): Record<string, Record<string, number>>;
  reset(): void;
}

const TICK_MS = 250;

export async function startShipStationSimulator(
  options: ShipStationSimOptions = {},
): Promise<ShipStationSimulator> {
  const opts = resolveOptions(options);
  const clock = new AcceleratedClock(opts.clockSpeed);
  const now = () => clock.now();
  const random = new SeededRandom(opts.seed);
  const faults = new FaultKnobs(random);
  const delays = new Delays();
  const credentials = new Credentials(opts.v1Keys, opts.v2Keys);
  const v1Limiter = new MinuteWindowLimiter(opts.v1RateLimitPerMinute);
  const v2Limiter = new MinuteWindowLimiter(opts.v2RateLimitPerMinute);
  const store = new SimStore(opts.inventory, now);
  let shipAfterSeconds = opts.shipAfterSeconds;
  const orderBook = new OrderBook(store, now, () => shipAfterSeconds * 1000);
  const warehouse = new Warehouse(store, random, now);
  const signer = new WebhookSigner();
  const webhooks = new WebhookDispatcher(signer, random, delays);
  let baseUrl = '';
  /** What webhook resource_urls start with (a proxy in front of the simulator may set it). */
  let resourceBase: string | undefined;

  const counts = {
    endpoints: new Map<string, number>(),
    statuses: new Map<string, number>(),
    upserts: new Map<string, number>(),
    created: 0,
    updated: 0,
    locked: 0,
    inventoryWrites: 0,
    dropped: 0,
  };
  /** dropAnswers: 2xx answers still to drop per "METHOD /template". */
  const toDrop = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  /** ORDER_NOTIFY: one payload per import action and store, for orders created (or released from awaiting_payment). */
  function afterUpsert(results: UpsertResult[], importBatch: string): void {
    const notify = new Set<number>();
    for (const r of results) {
      if (r.kind === 'locked') {
        counts.locked++;
        continue;
      }
      bump(counts.upserts, r.order.orderKey);
      if (r.kind === 'created') counts.created++;
      else counts.updated++;
      const status = r.order.orderStatus;
      const released =
        r.kind === 'updated' &&
        r.previousStatus === 'awaiting_payment' &&
        status !== 'awaiting_payment' &&
        status !== 'cancelled';
      if ((r.kind === 'created' && status !== 'awaiting_payment') || released)
        notify.add(Number(r.order.advancedOptions.storeId));
    }
    for (const storeId of notify) {
      for (const hook of store.v1Webhooks.values()) {
        if (
          (hook.event !== 'ORDER_NOTIFY' && hook.event !== 'ITEM_ORDER_NOTIFY') ||
          (hook.storeId !== null && hook.storeId !== storeId)
        )
          continue;
        webhooks.enqueue({
          api: 'v1',
          url: hook.targetUrl,
          resourceType: hook.event,
          resourceUrl: `${resourceBase ?? baseUrl}/orders?storeID=${storeId}&importBatch=${importBatch}`,
        });
      }
    }
  }

  /** SHIP_NOTIFY per batch (V1) and a signed TRACK_EVENT_V2 per label (V2 `track` subscriptions). */
  function afterShipping(shipments: StoredShipment[]): void {
    if (shipments.length === 0) return;
    const batchId = shipments[0]!.batchId;
    const stores = new Set(shipments.map((s) => s.storeId));
    for (const hook of store.v1Webhooks.values()) {
      if (
        (hook.event !== 'SHIP_NOTIFY' && hook.event !== 'ITEM_SHIP_NOTIFY') ||
        (hook.storeId !== null && !stores.has(hook.storeId))
      )
        continue;
      const items = hook.event === 'ITEM_SHIP_NOTIFY' ? 'True' : 'False';
      webhooks.enqueue({
        api: 'v1',
        url: hook.targetUrl,
        resourceType: hook.event,
        resourceUrl: `${resourceBase ?? baseUrl}/shipments?batchId=${batchId}&includeShipmentItems=${items}`,
      });
    }
    for (const s of shipments) {
      for (const hook of store.v2Webhooks.values()) {
        if (hook.event !== 'track') continue;
        const { events: _events, ...data } = trackingInfo(s);
        webhooks.enqueue({
          api: 'v2',
          url: hook.url,
          resourceType: 'TRACK_EVENT_V2',
          resourceUrl: `${resourceBase ?? baseUrl}/v2/labels/${seLabelId(s.shipmentId)}/track`,
          data,
          headers: hook.headers,
        });
      }
    }
  }

  function tick(): void {
    afterShipping(warehouse.run());
    webhooks.send();
  }

  const routes = {
    v1: v1Routes({ store, orders: orderBook, now, afterUpsert }),
    v2: v2Routes({ store, now, baseUrl: () => baseUrl, onInventoryWrite: () => counts.inventoryWrites++ }),
  };

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const api = url.pathname.startsWith('/v2/') ? 'v2' : 'v1';
    const errors = api === 'v1' ? v1Errors : v2Errors;
    const method = req.method ?? 'GET';
    const matched = matchRoute(routes[api] as Route[], method, url.pathname.replace(/\/+$/, '') || '/');
    const endpoint = `${method} ${matched ? matched.route.template : url.pathname}`;
    bump(counts.endpoints, endpoint);
    let headers: Record<string, string> = {};
    let raw: Buffer;
    try {
      raw = await readBody(req, opts.bodyLimitBytes);
    } catch (err) {
      const tooLarge = err instanceof BodyTooLargeError;
      const e =
        api === 'v1'
          ? v1Errors.invalid('request', [
              tooLarge ? 'The request body is too large.' : 'The request body could not be read.',
            ])
          : v2Errors.invalidField('The request body could not be read.');
      return respond(res, tooLarge ? 413 : 400, e.body, headers);
    }
    const decision = faults.decide();
    let status: number;
    let body: unknown;
    try {
      const keyId =
        api === 'v1' ? credentials.v1(header(req, 'authorization')) : credentials.v2(header(req, 'api-key'));
      if (keyId === undefined) throw errors.unauthorized();
      const limit = (api === 'v1' ? v1Limiter : v2Limiter).take(keyId);
      headers = rateHeaders(api, limit);
      if (!limit.allowed) throw errors.tooManyRequests();
      if (decision.kind === 'error') throw errors.internal();
      if (!matched)
        throw api === 'v1'
          ? new ApiError(404, {
              Message: `No HTTP resource was found that matches the request URI '${url.pathname}'.`,
            })
          : v2Errors.notFound('Resource');
      const reply = matched.route.handler({
        params: matched.params,
        query: url.searchParams,
        body: parseJson(raw, api),
      });
      status = reply.status;
      body = reply.body;
    } catch (err) {
      const e = err instanceof ApiError ? err : errors.internal();
      status = e.status;
      body = e.body;
    }
    // Timeouts are processed first: ShipStation did the work, the caller just never hears about it.
    tick();
    if (decision.kind === 'hang') return;
    const drops = toDrop.get(endpoint) ?? 0;
    if (drops > 0 && status >= 200 && status < 300) {
      if (drops > 1) toDrop.set(endpoint, drops - 1);
      else toDrop.delete(endpoint);
      counts.dropped++;
      res.destroy();
      return;
    }
    if (!(await delays.wait(decision.delayMs))) return;
    respond(res, status, body, headers);
  }

  function respond(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): void {
    bump(counts.statuses, String(status));
    if (res.destroyed) return;
    if (body === undefined) {
      res.writeHead(status, { 'content-length': 0, ...headers });
      res.end();
    } else sendJson(res, status, body, headers);
  }

  const handle: ShipStationSimulator = {
    url: '',
    jwksUrl: '',
    setResourceBaseUrl(url) {
      resourceBase = url?.replace(/\/+$/, '');
    },
    async stop() {
      clearInterval(ticker);
      delays.cancelAll();
      await server.close();
      await webhooks.flush();
    },
    setFaults: (patch) => faults.update(patch),
    burst(seconds, api = 'both') {
      nonNegative('seconds', seconds);
      if (api !== 'v2') v1Limiter.burst(seconds);
      if (api !== 'v1') v2Limiter.burst(seconds);
    },
    setLimits(patch) {
      if (patch.v1RateLimitPerMinute !== undefined)
        v1Limiter.perMinute = positive('v1RateLimitPerMinute', patch.v1RateLimitPerMinute);
      if (patch.v2RateLimitPerMinute !== undefined)
        v2Limiter.perMinute = positive('v2RateLimitPerMinute', patch.v2RateLimitPerMinute);
    },
    setClockSpeed: (speed) => clock.setSpeed(speed),
    advanceClock(seconds) {
      clock.advance(seconds);
      tick();
    },
    now: () => new Date(clock.now()),
    setWarehouse(patch) {
      if (patch.shipAfterSeconds !== undefined)
        shipAfterSeconds = nonNegative('shipAfterSeconds', patch.shipAfterSeconds);
      if (patch.paused !== undefined) warehouse.paused = patch.paused;
    },
    shipNow(orderIds) {
      const chosen = [...store.orders.values()].filter(
        (o) =>
          o.orderStatus === 'awaiting_shipment' && (orderIds === undefined || orderIds.includes(o.orderId)),
      );
      const shipped = warehouse.run(chosen);
      afterShipping(shipped);
      webhooks.send();
      return shipped.map(summary);
    },
    setWebhookKnobs(patch) {
      const next = { ...webhooks.knobs, ...patch };
      if (!Number.isFinite(next.duplicateShare) || next.duplicateShare < 0 || next.duplicateShare > 1)
        throw new RangeError('duplicateShare must be between 0 and 1');
      if (typeof next.outOfOrder !== 'boolean') throw new RangeError('outOfOrder must be a boolean');
      if (next.foreignResourceHost !== null && !/^https?:\/\/[^/\s]+\/?$/.test(next.foreignResourceHost))
        throw new RangeError('foreignResourceHost must be an http(s) origin or null');
      if (!Number.isFinite(next.timestampSkewSeconds))
        throw new RangeError('timestampSkewSeconds must be a number');
      webhooks.knobs = next;
      return { ...next };
    },
    dropAnswers(endpoint, count = 1) {
      if (!/^[A-Z]+ \/\S*$/.test(endpoint))
        throw new RangeError('endpoint must be "METHOD /path-template", e.g. "POST /orders/createorder"');
      if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be an integer >= 0');
      if (count === 0) toDrop.delete(endpoint);
      else toDrop.set(endpoint, count);
      return Object.fromEntries(toDrop);
    },
    flushWebhooks: () => webhooks.flush(),
    rotateSigningKey: () => signer.rotate(),
    jwks: () => signer.jwks(),
    counters: () => ({
      requestsByEndpoint: Object.fromEntries(counts.endpoints),
      responsesByStatus: Object.fromEntries(counts.statuses),
      tooManyRequestsSent: counts.statuses.get('429') ?? 0,
      ordersCreated: counts.created,
      ordersUpdated: counts.updated,
      lockedOrderUpdatesRefused: counts.locked,
      upsertsByOrderKey: Object.fromEntries(counts.upserts),
      shipments: store.shipments.size,
      inventoryWrites: counts.inventoryWrites,
      webhooksSent: webhooks.deliveries.length,
      webhookDeliveries: webhooks.deliveries.map((d) => ({ ...d })),
      answersDropped: counts.dropped,
    }),
    orders: () =>
      [...store.orders.values()].map((o) => ({
        orderId: o.orderId,
        orderNumber: o.orderNumber,
        orderKey: o.orderKey,
        orderStatus: o.orderStatus,
        modifyDate: toV2DateTime(o.modifyDate),
        shipDueAt: o.shipDueAt === null ? null : toV2DateTime(o.shipDueAt),
        country: typeof o.shipTo.country === 'string' ? o.shipTo.country : null,
        internationalOptions: (o.extra.internationalOptions as InternationalOptions | null) ?? null,
      })),
    shipments: () => [...store.shipments.values()].map(summary),
    inventory: () =>
      Object.fromEntries(
        [...store.stock].map(([loc, lines]) => [
          loc,
          Object.fromEntries([...lines].map(([sku, l]) => [sku, l.onHand])),
        ]),
      ),
    reset() {
      delays.cancelAll();
      faults.reset();
      v1Limiter.reset();
      v2Limiter.reset();
      v1Limiter.perMinute = opts.v1RateLimitPerMinute;
      v2Limiter.perMinute = opts.v2RateLimitPerMinute;
      store.reset();
      webhooks.reset();
      signer.reset();
      shipAfterSeconds = opts.shipAfterSeconds;
      warehouse.paused = false;
      clock.reset(opts.clockSpeed);
      for (const map of [counts.endpoints, counts.statuses, counts.upserts]) map.clear();
      counts.created = counts.updated = counts.locked = counts.inventoryWrites = counts.dropped = 0;
      toDrop.clear();
    },
  };

  const admin = adminRoutes(handle, () => ({
    faults: faults.current,
    clock: { now: new Date(clock.now()).toISOString(), speed: clock.speed },
    limits: { v1RateLimitPerMinute: v1Limiter.perMinute, v2RateLimitPerMinute: v2Limiter.perMinute },
    burstUntil: {
      v1: v1Limiter.burstActiveUntil ? new Date(v1Limiter.burstActiveUntil).toISOString() : null,
      v2: v2Limiter.burstActiveUntil ? new Date(v2Limiter.burstActiveUntil).toISOString() : null,
    },
    warehouse: { shipAfterSeconds, paused: warehouse.paused },
    webhooks: { ...webhooks.knobs, signingKeyId: signer.currentKeyId },
    answersToDrop: Object.fromEntries(toDrop),
  }));

  const server = await startHttpServer(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname.startsWith('/__admin/'))
        return admin(`${req.method ?? 'GET'} ${url.pathname}`, req, res);
      if (req.method === 'GET' && url.pathname === '/jwks') return sendJson(res, 200, signer.jwks());
      return handleApi(req, res, url);
    },
    { port: opts.port, host: opts.host },
  );
  baseUrl = server.url;
  handle.url = server.url;
  handle.jwksUrl = `${server.url}/jwks`;
  const ticker = setInterval(tick, TICK_MS);
  ticker.unref();
  return handle;
}

function summary(s: StoredShipment): ShipmentSummary {
  return {
    shipmentId: s.shipmentId,
    orderId: s.orderId,
    orderKey: s.orderKey,
    trackingNumber: s.trackingNumber,
    carrierCode: s.carrierCode,
    serviceCode: s.serviceCode,
    shipmentCost: s.shipmentCost,
    batchId: s.batchId,
    items: s.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** V1 sends X-Rate-Limit-* on every answer; V2 documents only Retry-After on a 429. */
function rateHeaders(api: 'v1' | 'v2', d: LimitDecision): Record<string, string> {
  if (api === 'v2') return d.allowed ? {} : { 'retry-after': String(d.resetSeconds) };
  return {
    'x-rate-limit-limit': String(d.limit),
    'x-rate-limit-remaining': String(d.remaining),
    'x-rate-limit-reset': String(d.resetSeconds),
  };
}

function parseJson(raw: Buffer, api: 'v1' | 'v2'): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw api === 'v1'
      ? v1Errors.invalid('request', ['The request body is not valid JSON.'])
      : v2Error(400, 'validation', 'invalid_object', 'The request body is not valid JSON.');
  }
}
