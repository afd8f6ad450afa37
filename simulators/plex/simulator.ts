import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { Delays, FaultKnobs, type FaultSettings } from '../shared/faults';
import { BodyTooLargeError, readBody, sendJson, startHttpServer } from '../shared/http';
import { SeededRandom } from '../shared/random';
import { RESOURCES, matchRoute, type PlexResource, type Route } from './api';
import { PlexError, errors } from './errors';
import type { InventoryCounters } from './inventory';
import { MinuteLimiter } from './limits';
import { COLLECTIONS, resolveOptions, type PlexSimOptions, type ResolvedKey } from './options';
import { receiveStock, seedOrders, seededUuid, type SeedOptions } from './seed';
import { TenantData, copy, type SeededOrder } from './store';
import type { CustomerAddress, SalesOrder, Shipper } from './wire';

/** How a resource misbehaves on demand: 401, 403, or "no data" ([] for lists, 404 for one record). */
export type PermissionFault = 'unauthenticated' | 'forbidden' | 'empty';

export interface PlexFaultState extends FaultSettings {
  permissions: Partial<Record<PlexResource, PermissionFault>>;
}

export type PlexFaultPatch = Partial<FaultSettings> & {
  /** Per resource; null switches that resource's fault off. */
  permissions?: Partial<Record<PlexResource, PermissionFault | null>>;
};

export interface PlexLimits {
  rateLimitPerMinute?: number;
  retryAfterSeconds?: number;
  unsubscribedStatus?: 401 | 404;
}

export interface PlexCounters extends InventoryCounters {
  /** Keyed "METHOD /template", e.g. "GET /sales/v1/orders/{id}"; unknown routes by their path. */
  callsByEndpoint: Record<string, number>;
  responsesByStatus: Record<string, number>;
  tooManyRequests: number;
  /** Successful PUT/POST writes. */
  writes: number;
  writesByShipper: Record<string, number>;
  /** Request-body fields a write sent that the endpoint does not have (Plex ignores them silently). */
  ignoredWriteFields: Record<string, number>;
}

/** Programmatic changes to a seeded order, as someone editing it in Plex would make them. */
export interface OrderPatch {
  order?: Partial<Pick<SalesOrder, 'status' | 'note' | 'carrier' | 'poNumber'>>;
  shipTo?: Partial<Pick<CustomerAddress, 'address' | 'city' | 'state' | 'zip' | 'country'>>;
  shipper?: { status?: string; trackingNumber?: string | null };
  /** New quantity for every release of the order. */
  releaseQuantity?: number;
}

export interface PlexTenantInfo {
  id: string;
  code: string;
  pcn: string;
  /** Supplier id of FedEx (the only carrier) in this tenant: orders carry it, and a shipper PUT accepts only it. */
  carrierId: string;
  buildingId: string;
  buildingCode: string;
}

