import { randomUUID } from 'node:crypto';
import { v1Errors } from './errors';
import {
  parseOrderInput,
  renderAddress,
  renderItem,
  renderOrder,
  LOCKED_STATUSES,
  type Json,
  type StoredOrder,
} from './model';
import type { OrderBook, UpsertResult } from './orders';
import { V1Query, sortBy, v1Page } from './query';
import { route, type Route } from './router';
import type { SimStore, StoredFulfillment, StoredProduct, StoredShipment, V1Webhook } from './store';
import { parseV1Date, toV1Date, toV1DateTime } from './time';

export const V1_WEBHOOK_EVENTS = [
  'ORDER_NOTIFY',
  'ITEM_ORDER_NOTIFY',
  'SHIP_NOTIFY',
  'ITEM_SHIP_NOTIFY',
  'FULFILLMENT_SHIPPED',
  'FULFILLMENT_REJECTED',
];
const MAX_BULK = 100;

export interface V1Context {
  store: SimStore;
  orders: OrderBook;
  now(): number;
  /** Orders written by one createorder / createorders call, for counters and ORDER_NOTIFY. */
  afterUpsert(results: UpsertResult[], importBatch: string): void;
}

const dt = (ms: number | null) => (ms === null ? null : toV1DateTime(ms));

export function renderShipment(s: StoredShipment, withItems: boolean): Json {
  return {
    shipmentId: s.shipmentId,
    orderId: s.orderId,
    orderKey: s.orderKey,
    userId: s.userId,
    customerEmail: s.customerEmail,
    orderNumber: s.orderNumber,
    createDate: dt(s.createDate),
    shipDate: toV1Date(s.shipDate),
    shipmentCost: s.shipmentCost,
    insuranceCost: s.insuranceCost,
    trackingNumber: s.trackingNumber,
    isReturnLabel: false,
    batchNumber: s.batchNumber,
    carrierCode: s.carrierCode,
    serviceCode: s.serviceCode,
    packageCode: s.packageCode,
    confirmation: s.confirmation,
    warehouseId: s.warehouseId,
    voided: s.voided,
    voidDate: dt(s.voidDate),
    marketplaceNotified: false,
    notifyErrorMessage: null,
    shipTo: renderAddress(s.shipTo),
    weight: s.weight,
    dimensions: null,
    insuranceOptions: { provider: null, insureShipment: false, insuredValue: 0 },
    advancedOptions: s.advancedOptions,
    shipmentItems: withItems ? s.items.map(renderItem) : null,
    labelData: null,
    formData: null,
  };
}

function renderFulfillment(f: StoredFulfillment): Json {
  return {
    fulfillmentId: f.fulfillmentId,
    orderId: f.orderId,
    orderNumber: f.orderNumber,
    userId: f.userId,
    customerEmail: f.customerEmail,
    trackingNumber: f.trackingNumber,
    createDate: dt(f.createDate),
    shipDate: dt(f.shipDate),
    voidDate: null,
    deliveryDate: null,
    carrierCode: f.carrierCode,
    fulfillmentProviderCode: null,
    fulfillmentServiceCode: null,
    fulfillmentFee: 0,
    voidRequested: false,
    voided: false,
    marketplaceNotified: f.notifySalesChannel,
    notifyErrorMessage: null,
    shipTo: renderAddress(f.shipTo),
  };
}

function renderProduct(p: StoredProduct): Json {
  const weightOz =
    p.weight === null
      ? null
      : p.weight.units === 'ounces'
        ? p.weight.value
        : p.weight.units === 'pounds'
          ? p.weight.value * 16
          : p.weight.value / 28.349523125;
  return {
    productId: p.productId,
    sku: p.sku,
    name: p.name,
    price: p.price,
    defaultCost: null,
    length: null,
    width: null,
    height: null,
    weightOz,
    internalNotes: null,
    fulfillmentSku: null,
    createDate: dt(p.createDate),
    modifyDate: dt(p.modifyDate),
    active: p.active,
    productCategory: null,
    productType: null,
    warehouseLocation: null,
    defaultCarrierCode: null,
    defaultServiceCode: null,
    defaultPackageCode: null,
    defaultIntlCarrierCode: null,
    defaultIntlServiceCode: null,
    defaultIntlPackageCode: null,
    defaultConfirmation: null,
    defaultIntlConfirmation: null,
    customsDescription: null,
    customsValue: null,
    customsTariffNo: null,
    customsCountryCode: null,
    noCustoms: null,
    tags: null,
  };
}

