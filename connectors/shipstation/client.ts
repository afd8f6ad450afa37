// ShipStation client: what each operation sends and how its answer is read. V1 for orders,
// shipments and webhooks; V2 for inventory. The requests go through transport.ts (the kit's call
// path: limiter slot, 429 waits, typed errors, an audit entry per request), the answers through
// the zod schemas in schemas.ts and the pure mapping in mapping.ts. What is policy stays here: a
// locked order is never updated, a resource_url is followed only to ShipStation, pages are bounded.
// Plain TypeScript (no Temporal): activities wrap it, the CLI's `connections test` uses it.

import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  isLockedOrderStatus,
  mentionsLockedOrder,
  ShipStationAuthError,
  ShipStationError,
  ShipStationImmutableOrderError,
  ShipStationRateLimitError,
  ShipStationUnavailableError,
  type ShipStationApi,
} from './errors';
import {
  toInventoryLevel,
  toOnHandAdjustment,
  toShipmentRecord,
  type InventoryLevel,
  type ShipStationShipmentRecord,
} from './mapping';
import {
  anyAnswer,
  createOrdersAnswer,
  inventoryPage,
  orderAnswer,
  ordersPage,
  savedOrderAnswer,
  shipmentsPage,
  subscribeAnswer,
  webhooksAnswer,
  type V1Page,
} from './schemas';
import { checkResourceUrl, type ResourceKind } from './resource-url';
import { utcToPacific } from './time';
import {
  ShipStationTransport,
  type ShipStationAuditSink,
  type ShipStationTransportOptions,
} from './transport';
import type {
  SsOrder,
  SsOrderInput,
  SsOrderStatus,
  SsShipment,
  SsV2InventoryUpdate,
  SsWebhook,
  SsWebhookEvent,
} from './wire';

export {
  SHIPSTATION_DEFAULT_LIMITS,
  shipStationLimitFor,
  shipStationLimitKey,
  type ShipStationAuditEntry,
  type ShipStationAuditSink,
  type ShipStationLimits,
} from './transport';

export interface ShipStationClientOptions extends ShipStationTransportOptions {
  /** V1 list page size (default 500, ShipStation's maximum: fewer calls under 40/min). */
  pageSize?: number;
  /** Currency of V1 shipment costs (the account's; default USD). */
  currency?: string;
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
export type { ResourceKind } from './resource-url';

export type ShipStationConnectionTestReason =
  'ok' | 'bad_credentials' | 'unreachable' | 'rate_limited' | 'error';

export interface ShipStationConnectionTestResult {
  ok: boolean;
  reason: ShipStationConnectionTestReason;
  message: string;
}

/** Most orders per createorders request [CUMO]. */
export const BULK_ORDER_LIMIT = 100;
/** A safety stop for paging loops fed by the server's own page counts and links. */
const MAX_PAGES = 1_000;

type Query = Array<[string, string]>;

export class ShipStationClient {
  private readonly log: Logger;
  private readonly http: ShipStationTransport;

  constructor(private readonly opts: ShipStationClientOptions) {
    this.log = opts.log.child({ component: 'shipstation-client', connection: opts.connection });
    this.http = new ShipStationTransport(opts);
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
      saved = await this.http.call('v1', {
        operation: 'createOrUpdateOrder',
        method: 'POST',
        path: '/orders/createorder',
        json: order,
        answer: savedOrderAnswer,
        subject: `order ${order.orderNumber}`,
      });
    } catch (err) {
      throw await this.lockedRefusal(order, err);
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
      // Without a results list nothing is known about any order: the call fails (and is safe to
      // retry, createorders upserts by orderKey). A result that is not one fails its order.
      const { results } = await this.http.call('v1', {
        operation: 'createOrders',
        method: 'POST',
        path: '/orders/createorders',
        json: chunk,
        answer: createOrdersAnswer,
      });
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
    return this.http.call('v1', {
      operation: 'getOrder',
      method: 'GET',
      path: `/orders/${encodeURIComponent(String(orderId))}`,
      answer: orderAnswer,
      subject: `order ${orderId}`,
    });
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
    return this.v1Pages('listOrders', '/orders', q, 'orders', ordersPage);
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
    const raw = await this.v1Pages('listShipments', '/shipments', q, 'shipments', shipmentsPage);
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
    }
    // Absolute: on a shard host (ssapi11.shipstation.com) the transport sends it there.
    const base = `${url.origin}${url.pathname}`;
    const q: Query = [...url.searchParams];
    if (kind === 'shipments') {
      const raw = await this.v1Pages('getResourceShipments', base, q, 'shipments', shipmentsPage);
      return { kind, shipments: this.shipmentRecords('getResourceShipments', raw) };
    }
    return { kind, orders: await this.v1Pages('getResourceOrders', base, q, 'orders', ordersPage) };
  }

