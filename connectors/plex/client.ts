// Plex Connect REST client: the records the connector reads and the shipper it writes, the order's
// load, and the entry points of detection (detect.ts), write-back (writeback.ts), stock (stock.ts)
// and the connection test (connection-test.ts). Every request goes through the transport
// (transport.ts, on the kit's call path). Plain TypeScript (no Temporal): activities wrap it, and the
// CLI's `connections test` uses it.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { normalizeCountry } from '../../domain/country-names';
import type { Address } from '../../domain/model';
import type { ErpOrder, ReadyOrderRef, StatusWriteBack, TrackingWriteBack } from '../../domain/order';
import { sleepUnlessAborted } from '../../lib/concurrency';
import { registerSecret } from '../../lib/logger';
import { defaultLease, type RateLimit } from '../../lib/ratelimit';
import { chunks, unique } from '../kit/lists';
import { testConnection, type PlexConnectionTestResult, type ProbedClient } from './connection-test';
import { detectReadyOrders, shipToChanges, type DetectQuery } from './detect';
import { PlexNotFoundError, PlexValidationError, plexPermissionProblem, type PlexScope } from './errors';
import type {
  PlexContainer,
  PlexInventoryShipment,
  RecordShippedResult,
  ShippedQuantities,
} from './inventory';
import {
  formatPlexDate,
  hsCodeOf,
  openQuantity,
  openReleases,
  toErpOrder,
  type PlexWriteBackConfig,
} from './mapping';
import { PLEX_RECORD } from './schemas';
import {
  changesSince,
  currentOrder,
  currentShippers,
  newSharedState,
  type PlexChanges,
  type PlexSharedState,
} from './snapshot';
import { PlexStock } from './stock';
import { PlexTransport, type PlexAuditSink, type Query } from './transport';
import { writeStatus, writeTracking, type WriteBackResult } from './writeback';
import type {
  PlexCustomer,
  PlexCustomerAddress,
  PlexCustomerShipper,
  PlexCustomerShipperLine,
  PlexOrder,
  PlexOrderLine,
  PlexOrderLinePrice,
  PlexPart,
  PlexPartRecord,
  PlexPartShippingDetails,
  PlexRelease,
  PlexShipperUpdate,
  PlexTenant,
} from './wire';

export type { PlexAuditEntry, PlexAuditSink } from './transport';
import type { PlexTransportOptions } from './transport';
export type { PlexConnectionTestReason, PlexConnectionTestResult } from './connection-test';
export type { WriteBackResult } from './writeback';

export interface PlexClientOptions extends Omit<PlexTransportOptions, 'limitKey'> {
  /**
   * The one country every mapping of this connection ships from, when there is one. An order to it
   * needs no customs, so its lines' prices are not read (one call per line). Undefined: prices are
   * read for every order.
   */
  domesticCountry?: string;
  /** Currency of a price record that names none (setting `currency`, default USD). */
  currency?: string;
  /** Internal: what a client shares with its withAudit copies (master data, poll snapshot; snapshot.ts). */
  shared?: PlexSharedState;
}

export interface ListOrdersQuery {
  modifiedBegin?: Date | string;
  modifiedEnd?: Date | string;
  status?: string[];
  customerId?: string;
}

export interface ListReleasesQuery {
  orderLineIds?: string[];
  status?: string;
  modifiedBegin?: Date | string;
  modifiedEnd?: Date | string;
}

export interface ListShippersQuery {
  customerId?: string;
  customerAddressId?: string;
  status?: string;
  trackingNumber?: string;
  shipperNumber?: string;
  modifiedBegin?: Date | string;
  modifiedEnd?: Date | string;
}

/** The documented limit: "most of the APIs ... are limited to 200 calls per minute" (per key). */
export function plexRateLimit(callsPerMinute = 200): RateLimit {
  // At Plex's documented 200 a minute every call asks the shared limiter (a database transaction is
  // nothing next to 3 calls a second); at the simulators' thousands a process takes a few at once.
  return { limit: callsPerMinute, windowMs: 60_000, lease: defaultLease(callsPerMinute) };
}