/** GET /webhooks answers in PascalCase, unlike the rest of V1. */
function renderWebhook(w: V1Webhook): Json {
  return {
    IsLabelAPIHook: false,
    WebHookID: w.id,
    SellerID: 0,
    StoreID: w.storeId,
    HookType: w.event,
    MessageFormat: 'Json',
    Url: w.targetUrl,
    Name: w.friendlyName,
    BulkCopyBatchID: null,
    BulkCopyRecordID: null,
    Active: true,
    WebhookLogs: [],
    Seller: null,
    Store: null,
  };
}

function idParam(value: string | undefined, what: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw v1Errors.notFound(what);
  return Number(value);
}

function objectBody(body: unknown, field: string): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw v1Errors.invalid(field, ['A JSON object is required.']);
  return body as Json;
}

export function v1Routes(ctx: V1Context): Route[] {
  const { store } = ctx;
  const getOrder = (id: string | undefined): StoredOrder => {
    const order = store.orders.get(idParam(id, 'order'));
    if (!order) throw v1Errors.notFound('order');
    return order;
  };

  return [
    route('GET', '/orders', ({ query }) => {
      const q = new V1Query(query);
      const { page, pageSize } = q.paging();
      return { status: 200, body: v1Page('orders', ctx.orders.list(q), page, pageSize, renderOrder) };
    }),
    route('POST', '/orders/createorder', ({ body }) => {
      const parsed = parseOrderInput(body);
      if ('problems' in parsed) throw v1Errors.invalid('apiOrder', parsed.problems);
      const importBatch = randomUUID();
      const result = ctx.orders.upsert(parsed.input, importBatch);
      ctx.afterUpsert([result], importBatch);
      if (result.kind === 'locked') throw v1Errors.invalid('apiOrder', [result.message]);
      return { status: 200, body: renderOrder(result.order) };
    }),
    route('POST', '/orders/createorders', ({ body }) => {
      if (!Array.isArray(body)) throw v1Errors.invalid('apiOrders', ['An array of orders is required.']);
      if (body.length > MAX_BULK)
        throw v1Errors.invalid('apiOrders', [
          `A maximum of ${MAX_BULK} orders can be created or updated at a time.`,
        ]);
      const importBatch = randomUUID();
      const written: UpsertResult[] = [];
      const results = body.map((raw) => {
        const parsed = parseOrderInput(raw);
        const sent = typeof raw === 'object' && raw !== null ? (raw as Json) : {};
        if ('problems' in parsed) {
          return {
            orderId: 0,
            orderNumber: sent.orderNumber ?? null,
            orderKey: sent.orderKey ?? null,
            success: false,
            errorMessage: parsed.problems.join(' '),
          };
        }
        const result = ctx.orders.upsert(parsed.input, importBatch);
        written.push(result);
        const { orderId, orderNumber, orderKey } = result.order;
        return result.kind === 'locked'
          ? { orderId, orderNumber, orderKey, success: false, errorMessage: result.message }
          : { orderId, orderNumber, orderKey, success: true, errorMessage: null };
      });
      ctx.afterUpsert(written, importBatch);
      return { status: 200, body: { hasErrors: results.some((r) => !r.success), results } };
    }),
    route('POST', '/orders/markasshipped', ({ body }) => {
      const b = objectBody(body, 'apiOrder');
      const order = getOrder(typeof b.orderId === 'number' ? String(b.orderId) : undefined);
      if (typeof b.carrierCode !== 'string' || b.carrierCode === '')
        throw v1Errors.invalid('apiOrder', ['carrierCode is required.']);
      if (LOCKED_STATUSES.includes(order.orderStatus)) {
        throw v1Errors.invalid('apiOrder', [
          `Order ${order.orderNumber} is in status '${order.orderStatus}' and cannot be marked as shipped.`,
        ]);
      }
      const now = ctx.now();
      const shipDate = typeof b.shipDate === 'string' ? (parseV1Date(b.shipDate) ?? now) : now;
      const fulfillment: StoredFulfillment = {
        fulfillmentId: 80000000 + store.next('fulfillment'),
        orderId: order.orderId,
        orderNumber: order.orderNumber,
        userId: (order.extra.userId as string | null) ?? null,
        customerEmail: order.customerEmail,
        trackingNumber: typeof b.trackingNumber === 'string' ? b.trackingNumber : null,
        createDate: now,
        shipDate,
        carrierCode: b.carrierCode,
        shipTo: { ...order.shipTo },
        notifyCustomer: b.notifyCustomer === true,
        notifySalesChannel: b.notifySalesChannel === true,
      };
      store.fulfillments.set(fulfillment.fulfillmentId, fulfillment);
      Object.assign(order, { orderStatus: 'shipped', shipDate, shipDueAt: null, modifyDate: now });
      return { status: 200, body: { orderId: order.orderId, orderNumber: order.orderNumber } };
    }),
    route('GET', '/orders/{orderId}', ({ params }) => ({
      status: 200,
      body: renderOrder(getOrder(params.orderId)),
    })),

    route('GET', '/shipments', ({ query }) => {
      const q = new V1Query(query);
      const { page, pageSize } = q.paging();
      const f = {
        recipient: q.str('recipientName')?.toLowerCase(),
        country: q.str('recipientCountryCode')?.toUpperCase(),
        orderNumber: q.str('orderNumber')?.toLowerCase(),
        orderId: q.int('orderId'),
        carrierCode: q.str('carrierCode'),
        serviceCode: q.str('serviceCode'),
        trackingNumber: q.str('trackingNumber'),
        storeId: q.int('storeId'),
        batchId: q.int('batchId'),
        inCreate: q.range('createDate'),
        inShip: q.range('shipDate'),
        inVoid: q.range('voidDate'),
        inModify: q.range('modifyDate'),
      };
      const withItems = q.bool('includeShipmentItems') ?? false;
      const sort = q.str('sortBy');
      if (sort !== undefined && sort !== 'ShipDate' && sort !== 'CreateDate')
        throw v1Errors.invalid('sortBy', ['sortBy must be ShipDate or CreateDate.']);
      const matches = [...store.shipments.values()].filter(
        (s) =>
          (f.recipient === undefined ||
            String(s.shipTo.name ?? '')
              .toLowerCase()
              .includes(f.recipient)) &&
          (f.country === undefined || s.shipTo.country === f.country) &&
          (f.orderNumber === undefined || s.orderNumber.toLowerCase().startsWith(f.orderNumber)) &&
          (f.orderId === undefined || s.orderId === f.orderId) &&
          (f.carrierCode === undefined || s.carrierCode === f.carrierCode) &&
          (f.serviceCode === undefined || s.serviceCode === f.serviceCode) &&
          (f.trackingNumber === undefined || s.trackingNumber === f.trackingNumber) &&
          (f.storeId === undefined || s.storeId === f.storeId) &&
          (f.batchId === undefined || s.batchId === f.batchId) &&
          f.inCreate(s.createDate) &&
          f.inShip(s.shipDate) &&
          f.inVoid(s.voidDate) &&
          // Simulator extension: a shipment's last change is its creation or its void.
          f.inModify(Math.max(s.createDate, s.voidDate ?? 0)),
      );
      const sorted = sortBy(
        matches,
        (s) => (sort === 'ShipDate' ? s.shipDate : s.createDate),
        (s) => s.shipmentId,
        q.sortDir(),
      );
      return {
        status: 200,
        body: v1Page('shipments', sorted, page, pageSize, (s) => renderShipment(s, withItems)),
      };
    }),

    route('GET', '/fulfillments', ({ query }) => {
      const q = new V1Query(query);
      const { page, pageSize } = q.paging();
      const id = q.int('fulfillmentId');
      const orderId = q.int('orderId');
      const orderNumber = q.str('orderNumber')?.toLowerCase();
      const tracking = q.str('trackingNumber');
      const recipient = q.str('recipientName')?.toLowerCase();
      const inCreate = q.range('createDate');
      const inShip = q.range('shipDate');
      const sort = q.str('sortBy');
      const matches = [...store.fulfillments.values()].filter(
        (f) =>
          (id === undefined || f.fulfillmentId === id) &&
          (orderId === undefined || f.orderId === orderId) &&
          (orderNumber === undefined || f.orderNumber.toLowerCase().startsWith(orderNumber)) &&
          (tracking === undefined || f.trackingNumber === tracking) &&
          (recipient === undefined ||
            String(f.shipTo.name ?? '')
              .toLowerCase()
              .includes(recipient)) &&
          inCreate(f.createDate) &&
          inShip(f.shipDate),
      );
      const sorted = sortBy(
        matches,
        (f) => (sort === 'ShipDate' ? f.shipDate : f.createDate),
        (f) => f.fulfillmentId,
        q.sortDir(),
      );
      return { status: 200, body: v1Page('fulfillments', sorted, page, pageSize, renderFulfillment) };
    }),

    route('GET', '/stores', ({ query }) => {
      const showInactive = new V1Query(query).bool('showInactive') ?? false;
      return {
        status: 200,
        body: store.stores.filter((s) => showInactive || s.active).map((s) => renderStore(s)),
      };
    }),
    route('GET', '/stores/{storeId}', ({ params }) => {
      const s = store.stores.find((x) => x.storeId === idParam(params.storeId, 'store'));
      if (!s) throw v1Errors.notFound('store');
      return { status: 200, body: renderStore(s) };
    }),

    route('GET', '/warehouses', () => ({ status: 200, body: store.warehouses.map(renderWarehouse) })),
    route('GET', '/warehouses/{warehouseId}', ({ params }) => {
      const w = store.warehouses.find((x) => x.warehouseId === idParam(params.warehouseId, 'warehouse'));
      if (!w) throw v1Errors.notFound('warehouse');
      return { status: 200, body: renderWarehouse(w) };
    }),

    route('GET', '/products', ({ query }) => {
      const q = new V1Query(query);
      const { page, pageSize } = q.paging();
      const sku = q.str('sku')?.toLowerCase();
      const name = q.str('name')?.toLowerCase();
      const showInactive = q.bool('showInactive') ?? false;
      const sort = q.str('sortBy');
      const start = q.date('startDate');
      const end = q.date('endDate');
      const inRange = (ms: number) =>
        (start === undefined || ms >= start) && (end === undefined || ms <= end);
      const matches = [...store.products.values()].filter(
        (p) =>
          (showInactive || p.active) &&
          (sku === undefined || p.sku.toLowerCase().includes(sku)) &&
          (name === undefined || p.name.toLowerCase().includes(name)) &&
          inRange(p.modifyDate),
      );
      const sorted =
        sort === 'SKU'
          ? [...matches].sort((a, b) => a.sku.localeCompare(b.sku) * q.sortDir())
          : sortBy(
              matches,
              (p) =>
                sort === 'ModifyDate' ? p.modifyDate : sort === 'CreateDate' ? p.createDate : p.productId,
              (p) => p.productId,
              q.sortDir(),
            );
      return { status: 200, body: v1Page('products', sorted, page, pageSize, renderProduct) };
    }),
    route('GET', '/products/{productId}', ({ params }) => {
      const id = idParam(params.productId, 'product');
      const p = [...store.products.values()].find((x) => x.productId === id);
      if (!p) throw v1Errors.notFound('product');
      return { status: 200, body: renderProduct(p) };
    }),

    route('GET', '/webhooks', () => ({
      status: 200,
      body: { webhooks: [...store.v1Webhooks.values()].map(renderWebhook) },
    })),
    route('POST', '/webhooks/subscribe', ({ body }) => {
      const b = objectBody(body, 'request');
      const problems: string[] = [];
      const target = typeof b.target_url === 'string' ? b.target_url : '';
      if (!/^https?:\/\/[^\s]+$/.test(target))
        problems.push('target_url is required and must be an http(s) URL.');
      if (typeof b.event !== 'string' || !V1_WEBHOOK_EVENTS.includes(b.event))
        problems.push(`event must be one of ${V1_WEBHOOK_EVENTS.join(', ')}.`);
      const storeId = b.store_id === undefined || b.store_id === null ? null : b.store_id;
      if (
        storeId !== null &&
        (typeof storeId !== 'number' || !store.stores.some((s) => s.storeId === storeId))
      )
        problems.push('store_id is not a store of this account.');
      if (b.friendly_name !== undefined && b.friendly_name !== null && typeof b.friendly_name !== 'string')
        problems.push('friendly_name must be a string.');
      if (problems.length > 0) throw v1Errors.invalid('request', problems);
      const hook: V1Webhook = {
        id: 900000 + store.next('webhook'),
        targetUrl: target,
        event: String(b.event),
        storeId: storeId as number | null,
        friendlyName: typeof b.friendly_name === 'string' ? b.friendly_name : null,
      };
      store.v1Webhooks.set(hook.id, hook);
      // The older docs' `{id}` (the newer OpenAPI lists WebHookID/HookType/Url/Name; see README).
      return { status: 201, body: { id: hook.id } };
    }),
    route('DELETE', '/webhooks/{webhookId}', ({ params }) => {
      const id = idParam(params.webhookId, 'webhook');
      if (!store.v1Webhooks.delete(id)) throw v1Errors.notFound('webhook');
      return { status: 200 };
    }),
  ];
}

function renderStore(s: SimStore['stores'][number]): Json {
  return {
    storeId: s.storeId,
    storeName: s.storeName,
    marketplaceId: s.marketplaceId,
    marketplaceName: s.marketplaceName,
    accountName: null,
    email: null,
    integrationUrl: null,
    active: s.active,
    companyName: '',
    phone: '',
    publicEmail: '',
    website: '',
    refreshDate: null,
    lastRefreshAttempt: null,
    createDate: dt(s.createDate),
    modifyDate: dt(s.createDate),
    autoRefresh: false,
    statusMappings: null,
  };
}

function renderWarehouse(w: SimStore['warehouses'][number]): Json {
  return {
    warehouseId: w.warehouseId,
    warehouseName: w.warehouseName,
    originAddress: renderAddress(w.originAddress),
    returnAddress: renderAddress(w.returnAddress),
    createDate: dt(w.createDate),
    isDefault: w.isDefault,
  };
}
