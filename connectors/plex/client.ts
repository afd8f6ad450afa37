// Plex Connect REST client: key header (+ tenant / PCN), the 200 calls/minute limit through the
// injected limiter, 429 back-off, typed errors, one audit entry per call. Plain TypeScript (no
// Temporal): activities wrap it, and the CLI's `connections test` uses it.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Address } from '../../domain/model';
import type { ErpOrder, ReadyOrderRef, StatusWriteBack, TrackingWriteBack } from '../../domain/order';
import { sleepUnlessAborted } from '../../lib/concurrency';
import { ExpiringCache } from '../../lib/expiring-cache';
import {
  httpRequest,
  HttpRequestInvalid,
  HttpTransportError,
  parseJson,
  type HttpResponse,
} from '../../lib/http';
import { registerSecret } from '../../lib/logger';
import { defaultLease, type RateLimit, type RateLimiter } from '../../lib/ratelimit';
import {
  PlexAuthError,
  PlexError,
  PlexForbiddenError,
  PlexNotFoundError,
  PlexRateLimitError,
  PlexUnavailableError,
  PlexValidationError,
  plexErrorFromResponse,
  plexPermissionProblem,
  plexProductFor,
  type PlexScope,
} from './errors';
import { PLEX_RECORD, recordProblem, type PlexRecord } from './schemas';
import { detectReadyOrders, shipToChanges, type DetectQuery } from './detect';
import { chunks, unique } from '../kit/lists';
import {
  CONTAINER_TAKEN_CODES,
  PLEX_SHIPMENT_STATUS,
  PlexInsufficientStockError,
  PlexStockConflictError,
  normalizeShipped,
  pickContainers,
  sumOnHand,
  type PlexContainer,
  type PlexInventoryShipment,
  type RecordShippedResult,
  type ShippedQuantities,
} from './inventory';
import {
  formatPlexDate,
  openReleases,
  toErpOrder,
  shipperShowsUpdate,
  toShipperStatusUpdate,
  toShipperTrackingUpdate,
  type PlexWriteBackConfig,
} from './mapping';
import type {
  PlexCustomer,
  PlexCustomerAddress,
  PlexCustomerShipper,
  PlexCustomerShipperLine,
  PlexOrder,
  PlexOrderLine,
  PlexPart,
  PlexPartRecord,
  PlexPartShippingDetails,
  PlexRelease,
  PlexShipperUpdate,
  PlexTenant,
} from './wire';

/** One row for the audit log: what was called and how it went. Never bodies, never headers. */
export interface PlexAuditEntry {
  actor: string;
  action: string;
  outcome: 'ok' | 'error';
  connection: string;
  system: 'plex';
  httpMethod: string;
  httpPath: string;
  httpStatus?: number;
  durationMs: number;
  details: Record<string, unknown>;
}

export type PlexAuditSink = (entry: PlexAuditEntry) => Promise<void>;

export interface PlexClientOptions {
  /** Connection name from the config. */
  connection: string;
  /** https://connect.plex.com, https://test.connect.plex.com, or a simulator. */
  baseUrl: string;
  /** Developer Portal Consumer Key, sent as X-Plex-Connect-Api-Key. */
  apiKey: string;
  /** Tenant UUID (X-Plex-Connect-Tenant-Id), to act on another tenant than the key's default. */
  tenantId?: string;
  /** PCN (X-Plex-Connect-Customer-Id), the alternative to tenantId. */
  customerId?: string;
  limiter: RateLimiter;
  timeoutMs: number;
  /**
   * Reads give up sooner (default `timeoutMs`): a read that gets no answer is sent again at once
   * (see call), so a short wait costs less than a long one, and a write's answer is worth waiting for.
   */
  readTimeoutMs?: number;
  /** Internal: the master-data cache a client shares with its withAudit copies (see getParts). */
  masterData?: MasterDataCache;
  log: Logger;
  audit?: PlexAuditSink;
  /** 429s answered by waiting and sending again before the error surfaces (default 2). */
  rateLimitRetries?: number;
  /** A 429 asking for a longer wait than this surfaces at once (default 65 s). */
  maxInlineWaitMs?: number;
  /**
   * Inside an activity: the time its attempt has left, less a margin (lib/temporal/attempt.ts). A
   * 429 wait that would outlast it surfaces at once instead, and once it is used up no PUT or POST
   * is sent (reads still are): Temporal is about to retry the attempt, and the retry writes.
   */
  waitBudgetMs?: () => number;
  /**
   * Inside an activity: its cancellation (the workflow, the server or worker shutdown). A wait for
   * the rate limiter, after a 429 or before a read is sent again stops when it fires, and nothing
   * more is sent.
   */
  signal?: AbortSignal;
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export type PlexConnectionTestReason =
  | 'ok'
  | 'bad_key'
  | 'tenant_denied'
  | 'not_subscribed'
  | 'forbidden'
  | 'unreachable'
  | 'rate_limited'
  | 'error';

export interface PlexConnectionTestResult {
  ok: boolean;
  reason: PlexConnectionTestReason;
  message: string;
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

/** Parts with a weight and customers, reused for MASTER_DATA_MS (see getParts, getCustomer). */
interface MasterDataCache {
  parts: ExpiringCache<PlexPart>;
  customers: ExpiringCache<PlexCustomer>;
}

/** How long a part's or customer's master data (number, piece weight) is reused without reading it again. */
const MASTER_DATA_MS = 5 * 60_000;
const MASTER_DATA_MAX = 10_000;

export interface WriteBackResult {
  shipperId: string;
  /** False when Plex already held exactly this (a retried write). */
  written: boolean;
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
/** Re-sends of a read that met a 5xx, a dropped connection or a timeout. */
const TRANSIENT_READ_RETRIES = 2;
/** Pick-and-stage attempts before a container conflict goes back to the activity's retry policy. */
const STAGE_ATTEMPTS = 4;

type Query = Array<[string, string]>;
type Method = 'GET' | 'PUT' | 'POST';

function dateRange(query: Query, name: string, begin?: Date | string, end?: Date | string): void {
  if (begin !== undefined) query.push([`${name}Begin`, formatPlexDate(begin, 'floor')]);
  if (end !== undefined) query.push([`${name}End`, formatPlexDate(end, 'ceil')]);
}

export class PlexClient {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  /** Parts and customers recently read (see getParts); shared with withAudit copies. */
  private readonly masterData: MasterDataCache;
  /** The shared limiter's key for this API key (a hash, worked out once per connection). */
  private readonly limitKey: string;

