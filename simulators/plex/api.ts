import { errors } from './errors';
import { INVENTORY_ROUTES } from './inventory';
import { applyFilters, bool, eq, range, type Filter } from './query';
import { copy, type TenantData } from './store';
import { ORDER_FIELDS, SHIPPER_FIELDS, checkWrite } from './writes';
import type {
  Customer,
  CustomerAddress,
  Part,
  Release,
  SalesOrder,
  Shipper,
  ShipperLine,
  OrderLine,
  TenantRecord,
} from './wire';

/** Resource groups that permission faults can be set on. */
export const RESOURCES = [
  'tenants',
  'orders',
  'orderWrites',
  'orderLines',
  'releases',
  'customers',
  'addresses',
  'parts',
  'partShipping',
  'shippers',
  'shipperLines',
  'shipperWrites',
  'containers',
  'inventoryShipments',
  'inventoryShipmentWrites',
] as const;
export type PlexResource = (typeof RESOURCES)[number];

export interface RouteContext {
  data: TenantData;
  /** Tenants the calling key may use. */
  tenants: TenantRecord[];
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  shipperStatuses: readonly string[];
  /** Called after a successful write with the shipper id (if any) and the body fields Plex ignores. */
  wrote(shipperId: string | undefined, ignored: string[]): void;
}

export interface Route {
  method: 'GET' | 'PUT' | 'POST';
  /** Path template as the spec writes it, e.g. /sales/v1/orders/{id}. */
  template: string;
  resource: PlexResource;
  /** A list answer (bare array): an "empty" permission fault answers [] instead of 404. */
  list: boolean;
  /** Success status when it is not 200 (the spec's 201 for a create, 202 for the beta actions). */
  status?: number;
  handle(ctx: RouteContext): unknown;
}

function found<T>(value: T | undefined): T {
  if (value === undefined) throw errors.notFound();
  return copy(value);
}

function list<T extends object>(records: Iterable<T>, ctx: RouteContext, filters: Filter<T>[]): T[] {
  return applyFilters([...records], ctx.query, filters).map(copy);
}

/**
 * The records a list can match when the query filters on an indexed id: a narrower start for
 * `list`, whose filters still decide (an empty value matches records without the id, so it falls
 * back to every record).
 */
function byIds<T>(
  ctx: RouteContext,
  param: string,
  all: Iterable<T>,
  lookup: (ids: string[]) => T[],
): Iterable<T> {
  const ids = ctx.query.getAll(param);
  return ids.length > 0 && ids.every((id) => id !== '') ? lookup(ids) : all;
}

const orderFilters: Filter<SalesOrder>[] = [
  eq('id'),
  eq('customerId'),
  eq('orderNumber'),
  eq('poNumber'),
  eq('status'),
  eq('type'),
  eq('category'),
  eq('terms'),
  eq('fob'),
  eq('freightTerms'),
  range('orderDate'),
  range('createdDate'),
  // The spec spells the modified-date filter of sales orders "modifiedByDate".
  range('modifiedByDate', 'modifiedDate'),
];

const releaseFilters: Filter<Release>[] = [
  eq('id'),
  eq('releaseNumber'),
  eq('orderLineIds', 'orderLineId'),
  eq('type'),
  eq('shipToAddressId'),
  eq('status'),
  eq('partNumber'),
  range('shipDate'),
  range('dueDate'),
  range('createdDate'),
  range('modifiedDate'),
];

const customerFilters: Filter<Customer>[] = [
  eq('id'),
  eq('code'),
  eq('name'),
  eq('status'),
  eq('type'),
  range('modifiedDate'),
];

const addressFilters: Filter<CustomerAddress>[] = [
  eq('id'),
  eq('code'),
  bool('shipTo'),
  bool('billTo'),
  bool('active'),
  range('modifiedDate'),
];

const partFilters: Filter<Part>[] = [
  eq('id'),
  eq('number'),
  eq('revision'),
  eq('type'),
  eq('status'),
  eq('source'),
];

const shipperFilters: Filter<Shipper>[] = [
  eq('id'),
  eq('shipperNumber'),
  eq('customerId'),
  eq('customerAddressId'),
  eq('carrierId'),
  eq('freightTerms'),
  eq('status'),
  eq('trackingNumber'),
  eq('trailerNumber'),
  eq('truckId'),
  eq('shipFromCode'),
  range('shipDate'),
  range('scheduledShipDate'),
  range('createdDate'),
  range('modifiedDate'),
];

const tenantFilters: Filter<TenantRecord>[] = [eq('idList', 'id'), eq('code'), eq('codeList', 'code')];

function ownedAddress(ctx: RouteContext): CustomerAddress | undefined {
  const address = ctx.data.addresses.get(ctx.params.addressId!);
  return address && ctx.data.addressOwner.get(address.id) === ctx.params.customerId ? address : undefined;
}

