import { v2Errors, v2Error } from './errors';
import type { Json } from './model';
import { route, type Route } from './router';
import type { InventoryLocation, InventoryWarehouse, SimStore, StockLine, V2Webhook } from './store';
import { toV2DateTime } from './time';
import { renderLabel, renderV2Shipment, seLabelId, seShipmentId, trackingInfo } from './v2render';

export const V2_WEBHOOK_EVENTS = [
  'batch',
  'carrier_connected',
  'order_source_refresh_complete',
  'rate',
  'report_complete',
  'sales_orders_imported',
  'track',
];
const TRANSACTION_TYPES = ['increment', 'decrement', 'adjust', 'modify'];
const CONDITIONS = ['sellable', 'damaged', 'expired', 'qa_hold'];

export interface V2Context {
  store: SimStore;
  now(): number;
  baseUrl(): string;
  /** Counts each accepted POST /v2/inventory. */
  onInventoryWrite(transactionType: string): void;
}

/** V2 query values: page (>= 1), page_size (default 25), ISO dates. */
class V2Query {
  constructor(private readonly params: URLSearchParams) {}

  str(name: string): string | undefined {
    const v = this.params.get(name);
    return v === null || v === '' ? undefined : v;
  }

  int(name: string, fallback: number, min = 1): number {
    const v = this.str(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min)
      throw v2Errors.invalidField(`${name} must be an integer >= ${min}.`);
    return Number(v);
  }

  date(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms))
      throw v2Errors.invalidField(`${name} must be an ISO 8601 date-time.`);
    return ms;
  }

  /** Inclusive `<prefix>_start` / `<prefix>_end`. */
  range(prefix: string): (ms: number) => boolean {
    const start = this.date(`${prefix}_start`);
    const end = this.date(`${prefix}_end`);
    return (ms) => (start === undefined || ms >= start) && (end === undefined || ms <= end);
  }

  enumOf(name: string, allowed: string[]): string | undefined {
    const v = this.str(name);
    if (v !== undefined && !allowed.includes(v))
      throw v2Errors.invalidField(`${name} must be one of ${allowed.join(', ')}.`);
    return v;
  }

  sortDir(): 1 | -1 {
    return this.enumOf('sort_dir', ['asc', 'desc']) === 'asc' ? 1 : -1;
  }
}

/** V2's paged envelope with `links` (prev/next are empty objects when there is no such page). */
function v2Page<T>(
  key: string,
  all: T[],
  page: number,
  size: number,
  baseUrl: string,
  path: string,
  query: URLSearchParams,
  sizeParam: string,
  render: (t: T) => unknown,
): Json {
  const pages = Math.max(1, Math.ceil(all.length / size));
  const href = (p: number) => {
    const q = new URLSearchParams(query);
    q.set('page', String(p));
    q.set(sizeParam, String(size));
    return { href: `${baseUrl}${path}?${q.toString()}` };
  };
  return {
    [key]: all.slice((page - 1) * size, page * size).map(render),
    total: all.length,
    page,
    pages,
    links: {
      first: href(1),
      last: href(pages),
      prev: page > 1 ? href(page - 1) : {},
      next: page < pages ? href(page + 1) : {},
    },
  };
}

function objectBody(body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw v2Error(400, 'validation', 'request_body_required', 'A JSON object body is required.');
  return body as Json;
}

function requiredString(b: Json, key: string): string {
  const v = b[key];
  if (v === undefined || v === null || v === '') throw v2Errors.required(key);
  if (typeof v !== 'string') throw v2Errors.invalidField(`${key} must be a string.`);
  return v;
}

const byNewest = (dir: 1 | -1) => (a: { at: number; id: number }, b: { at: number; id: number }) =>
  (a.at - b.at || a.id - b.id) * dir;