  constructor(
    private readonly opts: PlexClientOptions,
    /** What a withAudit copy takes over from its original instead of working it out again. */
    shared?: { limitKey: string; log: Logger },
  ) {
    this.limitKey = shared?.limitKey ?? plexLimitKey(opts.apiKey);
    this.masterData = opts.masterData ?? {
      parts: new ExpiringCache(MASTER_DATA_MS, MASTER_DATA_MAX),
      customers: new ExpiringCache(MASTER_DATA_MS, MASTER_DATA_MAX),
    };
    this.log = shared?.log ?? opts.log.child({ component: 'plex-client', connection: opts.connection });
    this.now = opts.now ?? (() => new Date());
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    registerSecret(opts.apiKey);
  }

  get connection(): string {
    return this.opts.connection;
  }

  /** The same client with another audit sink (activities add workflow and order ids). */
  withAudit(
    audit: PlexAuditSink,
    extra: Pick<PlexClientOptions, 'waitBudgetMs' | 'signal'> = {},
  ): PlexClient {
    return new PlexClient(
      { ...this.opts, ...extra, audit, masterData: this.masterData },
      { limitKey: this.limitKey, log: this.log },
    );
  }

  private get scope(): PlexScope {
    return { tenantId: this.opts.tenantId, customerId: this.opts.customerId };
  }

  // ------------------------------------------------------------ reads

  /** Orders modified in [modifiedBegin, modifiedEnd] (the spec's `modifiedByDate*` filter names). */
  async listOrders(q: ListOrdersQuery): Promise<PlexOrder[]> {
    const query: Query = [];
    dateRange(query, 'modifiedByDate', q.modifiedBegin, q.modifiedEnd);
    for (const s of q.status ?? []) query.push(['status', s]);
    if (q.customerId) query.push(['customerId', q.customerId]);
    return this.list<PlexOrder>(PLEX_RECORD.order, 'listOrders', '/sales/v1/orders', query);
  }

  async getOrder(id: string): Promise<PlexOrder> {
    return this.get<PlexOrder>(
      PLEX_RECORD.order,
      'getOrder',
      `/sales/v1/orders/${enc(id)}`,
      `sales order ${id}`,
    );
  }

