// ShipStation client: V1 (ssapi.shipstation.com, Basic apiKey:apiSecret) for orders, shipments and
// webhooks; V2 (api.shipstation.com/v2, `api-key` header) for inventory. Every request takes a slot
// from the injected limiter first (40/min per V1 key pair, 200/min per V2 key); a 429 is waited out
// (X-Rate-Limit-Reset on V1, Retry-After on V2) a bounded number of times, then surfaces as
// ShipStationRateLimitError. Plain TypeScript (no Temporal): activities wrap it, the CLI's
// `connections test` uses it.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { httpRequest, HttpTransportError, parseJson, type HttpResponse } from '../../lib/http';
import { registerSecret } from '../../lib/logger';
import type { RateLimit, RateLimiter } from '../../lib/ratelimit';
import {
  isLockedOrderStatus,
  mentionsLockedOrder,
  ShipStationAuthError,
  ShipStationError,
  ShipStationForeignUrlError,
  ShipStationImmutableOrderError,
  ShipStationRateLimitError,
  ShipStationUnavailableError,
  shipStationErrorFromResponse,
  type ShipStationApi,
} from './errors';
import {
  toInventoryLevel,
  toOnHandAdjustment,
  toShipmentRecord,
  type InventoryLevel,
  type ShipStationShipmentRecord,
} from './mapping';
import { utcToPacific } from './time';
import type {
  SsCreateOrdersResponse,
  SsOrder,
  SsOrderInput,
  SsOrderStatus,
  SsPage,
  SsShipment,
  SsV2InventoryLevel,
  SsV2InventoryPage,
  SsV2InventoryUpdate,
  SsWebhook,
  SsWebhookEvent,
} from './wire';

/** One row for the audit log: what was called and how it went. Never bodies, never headers. */
export interface ShipStationAuditEntry {
  actor: string;
  action: string;
  outcome: 'ok' | 'error';
  connection: string;
  system: 'shipstation';
  httpMethod: string;
  httpPath: string;
  httpStatus?: number;
  durationMs: number;
  details: Record<string, unknown>;
}

export type ShipStationAuditSink = (entry: ShipStationAuditEntry) => Promise<void>;

export interface ShipStationClientOptions {
  /** Connection name from the config. */
  connection: string;
  /** https://ssapi.shipstation.com or a simulator. */
  v1BaseUrl: string;
  /** https://api.shipstation.com (paths carry /v2) or a simulator. */
  v2BaseUrl: string;
  /** V1 API key and secret (HTTP Basic). */
  apiKey: string;
  apiSecret: string;
  /** V2 API key; the V2 calls (inventory) refuse to run without it. */
  v2ApiKey?: string;
  limiter: RateLimiter;
  timeoutMs: number;
  log: Logger;
  audit?: ShipStationAuditSink;
  /** 429s answered by waiting and sending again before the error surfaces (default 2). */
  rateLimitRetries?: number;
  /** A 429 asking for a longer wait than this surfaces at once (default 65 s). */
  maxInlineWaitMs?: number;
  /** V1 list page size (default 500, ShipStation's maximum: fewer calls under 40/min). */
  pageSize?: number;
  /** Currency of V1 shipment costs (the account's; default USD). */
  currency?: string;
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** A signal that aborts `ms` from now (default AbortSignal.timeout; tests pass a controlled one). */
  timeoutSignal?: (ms: number) => AbortSignal;
  fetch?: typeof fetch;
  /**
   * Inside an activity (lib/temporal/attempt.ts): the time its attempt has left. The wait for a
   * request slot under the rate limit ends there (a retryable rate-limit error, nothing sent), and a
   * write is not sent once it is 0: Temporal is about to retry the attempt, and the retry sends it.
   */
  waitBudgetMs?: () => number;
  /** Inside an activity: called every few seconds while waiting for a request slot. */
  heartbeat?: () => void;
  /** Inside an activity: its cancellation; the wait for a request slot stops when it fires. */
  signal?: AbortSignal;
}

/** How long a request that found no slot within its activity attempt asks Temporal to wait (plus jitter). */
const NO_SLOT_RETRY_MS = 5_000;

/** Documented defaults: 40 requests/minute per V1 key pair, 200/minute for V2. */
export interface ShipStationLimits {
  v1PerMinute: number;
  v2PerMinute: number;
}

export const SHIPSTATION_DEFAULT_LIMITS: ShipStationLimits = { v1PerMinute: 40, v2PerMinute: 200 };

/** Limiter key per API and credential (hashed), so connections sharing a key pair share its limit. */
export function shipStationLimitKey(api: ShipStationApi, credential: string): string {
  return `shipstation:${api}:${createHash('sha256').update(credential).digest('hex').slice(0, 16)}`;
}

/**
 * The limit for a limiter key made by shipStationLimitKey: the documented figures, for a
 * PostgresSlidingLimiter (lib/ratelimit.ts), which holds them whatever ShipStation's window alignment.
 */