function shipperLine(ctx: RouteContext, shipperId: string): ShipperLine | undefined {
  const line = ctx.data.shipperLines.get(ctx.params.lineId!);
  return line && line.shipperId === shipperId ? line : undefined;
}

function orderLine(ctx: RouteContext): OrderLine | undefined {
  const line = ctx.data.lines.get(ctx.params.lineId!);
  return line && line.orderId === ctx.params.id ? line : undefined;
}

function updateShipper(ctx: RouteContext): Shipper {
  const shipper = ctx.data.shippers.get(ctx.params.id!);
  if (!shipper) throw errors.notFound();
  const { changes, ignored } = checkWrite(ctx.body, SHIPPER_FIELDS);
  const problems: { code: string; message: string }[] = [];
  if (changes.carrierId !== undefined && changes.carrierId !== ctx.data.carrier.id) {
    problems.push({
      code: 'INVALID_CARRIER',
      message: 'carrierId is not a carrier (supplier of type Carrier).',
    });
  }
  if (changes.status !== undefined && !ctx.shipperStatuses.includes(changes.status as string)) {
    problems.push({
      code: 'INVALID_STATUS',
      message: `status must be one of: ${ctx.shipperStatuses.join(', ')}.`,
    });
  }
  if (changes.shipFromId !== undefined) {
    if (changes.shipFromId !== ctx.data.building.id) {
      problems.push({ code: 'INVALID_BUILDING', message: 'shipFromId is not a building of this tenant.' });
    }
    delete changes.shipFromId;
    changes.shipFromCode = ctx.data.building.code;
  }
  if (problems.length > 0) throw errors.validation(problems);
  // Merge semantics: fields left out keep their values (whether Plex replaces is UNCONFIRMED).
  Object.assign(shipper, changes, { modifiedDate: ctx.data.stamp() });
  ctx.wrote(shipper.id, ignored);
  return copy(shipper);
}

/** POST .../{shipperId}/ship: the shipper becomes Shipped with a ship date; its releases count the quantity as shipped. */
function shipShipper(ctx: RouteContext): Shipper {
  const shipper = ctx.data.shippers.get(ctx.params.shipperId!);
  if (!shipper) throw errors.notFound();
  if (shipper.status === 'Shipped') {
    throw errors.validation([
      { code: 'SHIPPER_ALREADY_SHIPPED', message: 'The shipper has already been shipped.' },
    ]);
  }
  const stamp = ctx.data.stamp();
  for (const line of ctx.data.shipperLinesOf(shipper.id)) {
    const release = ctx.data.releases.get(line.releaseId);
    if (!release) continue;
    release.quantityShipped = Math.min(release.quantity, release.quantityShipped + line.quantity);
    if (release.quantityShipped >= release.quantity) release.status = 'Shipped';
    release.modifiedDate = stamp;
  }
  Object.assign(shipper, { status: 'Shipped', shipDate: stamp, modifiedDate: stamp });
  ctx.wrote(shipper.id, []);
  return copy(shipper);
}

function updateOrder(ctx: RouteContext): SalesOrder {
  const order = ctx.data.orders.get(ctx.params.id!);
  if (!order) throw errors.notFound();
  const { changes, ignored } = checkWrite(ctx.body, ORDER_FIELDS);
  Object.assign(order, changes, { modifiedDate: ctx.data.stamp() });
  ctx.wrote(undefined, ignored);
  return copy(order);
}