export function v2Routes(ctx: V2Context): Route[] {
  const { store } = ctx;

  const labelOf = (labelId: string | undefined) => {
    const s = [...store.shipments.values()].find((x) => seLabelId(x.shipmentId) === labelId);
    if (!s) throw v2Errors.notFound('Label');
    return s;
  };
  const shipmentOf = (find: (orderKey: string, id: string) => boolean) => {
    const o = [...store.orders.values()].find((x) => find(x.orderKey, seShipmentId(x.orderId)));
    if (!o) throw v2Errors.notFound('Shipment');
    return renderV2Shipment(o, store);
  };
  const warehouseView = (w: InventoryWarehouse) => ({
    inventory_warehouse_id: w.id,
    name: w.name,
    created_at: toV2DateTime(w.createdAt),
    updated_at: toV2DateTime(w.updatedAt),
  });
  const locationView = (l: InventoryLocation) => ({
    inventory_location_id: l.id,
    name: l.name,
    inventory_warehouse_id: l.warehouseId,
    created_at: toV2DateTime(l.createdAt),
    updated_at: toV2DateTime(l.updatedAt),
  });
  const webhookView = (w: V2Webhook) => ({
    webhook_id: w.webhookId,
    url: w.url,
    event: w.event,
    headers: w.headers,
  });
  const webhookOf = (id: string | undefined) => {
    const w = id === undefined ? undefined : store.v2Webhooks.get(id);
    if (!w) throw v2Errors.notFound('Webhook');
    return w;
  };
  const webhookFields = (b: Json) => {
    const url = requiredString(b, 'url');
    if (!/^https?:\/\/\S+$/.test(url)) throw v2Errors.invalidField('url must be an http(s) URL.');
    const headers = b.headers === undefined ? [] : b.headers;
    if (
      !Array.isArray(headers) ||
      headers.some(
        (h: unknown) => typeof (h as Json)?.key !== 'string' || typeof (h as Json)?.value !== 'string',
      )
    ) {
      throw v2Errors.invalidField('headers must be an array of {key, value} strings.');
    }
    return { url, headers: headers as V2Webhook['headers'] };
  };

  return [
    route('GET', '/v2/labels', ({ query }) => {
      const q = new V2Query(query);
      const status = q.enumOf('label_status', ['processing', 'completed', 'error', 'voided']);
      const f = {
        service: q.str('service_code'),
        carrier: q.str('carrier_id'),
        tracking: q.str('tracking_number'),
        batch: q.str('batch_id'),
        shipment: q.str('shipment_id'),
        warehouse: q.str('warehouse_id'),
        inCreated: q.range('created_at'),
      };
      q.enumOf('sort_by', ['modified_at', 'created_at']);
      const all = [...store.shipments.values()]
        .map((s) => ({ s, view: renderLabel(s, ctx.baseUrl()), at: s.createDate, id: s.shipmentId }))
        .filter(
          ({ s, view }) =>
            (status === undefined || view.status === status) &&
            (f.service === undefined || s.serviceCode === f.service) &&
            (f.carrier === undefined || view.carrier_id === f.carrier) &&
            (f.tracking === undefined || s.trackingNumber === f.tracking) &&
            (f.batch === undefined || view.batch_id === f.batch) &&
            (f.shipment === undefined || view.shipment_id === f.shipment) &&
            (f.warehouse === undefined || `se-${String(s.warehouseId)}` === f.warehouse) &&
            f.inCreated(s.createDate),
        )
        .sort(byNewest(q.sortDir()));
      return {
        status: 200,
        body: v2Page(
          'labels',
          all,
          q.int('page', 1),
          q.int('page_size', 25),
          ctx.baseUrl(),
          '/v2/labels',
          query,
          'page_size',
          (x) => x.view,
        ),
      };
    }),
    route('GET', '/v2/labels/{label_id}/track', ({ params }) => ({
      status: 200,
      body: trackingInfo(labelOf(params.label_id)),
    })),
    route('GET', '/v2/labels/{label_id}', ({ params }) => ({
      status: 200,
      body: renderLabel(labelOf(params.label_id), ctx.baseUrl()),
    })),

    route('GET', '/v2/shipments', ({ query }) => {
      const q = new V2Query(query);
      const status = q.enumOf('shipment_status', ['pending', 'processing', 'label_purchased', 'cancelled']);
      const sortBy = q.enumOf('sort_by', ['modified_at', 'created_at']);
      const f = {
        number: q.str('shipment_number'),
        external: q.str('external_shipment_id'),
        store: q.str('store_id'),
        inCreated: q.range('created_at'),
        inModified: q.range('modified_at'),
      };
      const all = [...store.orders.values()]
        .map((o) => ({
          o,
          view: renderV2Shipment(o, store),
          at: sortBy === 'modified_at' ? o.modifyDate : o.createDate,
          id: o.orderId,
        }))
        .filter(
          ({ o, view }) =>
            (status === undefined || view.shipment_status === status) &&
            (f.number === undefined || o.orderNumber === f.number) &&
            (f.external === undefined || view.external_shipment_id === f.external) &&
            (f.store === undefined || view.store_id === f.store) &&
            f.inCreated(o.createDate) &&
            f.inModified(o.modifyDate),
        )
        .sort(byNewest(q.sortDir()));
      return {
        status: 200,
        body: v2Page(
          'shipments',
          all,
          q.int('page', 1),
          q.int('page_size', 25),
          ctx.baseUrl(),
          '/v2/shipments',
          query,
          'page_size',
          (x) => x.view,
        ),
      };
    }),
    route('GET', '/v2/shipments/external_shipment_id/{external_shipment_id}', ({ params }) => ({
      status: 200,
      body: shipmentOf((key) => key.slice(0, 50) === params.external_shipment_id),
    })),
    route('GET', '/v2/shipments/{shipment_id}', ({ params }) => ({
      status: 200,
      body: shipmentOf((_key, id) => id === params.shipment_id),
    })),

    route('GET', '/v2/inventory', ({ query }) => {
      const q = new V2Query(query);
      const skus = q
        .str('sku')
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const warehouseId = q.str('inventory_warehouse_id');
      const locationId = q.str('inventory_location_id');
      const groupBy = q.enumOf('group_by', ['warehouse', 'location']);
      const rows = new Map<
        string,
        {
          sku: string;
          onHand: number;
          costTotal: number;
          costQty: number;
          currency: string | null;
          warehouse?: string;
          location?: string;
        }
      >();
      for (const [locId, lines] of store.stock) {
        const loc = store.inventoryLocations.get(locId);
        if (
          !loc ||
          (warehouseId !== undefined && loc.warehouseId !== warehouseId) ||
          (locationId !== undefined && locId !== locationId)
        )
          continue;
        for (const [sku, line] of lines) {
          if (skus !== undefined && !skus.includes(sku)) continue;
          const key =
            groupBy === 'location'
              ? `${sku}|${locId}`
              : groupBy === 'warehouse'
                ? `${sku}|${loc.warehouseId}`
                : sku;
          const row = rows.get(key) ?? {
            sku,
            onHand: 0,
            costTotal: 0,
            costQty: 0,
            currency: null,
            ...(groupBy ? { warehouse: loc.warehouseId } : {}),
            ...(groupBy === 'location' ? { location: locId } : {}),
          };
          row.onHand += line.onHand;
          if (line.cost) {
            row.costTotal += line.cost.amount * line.onHand;
            row.costQty += line.onHand;
            row.currency = line.cost.currency;
          }
          rows.set(key, row);
        }
      }
      const all = [...rows.values()].sort((a, b) => a.sku.localeCompare(b.sku));
      const render = (r: (typeof all)[number]) => ({
        sku: r.sku,
        on_hand: r.onHand,
        // Allocation to open orders is not simulated (see README).
        allocated: 0,
        available: r.onHand,
        ...(r.currency
          ? {
              average_cost: {
                amount: r.costQty > 0 ? Math.round((r.costTotal / r.costQty) * 100) / 100 : 0,
                currency: r.currency,
              },
            }
          : {}),
        ...(r.warehouse ? { inventory_warehouse_id: r.warehouse } : {}),
        ...(r.location ? { inventory_location_id: r.location } : {}),
      });
      return {
        status: 200,
        body: v2Page(
          'inventory',
          all,
          q.int('page', 1),
          q.int('limit', 100),
          ctx.baseUrl(),
          '/v2/inventory',
          query,
          'limit',
          render,
        ),
      };
    }),
    route('POST', '/v2/inventory', ({ body }) => {
      const b = objectBody(body);
      const type = requiredString(b, 'transaction_type');
      if (!TRANSACTION_TYPES.includes(type))
        throw v2Errors.invalidField(`transaction_type must be one of ${TRANSACTION_TYPES.join(', ')}.`);
      const sku = requiredString(b, 'sku');
      const locationId = requiredString(b, 'inventory_location_id');
      if (!store.inventoryLocations.has(locationId))
        throw v2Error(
          400,
          'validation',
          'invalid_identifier',
          `inventory_location_id ${locationId} was not found.`,
        );
      const quantity = b.quantity;
      if (quantity === undefined || quantity === null) throw v2Errors.required('quantity');
      if (!Number.isInteger(quantity) || (quantity as number) < (type === 'adjust' ? 0 : 1)) {
        throw v2Errors.invalidField(`quantity must be an integer >= ${type === 'adjust' ? 0 : 1}.`);
      }
      for (const key of ['condition', 'new_condition']) {
        if (b[key] !== undefined && !CONDITIONS.includes(String(b[key])))
          throw v2Errors.invalidField(`${key} must be one of ${CONDITIONS.join(', ')}.`);
      }
      const cost = money(b.cost, 'cost');
      const qty = quantity as number;
      const line = store.stockAt(locationId, sku);
      if (type === 'increment') line.onHand += qty;
      else if (type === 'adjust') line.onHand = qty;
      else {
        // decrement and modify are all or nothing.
        if (line.onHand < qty) {
          throw v2Error(
            400,
            'business_rules',
            'invalid_field_value',
            `Only ${line.onHand} of ${sku} on hand at ${locationId}; cannot ${type} ${qty}.`,
          );
        }
        if (type === 'decrement') line.onHand -= qty;
        else modify(store, b, line, sku, qty);
      }
      if (cost && type !== 'modify') line.cost = cost;
      ctx.onInventoryWrite(type);
      return { status: 204 };
    }),

    route('GET', '/v2/inventory_warehouses', ({ query }) => {
      const q = new V2Query(query);
      const all = [...store.inventoryWarehouses.values()];
      return {
        status: 200,
        body: v2Page(
          'inventory_warehouses',
          all,
          q.int('page', 1),
          q.int('limit', 100),
          ctx.baseUrl(),
          '/v2/inventory_warehouses',
          query,
          'limit',
          warehouseView,
        ),
      };
    }),
    route('POST', '/v2/inventory_warehouses', ({ body }) => {
      const name = requiredString(objectBody(body), 'name');
      const at = ctx.now();
      const w: InventoryWarehouse = { id: store.seId(), name, createdAt: at, updatedAt: at };
      store.inventoryWarehouses.set(w.id, w);
      return { status: 200, body: warehouseView(w) };
    }),
    route('GET', '/v2/inventory_warehouses/{inventory_warehouse_id}', ({ params }) => {
      const w = store.inventoryWarehouses.get(params.inventory_warehouse_id ?? '');
      if (!w) throw v2Errors.notFound('Inventory warehouse');
      return { status: 200, body: warehouseView(w) };
    }),
    route('GET', '/v2/inventory_locations', ({ query }) => {
      const q = new V2Query(query);
      const all = [...store.inventoryLocations.values()];
      return {
        status: 200,
        body: v2Page(
          'inventory_locations',
          all,
          q.int('page', 1),
          q.int('limit', 100),
          ctx.baseUrl(),
          '/v2/inventory_locations',
          query,
          'limit',
          locationView,
        ),
      };
    }),
    route('POST', '/v2/inventory_locations', ({ body }) => {
      const b = objectBody(body);
      const name = requiredString(b, 'name');
      const warehouseId = requiredString(b, 'inventory_warehouse_id');
      if (!store.inventoryWarehouses.has(warehouseId))
        throw v2Error(
          400,
          'validation',
          'invalid_identifier',
          `inventory_warehouse_id ${warehouseId} was not found.`,
        );
      const at = ctx.now();
      const l: InventoryLocation = { id: store.seId(), name, warehouseId, createdAt: at, updatedAt: at };
      store.inventoryLocations.set(l.id, l);
      return { status: 200, body: locationView(l) };
    }),
    route('GET', '/v2/inventory_locations/{inventory_location_id}', ({ params }) => {
      const l = store.inventoryLocations.get(params.inventory_location_id ?? '');
      if (!l) throw v2Errors.notFound('Inventory location');
      return { status: 200, body: locationView(l) };
    }),

    route('GET', '/v2/environment/webhooks', () => ({
      status: 200,
      body: [...store.v2Webhooks.values()].map(webhookView),
    })),
    route('POST', '/v2/environment/webhooks', ({ body }) => {
      const b = objectBody(body);
      const event = requiredString(b, 'event');
      if (!V2_WEBHOOK_EVENTS.includes(event))
        throw v2Errors.invalidField(`event must be one of ${V2_WEBHOOK_EVENTS.join(', ')}.`);
      const { url, headers } = webhookFields(b);
      if ([...store.v2Webhooks.values()].some((w) => w.event === event && w.url === url)) {
        throw v2Error(
          409,
          'validation',
          'webhook_event_type_conflict',
          `A webhook for ${event} to this url already exists.`,
        );
      }
      const hook: V2Webhook = { webhookId: store.seId(), url, event, headers };
      store.v2Webhooks.set(hook.webhookId, hook);
      return { status: 200, body: webhookView(hook) };
    }),
    route('GET', '/v2/environment/webhooks/{webhook_id}', ({ params }) => ({
      status: 200,
      body: webhookView(webhookOf(params.webhook_id)),
    })),
    route('PUT', '/v2/environment/webhooks/{webhook_id}', ({ params, body }) => {
      const hook = webhookOf(params.webhook_id);
      const b = objectBody(body);
      const fields = webhookFields({ url: b.url ?? hook.url, headers: b.headers ?? hook.headers });
      Object.assign(hook, fields);
      return { status: 204 };
    }),
    route('DELETE', '/v2/environment/webhooks/{webhook_id}', ({ params }) => {
      store.v2Webhooks.delete(webhookOf(params.webhook_id).webhookId);
      return { status: 204 };
    }),
  ];
}

function money(v: unknown, name: string): StockLine['cost'] {
  if (v === undefined || v === null) return null;
  const m = v as Json;
  if (
    typeof m !== 'object' ||
    typeof m.amount !== 'number' ||
    m.amount < 0 ||
    typeof m.currency !== 'string'
  ) {
    throw v2Errors.invalidField(`${name} must be {amount >= 0, currency}.`);
  }
  return { amount: m.amount, currency: m.currency };
}

/** `modify`: move `qty` to new_inventory_location_id and/or change their cost. */
function modify(store: SimStore, b: Json, line: StockLine, sku: string, qty: number): void {
  const target = b.new_inventory_location_id;
  const newCost = money(b.new_cost, 'new_cost');
  if (target !== undefined) {
    if (typeof target !== 'string' || !store.inventoryLocations.has(target)) {
      throw v2Error(400, 'validation', 'invalid_identifier', 'new_inventory_location_id was not found.');
    }
    line.onHand -= qty;
    const moved = store.stockAt(target, sku);
    moved.onHand += qty;
    if (newCost ?? line.cost) moved.cost = newCost ?? line.cost;
  } else if (newCost) {
    line.cost = newCost;
  }
}