export function shipStationLimitFor(limits: ShipStationLimits = SHIPSTATION_DEFAULT_LIMITS) {
  return (key: string): RateLimit => ({
    limit: key.startsWith('shipstation:v2:') ? limits.v2PerMinute : limits.v1PerMinute,
    windowMs: 60_000,
  });
}

export interface ListOrdersFilters {
  /** A "starts with" search in ShipStation; findOrderByKey re-checks equality. */
  orderNumber?: string;
  orderStatus?: SsOrderStatus;
  storeId?: number;
  /** UTC instants; sent as Pacific wall time, starts rounded down and ends up. */
  createDateStart?: Date | string;
  createDateEnd?: Date | string;
  modifyDateStart?: Date | string;
  modifyDateEnd?: Date | string;
  orderDateStart?: Date | string;
  orderDateEnd?: Date | string;
  sortBy?: 'OrderDate' | 'ModifyDate' | 'CreateDate';
  sortDir?: 'ASC' | 'DESC';
}

/**
 * V1 /shipments filters. ShipStation documents no modify-date filter for shipments: a label's
 * creation date is when it appears, its void date when it changes, so a poll uses those windows.
 */
export interface ListShipmentsFilters {
  createDateStart?: Date | string;
  createDateEnd?: Date | string;
  shipDateStart?: Date | string;
  shipDateEnd?: Date | string;
  voidDateStart?: Date | string;
  voidDateEnd?: Date | string;
  orderId?: number;
  orderNumber?: string;
  trackingNumber?: string;
  storeId?: number;
  /** Default true: the shipped quantities per SKU are the point of the poll. */
  includeShipmentItems?: boolean;
  sortBy?: 'ShipDate' | 'CreateDate';
  sortDir?: 'ASC' | 'DESC';
}

export interface CreateOrdersItemResult {
  orderKey: string;
  orderNumber: string;
  success: boolean;
  orderId?: number;
  errorMessage?: string;
  /** ShipStation refused because the order is shipped or cancelled. */
  locked: boolean;
}

export interface SubscribeWebhookInput {
  targetUrl: string;
  event: SsWebhookEvent;
  storeId?: number;
  friendlyName?: string;
}

export interface InventoryFilters {
  sku?: string;
  inventoryWarehouseId?: string;
  inventoryLocationId?: string;
  groupBy?: 'warehouse' | 'location';
  /** Page size ("limit" in the V2 spec). */
  limit?: number;
}

export type ResourceUrlResult =
  { kind: 'shipments'; shipments: ShipStationShipmentRecord[] } | { kind: 'orders'; orders: SsOrder[] };

export type ShipStationConnectionTestReason =
  'ok' | 'bad_credentials' | 'unreachable' | 'rate_limited' | 'error';

export interface ShipStationConnectionTestResult {
  ok: boolean;
  reason: ShipStationConnectionTestReason;
  message: string;
}

/** ShipStation's production V1 hosts: `ssapi.shipstation.com` and numbered shards (`ssapi11…`, §A10). */
const SHIPSTATION_V1_HOST = /^ssapi\d*\.shipstation\.com$/;
/** Resources a webhook may point at: the credentials are used for nothing else. */
const RESOURCE_PATHS: Record<string, ResourceUrlResult['kind']> = {
  '/shipments': 'shipments',
  '/orders': 'orders',
};
/** Most orders per createorders request [CUMO]. */
export const BULK_ORDER_LIMIT = 100;
/** A safety stop for paging loops fed by the server's own page counts and links. */
const MAX_PAGES = 1_000;

type Query = Array<[string, string]>;
type Method = 'GET' | 'POST' | 'DELETE';

interface CallOptions {
  json?: unknown;
  subject?: string;
  allowEmpty?: boolean;
}

export class ShipStationClient {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly basic: string;

  constructor(private readonly opts: ShipStationClientOptions) {
    this.log = opts.log.child({ component: 'shipstation-client', connection: opts.connection });
    this.now = opts.now ?? (() => new Date());
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.basic = Buffer.from(`${opts.apiKey}:${opts.apiSecret}`, 'utf8').toString('base64');
    for (const secret of [opts.apiKey, opts.apiSecret, opts.v2ApiKey, this.basic]) registerSecret(secret);
  }

  get connection(): string {
    return this.opts.connection;
  }

  /** The same client with another audit sink (activities add workflow and order ids). */
  withAudit(audit: ShipStationAuditSink): ShipStationClient {
    return new ShipStationClient({ ...this.opts, audit });
  }

  /** The same client inside one activity attempt: its time budget, heartbeat and cancellation. */
  withAttempt(
    attempt: Pick<ShipStationClientOptions, 'waitBudgetMs' | 'heartbeat' | 'signal'>,
  ): ShipStationClient {
    return new ShipStationClient({ ...this.opts, ...attempt });
  }

  // ------------------------------------------------------------ V1 orders