export const ROUTES: Route[] = [
  {
    method: 'GET',
    template: '/mdm/v1/tenants',
    resource: 'tenants',
    list: true,
    handle: (c) => list(c.tenants, c, tenantFilters),
  },
  {
    method: 'GET',
    template: '/mdm/v1/tenants/{id}',
    resource: 'tenants',
    list: false,
    handle: (c) => found(c.tenants.find((t) => t.id === c.params.id)),
  },
  {
    method: 'GET',
    template: '/sales/v1/orders',
    resource: 'orders',
    list: true,
    handle: (c) => list(c.data.orders.values(), c, orderFilters),
  },
  {
    method: 'GET',
    template: '/sales/v1/orders/{id}',
    resource: 'orders',
    list: false,
    handle: (c) => found(c.data.orders.get(c.params.id!)),
  },
  {
    method: 'PUT',
    template: '/sales/v1/orders/{id}',
    resource: 'orderWrites',
    list: false,
    handle: updateOrder,
  },
  {
    method: 'GET',
    template: '/sales/v1/orders/{id}/lines',
    resource: 'orderLines',
    list: true,
    handle: (c) => {
      if (!c.data.orders.has(c.params.id!)) throw errors.notFound();
      return list(c.data.linesOf(c.params.id!), c, [eq('id')]);
    },
  },
  {
    method: 'GET',
    template: '/sales/v1/orders/{id}/lines/{lineId}',
    resource: 'orderLines',
    list: false,
    handle: (c) => found(orderLine(c)),
  },
  {
    method: 'GET',
    template: '/sales/v1/orders/{id}/lines/{lineId}/prices',
    resource: 'orderLines',
    list: true,
    handle: (c) => {
      const line = orderLine(c);
      if (!line) throw errors.notFound();
      return c.data.pricesOfLine(line.id).map(copy);
    },
  },
  {
    method: 'GET',
    template: '/sales/v1/releases',
    resource: 'releases',
    list: true,
    handle: (c) =>
      list(
        byIds(c, 'orderLineIds', c.data.releases.values(), (ids) => c.data.releasesOfLines(ids)),
        c,
        releaseFilters,
      ),
  },
  {
    method: 'GET',
    template: '/sales/v1/releases/{id}',
    resource: 'releases',
    list: false,
    handle: (c) => found(c.data.releases.get(c.params.id!)),
  },
  {
    method: 'GET',
    template: '/mdm/v1/customers',
    resource: 'customers',
    list: true,
    handle: (c) => list(c.data.customers.values(), c, customerFilters),
  },
  {
    method: 'GET',
    template: '/mdm/v1/customers/{id}',
    resource: 'customers',
    list: false,
    handle: (c) => found(c.data.customers.get(c.params.id!)),
  },
  {
    method: 'GET',
    template: '/mdm/v1/customers/{customerId}/addresses',
    resource: 'addresses',
    list: true,
    handle: (c) => {
      if (!c.data.customers.has(c.params.customerId!)) throw errors.notFound();
      return list(c.data.addressesOf(c.params.customerId!), c, addressFilters);
    },
  },
  {
    method: 'GET',
    template: '/mdm/v1/customers/{customerId}/addresses/{addressId}',
    resource: 'addresses',
    list: false,
    handle: (c) => found(ownedAddress(c)),
  },
  {
    method: 'GET',
    template: '/mdm/v1/parts',
    resource: 'parts',
    list: true,
    handle: (c) => list(c.data.parts.values(), c, partFilters),
  },
  {
    method: 'GET',
    template: '/mdm/v1/parts/{id}',
    resource: 'parts',
    list: false,
    handle: (c) => found(c.data.parts.get(c.params.id!)),
  },
  {
    method: 'GET',
    template: '/shipping/v1-beta1/inventory/parts/{partId}/shipping-details',
    resource: 'partShipping',
    list: false,
    handle: (c) => found(c.data.partShipping.get(c.params.partId!)),
  },
  {
    method: 'GET',
    template: '/shipping/v1/customer-shippers',
    resource: 'shippers',
    list: true,
    handle: (c) =>
      list(
        byIds(c, 'customerId', c.data.shippers.values(), (ids) => c.data.shippersOf(ids)),
        c,
        shipperFilters,
      ),
  },
  {
    method: 'GET',
    template: '/shipping/v1/customer-shippers/{id}',
    resource: 'shippers',
    list: false,
    handle: (c) => found(c.data.shippers.get(c.params.id!)),
  },
  {
    method: 'GET',
    template: '/shipping/v1/customer-shippers/{shipperId}/lines',
    resource: 'shipperLines',
    list: true,
    handle: (c) => {
      if (!c.data.shippers.has(c.params.shipperId!)) throw errors.notFound();
      return list(c.data.shipperLinesOf(c.params.shipperId!), c, [eq('id')]);
    },
  },
  {
    method: 'GET',
    template: '/shipping/v1/customer-shippers/{shipperId}/lines/{lineId}',
    resource: 'shipperLines',
    list: false,
    handle: (c) => found(shipperLine(c, c.params.shipperId!)),
  },
  {
    method: 'GET',
    template: '/shipping/v1/customer-shippers/{id}/lines/{lineId}/releases',
    resource: 'shipperLines',
    list: true,
    handle: (c) => [{ releaseId: found(shipperLine(c, c.params.id!)).releaseId }],
  },
  {
    method: 'PUT',
    template: '/shipping/v1-beta1/customer-shippers/{id}',
    resource: 'shipperWrites',
    list: false,
    handle: updateShipper,
  },
  {
    method: 'POST',
    template: '/shipping/v1-beta1/customer-shippers/{shipperId}/ship',
    resource: 'shipperWrites',
    list: false,
    handle: shipShipper,
  },
  ...INVENTORY_ROUTES,
];

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const COMPILED: CompiledRoute[] = ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
});

/** The route for a method and path, with its path parameters; undefined for an unknown route. */
export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const c of COMPILED) {
    if (c.route.method !== method) continue;
    const m = c.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    c.names.forEach((name, i) => (params[name] = safeDecode(m[i + 1]!)));
    return { route: c.route, params };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