/** Limiter key: per API key (hashed), so connections sharing a key share its limit. */
export function plexLimitKey(apiKey: string): string {
  return `plex:${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;
}

/** Ids per request for list filters that repeat a key, keeping URLs far below common limits. */
const IDS_PER_REQUEST = 40;

function dateRange(query: Query, name: string, begin?: Date | string, end?: Date | string): void {
  if (begin !== undefined) query.push([`${name}Begin`, formatPlexDate(begin, 'floor')]);
  if (end !== undefined) query.push([`${name}End`, formatPlexDate(end, 'ceil')]);
}

const enc = encodeURIComponent;
const ids = (name: string, batch: string[]): Query => batch.map((id): [string, string] => [name, id]);

export class PlexClient implements ProbedClient {
  readonly log: Logger;
  /** Master data and the poll snapshot, shared with withAudit copies (snapshot.ts). */
  readonly shared: PlexSharedState;
  private readonly http: PlexTransport;
  private readonly stock: PlexStock;
  private readonly clock: () => Date;
  /** The shared limiter's key for this API key (a hash, worked out once per connection). */
  private readonly limitKey: string;

  constructor(
    private readonly opts: PlexClientOptions,
    /** What a withAudit copy takes over from its original instead of working it out again. */
    inherited?: { limitKey: string; log: Logger },
  ) {
    this.limitKey = inherited?.limitKey ?? plexLimitKey(opts.apiKey);
    this.shared = opts.shared ?? newSharedState();
    this.log = inherited?.log ?? opts.log.child({ component: 'plex-client', connection: opts.connection });
    this.clock = opts.now ?? (() => new Date());
    registerSecret(opts.apiKey);
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.http = new PlexTransport({ ...opts, limitKey: this.limitKey, log: this.log, sleep });
    this.stock = new PlexStock(this.http, {
      log: this.log,
      now: this.clock,
      random: opts.random ?? Math.random,
      wait: (ms) => sleepUnlessAborted(sleep, ms, opts.signal),
      picked: this.shared.pickedSerials,
    });
  }

  get connection(): string {
    return this.opts.connection;
  }

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  get tenantId(): string | undefined {
    return this.opts.tenantId;
  }

  get customerId(): string | undefined {
    return this.opts.customerId;
  }

  now(): Date {
    return this.clock();
  }

  /** The activity's cancellation, when the client runs inside one. */
  get signal(): AbortSignal | undefined {
    return this.opts.signal;
  }

  /** The same client with another audit sink (activities add workflow and order ids). */
  withAudit(
    audit: PlexAuditSink,
    extra: Pick<PlexClientOptions, 'waitBudgetMs' | 'signal'> = {},
  ): PlexClient {
    return new PlexClient(
      { ...this.opts, ...extra, audit, shared: this.shared },
      { limitKey: this.limitKey, log: this.log },
    );
  }

  /** The same client without the tenant / PCN header (the connection test's comparison). */
  withoutTenant(): PlexClient {
    return new PlexClient({ ...this.opts, tenantId: undefined, customerId: undefined });
  }

  private get scope(): PlexScope {
    return this.http.scope;
  }

  // ------------------------------------------------------------ reads

  /** Orders modified in [modifiedBegin, modifiedEnd] (the spec's `modifiedByDate*` filter names). */
  async listOrders(q: ListOrdersQuery): Promise<PlexOrder[]> {
    const query: Query = [];
    dateRange(query, 'modifiedByDate', q.modifiedBegin, q.modifiedEnd);
    for (const s of q.status ?? []) query.push(['status', s]);
    if (q.customerId) query.push(['customerId', q.customerId]);
    return this.http.list<PlexOrder>(PLEX_RECORD.order, 'listOrders', '/sales/v1/orders', query);
  }

  async getOrder(id: string): Promise<PlexOrder> {
    return this.http.get<PlexOrder>(
      PLEX_RECORD.order,
      'getOrder',
      `/sales/v1/orders/${enc(id)}`,
      `sales order ${id}`,
    );
  }

  async getOrderLines(orderId: string): Promise<PlexOrderLine[]> {
    return this.http.list<PlexOrderLine>(
      PLEX_RECORD.orderLine,
      'getOrderLines',
      `/sales/v1/orders/${enc(orderId)}/lines`,
      [],
      `lines of sales order ${orderId}`,
    );
  }

  /** Releases by line ids (repeated `orderLineIds`), status and modified date. */
  async listReleases(q: ListReleasesQuery): Promise<PlexRelease[]> {
    const base: Query = [];
    if (q.status) base.push(['status', q.status]);
    dateRange(base, 'modifiedDate', q.modifiedBegin, q.modifiedEnd);
    const list = (query: Query) =>
      this.http.list<PlexRelease>(PLEX_RECORD.release, 'listReleases', '/sales/v1/releases', query);
    if (!q.orderLineIds) return list(base);
    const out: PlexRelease[] = [];
    for (const batch of chunks(unique(q.orderLineIds), IDS_PER_REQUEST)) {
      out.push(...(await list([...base, ...ids('orderLineIds', batch)])));
    }
    return out;
  }

  async getRelease(id: string): Promise<PlexRelease | undefined> {
    const list = await this.http.list<PlexRelease>(PLEX_RECORD.release, 'getRelease', '/sales/v1/releases', [
      ['id', id],
    ]);
    return list.find((r) => r.id === id);
  }

  /** A customer record; reused for five minutes (the same customers order all day). */
  async getCustomer(id: string): Promise<PlexCustomer> {
    const now = this.clock().getTime();
    const hit = this.shared.customers.get(id, now);
    if (hit) return hit;
    const customer = await this.http.get<PlexCustomer>(
      PLEX_RECORD.customer,
      'getCustomer',
      `/mdm/v1/customers/${enc(id)}`,
      `customer ${id}`,
    );
    this.shared.customers.set(id, customer, now);
    return customer;
  }

  /** Customers by id (repeated `id`), for a poll's orders at once; kept like getCustomer's. */
  async getCustomers(customerIds: string[]): Promise<PlexCustomer[]> {
    const now = this.clock().getTime();
    const wanted = unique(customerIds);
    const missing = wanted.filter((id) => !this.shared.customers.get(id, now));
    for (const batch of chunks(missing, IDS_PER_REQUEST)) {
      const found = await this.http.list<PlexCustomer>(
        PLEX_RECORD.customer,
        'getCustomers',
        '/mdm/v1/customers',
        ids('id', batch),
      );
      for (const c of found) if (batch.includes(c.id)) this.shared.customers.set(c.id, c, now);
    }
    return wanted.flatMap((id) => {
      const c = this.shared.customers.get(id, now);
      return c ? [c] : [];
    });
  }

  /** A customers read that matches nothing: whether the Customers API answers (connection test). */
  async probeCustomers(): Promise<unknown> {
    return this.http.list(PLEX_RECORD.customer, 'testConnection', '/mdm/v1/customers', [
      ['code', '~ml-connector-test~'],
    ]);
  }

  /** A customer's addresses, optionally only those modified in [modifiedBegin, modifiedEnd]. */
  async listCustomerAddresses(
    customerId: string,
    q: { modifiedBegin?: Date | string; modifiedEnd?: Date | string } = {},
  ): Promise<PlexCustomerAddress[]> {
    const query: Query = [];
    dateRange(query, 'modifiedDate', q.modifiedBegin, q.modifiedEnd);
    return this.http.list<PlexCustomerAddress>(
      PLEX_RECORD.address,
      'listCustomerAddresses',
      `/mdm/v1/customers/${enc(customerId)}/addresses`,
      query,
    );
  }

  async getCustomerAddress(customerId: string, addressId: string): Promise<PlexCustomerAddress> {
    return this.http.get<PlexCustomerAddress>(
      PLEX_RECORD.address,
      'getCustomerAddress',
      `/mdm/v1/customers/${enc(customerId)}/addresses/${enc(addressId)}`,
      `address ${addressId} of customer ${customerId}`,
    );
  }

  /**
   * Parts by id with their piece weight. The part master has no weight field; the spec keeps it in
   * the part's shipping details (`partPieceWeight` + `weightUnit`), read once per part. A part
   * without shipping details (404) simply has no weight, which the validation reports.
   *
   * The same read gives the part's HS code (`harmonizedTariffCode`), for customs.
   *
   * Part master data changes rarely and the same parts ship all day: a part with a weight is kept
   * for five minutes, so a busy part costs no reads per order. A part without one is never kept,
   * so the weight entered after a validation failure counts at the next retry. A kept part without
   * an HS code (a domestic order needs none) is read again by a `fresh` read, the retry's load, so
   * the code entered after an order parked for it counts at once.
   */
  async getParts(partIds: string[], opts: { fresh?: boolean } = {}): Promise<PlexPart[]> {
    const wanted = unique(partIds);
    const now = this.clock().getTime();
    const found = new Map<string, PlexPart>();
    for (const id of wanted) {
      const hit = this.shared.parts.get(id, now);
      if (hit && !(opts.fresh && !hit.hsCode)) found.set(id, hit);
    }
    const missing = wanted.filter((id) => !found.has(id));
    const records: PlexPartRecord[] = [];
    for (const batch of chunks(missing, IDS_PER_REQUEST)) {
      records.push(
        ...(await this.http.list<PlexPartRecord>(
          PLEX_RECORD.part,
          'getParts',
          '/mdm/v1/parts',
          ids('id', batch),
        )),
      );
    }
    for (const record of records.filter((r) => missing.includes(r.id))) {
      let details: PlexPartShippingDetails | undefined;
      try {
        details = await this.http.get<PlexPartShippingDetails>(
          PLEX_RECORD.shippingDetails,
          'getPartShippingDetails',
          `/shipping/v1-beta1/inventory/parts/${enc(record.id)}/shipping-details`,
          `shipping details of part ${record.number ?? record.id}`,
        );
      } catch (err) {
        if (!(err instanceof PlexNotFoundError)) throw err;
      }
      const value = details?.partPieceWeight;
      const unit = details?.weightUnit;
      const hsCode = hsCodeOf(details);
      const part: PlexPart = {
        ...record,
        ...(typeof value === 'number' && unit ? { pieceWeight: { value, unit } } : {}),
        ...(hsCode ? { hsCode } : {}),
      };
      found.set(record.id, part);
      if (part.pieceWeight) this.shared.parts.set(part.id, part, now);
    }
    return wanted.flatMap((id) => {
      const part = found.get(id);
      return part ? [part] : [];
    });
  }

  /**
   * A sales order line's price records. The line carries no price of its own and Plex has no list
   * of prices across lines, so this is one call per line. A 404 ("no data exists") means none.
   */
  async getLinePrices(orderId: string, lineId: string): Promise<PlexOrderLinePrice[]> {
    try {
      return await this.http.list<PlexOrderLinePrice>(
        PLEX_RECORD.linePrice,
        'getLinePrices',
        `/sales/v1/orders/${enc(orderId)}/lines/${enc(lineId)}/prices`,
        [],
        `prices of line ${lineId} of sales order ${orderId}`,
      );
    } catch (err) {
      if (err instanceof PlexNotFoundError) return [];
      throw err;
    }
  }

  async listCustomerShippers(q: ListShippersQuery = {}): Promise<PlexCustomerShipper[]> {
    const query: Query = [];
    if (q.customerId) query.push(['customerId', q.customerId]);
    if (q.customerAddressId) query.push(['customerAddressId', q.customerAddressId]);
    if (q.status) query.push(['status', q.status]);
    if (q.trackingNumber) query.push(['trackingNumber', q.trackingNumber]);
    if (q.shipperNumber) query.push(['shipperNumber', q.shipperNumber]);
    dateRange(query, 'modifiedDate', q.modifiedBegin, q.modifiedEnd);
    return this.http.list<PlexCustomerShipper>(
      PLEX_RECORD.shipper,
      'listCustomerShippers',
      '/shipping/v1/customer-shippers',
      query,
    );
  }

  /** Customer shippers by id (the list's repeated `id`), checked again: Plex ignores filters it does not know. */
  async listCustomerShippersById(shipperIds: string[]): Promise<PlexCustomerShipper[]> {
    const wanted = unique(shipperIds);
    const out: PlexCustomerShipper[] = [];
    for (const batch of chunks(wanted, IDS_PER_REQUEST)) {
      const found = await this.http.list<PlexCustomerShipper>(
        PLEX_RECORD.shipper,
        'listCustomerShippersById',
        '/shipping/v1/customer-shippers',
        ids('id', batch),
      );
      out.push(...found.filter((s) => batch.includes(s.id)));
    }
    return out;
  }

  async getCustomerShipper(id: string): Promise<PlexCustomerShipper> {
    return this.http.get<PlexCustomerShipper>(
      PLEX_RECORD.shipper,
      'getCustomerShipper',
      `/shipping/v1/customer-shippers/${enc(id)}`,
      `customer shipper ${id}`,
    );
  }

  async getCustomerShipperLines(shipperId: string): Promise<PlexCustomerShipperLine[]> {
    return this.http.list<PlexCustomerShipperLine>(
      PLEX_RECORD.shipperLine,
      'getCustomerShipperLines',
      `/shipping/v1/customer-shippers/${enc(shipperId)}/lines`,
      [],
      `lines of customer shipper ${shipperId}`,
    );
  }

  async listTenants(): Promise<PlexTenant[]> {
    return this.http.list<PlexTenant>(PLEX_RECORD.tenant, 'listTenants', '/mdm/v1/tenants', []);
  }

  // ------------------------------------------------------------ writes

  /** The beta PUT. Only the given fields are sent; the answer is the shipper as Plex now holds it. */
  async updateCustomerShipper(
    id: string,
    patch: PlexShipperUpdate,
  ): Promise<PlexCustomerShipper | undefined> {
    const path = `/shipping/v1-beta1/customer-shippers/${enc(id)}`;
    return (await this.http.write('updateCustomerShipper', 'PUT', path, patch, `customer shipper ${id}`)) as
      PlexCustomerShipper | undefined;
  }

  // ------------------------------------------------------------ inventory (stock.ts)

  findPartsByNumber(numbers: string[]): Promise<PlexPartRecord[]> {
    return this.stock.findPartsByNumber(numbers);
  }

  listContainers(partId: string): Promise<PlexContainer[]> {
    return this.stock.listContainers(partId);
  }

  listInventoryShipments(
    q: { externalShipmentCode?: string; shipmentStatus?: string } = {},
  ): Promise<PlexInventoryShipment[]> {
    return this.stock.listInventoryShipments(q);
  }

  createInventoryShipment(externalShipmentCode: string): Promise<PlexInventoryShipment> {
    return this.stock.createInventoryShipment(externalShipmentCode);
  }

  stageInventoryShipment(id: string, serialNos: string[]): Promise<PlexInventoryShipment> {
    return this.stock.stageInventoryShipment(id, serialNos);
  }

  shipInventoryShipment(id: string): Promise<PlexInventoryShipment> {
    return this.stock.shipInventoryShipment(id);
  }

  /** On-hand stock per part number (every revision's active containers). */
  onHandByPartNumber(partNumbers: string[]): Promise<Record<string, number>> {
    return this.stock.onHandByPartNumber(partNumbers);
  }

  /** Shipped quantities out of Plex stock, exactly once per externalShipmentCode. */
  recordShippedQuantities(input: ShippedQuantities): Promise<RecordShippedResult> {
    return this.stock.recordShippedQuantities(input);
  }

  // ------------------------------------------------------------ detection (detect.ts)

  /** Orders in the connection's ready state whose relevant record changed in [since, until]. */
  detectReadyOrders(q: DetectQuery): Promise<ReadyOrderRef[]> {
    return detectReadyOrders(this, q);
  }

  /** The ship-to addresses among `refs` edited in [since, until], with their content now. */
  shipToChanges(q: { since: Date; until: Date; refs: string[] }): Promise<Map<string, Address>> {
    return shipToChanges(this, q);
  }

  // ------------------------------------------------------------ load

  /**
   * Everything the shipment needs: order, lines, releases, customer, ship-to, parts and the customer
   * shipper to write back to. Empty answers where data must exist become PlexPermissionProblem.
   *
   * When the poll that found the order read it shortly before (snapshot.ts), its reads are used as
   * they are now: what changed since is read once for all loads of that second, and an order whose
   * record changed is read afresh.
   */
  async loadOrder(orderId: string, opts: { fresh?: boolean } = {}): Promise<ErpOrder> {
    const now = this.clock().getTime();
    // `fresh`: a reload for an edit the change check cannot see (an address edited in place).
    const snap = opts.fresh ? undefined : this.shared.orders.get(orderId, now);
    if (snap) {
      const customerId = snap.order.customerId;
      const shippersSnap = customerId ? this.shared.shippers.get(customerId, now) : undefined;
      const readAt = Math.min(snap.readAt, shippersSnap?.readAt ?? Infinity);
      const changes = await changesSince(this.shared, this, readAt, now);
      const current = currentOrder(snap, changes);
      if (current) return this.assemble(current.order, current.lines, current.releases, { changes });
    }
    const order = await this.getOrder(orderId);
    const lines = (await this.getOrderLines(order.id)).filter((l) => l.active !== false);
    this.requireLines(order, lines);
    const releases = await this.listReleases({ orderLineIds: lines.map((l) => l.id) });
    return this.assemble(order, lines, releases, opts.fresh ? { fresh: true } : {});
  }

  private requireLines(order: PlexOrder, lines: PlexOrderLine[]): void {
    if (lines.length > 0) return;
    throw plexPermissionProblem({
      operation: 'loadOrder',
      path: `/sales/v1/orders/${order.id}/lines`,
      scope: this.scope,
      finding: `sales order ${order.orderNumber ?? order.id} has no active lines`,
    });
  }

  /**
   * The ErpOrder from an order's record, active lines and releases; `changes` when from the
   * snapshot, `fresh` for a retry's load (kept parts without an HS code are read again).
   */
  private async assemble(
    order: PlexOrder,
    lines: PlexOrderLine[],
    releases: PlexRelease[],
    { changes, fresh }: { changes?: PlexChanges; fresh?: boolean } = {},
  ): Promise<ErpOrder> {
    const label = `sales order ${order.orderNumber ?? order.id}`;
    this.requireLines(order, lines);
    if (releases.length === 0) {
      throw plexPermissionProblem({
        operation: 'loadOrder',
        path: '/sales/v1/releases',
        scope: this.scope,
        finding: `${label} has ${lines.length} line(s) but Plex returned no releases for them`,
      });
    }
    if (!order.customerId) {
      throw new PlexValidationError(`Plex loadOrder: ${label} names no customer; set its customer in Plex`);
    }
    const customerId = order.customerId;
    const customer = await this.expect('customer', customerId, label, () => this.getCustomer(customerId));
    const open = openReleases(releases);
    const shipToId = order.shipToAddressId ?? open[0]?.shipToAddressId ?? releases[0]?.shipToAddressId;
    if (!shipToId) {
      throw new PlexValidationError(`Plex loadOrder: ${label} has no ship-to address; set one in Plex`);
    }
    const now = this.clock().getTime();
    // An address is edited in place, without touching the order; shipToChanges reports such edits
    // after the load, so the poll's read of the customer's addresses serves here as a fresh one would.
    const known = changes
      ? this.shared.addresses.get(customer.id, now)?.items.find((a) => a.id === shipToId)
      : undefined;
    const shipTo =
      known ??
      (await this.expect('ship-to address', shipToId, label, () =>
        this.getCustomerAddress(customer.id, shipToId),
      ));
    const partIds = unique(lines.map((l) => l.partId));
    const parts = await this.getParts(partIds, fresh ? { fresh: true } : {});
    const unseen = partIds.filter((id) => !parts.some((p) => p.id === id));
    if (unseen.length > 0) {
      throw plexPermissionProblem({
        operation: 'loadOrder',
        path: '/mdm/v1/parts',
        scope: this.scope,
        finding: `${label} uses part(s) ${unseen.join(', ')} that Plex did not return`,
      });
    }
    const shippersSnap = changes ? this.shared.shippers.get(customer.id, now) : undefined;
    const candidates =
      shippersSnap && changes ? currentShippers(shippersSnap, customer.id, changes) : undefined;
    const shipper = await this.findShipper(order, customer.id, shipToId, releases, candidates);
    return toErpOrder({
      connection: this.opts.connection,
      order,
      lines,
      releases,
      customer,
      shipTo,
      parts,
      shipper,
      ...(await this.customsPrices(order, lines, open, shipTo)),
      now: this.clock().toISOString(),
    });
  }

  /**
   * The price records of the lines that ship, for an order that crosses a border (customs declares
   * each line's value); none for a domestic one, which needs no customs: a price costs a call per
   * line (see the README, "Calls per order").
   */
  private async customsPrices(
    order: PlexOrder,
    lines: PlexOrderLine[],
    open: PlexRelease[],
    shipTo: PlexCustomerAddress,
  ): Promise<{ prices?: Map<string, PlexOrderLinePrice[]>; currency: string }> {
    const currency = this.opts.currency ?? 'USD';
    const domestic = this.opts.domesticCountry?.toUpperCase();
    if (domestic && normalizeCountry(shipTo.country) === domestic) return { currency };
    const shipping = lines.filter((l) => open.some((r) => r.orderLineId === l.id && openQuantity(r) > 0));
    const prices = new Map<string, PlexOrderLinePrice[]>();
    for (const line of shipping) prices.set(line.id, await this.getLinePrices(order.id, line.id));
    return { prices, currency };
  }

  /**
   * The customer shipper for an order: among the customer's shippers to this address, the one whose
   * lines carry the order's releases; failing that, the only one without a tracking number.
   * `known`: the customer's shippers as they are now, when the caller has them (the poll snapshot).
   */
  async findShipper(
    order: PlexOrder,
    customerId: string,
    shipToAddressId: string,
    releases: PlexRelease[],
    known?: PlexCustomerShipper[],
  ): Promise<PlexCustomerShipper | undefined> {
    const candidates = (
      known ?? (await this.listCustomerShippers({ customerId, customerAddressId: shipToAddressId }))
    ).filter(
      (s) =>
        (known ? s.customerId === customerId : !s.customerId || s.customerId === customerId) &&
        (known
          ? s.customerAddressId === shipToAddressId
          : !s.customerAddressId || s.customerAddressId === shipToAddressId),
    );
    // The only shipper to this address, without a tracking number: the answer whatever its lines
    // hold (lines that carry the order's releases pick it, lines that do not leave it the only
    // untracked one), so its lines are not read. The common case: one open shipper per ship-to.
    if (candidates.length === 1 && !candidates[0]!.trackingNumber) return candidates[0];
    const releaseIds = new Set(releases.map((r) => r.id));
    for (const shipper of candidates) {
      const lines = await this.getCustomerShipperLines(shipper.id);
      if (lines.some((l) => l.releaseId && releaseIds.has(l.releaseId))) return shipper;
    }
    const untracked = candidates.filter((s) => !s.trackingNumber);
    if (untracked.length === 1) return untracked[0];
    this.log.info(
      { orderId: order.id, candidates: candidates.length },
      'no customer shipper matches the order; write-back will look again',
    );
    return undefined;
  }

  /** A record the order names must exist: a 404 becomes a permission problem naming the grant. */
  private async expect<T>(what: string, id: string, label: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof PlexNotFoundError)) throw err;
      throw plexPermissionProblem({
        operation: 'loadOrder',
        path: what === 'customer' ? '/mdm/v1/customers' : '/mdm/v1/customers/addresses',
        scope: this.scope,
        finding: `${label} names ${what} ${id}, but Plex answered 404 for it`,
      });
    }
  }

  // ------------------------------------------------------------ write back (writeback.ts)

  /** Write the tracking number (and carrier, ship date, freight) to the order's customer shipper. */
  writeTracking(
    keys: Record<string, string>,
    wb: TrackingWriteBack,
    cfg: PlexWriteBackConfig = {},
  ): Promise<WriteBackResult> {
    return writeTracking(this, keys, wb, cfg);
  }

  /** Record a lifecycle change on the customer shipper, once (see writeback.ts). */
  writeStatus(
    keys: Record<string, string>,
    wb: StatusWriteBack,
    cfg: PlexWriteBackConfig = {},
  ): Promise<WriteBackResult> {
    return writeStatus(this, keys, wb, cfg);
  }

  // ------------------------------------------------------------ connection test (connection-test.ts)

  /**
   * Authenticate and read from each API product the connector uses; say precisely what is wrong:
   * a refused key, a tenant the key may not use, an unsubscribed product, a 403, or no answer.
   */
  testConnection(): Promise<PlexConnectionTestResult> {
    return testConnection(this);
  }
}