  /**
   * POST /orders/createorder: creates the order or, when its orderKey exists, replaces it. With
   * `existingOrderId` (known from an earlier push) the order is read first and a shipped or
   * cancelled one is never sent. Whatever the caller knew, a refusal of an order ShipStation holds
   * shipped/cancelled under this orderKey (see lockedRefusal), a refusal naming the locked status,
   * or an answer showing the order still shipped/cancelled, becomes ShipStationImmutableOrderError.
   */
  async createOrUpdateOrder(order: SsOrderInput, opts: { existingOrderId?: number } = {}): Promise<SsOrder> {
    if (opts.existingOrderId !== undefined) {
      const current = await this.getOrder(opts.existingOrderId);
      if (isLockedOrderStatus(current.orderStatus))
        throw this.locked(order, current.orderStatus, current.orderId);
    }
    let saved: SsOrder;
    try {
      saved = await this.v1<SsOrder>('createOrUpdateOrder', 'POST', '/orders/createorder', [], {
        json: order,
        subject: `order ${order.orderNumber}`,
      });
    } catch (err) {
      throw await this.lockedRefusal(order, err);
    }
    if (!saved || typeof saved !== 'object' || typeof saved.orderId !== 'number') {
      throw new ShipStationUnavailableError('ShipStation createorder answered without an order', {
        api: 'v1',
      });
    }
    // Some accounts answer 200 and leave a locked order as it was: the answer's status tells.
    if (isLockedOrderStatus(saved.orderStatus)) throw this.locked(order, saved.orderStatus, saved.orderId);
    return saved;
  }

  /**
   * What a 400 to createorder says when ShipStation already holds the order shipped or cancelled.
   * A createorder sent again after its first answer was lost (a timeout, a dropped connection) finds
   * the order it created there, and the warehouse may have shipped it meanwhile: ShipStation refuses
   * to update it. How it refuses is undocumented (UNCONFIRMED, reference §A11: the simulator answers
   * 400 naming the status), so the wording is not relied on: on any 400 the order is read back by
   * its orderKey (one extra read, only on this path). Found shipped or cancelled, the refusal becomes
   * ShipStationImmutableOrderError with that status and orderId, and the caller goes on as if a
   * webhook had told it. Not found, or found open (a real validation problem), the refusal stands.
   * A lookup that failed in a way worth retrying is thrown instead: createorder upserts by orderKey,
   * so sending it again later is safe.
   */
  private async lockedRefusal(order: SsOrderInput, refusal: unknown): Promise<unknown> {
    if (!(refusal instanceof ShipStationError) || refusal.status !== 400 || !order.orderKey) return refusal;
    const context = { orderKey: order.orderKey, orderNumber: order.orderNumber, refusal: refusal.message };
    let found: SsOrder | undefined;
    try {
      found = await this.findOrderByKey(order.orderKey, order.orderNumber);
    } catch (err) {
      this.log.warn(
        { ...context, err: (err as Error).message },
        'createorder refused; reading the order back by its orderKey failed',
      );
      return err instanceof ShipStationError && err.retryable ? err : refusal;
    }
    if (!found || !isLockedOrderStatus(found.orderStatus)) {
      this.log.warn(
        { ...context, orderStatus: found?.orderStatus ?? null },
        found
          ? 'createorder refused an order that is open in ShipStation'
          : 'createorder refused; ShipStation holds no order with this orderKey',
      );
      return refusal;
    }
    this.log.info(
      { ...context, orderId: found.orderId, orderStatus: found.orderStatus },
      'createorder refused an order ShipStation already holds shipped or cancelled',
    );
    return this.locked(order, found.orderStatus, found.orderId, refusal);
  }

  /** POST /orders/createorders in requests of at most 100; one result per order, in input order. */
  async createOrders(orders: SsOrderInput[]): Promise<CreateOrdersItemResult[]> {
    const out: CreateOrdersItemResult[] = [];
    for (let i = 0; i < orders.length; i += BULK_ORDER_LIMIT) {
      const chunk = orders.slice(i, i + BULK_ORDER_LIMIT);
      const res = await this.v1<SsCreateOrdersResponse>('createOrders', 'POST', '/orders/createorders', [], {
        json: chunk,
      });
      // Without a results list nothing is known about any order: the call fails (and is safe to
      // retry, createorders upserts by orderKey). A result that is not an object fails its order.
      if (!isJsonObject(res) || !Array.isArray(res.results)) {
        throw unreadable('v1', 'createOrders', 'the answer has no results list');
      }
      const results = res.results.map((x) => (isJsonObject(x) ? x : undefined));
      chunk.forEach((order, j) => {
        // Match by orderKey; fall back to position (the documented answer keeps the request order).
        const r = results.find((x) => x?.orderKey === order.orderKey) ?? results[j];
        const message = typeof r?.errorMessage === 'string' ? r.errorMessage : undefined;
        const success = r?.success === true && (r.orderKey == null || r.orderKey === order.orderKey);
        out.push({
          orderKey: order.orderKey,
          orderNumber: order.orderNumber,
          success,
          ...(typeof r?.orderId === 'number' ? { orderId: r.orderId } : {}),
          ...(success ? {} : { errorMessage: message ?? 'ShipStation returned no result for this order' }),
          locked: !success && mentionsLockedOrder(message),
        });
      });
    }
    return out;
  }