export interface PlexSimulator {
  url: string;
  stop(): Promise<void>;
  /** Seed `n` ready-to-ship orders into a tenant (default: the first). */
  seedOrders(n: number, opts?: SeedOptions & { tenantId?: string }): SeededOrder[];
  /** Every seeded order, across tenants. */
  orders(): SeededOrder[];
  /** Repair an invalid order (by order key or order number). */
  fixOrder(orderKey: string): SeededOrder;
  updateOrder(orderKey: string, patch: OrderPatch): SeededOrder;
  /** A customer shipper by its id, or the shipper of a seeded order (by order key or number). */
  getShipper(shipperIdOrOrderKey: string): Shipper | undefined;
  /**
   * The tracking number stored on a customer shipper (by shipper id only), or undefined when it
   * has none or there is no such shipper. Unlike `getShipper` it copies nothing, so a harness can
   * poll thousands of shippers without charging the copies to what it measures.
   */
  trackingNumberOf(shipperId: string): string | undefined;
  counters(): PlexCounters;
  /**
   * Requests by route and the query parameters they named, e.g.
   * "GET /sales/v1/orders?modifiedByDateBegin&modifiedByDateEnd&status" (names sorted, each once):
   * tells a poll from a change check on the same list route. Cleared with the other counters.
   */
  callsByRoute(): Record<string, number>;
  setFaults(patch: PlexFaultPatch): PlexFaultState;
  setLimits(patch: PlexLimits): void;
  tenants(): PlexTenantInfo[];
  /** Stock of a part (by id or number, in any tenant): the sum of its active containers' quantities. */
  onHand(partIdOrNumber: string): number;
  /** Receive at least `quantity` of a catalog part (by number) into stock, in full containers. */
  receive(partNumber: string, quantity: number, tenantId?: string): void;
  /** Back to the start options: data re-seeded, faults, limits and counters cleared. */
  reset(): void;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** A stable number from a string, so a tenant's carrier and building ids are the same every run. */
function stableSeed(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export async function startPlexSimulator(options: PlexSimOptions = {}): Promise<PlexSimulator> {
  const opts = resolveOptions(options);
  const random = new SeededRandom(opts.seed);
  const faults = new FaultKnobs(random);
  const delays = new Delays();
  const limiter = new MinuteLimiter(opts.rateLimitPerMinute);
  const keys = opts.keys.map((k) => ({ key: k, hash: sha256(k.apiKey) }));
  let permissions: Partial<Record<PlexResource, PermissionFault>> = {};
  let retryAfterSeconds = opts.retryAfterSeconds;
  let unsubscribedStatus = opts.unsubscribedStatus;
  let tenants = new Map<string, TenantData>();

  const counts = {
    endpoints: new Map<string, number>(),
    routes: new Map<string, number>(),
    statuses: new Map<string, number>(),
    writesByShipper: new Map<string, number>(),
    ignoredFields: new Map<string, number>(),
  };
  let writes = 0;
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  function buildTenants(): void {
    tenants = new Map(
      opts.tenants.map((t) => {
        const ids = new SeededRandom(stableSeed(t.id));
        const carrier = { id: seededUuid(ids), code: 'FDX', name: 'FedEx' };
        const building = { id: seededUuid(ids), code: 'MAIN' };
        return [t.id, new TenantData(t.id, t.code, t.pcn, carrier, building, Date.now)];
      }),
    );
    if (opts.orders > 0) {
      seedOrders(tenants.get(opts.tenants[0]!.id)!, opts.orders, {
        seed: opts.seed,
        invalidShare: opts.invalidShare,
      });
    }
  }
  buildTenants();

  function authenticate(req: http.IncomingMessage): ResolvedKey {
    const given = header(req, 'x-plex-connect-api-key');
    if (!given) throw errors.notAuthenticated();
    const hash = sha256(given);
    // Compare digests in constant time and without stopping at the first match.
    let match: ResolvedKey | undefined;
    for (const k of keys) if (timingSafeEqual(hash, k.hash)) match = k.key;
    if (!match) throw errors.notAuthenticated();
    return match;
  }

  /** The tenant a request acts on: the key's default, or the one named by a tenant / customer-id header. */
  function selectTenant(req: http.IncomingMessage, key: ResolvedKey): TenantData {
    const tenantId = header(req, 'x-plex-connect-tenant-id');
    const pcn = header(req, 'x-plex-connect-customer-id');
    let chosen: TenantData | undefined;
    if (tenantId !== undefined) chosen = tenants.get(tenantId);
    if (pcn !== undefined) {
      const byPcn = [...tenants.values()].find((t) => t.pcn === pcn);
      if (!byPcn || (chosen && chosen !== byPcn)) throw errors.notAuthenticated();
      chosen = byPcn;
    }
    if (tenantId === undefined && pcn === undefined) chosen = tenants.get(key.defaultTenantId);
    if (!chosen || !key.tenantIds.includes(chosen.id)) throw errors.notAuthenticated();
    return chosen;
  }

  function checkSubscription(path: string, key: ResolvedKey): void {
    const collection = path.split('/')[1] ?? '';
    const known = (COLLECTIONS as readonly string[]).includes(collection);
    if (known && !(key.products as string[]).includes(collection)) {
      throw unsubscribedStatus === 404 ? errors.notFound() : errors.notAuthenticated();
    }
  }

  function permissionFault(route: Route): void {
    const fault = permissions[route.resource];
    if (fault === 'unauthenticated') throw errors.notAuthenticated();
    if (fault === 'forbidden') throw errors.forbidden();
    if (fault === 'empty' && !route.list) throw errors.notFound();
  }

  function answer(
    req: http.IncomingMessage,
    url: URL,
    matched: ReturnType<typeof matchRoute>,
    raw: Buffer,
  ): [number, unknown] {
    const key = authenticate(req);
    if (!limiter.take(key.apiKey)) throw errors.tooManyRequests();
    const data = selectTenant(req, key);
    checkSubscription(url.pathname, key);
    if (!matched) throw errors.notFound();
    const { route, params } = matched;
    permissionFault(route);
    if (permissions[route.resource] === 'empty') return [200, []];
    let body: unknown;
    if (route.method !== 'GET') {
      try {
        body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        throw errors.validation([{ code: 'INVALID_JSON', message: 'The request body is not valid JSON.' }]);
      }
    }
    const visible = key.tenantIds.map((id) => tenants.get(id)!).map((t) => ({ id: t.id, code: t.code }));
    const result = route.handle({
      data,
      tenants: visible,
      params,
      query: url.searchParams,
      body,
      shipperStatuses: opts.shipperStatuses,
      wrote(shipperId, ignored) {
        writes++;
        if (shipperId) bump(counts.writesByShipper, shipperId);
        for (const field of ignored) bump(counts.ignoredFields, field);
      },
    });
    return [route.status ?? 200, result];
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const matched = matchRoute(req.method ?? 'GET', path);
    const endpoint = `${req.method ?? 'GET'} ${matched ? matched.route.template : path}`;
    bump(counts.endpoints, endpoint);
    const params = [...new Set(url.searchParams.keys())].sort();
    bump(counts.routes, params.length ? `${endpoint}?${params.join('&')}` : endpoint);
    const decision = faults.decide();
    let raw: Buffer;
    try {
      raw = await readBody(req, opts.bodyLimitBytes);
    } catch (err) {
      const status = err instanceof BodyTooLargeError ? 413 : 400;
      return respond(res, status, {
        code: 'REQUEST_INVALID',
        message: 'The request body could not be read.',
      });
    }
    if (decision.kind === 'error') {
      if (!(await delays.wait(decision.delayMs))) return;
      const err = errors.internal();
      return respond(res, err.status, err.body);
    }
    let status: number;
    let body: unknown;
    const headers: Record<string, string> = {};
    try {
      [status, body] = answer(req, url, matched, raw);
    } catch (err) {
      const plex = err instanceof PlexError ? err : errors.internal();
      [status, body] = [plex.status, plex.body];
      if (status === 429 && retryAfterSeconds > 0) headers['retry-after'] = String(retryAfterSeconds);
    }
    if (decision.kind === 'hang') return;
    if (!(await delays.wait(decision.delayMs))) return;
    respond(res, status, body, headers);
  }

  function respond(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    bump(counts.statuses, String(status));
    if (res.destroyed) return;
    sendJson(res, status, body, headers);
  }

  /** Inventory counters summed over tenants (a reset rebuilds the tenants, which clears them). */
  function inventoryCounters(): InventoryCounters {
    const total: InventoryCounters = {
      inventoryShipmentsCreated: 0,
      inventoryShipmentsShipped: 0,
      quantityRemovedByPart: {},
    };
    for (const data of tenants.values()) {
      const c = data.inventory.counters();
      total.inventoryShipmentsCreated += c.inventoryShipmentsCreated;
      total.inventoryShipmentsShipped += c.inventoryShipmentsShipped;
      for (const [part, n] of Object.entries(c.quantityRemovedByPart)) {
        total.quantityRemovedByPart[part] = (total.quantityRemovedByPart[part] ?? 0) + n;
      }
    }
    return total;
  }

  function tenantFor(orderKey: string): { data: TenantData; seeded: SeededOrder } {
    for (const data of tenants.values()) {
      const seeded = data.findSeeded(orderKey);
      if (seeded) return { data, seeded };
    }
    throw new RangeError(`no seeded order ${orderKey}`);
  }

  const handle: PlexSimulator = {
    url: '',
    async stop() {
      delays.cancelAll();
      await server.close();
    },
    seedOrders(n, o = {}) {
      const data = tenants.get(o.tenantId ?? opts.tenants[0]!.id);
      if (!data) throw new RangeError(`unknown tenant ${o.tenantId}`);
      return seedOrders(data, n, {
        seed: o.seed ?? random.int(0, 2 ** 31),
        invalidShare: o.invalidShare,
        stockToCover: o.stockToCover,
        firstOrderNumber: o.firstOrderNumber,
      });
    },
    orders: () => [...tenants.values()].flatMap((t) => [...t.seeded.values()].map(copy)),
    fixOrder(orderKey) {
      const { data, seeded } = tenantFor(orderKey);
      const defect = [...data.defects.values()].find((d) =>
        d.kind === 'weight' || d.kind === 'hs_code'
          ? data.linesOf(seeded.orderKey).some((l) => l.partId === d.partId)
          : d.addressId === seeded.shipToAddressId,
      );
      if (!defect) return copy(seeded);
      const stamp = data.stamp();
      if (defect.kind === 'weight') {
        const details = data.partShipping.get(defect.partId)!;
        Object.assign(details, { partPieceWeight: defect.weight, weightUnit: defect.unit });
        data.parts.get(defect.partId)!.modifiedDate = stamp;
        data.defects.delete(defect.partId);
      } else if (defect.kind === 'hs_code') {
        // As a person would in Plex: classify the part in its shipping details.
        data.partShipping.get(defect.partId)!.harmonizedTariffCode = defect.hsCode;
        data.parts.get(defect.partId)!.modifiedDate = stamp;
        data.defects.delete(defect.partId);
      } else {
        const address = data.addresses.get(defect.addressId)!;
        if (defect.kind === 'postal_code') address.zip = defect.goodZip;
        else address.country = defect.goodCountry;
        address.modifiedDate = stamp;
        data.defects.delete(defect.addressId);
      }
      seeded.fixed = true;
      return copy(seeded);
    },
    updateOrder(orderKey, patch) {
      const { data, seeded } = tenantFor(orderKey);
      const stamp = data.stamp();
      const order = data.orders.get(seeded.orderKey)!;
      if (patch.order) Object.assign(order, patch.order);
      if (patch.order?.carrier) seeded.shipVia = patch.order.carrier;
      if (patch.shipTo) {
        const address = data.addresses.get(seeded.shipToAddressId)!;
        Object.assign(address, patch.shipTo, { modifiedDate: stamp });
        if (patch.shipTo.country) seeded.country = patch.shipTo.country;
      }
      if (patch.shipper) {
        const shipper = data.shippers.get(seeded.shipperId)!;
        if (patch.shipper.status !== undefined) shipper.status = patch.shipper.status;
        if (patch.shipper.trackingNumber === null) delete shipper.trackingNumber;
        else if (patch.shipper.trackingNumber !== undefined)
          shipper.trackingNumber = patch.shipper.trackingNumber;
        shipper.modifiedDate = stamp;
      }
      if (patch.releaseQuantity !== undefined) {
        if (!(Number.isFinite(patch.releaseQuantity) && patch.releaseQuantity > 0)) {
          throw new RangeError('releaseQuantity must be a positive number');
        }
        for (const release of data.releasesOf(seeded.orderKey)) {
          Object.assign(release, {
            quantity: patch.releaseQuantity,
            orderQuantity: patch.releaseQuantity,
            modifiedDate: stamp,
          });
          for (const line of data.shipperLinesOf(seeded.shipperId)) {
            if (line.releaseId === release.id) line.quantity = patch.releaseQuantity;
          }
        }
      }
      // As in Plex, an address is a record of its own: editing it leaves the order untouched.
      if (patch.order || patch.shipper || patch.releaseQuantity !== undefined) order.modifiedDate = stamp;
      return copy(seeded);
    },
    getShipper(idOrKey) {
      for (const data of tenants.values()) {
        const direct = data.shippers.get(idOrKey);
        if (direct) return copy(direct);
        const seeded = data.findSeeded(idOrKey);
        if (seeded) return copy(data.shippers.get(seeded.shipperId));
      }
      return undefined;
    },
    trackingNumberOf(shipperId) {
      for (const data of tenants.values()) {
        const shipper = data.shippers.get(shipperId);
        if (shipper) return shipper.trackingNumber;
      }
      return undefined;
    },
    callsByRoute: () => Object.fromEntries(counts.routes),
    counters: () => ({
      ...inventoryCounters(),
      callsByEndpoint: Object.fromEntries(counts.endpoints),
      responsesByStatus: Object.fromEntries(counts.statuses),
      tooManyRequests: counts.statuses.get('429') ?? 0,
      writes,
      writesByShipper: Object.fromEntries(counts.writesByShipper),
      ignoredWriteFields: Object.fromEntries(counts.ignoredFields),
    }),
    receive(partNumber, quantity, tenantId) {
      const data = tenants.get(tenantId ?? opts.tenants[0]!.id);
      if (!data) throw new RangeError(`unknown tenant ${tenantId}`);
      receiveStock(data, partNumber, quantity);
    },
    onHand(partIdOrNumber) {
      for (const data of tenants.values()) {
        const parts = [...data.parts.values()].filter(
          (p) => p.id === partIdOrNumber || p.number === partIdOrNumber,
        );
        if (parts.length > 0) return parts.reduce((n, p) => n + data.inventory.onHand(p.id), 0);
      }
      throw new RangeError(`no part ${partIdOrNumber}`);
    },
    setFaults(patch) {
      const { permissions: perms, ...rest } = patch;
      const next = { ...permissions };
      for (const [resource, fault] of Object.entries(perms ?? {})) {
        if (!(RESOURCES as readonly string[]).includes(resource))
          throw new RangeError(`unknown resource ${resource}`);
        if (fault === null) delete next[resource as PlexResource];
        else if (fault === 'unauthenticated' || fault === 'forbidden' || fault === 'empty') {
          next[resource as PlexResource] = fault;
        } else throw new RangeError(`permission fault must be unauthenticated, forbidden, empty or null`);
      }
      const general = faults.update(rest);
      permissions = next;
      return { ...general, permissions: { ...permissions } };
    },
    setLimits(patch) {
      if (patch.rateLimitPerMinute !== undefined) {
        if (!(patch.rateLimitPerMinute >= 1)) throw new RangeError('rateLimitPerMinute must be >= 1');
        limiter.perMinute = patch.rateLimitPerMinute;
      }
      if (patch.retryAfterSeconds !== undefined) {
        if (!(patch.retryAfterSeconds >= 0)) throw new RangeError('retryAfterSeconds must be >= 0');
        retryAfterSeconds = patch.retryAfterSeconds;
      }
      if (patch.unsubscribedStatus !== undefined) {
        if (patch.unsubscribedStatus !== 401 && patch.unsubscribedStatus !== 404) {
          throw new RangeError('unsubscribedStatus must be 401 or 404');
        }
        unsubscribedStatus = patch.unsubscribedStatus;
      }
    },
    tenants: () =>
      [...tenants.values()].map((t) => ({
        id: t.id,
        code: t.code,
        pcn: t.pcn,
        carrierId: t.carrier.id,
        buildingId: t.building.id,
        buildingCode: t.building.code,
      })),
    reset() {
      delays.cancelAll();
      faults.reset();
      permissions = {};
      limiter.reset();
      limiter.perMinute = opts.rateLimitPerMinute;
      retryAfterSeconds = opts.retryAfterSeconds;
      unsubscribedStatus = opts.unsubscribedStatus;
      for (const map of Object.values(counts)) map.clear();
      writes = 0;
      buildTenants();
    },
  };

  const admin = adminRoutes(handle, () => ({
    faults: { ...faults.current, permissions: { ...permissions } },
    limits: { rateLimitPerMinute: limiter.perMinute, retryAfterSeconds, unsubscribedStatus },
    tenants: handle.tenants(),
  }));

  const server = await startHttpServer(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname.startsWith('/__admin/')) return admin(req, res, url);
      return handleApi(req, res, url);
    },
    { port: opts.port, host: opts.host },
  );
  handle.url = server.url;
  return handle;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

type Json = Record<string, unknown>;

/** JSON admin endpoints under /__admin/, each a thin wrapper over the handle's knobs. */
function adminRoutes(sim: PlexSimulator, state: () => Json) {
  const str = (body: Json, key: string): string => {
    const v = body[key];
    if (typeof v !== 'string' || v.length === 0) throw new RangeError(`${key} must be a non-empty string`);
    return v;
  };
  const optNum = (body: Json, key: string): number | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${key} must be a number`);
    return v;
  };
  const routes: Record<string, (body: Json, query: URLSearchParams) => unknown> = {
    'GET /__admin/state': () => state(),
    'GET /__admin/counters': () => sim.counters(),
    'GET /__admin/orders': () => sim.orders(),
    'GET /__admin/shippers': (_b, q) => {
      const key = q.get('orderKey') ?? q.get('id');
      if (key) {
        const shipper = sim.getShipper(key);
        if (!shipper) throw new RangeError(`no shipper for ${key}`);
        return shipper;
      }
      return sim.orders().map((o) => sim.getShipper(o.shipperId));
    },
    'GET /__admin/inventory': (_b, q) => {
      const part = q.get('part');
      if (!part) throw new RangeError('part must be given (a part id or number)');
      return { part, onHand: sim.onHand(part) };
    },
    'POST /__admin/seed': (b) =>
      sim.seedOrders(optNum(b, 'count') ?? 10, {
        seed: optNum(b, 'seed'),
        invalidShare: optNum(b, 'invalidShare'),
        tenantId: b.tenantId === undefined ? undefined : str(b, 'tenantId'),
      }),
    'POST /__admin/fix': (b) => sim.fixOrder(str(b, 'orderKey')),
    'POST /__admin/orders/update': (b) => {
      const { orderKey, ...patch } = b;
      return sim.updateOrder(str({ orderKey }, 'orderKey'), patch as OrderPatch);
    },
    'POST /__admin/faults': (b) => sim.setFaults(b as PlexFaultPatch),
    'POST /__admin/limits': (b) => {
      const unsubscribed = optNum(b, 'unsubscribedStatus');
      sim.setLimits({
        rateLimitPerMinute: optNum(b, 'rateLimitPerMinute'),
        retryAfterSeconds: optNum(b, 'retryAfterSeconds'),
        unsubscribedStatus: unsubscribed as 401 | 404 | undefined,
      });
      return state().limits;
    },
    'POST /__admin/reset': () => {
      sim.reset();
      return { ok: true };
    },
  };
  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const fn = routes[`${req.method ?? 'GET'} ${url.pathname}`];
    if (!fn) return sendJson(res, 404, { error: `no admin route ${req.method} ${url.pathname}` });
    try {
      const raw = await readBody(req, 100_000);
      const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as unknown) : {};
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new RangeError('body must be a JSON object');
      }
      sendJson(res, 200, await fn(body as Json, url.searchParams));
    } catch (err) {
      sendJson(res, 400, { error: err instanceof Error ? err.message : 'bad request' });
    }
  };
}