  /** The parsed URL and resource kind when resource_url is one we may follow; throws otherwise. */
  checkResourceUrl(resourceUrl: string): { url: URL; kind: ResourceKind } {
    return checkResourceUrl(resourceUrl, this.opts.v1BaseUrl);
  }

  async listWebhooks(): Promise<SsWebhook[]> {
    const res = await this.http.call('v1', {
      operation: 'listWebhooks',
      method: 'GET',
      path: '/webhooks',
      answer: webhooksAnswer,
    });
    return res.webhooks ?? [];
  }

  /** POST /webhooks/subscribe. The answer is `{id}` in the older docs and `{WebHookID}` in the newer. */
  async subscribeWebhook(input: SubscribeWebhookInput): Promise<{ webhookId: number }> {
    const body = {
      target_url: input.targetUrl,
      event: input.event,
      ...(input.storeId !== undefined ? { store_id: input.storeId } : {}),
      ...(input.friendlyName ? { friendly_name: input.friendlyName } : {}),
    };
    const res = await this.http.call('v1', {
      operation: 'subscribeWebhook',
      method: 'POST',
      path: '/webhooks/subscribe',
      json: body,
      answer: subscribeAnswer,
    });
    // The schema refuses an answer with neither.
    return { webhookId: (res.id ?? res.WebHookID)! };
  }

  async unsubscribeWebhook(webhookId: number): Promise<void> {
    await this.http.call('v1', {
      operation: 'unsubscribeWebhook',
      method: 'DELETE',
      path: `/webhooks/${encodeURIComponent(String(webhookId))}`,
      answer: anyAnswer,
      subject: `webhook ${webhookId}`,
    });
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
    let url: string | undefined = withQuery('/v2/inventory', q);
    for (let n = 0; url && n < MAX_PAGES; n++) {
      const page: z.output<typeof inventoryPage> = await this.http.call('v2', {
        operation: 'listInventory',
        method: 'GET',
        path: url,
        answer: inventoryPage,
      });
      out.push(...(page.inventory ?? []).map(toInventoryLevel));
      const next = page.links?.next?.href;
      url = undefined;
      if (next && (page.pages == null || (page.page ?? 0) < page.pages)) {
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
    await this.http.call('v2', {
      operation: 'updateInventory',
      method: 'POST',
      path: '/v2/inventory',
      json: update,
      answer: anyAnswer,
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
    const quick = new ShipStationTransport({ ...this.opts, rateLimitRetries: 0 });
    const probes: Array<[ShipStationApi, string]> = [['v1', '/orders?pageSize=1']];
    if (this.opts.v2ApiKey) probes.push(['v2', '/v2/inventory?limit=1']);
    for (const [api, path] of probes) {
      try {
        await quick.call(api, { operation: 'testConnection', method: 'GET', path, answer: anyAnswer });
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

  /**
   * Every page of a V1 list: `page` counts up while `page < pages` (pages = ceil(total/pageSize) if
   * absent). `path` is relative to the V1 base URL or an absolute resource_url already checked.
   */
  private async v1Pages<K extends 'orders' | 'shipments', T>(
    operation: string,
    path: string,
    q: Query,
    collection: K,
    answer: z.ZodType<V1Page<K, T>>,
  ): Promise<T[]> {
    const pageSize = this.opts.pageSize ?? 500;
    const fixed = q.filter(([k]) => k !== 'page' && k !== 'pageSize');
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const at = withQuery(path, [...fixed, ['page', String(page)], ['pageSize', String(pageSize)]]);
      const body = await this.http.call('v1', { operation, method: 'GET', path: at, answer });
      const items = body[collection];
      // A server that ignores `page` would hand out its first page up to MAX_PAGES times.
      if (typeof body.page === 'number' && body.page !== page) {
        throw unreadable('v1', operation, `asked for page ${page}, the answer is page ${body.page}`);
      }
      out.push(...items);
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
      try {
        return toShipmentRecord(s, { currency: this.opts.currency });
      } catch (err) {
        throw unreadable('v1', operation, `shipment ${i} is unreadable (${(err as Error).message})`);
      }
    });
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

/** ShipStation answered 2xx with something the connector cannot use. */
function unreadable(api: ShipStationApi, operation: string, what: string): ShipStationUnavailableError {
  return new ShipStationUnavailableError(`ShipStation ${api.toUpperCase()} ${operation}: ${what}`, { api });
}