  async getOrder(orderId: number): Promise<SsOrder> {
    const order = await this.v1<unknown>(
      'getOrder',
      'GET',
      `/orders/${encodeURIComponent(String(orderId))}`,
      [],
      {
        subject: `order ${orderId}`,
      },
    );
    if (!isJsonObject(order)) throw unreadable('v1', 'getOrder', 'answer is not a JSON object');
    if (typeof order.orderId !== 'number')
      throw unreadable('v1', 'getOrder', 'the order has no orderId (number)');
    return order as unknown as SsOrder;
  }

  /** GET /orders, every page. */
  async listOrders(filters: ListOrdersFilters = {}): Promise<SsOrder[]> {
    const q: Query = [];
    if (filters.orderNumber) q.push(['orderNumber', filters.orderNumber]);
    if (filters.orderStatus) q.push(['orderStatus', filters.orderStatus]);
    if (filters.storeId !== undefined) q.push(['storeId', String(filters.storeId)]);
    window(q, 'createDate', filters.createDateStart, filters.createDateEnd);
    window(q, 'modifyDate', filters.modifyDateStart, filters.modifyDateEnd);
    window(q, 'orderDate', filters.orderDateStart, filters.orderDateEnd);
    if (filters.sortBy) q.push(['sortBy', filters.sortBy]);
    if (filters.sortDir) q.push(['sortDir', filters.sortDir]);
    return this.v1Pages<SsOrder>('listOrders', this.v1Url('/orders'), q, 'orders');
  }

  /** The order with exactly this orderKey (orderNumber narrows the search; ShipStation has no key filter). */
  async findOrderByKey(orderKey: string, orderNumber: string): Promise<SsOrder | undefined> {
    const found = await this.listOrders({ orderNumber });
    return found.find((o) => o.orderKey === orderKey);
  }

  // ------------------------------------------------------------ V1 shipments

  /** GET /shipments, every page, as canonical records (with items unless asked otherwise). */
  async listShipments(filters: ListShipmentsFilters = {}): Promise<ShipStationShipmentRecord[]> {
    const q: Query = [];
    window(q, 'createDate', filters.createDateStart, filters.createDateEnd);
    window(q, 'shipDate', filters.shipDateStart, filters.shipDateEnd);
    window(q, 'voidDate', filters.voidDateStart, filters.voidDateEnd);
    if (filters.orderId !== undefined) q.push(['orderId', String(filters.orderId)]);
    if (filters.orderNumber) q.push(['orderNumber', filters.orderNumber]);
    if (filters.trackingNumber) q.push(['trackingNumber', filters.trackingNumber]);
    if (filters.storeId !== undefined) q.push(['storeId', String(filters.storeId)]);
    q.push(['includeShipmentItems', filters.includeShipmentItems === false ? 'false' : 'true']);
    if (filters.sortBy) q.push(['sortBy', filters.sortBy]);
    if (filters.sortDir) q.push(['sortDir', filters.sortDir]);
    const raw = await this.v1Pages<SsShipment>('listShipments', this.v1Url('/shipments'), q, 'shipments');
    return this.shipmentRecords('listShipments', raw);
  }

  // ------------------------------------------------------------ V1 webhooks

  /**
   * Follow a webhook's resource_url with the connection's credentials, but only to ShipStation: the
   * configured V1 base URL's origin, or https on ssapi[N].shipstation.com; and only to /shipments or
   * /orders. Anything else is refused before any request is made (the body of a webhook is
   * unauthenticated: a forged one must not make us send our key elsewhere). Shipment lists get
   * their items (includeShipmentItems=True); every page is read.
   */
  async getByResourceUrl(resourceUrl: string): Promise<ResourceUrlResult> {
    const { url, kind } = this.checkResourceUrl(resourceUrl);
    if (kind === 'shipments') {
      for (const name of [...url.searchParams.keys()]) {
        if (name.toLowerCase() === 'includeshipmentitems') url.searchParams.delete(name);
      }
      url.searchParams.set('includeShipmentItems', 'True');
      const base = `${url.origin}${url.pathname}`;
      const raw = await this.v1Pages<SsShipment>(
        'getResourceShipments',
        base,
        [...url.searchParams],
        'shipments',
      );
      return { kind, shipments: this.shipmentRecords('getResourceShipments', raw) };
    }
    const base = `${url.origin}${url.pathname}`;
    return {
      kind,
      orders: await this.v1Pages<SsOrder>('getResourceOrders', base, [...url.searchParams], 'orders'),
    };
  }