  async getOrderLines(orderId: string): Promise<PlexOrderLine[]> {
    return this.list<PlexOrderLine>(
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
    if (!q.orderLineIds)
      return this.list<PlexRelease>(PLEX_RECORD.release, 'listReleases', '/sales/v1/releases', base);
    const ids = unique(q.orderLineIds);
    const out: PlexRelease[] = [];
    for (const batch of chunks(ids, IDS_PER_REQUEST)) {
      const query: Query = [...base, ...batch.map((id): [string, string] => ['orderLineIds', id])];
      out.push(
        ...(await this.list<PlexRelease>(PLEX_RECORD.release, 'listReleases', '/sales/v1/releases', query)),
      );
    }
    return out;
  }

  async getRelease(id: string): Promise<PlexRelease | undefined> {
    const list = await this.list<PlexRelease>(PLEX_RECORD.release, 'getRelease', '/sales/v1/releases', [
      ['id', id],
    ]);
    return list.find((r) => r.id === id);
  }

  /** A customer record; reused for MASTER_DATA_MS (the same customers order all day). */
  async getCustomer(id: string): Promise<PlexCustomer> {
    const now = this.now().getTime();
    const hit = this.masterData.customers.get(id, now);
    if (hit) return hit;
    const customer = await this.get<PlexCustomer>(
      PLEX_RECORD.customer,
      'getCustomer',
      `/mdm/v1/customers/${enc(id)}`,
      `customer ${id}`,
    );
    this.masterData.customers.set(id, customer, now);
    return customer;
  }

  /** A customer's addresses, optionally only those modified in [modifiedBegin, modifiedEnd]. */
  async listCustomerAddresses(
    customerId: string,
    q: { modifiedBegin?: Date | string; modifiedEnd?: Date | string } = {},
  ): Promise<PlexCustomerAddress[]> {
    const query: Query = [];
    dateRange(query, 'modifiedDate', q.modifiedBegin, q.modifiedEnd);
    return this.list<PlexCustomerAddress>(
      PLEX_RECORD.address,
      'listCustomerAddresses',
      `/mdm/v1/customers/${enc(customerId)}/addresses`,
      query,
    );
  }

  async getCustomerAddress(customerId: string, addressId: string): Promise<PlexCustomerAddress> {
    return this.get<PlexCustomerAddress>(
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
   * Part master data changes rarely and the same parts ship all day: a part with a weight is kept
   * for MASTER_DATA_MS, so a busy part costs no reads per order. A part without one is never kept,
   * so the weight entered after a validation failure counts at the next retry.
   */
  async getParts(ids: string[]): Promise<PlexPart[]> {
    const wanted = unique(ids);
    const now = this.now().getTime();
    const found = new Map<string, PlexPart>();
    for (const id of wanted) {
      const hit = this.masterData.parts.get(id, now);
      if (hit) found.set(id, hit);
    }
    const missing = wanted.filter((id) => !found.has(id));
    const records: PlexPartRecord[] = [];
    for (const batch of chunks(missing, IDS_PER_REQUEST)) {
      const query = batch.map((id): [string, string] => ['id', id]);
      records.push(
        ...(await this.list<PlexPartRecord>(PLEX_RECORD.part, 'getParts', '/mdm/v1/parts', query)),
      );
    }
    for (const record of records.filter((r) => missing.includes(r.id))) {
      let details: PlexPartShippingDetails | undefined;
      try {
        details = await this.get<PlexPartShippingDetails>(
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
      const part: PlexPart = {
        ...record,
        ...(typeof value === 'number' && unit ? { pieceWeight: { value, unit } } : {}),
      };
      found.set(record.id, part);
      if (part.pieceWeight) this.masterData.parts.set(part.id, part, now);
    }
    return wanted.flatMap((id) => {
      const part = found.get(id);
      return part ? [part] : [];
    });
  }

  async listCustomerShippers(q: ListShippersQuery = {}): Promise<PlexCustomerShipper[]> {
    const query: Query = [];
    if (q.customerId) query.push(['customerId', q.customerId]);
    if (q.customerAddressId) query.push(['customerAddressId', q.customerAddressId]);
    if (q.status) query.push(['status', q.status]);
    if (q.trackingNumber) query.push(['trackingNumber', q.trackingNumber]);
    if (q.shipperNumber) query.push(['shipperNumber', q.shipperNumber]);
    dateRange(query, 'modifiedDate', q.modifiedBegin, q.modifiedEnd);
    return this.list<PlexCustomerShipper>(
      PLEX_RECORD.shipper,
      'listCustomerShippers',
      '/shipping/v1/customer-shippers',
      query,
    );
  }

  async getCustomerShipper(id: string): Promise<PlexCustomerShipper> {
    return this.get<PlexCustomerShipper>(
      PLEX_RECORD.shipper,
      'getCustomerShipper',
      `/shipping/v1/customer-shippers/${enc(id)}`,
      `customer shipper ${id}`,
    );
  }

  async getCustomerShipperLines(shipperId: string): Promise<PlexCustomerShipperLine[]> {
    return this.list<PlexCustomerShipperLine>(
      PLEX_RECORD.shipperLine,
      'getCustomerShipperLines',
      `/shipping/v1/customer-shippers/${enc(shipperId)}/lines`,
      [],
      `lines of customer shipper ${shipperId}`,
    );
  }

  async listTenants(): Promise<PlexTenant[]> {
    return this.list<PlexTenant>(PLEX_RECORD.tenant, 'listTenants', '/mdm/v1/tenants', []);
  }

  // ------------------------------------------------------------ writes

  /** The beta PUT. Only the given fields are sent; the answer is the shipper as Plex now holds it. */
  async updateCustomerShipper(
    id: string,
    patch: PlexShipperUpdate,
  ): Promise<PlexCustomerShipper | undefined> {
    const path = `/shipping/v1-beta1/customer-shippers/${enc(id)}`;
    return this.call<PlexCustomerShipper | undefined>('updateCustomerShipper', 'PUT', path, [], {
      json: patch,
      subject: `customer shipper ${id}`,
      allowEmpty: true,
    });
  }

  // ------------------------------------------------------------ inventory

  /**
   * Part master records by part number (every revision). `number` is a single-value filter in the
   * spec, so one request per number; the answer is checked again because Plex ignores filters it
   * does not know.
   */
  async findPartsByNumber(numbers: string[]): Promise<PlexPartRecord[]> {
    const out: PlexPartRecord[] = [];
    for (const number of unique(numbers)) {
      const parts = await this.list<PlexPartRecord>(PLEX_RECORD.part, 'findPartsByNumber', '/mdm/v1/parts', [
        ['number', number],
      ]);
      out.push(...parts.filter((p) => p.number === number));
    }
    return out;
  }

  /** Active containers of one part (Plex lists only active ones: its on-hand stock). */
  async listContainers(partId: string): Promise<PlexContainer[]> {
    const containers = await this.list<PlexContainer>(
      PLEX_RECORD.container,
      'listContainers',
      '/inventory/v1/inventory-tracking/containers',
      [['partId', partId]],
    );
    return containers.filter((c) => c.partId === partId);
  }

  async listInventoryShipments(
    q: { externalShipmentCode?: string; shipmentStatus?: string } = {},
  ): Promise<PlexInventoryShipment[]> {
    const query: Query = [];
    if (q.externalShipmentCode !== undefined) query.push(['externalShipmentCode', q.externalShipmentCode]);
    if (q.shipmentStatus) query.push(['shipmentStatus', q.shipmentStatus]);
    const shipments = await this.list<PlexInventoryShipment>(
      PLEX_RECORD.inventoryShipment,
      'listInventoryShipments',
      '/inventory/v1/inventory-shipping/shipments',
      query,
    );
    return shipments.filter(
      (s) =>
        (q.externalShipmentCode === undefined || s.externalShipmentCode === q.externalShipmentCode) &&
        (!q.shipmentStatus || s.shipmentStatus === q.shipmentStatus),
    );
  }

  async createInventoryShipment(externalShipmentCode: string): Promise<PlexInventoryShipment> {
    const path = '/inventory/v1/inventory-shipping/shipments';
    const body = await this.call<unknown>('createInventoryShipment', 'POST', path, [], {
      json: { externalShipmentCode },
    });
    return this.record<PlexInventoryShipment>(
      PLEX_RECORD.inventoryShipment,
      'createInventoryShipment',
      path,
      body,
    );
  }

  async stageInventoryShipment(id: string, serialNos: string[]): Promise<PlexInventoryShipment> {
    return this.call<PlexInventoryShipment>(
      'stageInventoryShipment',
      'POST',
      `/inventory/v1-beta1/inventory-shipping/shipments/${enc(id)}/stage`,
      [],
      { json: { serialNos }, subject: `inventory shipment ${id}` },
    );
  }

  async shipInventoryShipment(id: string): Promise<PlexInventoryShipment> {
    return this.call<PlexInventoryShipment>(
      'shipInventoryShipment',
      'POST',
      `/inventory/v1-beta1/inventory-shipping/shipments/${enc(id)}/ship`,
      [],
      { subject: `inventory shipment ${id}` },
    );
  }

  /**
   * On-hand stock per part number: the sum of the active containers of every part (all revisions)
   * with that number. A number Plex does not know is left out of the answer (and logged), so one
   * bad SKU mapping cannot zero the stock of a product elsewhere.
   */
  async onHandByPartNumber(partNumbers: string[]): Promise<Record<string, number>> {
    const parts = await this.findPartsByNumber(partNumbers);
    const out: Record<string, number> = {};
    for (const number of unique(partNumbers)) {
      const ids = parts.filter((p) => p.number === number).map((p) => p.id);
      if (ids.length === 0) {
        this.log.warn({ partNumber: number }, 'Plex has no part with this number; no on-hand reported');
        continue;
      }
      let total = 0;
      for (const id of ids) total += sumOnHand(await this.listContainers(id));
      out[number] = total;
    }
    return out;
  }

  /**
   * Take shipped quantities out of Plex stock exactly once per externalShipmentCode (the caller's
   * ShipStation shipmentId). The inventory shipment is looked up by that code first: already
   * Shipped -> nothing happens (applied: false); Staged -> it is shipped; Unstaged (a crash after
   * the create) -> containers are staged and it is shipped; none -> created, staged and shipped.
   * Containers are picked oldest first and must add up exactly (see inventory.ts).
   */
  async recordShippedQuantities(input: ShippedQuantities): Promise<RecordShippedResult> {
    const { externalShipmentCode: code, items } = normalizeShipped(input);
    const started = this.now().getTime();
    const existing = await this.listInventoryShipments({ externalShipmentCode: code });
    const shipped = existing.find((s) => s.shipmentStatus === PLEX_SHIPMENT_STATUS.shipped);
    if (shipped) {
      this.log.info(
        { externalShipmentCode: code, inventoryShipmentId: shipped.id },
        'already shipped in Plex',
      );
      await this.auditRecord(code, shipped.id, false, started);
      return { applied: false, inventoryShipmentId: shipped.id };
    }
    const oldestFirst = [...existing].sort((a, b) =>
      (a.createdDate ?? '').localeCompare(b.createdDate ?? ''),
    );
    let shipment =
      oldestFirst.find((s) => s.shipmentStatus === PLEX_SHIPMENT_STATUS.staged) ?? oldestFirst[0];
    if (!shipment || shipment.shipmentStatus !== PLEX_SHIPMENT_STATUS.staged) {
      // Pick before creating, so short stock fails without leaving a shipment behind. A concurrent
      // shipment of the same part may take the picked containers first: pick again, a few times.
      for (let attempt = 1; ; attempt++) {
        const serialNos = await this.pickSerials(code, items);
        shipment ??= await this.createInventoryShipment(code);
        try {
          await this.stageInventoryShipment(shipment.id, serialNos);
          break;
        } catch (err) {
          const taken =
            err instanceof PlexValidationError &&
            err.details.some((d) => CONTAINER_TAKEN_CODES.includes(d.code));
          if (!taken) throw err;
          if (attempt >= STAGE_ATTEMPTS) {
            throw new PlexStockConflictError(
              `Plex inventory shipment ${code}: the containers picked were taken by another shipment ` +
                `${attempt} times in a row; retrying later`,
            );
          }
          await this.wait(100 * attempt + Math.floor((this.opts.random ?? Math.random)() * 200));
        }
      }
    }
    try {
      await this.shipInventoryShipment(shipment.id);
    } catch (err) {
      // Shipped meanwhile by a concurrent call with the same code: that call applied it.
      if (
        err instanceof PlexValidationError &&
        err.details.some((d) => d.code === 'SHIPMENT_ALREADY_SHIPPED')
      ) {
        await this.auditRecord(code, shipment.id, false, started);
        return { applied: false, inventoryShipmentId: shipment.id };
      }
      throw err;
    }
    await this.auditRecord(code, shipment.id, true, started);
    return { applied: true, inventoryShipmentId: shipment.id };
  }

  /** Serial numbers of the containers that ship `items`: oldest first, not staged elsewhere. */
  private async pickSerials(code: string, items: ShippedQuantities['items']): Promise<string[]> {
    const parts = await this.findPartsByNumber(items.map((i) => i.partNumber));
    const staged = new Set(
      (await this.listInventoryShipments({ shipmentStatus: PLEX_SHIPMENT_STATUS.staged })).flatMap((s) =>
        (s.containers ?? []).map((c) => c.serialNo),
      ),
    );
    const serials: string[] = [];
    for (const { partNumber, quantity } of items) {
      const ids = parts.filter((p) => p.number === partNumber).map((p) => p.id);
      if (ids.length === 0) {
        throw new PlexValidationError(
          `Plex recordShippedQuantities (${code}): Plex has no part number ${partNumber}; fix the SKU ` +
            'mapping, or subscribe the app to the "Parts API" product if the part exists',
        );
      }
      const containers: PlexContainer[] = [];
      for (const id of ids) containers.push(...(await this.listContainers(id)));
      const free = containers.filter((c) => !staged.has(c.serialNo));
      const picked = pickContainers(free, quantity);
      if (!picked) {
        const onHand = sumOnHand(free);
        throw new PlexInsufficientStockError(
          `Plex recordShippedQuantities (${code}): cannot take ${quantity} of ${partNumber} out of stock: ` +
            (onHand < quantity
              ? `only ${onHand} on hand in active containers; receive or adjust stock in Plex, then retry`
              : `no set of whole containers adds up to ${quantity} (${free.length} containers, ${onHand} on hand); ` +
                'split a container in Plex, then retry'),
        );
      }
      serials.push(...picked.map((c) => c.serialNo));
    }
    return serials;
  }

  private async auditRecord(code: string, id: string, applied: boolean, started: number): Promise<void> {
    await this.audit({
      action: 'plex.recordShippedQuantities',
      outcome: 'ok',
      httpMethod: 'POST',
      httpPath: '/inventory/v1-beta1/inventory-shipping/shipments/{id}/ship',
      durationMs: this.now().getTime() - started,
      details: { externalShipmentCode: code, inventoryShipmentId: id, applied },
    });
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

  // ------------------------------------------------------------ load and write back

  /**
   * Everything the shipment needs: order, lines, releases, customer, ship-to, parts and the customer
   * shipper to write back to. Empty answers where data must exist become PlexPermissionProblem.
   */
  async loadOrder(orderId: string): Promise<ErpOrder> {
    const order = await this.getOrder(orderId);
    const label = `sales order ${order.orderNumber ?? order.id}`;
    const lines = (await this.getOrderLines(order.id)).filter((l) => l.active !== false);
    if (lines.length === 0) {
      throw plexPermissionProblem({
        operation: 'loadOrder',
        path: `/sales/v1/orders/${order.id}/lines`,
        scope: this.scope,
        finding: `${label} has no active lines`,
      });
    }
    const releases = await this.listReleases({ orderLineIds: lines.map((l) => l.id) });
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
    const customer = await this.expect('customer', order.customerId, label, () =>
      this.getCustomer(order.customerId!),
    );
    const open = openReleases(releases);
    const shipToId = order.shipToAddressId ?? open[0]?.shipToAddressId ?? releases[0]?.shipToAddressId;
    if (!shipToId) {
      throw new PlexValidationError(`Plex loadOrder: ${label} has no ship-to address; set one in Plex`);
    }
    const shipTo = await this.expect('ship-to address', shipToId, label, () =>
      this.getCustomerAddress(customer.id, shipToId),
    );
    const partIds = unique(lines.map((l) => l.partId));
    const parts = await this.getParts(partIds);
    const unseen = partIds.filter((id) => !parts.some((p) => p.id === id));
    if (unseen.length > 0) {
      throw plexPermissionProblem({
        operation: 'loadOrder',
        path: '/mdm/v1/parts',
        scope: this.scope,
        finding: `${label} uses part(s) ${unseen.join(', ')} that Plex did not return`,
      });
    }
    const shipper = await this.findShipper(order, customer.id, shipToId, releases);
    return toErpOrder({
      connection: this.opts.connection,
      order,
      lines,
      releases,
      customer,
      shipTo,
      parts,
      shipper,
    });
  }

  /**
   * The customer shipper for an order: among the customer's shippers to this address, the one whose
   * lines carry the order's releases; failing that, the only one without a tracking number.
   */
  async findShipper(
    order: PlexOrder,
    customerId: string,
    shipToAddressId: string,
    releases: PlexRelease[],
  ): Promise<PlexCustomerShipper | undefined> {
    const candidates = (
      await this.listCustomerShippers({ customerId, customerAddressId: shipToAddressId })
    ).filter(
      (s) =>
        (!s.customerId || s.customerId === customerId) &&
        (!s.customerAddressId || s.customerAddressId === shipToAddressId),
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

  /** Write the tracking number (and carrier, ship date, freight) to the order's customer shipper. */
  async writeTracking(
    keys: Record<string, string>,
    wb: TrackingWriteBack,
    cfg: PlexWriteBackConfig = {},
  ): Promise<WriteBackResult> {
    const shipperId = await this.shipperIdFor(keys);
    const current = await this.getCustomerShipper(shipperId);
    if (current.trackingNumber === wb.trackingNumber) return { shipperId, written: false };
    if (current.trackingNumber) {
      this.log.warn(
        { shipperId, previous: current.trackingNumber },
        'customer shipper already had another tracking number; replacing it',
      );
    }
    await this.updateCustomerShipper(shipperId, toShipperTrackingUpdate(wb, cfg));
    return { shipperId, written: true };
  }

  /**
   * Record a lifecycle change on the customer shipper (note, delivery date, mapped status), once:
   * a retry whose earlier attempt's write went through (its answer lost, or its worker killed after
   * the PUT) finds the shipper already showing it and writes nothing.
   */
  async writeStatus(
    keys: Record<string, string>,
    wb: StatusWriteBack,
    cfg: PlexWriteBackConfig = {},
  ): Promise<WriteBackResult> {
    const shipperId = await this.shipperIdFor(keys);
    const update = toShipperStatusUpdate(wb, cfg);
    if (shipperShowsUpdate(await this.getCustomerShipper(shipperId), update)) {
      return { shipperId, written: false };
    }
    await this.updateCustomerShipper(shipperId, update);
    return { shipperId, written: true };
  }

  private async shipperIdFor(keys: Record<string, string>): Promise<string> {
    if (keys.shipperId) return keys.shipperId;
    const orderId = keys.orderId;
    if (orderId && keys.customerId && keys.shipToAddressId) {
      const order = await this.getOrder(orderId);
      const lines = await this.getOrderLines(orderId);
      const releases = lines.length ? await this.listReleases({ orderLineIds: lines.map((l) => l.id) }) : [];
      const shipper = await this.findShipper(order, keys.customerId, keys.shipToAddressId, releases);
      if (shipper) return shipper.id;
    }
    throw new PlexNotFoundError(
      `Plex write-back: no customer shipper found for sales order ${orderId ?? '(unknown)'}; ` +
        'create a customer shipper for the order in Plex (or grant the app the "Customer Shippers API" ' +
        'product if one exists), then retry',
    );
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

  // ------------------------------------------------------------ connection test

  /**
   * Authenticate and read from each API product the connector uses; say precisely what is wrong:
   * a refused key, a tenant the key may not use, an unsubscribed product, a 403, or no answer.
   */
  async testConnection(): Promise<PlexConnectionTestResult> {
    const end = this.now();
    const begin = new Date(end.getTime() - 60 * 60 * 1000);
    const probes: Array<[string, () => Promise<unknown>]> = [
      ['/sales/v1/orders', () => this.listOrders({ modifiedBegin: begin, modifiedEnd: end })],
      ['/sales/v1/releases', () => this.listReleases({ modifiedBegin: begin, modifiedEnd: end })],
      [
        '/mdm/v1/customers',
        () =>
          this.list(PLEX_RECORD.customer, 'testConnection', '/mdm/v1/customers', [
            ['code', '~ml-connector-test~'],
          ]),
      ],
      [
        '/shipping/v1/customer-shippers',
        () => this.listCustomerShippers({ modifiedBegin: begin, modifiedEnd: end }),
      ],
    ];
    let first = true;
    for (const [path, probe] of probes) {
      try {
        await probe();
      } catch (err) {
        return this.testFailure(err, path, first);
      }
      first = false;
    }
    const who = this.opts.tenantId
      ? `tenant ${this.opts.tenantId}`
      : this.opts.customerId
        ? `PCN ${this.opts.customerId}`
        : "the key's default tenant";
    return {
      ok: true,
      reason: 'ok',
      message: `key accepted for ${who}; sales orders, releases, customers and customer shippers are readable`,
    };
  }

  private async testFailure(err: unknown, path: string, first: boolean): Promise<PlexConnectionTestResult> {
    const { product } = plexProductFor(path);
    if (err instanceof PlexUnavailableError && err.transport) {
      return {
        ok: false,
        reason: 'unreachable',
        message: `cannot reach ${this.opts.baseUrl}: ${err.message}`,
      };
    }
    if (err instanceof PlexRateLimitError) return { ok: false, reason: 'rate_limited', message: err.message };
    if (err instanceof PlexForbiddenError) return { ok: false, reason: 'forbidden', message: err.message };
    if (err instanceof PlexAuthError && first) {
      if ((this.opts.tenantId || this.opts.customerId) && (await this.keyWorksWithoutTenant())) {
        const which = this.opts.tenantId ? `tenant ${this.opts.tenantId}` : `PCN ${this.opts.customerId}`;
        return {
          ok: false,
          reason: 'tenant_denied',
          message: `the key is valid but may not act on ${which}: grant the app's key access to ${which} in Plex`,
        };
      }
      return {
        ok: false,
        reason: 'bad_key',
        message: `Plex refused the Consumer Key (REQUEST_NOT_AUTHENTICATED): check the key in the Developer Portal (keys can expire) and that the app is subscribed to the "${product}" API product`,
      };
    }
    if (err instanceof PlexAuthError || (err instanceof PlexNotFoundError && !first)) {
      return {
        ok: false,
        reason: 'not_subscribed',
        message: `the key works, but ${path} answered ${err.status ?? 'an error'}: subscribe the app to the "${product}" API product in the Plex Developer Portal`,
      };
    }
    return { ok: false, reason: 'error', message: (err as Error).message };
  }

  /** Whether the key authenticates against its default tenant (tells a bad key from a denied tenant). */
  private async keyWorksWithoutTenant(): Promise<boolean> {
    const plain = new PlexClient({ ...this.opts, tenantId: undefined, customerId: undefined });
    const end = this.now();
    try {
      await plain.listOrders({ modifiedBegin: new Date(end.getTime() - 60_000), modifiedEnd: end });
      return true;
    } catch {
      return false;
    }
  }

  // ------------------------------------------------------------ plumbing

  private url(path: string, query: Query): string {
    const base = `${this.opts.baseUrl.replace(/\/+$/, '')}${path}`;
    return query.length ? `${base}?${new URLSearchParams(query).toString()}` : base;
  }

  private headers(): Record<string, string> {
    return {
      'X-Plex-Connect-Api-Key': this.opts.apiKey,
      ...(this.opts.tenantId ? { 'X-Plex-Connect-Tenant-Id': this.opts.tenantId } : {}),
      ...(this.opts.customerId ? { 'X-Plex-Connect-Customer-Id': this.opts.customerId } : {}),
    };
  }

  /** A GET answering a list of records: every item must be a record of `shape` (see shape.ts). */
  private async list<T>(
    shape: PlexRecord,
    operation: string,
    path: string,
    query: Query,
    subject?: string,
  ): Promise<T[]> {
    const body = await this.call<unknown>(operation, 'GET', path, query, { subject });
    if (!Array.isArray(body)) {
      throw new PlexUnavailableError(`Plex ${operation}: ${path} did not answer with a JSON array`);
    }
    for (let i = 0; i < body.length; i++) {
      const problem = recordProblem(body[i], shape);
      if (problem) {
        throw new PlexUnavailableError(
          `Plex ${operation}: ${path} answered a list whose item ${i} ${problem}`,
        );
      }
    }
    return body as T[];
  }

  private async get<T>(shape: PlexRecord, operation: string, path: string, subject: string): Promise<T> {
    const body = await this.call<unknown>(operation, 'GET', path, [], { subject });
    return this.record<T>(shape, operation, path, body);
  }

  /** One record of `shape`, or PlexUnavailableError saying what Plex sent instead. */
  private record<T>(shape: PlexRecord, operation: string, path: string, body: unknown): T {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new PlexUnavailableError(`Plex ${operation}: ${path} did not answer with a JSON object`);
    }
    const problem = recordProblem(body, shape);
    if (problem)
      throw new PlexUnavailableError(`Plex ${operation}: ${path} answered a ${shape.what} that ${problem}`);
    return body as T;
  }

  private async audit(entry: Omit<PlexAuditEntry, 'actor' | 'system' | 'connection'>): Promise<void> {
    if (!this.opts.audit) return;
    try {
      await this.opts.audit({
        actor: 'plex-client',
        system: 'plex',
        connection: this.opts.connection,
        ...entry,
      });
    } catch (err) {
      // A broken audit sink must not change the call's own outcome.
      this.log.warn({ err: (err as Error).message, action: entry.action }, 'audit write failed');
    }
  }

  private async send(operation: string, method: Method, url: string, json: unknown): Promise<HttpResponse> {
    const { signal } = this.opts;
    signal?.throwIfAborted();
    await this.opts.limiter.acquire(this.limitKey, 1, signal ? { signal } : {});
    if (method !== 'GET') this.refuseLateWrite(operation, method);
    return httpRequest(
      {
        method,
        url,
        headers: this.headers(),
        ...(json !== undefined ? { json } : {}),
        timeoutMs: method === 'GET' ? (this.opts.readTimeoutMs ?? this.opts.timeoutMs) : this.opts.timeoutMs,
      },
      { log: this.log, fetch: this.opts.fetch },
    );
  }

  /** A pause between tries, cut short (rejecting with its reason) when the activity is cancelled. */
  private wait(ms: number): Promise<void> {
    return sleepUnlessAborted(this.sleep, ms, this.opts.signal);
  }

  /**
   * A write is not sent once the activity attempt's time is used up (checked after the limiter's
   * wait, right before the request): Temporal is about to time the attempt out and retry it, and the
   * retry reads what Plex holds before it writes, so a late write could land next to the retry's.
   * Checking and then sending still leaves a small window: a write sent just before the margin runs
   * out that Plex applies only after the retry has read.
   */
  private refuseLateWrite(operation: string, method: Method): void {
    if ((this.opts.waitBudgetMs?.() ?? Infinity) > 0) return;
    this.log.warn({ action: `plex.${operation}`, method }, 'activity attempt used up; write not sent');
    throw new PlexUnavailableError(
      `Plex ${operation}: the activity attempt's start-to-close timeout is used up; not sending the ` +
        `${method}: the retry reads what Plex holds first`,
    );
  }

  private async call<T>(
    operation: string,
    method: Method,
    path: string,
    query: Query,
    options: { json?: unknown; subject?: string; allowEmpty?: boolean },
  ): Promise<T> {
    const action = `plex.${operation}`;
    const url = this.url(path, query);
    const retries = this.opts.rateLimitRetries ?? 2;
    const maxWait = this.opts.maxInlineWaitMs ?? 65_000;
    const started = this.now().getTime();
    let res: HttpResponse;
    let error: PlexError | undefined;
    // A read that met a 5xx, a dropped connection or no answer is sent again, a few times: a poll
    // makes two reads per new order, and one failed read must not fail (and repeat) the whole poll.
    // Writes go back to the activity's retry policy (a lost answer may hide a write that happened).
    let transient = 0;
    const retryRead = async (why: string) => {
      if (method !== 'GET' || transient >= TRANSIENT_READ_RETRIES) return false;
      transient++;
      this.log.warn({ action, why, retry: transient }, 'Plex read failed; sending it again');
      await this.wait(150 * transient + Math.floor((this.opts.random ?? Math.random)() * 100));
      return true;
    };
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.send(operation, method, url, options.json);
      } catch (err) {
        if (
          err instanceof HttpTransportError &&
          (err.kind === 'network' || err.kind === 'timeout') &&
          (await retryRead(err.message))
        )
          continue;
        const e =
          err instanceof HttpTransportError
            ? new PlexUnavailableError(`Plex ${operation}: ${err.message}`, {}, err.unanswered)
            : err instanceof HttpRequestInvalid
              ? new PlexAuthError(
                  `Plex ${operation}: ${err.message}. The connection's Consumer Key has a character ` +
                    'that cannot be sent in a header (a line break or space pasted with it?): store it again',
                )
              : (err as Error);
        await this.audit({
          action,
          outcome: 'error',
          httpMethod: method,
          httpPath: path,
          durationMs: this.now().getTime() - started,
          details: { error: e.message, ...(e instanceof PlexError ? { type: e.type } : {}) },
        });
        throw e;
      }
      error =
        res.status >= 200 && res.status < 300
          ? undefined
          : plexErrorFromResponse(res, {
              operation,
              method,
              path,
              scope: this.scope,
              nowMs: this.now().getTime(),
              random: this.opts.random,
              subject: options.subject,
            });
      if (error instanceof PlexUnavailableError && (await retryRead(`HTTP ${res.status}`))) continue;
      const budget = Math.min(maxWait, this.opts.waitBudgetMs?.() ?? Infinity);
      if (!(error instanceof PlexRateLimitError) || attempt >= retries || error.retryAfterMs > budget) break;
      // Documented limit reached anyway (another process, another tool on the same key): wait it out.
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
        'Plex answered 429; waiting before the retry',
      );
      await this.wait(error.retryAfterMs);
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
      details: {
        ...(error ? { type: error.type, ...(error.code ? { code: error.code } : {}) } : {}),
        ...(Array.isArray(body) ? { count: body.length } : {}),
      },
    });
    if (error) {
      this.log.warn({ action, status: res.status, type: error.type, code: error.code }, 'Plex call failed');
      throw error;
    }
    if (unreadable)
      throw new PlexUnavailableError(`Plex ${operation}: answer is not JSON`, { status: res.status });
    return body as T;
  }
}

function enc(id: string): string {
  return encodeURIComponent(id);
}