  /** The parsed URL and resource kind when resource_url is one we may follow; throws otherwise. */
  checkResourceUrl(resourceUrl: string): { url: URL; kind: ResourceUrlResult['kind'] } {
    const refuse = (why: string) =>
      new ShipStationForeignUrlError(`ShipStation resource_url refused: ${why}; nothing was fetched`);
    let url: URL;
    try {
      url = new URL(resourceUrl);
    } catch {
      throw refuse('not an absolute URL');
    }
    if (url.username || url.password) throw refuse('it carries user credentials');
    const base = new URL(this.opts.v1BaseUrl);
    const basePath = base.pathname.replace(/\/+$/, '');
    const configured = url.origin === base.origin;
    const production = url.protocol === 'https:' && url.port === '' && SHIPSTATION_V1_HOST.test(url.hostname);
    if (!configured && !production) throw refuse(`host ${url.host} is not ShipStation's`);
    const prefix = configured ? basePath : '';
    if (!url.pathname.startsWith(`${prefix}/`)) throw refuse(`path ${url.pathname} is outside the API`);
    const kind = RESOURCE_PATHS[url.pathname.slice(prefix.length).replace(/\/+$/, '').toLowerCase()];
    if (!kind) throw refuse(`path ${url.pathname} is not a shipment or order list`);
    return { url, kind };
  }

  async listWebhooks(): Promise<SsWebhook[]> {
    const res = await this.v1<{ webhooks?: SsWebhook[] }>('listWebhooks', 'GET', '/webhooks', []);
    return Array.isArray(res?.webhooks) ? res.webhooks : [];
  }

  /** POST /webhooks/subscribe. The answer is `{id}` in the older docs and `{WebHookID}` in the newer. */
  async subscribeWebhook(input: SubscribeWebhookInput): Promise<{ webhookId: number }> {
    const body = {
      target_url: input.targetUrl,
      event: input.event,
      ...(input.storeId !== undefined ? { store_id: input.storeId } : {}),
      ...(input.friendlyName ? { friendly_name: input.friendlyName } : {}),
    };
    const res = await this.v1<{ id?: number; WebHookID?: number }>(
      'subscribeWebhook',
      'POST',
      '/webhooks/subscribe',
      [],
      {
        json: body,
      },
    );
    const webhookId = res?.id ?? res?.WebHookID;
    if (typeof webhookId !== 'number') {
      throw new ShipStationUnavailableError('ShipStation webhooks/subscribe answered without a webhook id', {
        api: 'v1',
      });
    }
    return { webhookId };
  }

  async unsubscribeWebhook(webhookId: number): Promise<void> {
    await this.v1<unknown>(
      'unsubscribeWebhook',
      'DELETE',
      `/webhooks/${encodeURIComponent(String(webhookId))}`,
      [],
      {
        allowEmpty: true,
        subject: `webhook ${webhookId}`,
      },
    );
  }

  // ------------------------------------------------------------ V2 inventory

  /** GET /v2/inventory, following `links.next` (only on the V2 base URL's origin). */
  async listInventory(filters: InventoryFilters = {}): Promise<InventoryLevel[]> {
    const q: Query = [];
    if (filters.sku) q.push(['sku', filters.sku]);
    if (filters.inventoryWarehouseId) q.push(['inventory_warehouse_id', filters.inventoryWarehouseId]);
    if (filters.inventoryLocationId) q.push(['inventory_location_id', filters.inventoryLocationId]);
    if (filters.groupBy) q.push(['group_by', filters.groupBy]);
    if (filters.limit !== undefined) q.push(['limit', String(filters.limit)]);
    const origin = new URL(this.opts.v2BaseUrl).origin;
    const out: InventoryLevel[] = [];
    let url: string | undefined = withQuery(this.v2Url('/v2/inventory'), q);
    for (let n = 0; url && n < MAX_PAGES; n++) {
      const page = await this.v2<SsV2InventoryPage>('listInventory', 'GET', url);
      if (!isJsonObject(page as unknown))
        throw unreadable('v2', 'listInventory', 'answer is not a JSON object');
      const levels: unknown = page.inventory ?? [];
      if (!Array.isArray(levels)) throw unreadable('v2', 'listInventory', 'the answer has no inventory list');
      for (const level of levels) {
        if (!isJsonObject(level) || typeof level.sku !== 'string') continue;
        for (const field of ['on_hand', 'allocated', 'available'] as const) {
          const v: unknown = level[field];
          if (v !== undefined && v !== null && typeof v !== 'number') {
            throw unreadable(
              'v2',
              'listInventory',
              `the row of SKU ${level.sku} has ${field} that is not a number`,
            );
          }
        }
        out.push(toInventoryLevel(level as unknown as SsV2InventoryLevel));
      }
      const next: unknown = page.links?.next?.href;
      if (next !== undefined && next !== null && typeof next !== 'string') {
        throw unreadable('v2', 'listInventory', 'the next link is not text');
      }
      url = undefined;
      if (next && (page.pages === undefined || (page.page ?? 0) < page.pages)) {
        const resolved = new URL(next, origin);
        if (resolved.origin !== origin) {
          throw new ShipStationUnavailableError(`ShipStation V2 listInventory: next link leaves ${origin}`, {
            api: 'v2',
          });
        }
        url = resolved.toString();
      }
    }
    return out;
  }

  /** POST /v2/inventory (answers 204). `decrement` is all or nothing: a 400 changes nothing. */
  async updateInventory(update: SsV2InventoryUpdate): Promise<void> {
    await this.v2<unknown>('updateInventory', 'POST', this.v2Url('/v2/inventory'), {
      json: update,
      allowEmpty: true,
      subject: `inventory of ${update.sku}`,
    });
  }

  /** Set a SKU's on-hand quantity at an inventory location (an `adjust` transaction). */
  async setOnHand(sku: string, quantity: number, locationId: string, reason?: string): Promise<void> {
    await this.updateInventory(toOnHandAdjustment(sku, quantity, locationId, reason));
  }

  // ------------------------------------------------------------ connection test

  /**
   * One cheap read per API in use: V1 (one order) and, with a V2 key, V2 (one inventory row).
   * No 429 waiting here: the operator wants an answer now, and a 429 is an answer.
   */
  async testConnection(): Promise<ShipStationConnectionTestResult> {
    const quick = new ShipStationClient({ ...this.opts, rateLimitRetries: 0 });
    const probes: Array<[ShipStationApi, () => Promise<unknown>]> = [
      ['v1', () => quick.v1('testConnection', 'GET', '/orders', [['pageSize', '1']])],
    ];
    if (this.opts.v2ApiKey) {
      probes.push([
        'v2',
        () => quick.v2('testConnection', 'GET', withQuery(quick.v2Url('/v2/inventory'), [['limit', '1']])),
      ]);
    }
    for (const [api, probe] of probes) {
      try {
        await probe();
      } catch (err) {
        return this.testFailure(err, api);
      }
    }
    return {
      ok: true,
      reason: 'ok',
      message: this.opts.v2ApiKey
        ? 'V1 key pair and V2 key accepted; orders and inventory are readable'
        : 'V1 key pair accepted; orders are readable (no V2 key configured, so inventory is off)',
    };
  }

  private testFailure(err: unknown, api: ShipStationApi): ShipStationConnectionTestResult {
    const base = api === 'v1' ? this.opts.v1BaseUrl : this.opts.v2BaseUrl;
    if (err instanceof ShipStationUnavailableError && err.transport) {
      return { ok: false, reason: 'unreachable', message: `cannot reach ${base}: ${err.message}` };
    }
    if (err instanceof ShipStationRateLimitError)
      return { ok: false, reason: 'rate_limited', message: err.message };
    if (err instanceof ShipStationAuthError) {
      const which = api === 'v1' ? 'the V1 API key and secret' : 'the V2 API key';
      return {
        ok: false,
        reason: 'bad_credentials',
        message: `ShipStation refused ${which} (HTTP ${err.status ?? '?'}): check them under Settings > Account > API Settings`,
      };
    }
    return { ok: false, reason: 'error', message: (err as Error).message };
  }

  // ------------------------------------------------------------ plumbing

  private locked(
    order: SsOrderInput,
    status: string,
    orderId: unknown,
    refusal?: ShipStationError,
  ): ShipStationImmutableOrderError {
    const id = typeof orderId === 'number' ? orderId : undefined;
    return new ShipStationImmutableOrderError(
      `ShipStation order ${order.orderNumber} (${order.orderKey}${id === undefined ? '' : `, orderId ${id}`}) ` +
        `is ${status}: shipped and cancelled orders are never updated`,
      status,
      {
        api: 'v1',
        ...(refusal ? { status: refusal.status, shipStationMessage: refusal.shipStationMessage } : {}),
      },
      id,
    );
  }

  private v1Url(path: string): string {
    return `${this.opts.v1BaseUrl.replace(/\/+$/, '')}${path}`;
  }

  private v2Url(path: string): string {
    return `${this.opts.v2BaseUrl.replace(/\/+$/, '')}${path}`;
  }

  private async v1<T>(operation: string, method: Method, path: string, q: Query, options: CallOptions = {}) {
    return this.call<T>('v1', operation, method, withQuery(this.v1Url(path), q), options);
  }

  private async v2<T>(operation: string, method: Method, url: string, options: CallOptions = {}) {
    return this.call<T>('v2', operation, method, url, options);
  }

  /** Every page of a V1 list: `page` counts up while `page < pages` (pages = ceil(total/pageSize) if absent). */
  private async v1Pages<T>(operation: string, base: string, q: Query, collection: string): Promise<T[]> {
    const pageSize = this.opts.pageSize ?? 500;
    const fixed = q.filter(([k]) => k !== 'page' && k !== 'pageSize');
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const url = withQuery(base, [...fixed, ['page', String(page)], ['pageSize', String(pageSize)]]);
      const body = await this.call<SsPage & Record<string, unknown>>('v1', operation, 'GET', url, {});
      const items = body?.[collection];
      if (!Array.isArray(items)) {
        throw new ShipStationUnavailableError(
          `ShipStation ${operation}: the answer has no ${collection} list`,
          {
            api: 'v1',
          },
        );
      }
      const bad = items.findIndex((x) => !isJsonObject(x));
      if (bad >= 0) {
        throw unreadable(
          'v1',
          operation,
          `the ${collection} list holds item ${bad} that is not a JSON object`,
        );
      }
      // A server that ignores `page` would hand out its first page up to MAX_PAGES times.
      if (typeof body.page === 'number' && body.page !== page) {
        throw unreadable('v1', operation, `asked for page ${page}, the answer is page ${body.page}`);
      }
      out.push(...(items as T[]));
      const total = typeof body.total === 'number' ? body.total : undefined;
      // `pages: 0` with items appears in the docs' examples; trust the total then.
      const pages =
        typeof body.pages === 'number' && body.pages > 0
          ? body.pages
          : total !== undefined
            ? Math.ceil(total / pageSize)
            : page;
      if (page >= pages || items.length === 0) break;
    }
    return out;
  }

  /** V1 shipments as canonical records; one that cannot be read fails the call, naming its position. */
  private shipmentRecords(operation: string, raw: SsShipment[]): ShipStationShipmentRecord[] {
    return raw.map((s, i) => {
      const items: unknown = s.shipmentItems;
      if (items !== undefined && items !== null && !(Array.isArray(items) && items.every(isJsonObject))) {
        throw unreadable('v1', operation, `shipment ${i} has shipmentItems that is not a list of objects`);
      }
      try {
        return toShipmentRecord(s, { currency: this.opts.currency });
      } catch (err) {
        throw unreadable('v1', operation, `shipment ${i} is unreadable (${(err as Error).message})`);
      }
    });
  }

  private headers(api: ShipStationApi): Record<string, string> {
    if (api === 'v1') return { authorization: `Basic ${this.basic}` };
    return { 'api-key': this.opts.v2ApiKey ?? '' };
  }

  private limitKey(api: ShipStationApi): string {
    return api === 'v1'
      ? shipStationLimitKey('v1', `${this.opts.apiKey}:${this.opts.apiSecret}`)
      : shipStationLimitKey('v2', this.opts.v2ApiKey ?? '');
  }

  private async audit(entry: Omit<ShipStationAuditEntry, 'actor' | 'system' | 'connection'>): Promise<void> {
    if (!this.opts.audit) return;
    try {
      await this.opts.audit({
        actor: 'shipstation-client',
        system: 'shipstation',
        connection: this.opts.connection,
        ...entry,
      });
    } catch (err) {
      // A broken audit sink must not change the call's own outcome.
      this.log.warn({ err: (err as Error).message, action: entry.action }, 'audit write failed');
    }
  }

  private async send(
    api: ShipStationApi,
    operation: string,
    method: Method,
    url: string,
    json: unknown,
  ): Promise<HttpResponse> {
    await this.slot(api, operation);
    if (method !== 'GET' && (this.opts.waitBudgetMs?.() ?? Infinity) <= 0) {
      this.log.warn({ action: `shipstation.${operation}` }, 'activity attempt used up; write not sent');
      throw new ShipStationUnavailableError(
        `ShipStation ${operation}: the activity attempt's time is used up; not sent (the retry sends it)`,
        { api },
      );
    }
    return httpRequest(
      {
        method,
        url,
        headers: this.headers(api),
        ...(json !== undefined ? { json } : {}),
        timeoutMs: this.opts.timeoutMs,
      },
      { log: this.log, fetch: this.opts.fetch },
    );
  }

  /**
   * A request slot under the API's limit, waited for no longer than the activity attempt has left
   * (heartbeating meanwhile). Under a backlog (orders arriving faster than 40 a minute) an attempt
   * that waited past its timeout would otherwise still send its request next to its own retry, and
   * hold a worker slot while it waits.
   */
  private async slot(api: ShipStationApi, operation: string): Promise<void> {
    const budget = this.opts.waitBudgetMs?.() ?? Infinity;
    const { timeoutSignal = (ms: number) => AbortSignal.timeout(ms) } = this.opts;
    const outOfTime = Number.isFinite(budget) ? timeoutSignal(Math.max(1, budget)) : undefined;
    const signals = [this.opts.signal, outOfTime].filter((x): x is AbortSignal => x !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const { heartbeat } = this.opts;
    // A sign of life per request too (the SDK throttles what it sends): a paging read of many
    // requests at 40 a minute outlasts a 1-minute heartbeat timeout without ever waiting 5 s.
    if (heartbeat) this.beat(heartbeat);
    const beat = heartbeat ? setInterval(() => this.beat(heartbeat), 5_000) : undefined;
    try {
      await this.opts.limiter.acquire(this.limitKey(api), 1, signal ? { signal } : {});
    } catch (err) {
      if (outOfTime?.aborted && !this.opts.signal?.aborted) {
        const retryInMs =
          NO_SLOT_RETRY_MS + Math.floor((this.opts.random ?? Math.random)() * NO_SLOT_RETRY_MS);
        throw new ShipStationRateLimitError(
          `ShipStation ${operation}: no request slot under the ${api.toUpperCase()} rate limit within the ` +
            `activity attempt's time; not sent, retry in ${Math.ceil(retryInMs / 1000)} s`,
          retryInMs,
          { api },
        );
      }
      throw err;
    } finally {
      clearInterval(beat);
    }
  }

  /** A heartbeat that fails must not fail the request, nor the process (it runs from a timer). */
  private beat(heartbeat: () => void): void {
    try {
      heartbeat();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat failed');
    }
  }

  private async call<T>(
    api: ShipStationApi,
    operation: string,
    method: Method,
    url: string,
    options: CallOptions,
  ): Promise<T> {
    const action = `shipstation.${operation}`;
    const path = new URL(url).pathname;
    if (api === 'v2' && !this.opts.v2ApiKey) {
      throw new ShipStationAuthError(
        `ShipStation V2 ${operation}: the connection has no V2 API key; add one to use inventory`,
        { api },
      );
    }
    const retries = this.opts.rateLimitRetries ?? 2;
    const maxWait = this.opts.maxInlineWaitMs ?? 65_000;
    const started = this.now().getTime();
    let res: HttpResponse;
    let error: ShipStationError | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.send(api, operation, method, url, options.json);
      } catch (err) {
        const e =
          err instanceof HttpTransportError
            ? new ShipStationUnavailableError(
                `ShipStation ${operation}: ${err.message}`,
                { api },
                err.unanswered,
              )
            : (err as Error);
        await this.audit({
          action,
          outcome: 'error',
          httpMethod: method,
          httpPath: path,
          durationMs: this.now().getTime() - started,
          details: { error: e.message, ...(e instanceof ShipStationError ? { type: e.type } : {}) },
        });
        throw e;
      }
      error =
        res.status >= 200 && res.status < 300
          ? undefined
          : shipStationErrorFromResponse(res, {
              api,
              operation,
              method,
              path,
              nowMs: this.now().getTime(),
              random: this.opts.random,
              subject: options.subject,
            });
      const budget = this.opts.waitBudgetMs?.() ?? Infinity;
      if (
        !(error instanceof ShipStationRateLimitError) ||
        attempt >= retries ||
        error.retryAfterMs > Math.min(maxWait, budget)
      )
        break;
      // The limit was reached anyway (another tool on the same key, or a window offset): wait it out.
      await this.audit({
        action,
        outcome: 'error',
        httpMethod: method,
        httpPath: path,
        httpStatus: res.status,
        durationMs: res.durationMs,
        details: { type: error.type, retryInMs: error.retryAfterMs },
      });
      this.log.warn(
        { action, waitMs: error.retryAfterMs, attempt },
        'ShipStation answered 429; waiting before the retry',
      );
      await this.sleep(error.retryAfterMs);
    }

    const body = error ? undefined : parseJson<T>(res.text);
    const unreadable = !error && body === undefined && !options.allowEmpty;
    await this.audit({
      action,
      outcome: error || unreadable ? 'error' : 'ok',
      httpMethod: method,
      httpPath: path,
      httpStatus: res.status,
      durationMs: res.durationMs,
      details: error ? { type: error.type, ...(error.code ? { code: error.code } : {}) } : {},
    });
    if (error) {
      this.log.warn({ action, status: res.status, type: error.type }, 'ShipStation call failed');
      throw error;
    }
    if (unreadable) {
      throw new ShipStationUnavailableError(`ShipStation ${operation}: answer is not JSON`, {
        api,
        status: res.status,
      });
    }
    return body as T;
  }
}

/** Add a poll window in V1's Pacific request format (start rounded down, end up). */
function window(q: Query, name: string, start?: Date | string, end?: Date | string): void {
  if (start !== undefined) q.push([`${name}Start`, utcToPacific(start, 'floor')]);
  if (end !== undefined) q.push([`${name}End`, utcToPacific(end, 'ceil')]);
}

function withQuery(base: string, q: Query): string {
  return q.length ? `${base}?${new URLSearchParams(q).toString()}` : base;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ShipStation answered 2xx with something the connector cannot use. */
function unreadable(api: ShipStationApi, operation: string, what: string): ShipStationUnavailableError {
  return new ShipStationUnavailableError(`ShipStation ${operation}: ${what}`, { api });
}
