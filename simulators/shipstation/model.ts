import { parseV1Date, toV1Date, toV1DateTime } from './time';

export type Json = Record<string, unknown>;

/** Statuses an order may have (the Order model's list plus the two fulfilment-provider ones). */
export const ORDER_STATUSES = [
  'awaiting_payment',
  'awaiting_shipment',
  'pending_fulfillment',
  'shipped',
  'on_hold',
  'cancelled',
  'rejected_fulfillment',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
/** "cancelled and shipped are locked from modification through the API". */
export const LOCKED_STATUSES: readonly OrderStatus[] = ['shipped', 'cancelled'];

export interface Weight {
  value: number;
  units: 'pounds' | 'ounces' | 'grams';
}

export interface OrderItem {
  orderItemId: number;
  lineItemKey: string | null;
  sku: string | null;
  name: string;
  imageUrl: string | null;
  weight: Weight | null;
  quantity: number;
  unitPrice: number;
  taxAmount: number | null;
  shippingAmount: number | null;
  warehouseLocation: string | null;
  options: { name: string; value: string }[];
  productId: number | null;
  fulfillmentSku: string | null;
  adjustment: boolean;
  upc: string | null;
  createDate: number;
  modifyDate: number;
}

/** The order as the simulator keeps it: times are epoch ms, everything else as V1 spells it. */
export interface StoredOrder {
  orderId: number;
  orderNumber: string;
  orderKey: string;
  orderDate: number;
  createDate: number;
  modifyDate: number;
  paymentDate: number | null;
  shipByDate: number | null;
  shipDate: number | null;
  holdUntilDate: number | null;
  orderStatus: OrderStatus;
  customerId: number | null;
  customerUsername: string | null;
  customerEmail: string | null;
  billTo: Json;
  shipTo: Json;
  items: OrderItem[];
  amountPaid: number;
  taxAmount: number;
  shippingAmount: number;
  /** Client fields the simulator only stores and echoes (notes, carrier choice, options...). */
  extra: Json;
  advancedOptions: Json;
  tagIds: number[] | null;
  /** The import action that created the order (ORDER_NOTIFY's resource_url filters on it). */
  importBatch: string;
  /** Simulated time at which the warehouse ships it; set while awaiting_shipment. */
  shipDueAt: number | null;
}

/** One customs line (the CustomsItem model); the id is ShipStation's, read-only to clients. */
export interface CustomsItem {
  customsItemId: number | null;
  description: string;
  quantity: number;
  /** Declared value in USD (the docs: "of the line item"; stored as sent). */
  value: number;
  harmonizedTariffCode: string | null;
  countryOfOrigin: string;
}

/** The order's customs part (InternationalOptions), as stored and answered. */
export interface InternationalOptions {
  contents: string | null;
  customsItems: CustomsItem[];
  nonDelivery: string | null;
}

/** A request order after validation, before it becomes (or updates) a StoredOrder. */
export interface OrderInput {
  orderNumber: string;
  orderKey: string | undefined;
  orderDate: number;
  paymentDate: number | null;
  shipByDate: number | null;
  shipDate: number | null;
  holdUntilDate: number | null;
  orderStatus: OrderStatus;
  customerUsername: string | null;
  customerEmail: string | null;
  billTo: Json;
  shipTo: Json;
  items: Omit<OrderItem, 'orderItemId' | 'productId' | 'createDate' | 'modifyDate'>[];
  amountPaid: number;
  taxAmount: number;
  shippingAmount: number;
  extra: Json;
  advancedOptions: Json;
  tagIds: number[] | null;
}

const ADDRESS_FIELDS = [
  'name',
  'company',
  'street1',
  'street2',
  'street3',
  'city',
  'state',
  'postalCode',
  'country',
  'phone',
];
const EXTRA_FIELDS = {
  string: [
    'customerNotes',
    'internalNotes',
    'giftMessage',
    'paymentMethod',
    'requestedShippingService',
    'carrierCode',
    'serviceCode',
    'packageCode',
    'confirmation',
    'userId',
    'externallyFulfilledBy',
  ],
  boolean: ['gift', 'externallyFulfilled'],
  object: ['weight', 'dimensions', 'insuranceOptions', 'internationalOptions'],
};
const ADVANCED_FIELDS = {
  number: ['warehouseId', 'storeId', 'parentId'],
  boolean: ['nonMachinable', 'saturdayDelivery', 'containsAlcohol', 'mergedOrSplit'],
  string: [
    'customField1',
    'customField2',
    'customField3',
    'source',
    'billToParty',
    'billToAccount',
    'billToPostalCode',
    'billToCountryCode',
    'billToMyOtherAccount',
  ],
};
const CONFIRMATIONS = ['none', 'delivery', 'signature', 'adult_signature', 'direct_signature'];
/** InternationalOptions' documented values. */
const CONTENTS = ['merchandise', 'documents', 'gift', 'returned_goods', 'sample'];
const NON_DELIVERY = ['return_to_sender', 'treat_as_abandoned'];
const WEIGHT_UNITS = ['pounds', 'ounces', 'grams'];

/** Collects field problems, named the way ASP.NET's ModelState names them. */
class Problems {
  readonly list: string[] = [];
  add(message: string): void {
    this.list.push(message);
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(p: Problems, body: Json, key: string, at: string): string | null {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    p.add(`${at}${key} must be a string.`);
    return null;
  }
  return v;
}

function optNumber(p: Problems, body: Json, key: string, at: string): number | null {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    p.add(`${at}${key} must be a number.`);
    return null;
  }
  return v;
}

function optDate(p: Problems, body: Json, key: string, at = ''): number | null {
  const v = optString(p, body, key, at);
  if (v === null) return null;
  const ms = parseV1Date(v);
  if (ms === undefined) p.add(`${at}${key}: the value '${v}' is not a valid date.`);
  return ms ?? null;
}

function address(p: Problems, v: unknown, at: string): Json {
  if (!isObject(v)) {
    p.add(`${at} is required.`);
    return {};
  }
  const out: Json = {};
  for (const f of ADDRESS_FIELDS) out[f] = optString(p, v, f, `${at}.`);
  if (out.country !== null && !/^[A-Z]{2}$/.test(String(out.country)))
    p.add(`${at}.country must be a 2-letter ISO country code.`);
  const residential = v.residential;
  if (residential !== undefined && residential !== null && typeof residential !== 'boolean')
    p.add(`${at}.residential must be a boolean.`);
  out.residential = typeof residential === 'boolean' ? residential : null;
  return out;
}

function weight(p: Problems, v: unknown, at: string): Weight | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v) || typeof v.value !== 'number' || v.value < 0 || !WEIGHT_UNITS.includes(String(v.units))) {
    p.add(`${at} must be {value >= 0, units: pounds|ounces|grams}.`);
    return null;
  }
  return { value: v.value, units: v.units as Weight['units'] };
}

function items(p: Problems, v: unknown): OrderInput['items'] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    p.add('items must be an array.');
    return [];
  }
  return v.map((raw, i) => {
    const at = `items[${i}].`;
    const item = isObject(raw) ? raw : {};
    if (!isObject(raw)) p.add(`items[${i}] must be an object.`);
    const quantity = optNumber(p, item, 'quantity', at);
    if (quantity === null || !Number.isInteger(quantity) || quantity < 0)
      p.add(`${at}quantity must be a whole number >= 0.`);
    const options = Array.isArray(item.options)
      ? item.options
          .filter(isObject)
          .map((o) => ({ name: String(o.name ?? ''), value: String(o.value ?? '') }))
      : [];
    return {
      lineItemKey: optString(p, item, 'lineItemKey', at),
      sku: optString(p, item, 'sku', at),
      name: optString(p, item, 'name', at) ?? '',
      imageUrl: optString(p, item, 'imageUrl', at),
      weight: weight(p, item.weight, `${at}weight`),
      quantity: quantity ?? 0,
      unitPrice: optNumber(p, item, 'unitPrice', at) ?? 0,
      taxAmount: optNumber(p, item, 'taxAmount', at),
      shippingAmount: optNumber(p, item, 'shippingAmount', at),
      warehouseLocation: optString(p, item, 'warehouseLocation', at),
      options,
      fulfillmentSku: optString(p, item, 'fulfillmentSku', at),
      adjustment: item.adjustment === true,
      upc: optString(p, item, 'upc', at),
    };
  });
}

/**
 * internationalOptions as the InternationalOptions and CustomsItem models describe it: contents and
 * nonDelivery from their documented lists, and per customs item a description, a quantity and a
 * value (numbers >= 0), an optional HS code and a two-letter country of origin. The docs mark no
 * field required; the simulator asks for what a customs declaration cannot do without (a choice,
 * noted in the README). A customsItemId sent back keeps that line (orders.ts).
 */
function internationalOptions(p: Problems, v: unknown): InternationalOptions | null {
  if (v === undefined || v === null) return null;
  const at = 'internationalOptions.';
  if (!isObject(v)) {
    p.add('internationalOptions must be an object.');
    return null;
  }
  const contents = optString(p, v, 'contents', at);
  if (contents !== null && !CONTENTS.includes(contents))
    p.add(`${at}contents must be one of ${CONTENTS.join(', ')}.`);
  const nonDelivery = optString(p, v, 'nonDelivery', at);
  if (nonDelivery !== null && !NON_DELIVERY.includes(nonDelivery))
    p.add(`${at}nonDelivery must be one of ${NON_DELIVERY.join(', ')}.`);
  const raw = v.customsItems;
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) p.add(`${at}customsItems must be an array.`);
  const customsItems = (Array.isArray(raw) ? raw : []).map((r, i): CustomsItem => {
    const atItem = `${at}customsItems[${i}].`;
    const item = isObject(r) ? r : {};
    if (!isObject(r)) p.add(`${at}customsItems[${i}] must be an object.`);
    const description = optString(p, item, 'description', atItem);
    if (!description?.trim()) p.add(`${atItem}description is required.`);
    const quantity = optNumber(p, item, 'quantity', atItem);
    if (quantity === null || quantity < 0) p.add(`${atItem}quantity is required and must be >= 0.`);
    const value = optNumber(p, item, 'value', atItem);
    if (value === null || value < 0) p.add(`${atItem}value is required and must be >= 0.`);
    const country = optString(p, item, 'countryOfOrigin', atItem);
    if (country === null || !/^[A-Z]{2}$/.test(country))
      p.add(`${atItem}countryOfOrigin must be a 2-letter ISO country code.`);
    const id = item.customsItemId;
    return {
      customsItemId:
        typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : null,
      description: description ?? '',
      quantity: quantity ?? 0,
      value: value ?? 0,
      harmonizedTariffCode: optString(p, item, 'harmonizedTariffCode', atItem),
      countryOfOrigin: country ?? '',
    };
  });
  return { contents, customsItems, nonDelivery };
}

/**
 * Check one createorder body. Required on create: orderNumber (max 50), orderDate, orderStatus,
 * billTo, shipTo. Returns the input or the list of problems for a 400.
 */
export function parseOrderInput(body: unknown): { input: OrderInput } | { problems: string[] } {
  const p = new Problems();
  if (!isObject(body)) return { problems: ['The order must be a JSON object.'] };
  const orderNumber = optString(p, body, 'orderNumber', '');
  if (!orderNumber) p.add('orderNumber is required.');
  else if (orderNumber.length > 50) p.add('orderNumber must be at most 50 characters.');
  const orderKey = optString(p, body, 'orderKey', '');
  const orderDate = optDate(p, body, 'orderDate');
  if (body.orderDate === undefined || body.orderDate === null) p.add('orderDate is required.');
  const status = body.orderStatus;
  if (typeof status !== 'string' || !(ORDER_STATUSES as readonly string[]).includes(status)) {
    p.add(`orderStatus is required and must be one of ${ORDER_STATUSES.join(', ')}.`);
  }
  const extra: Json = {};
  for (const f of EXTRA_FIELDS.string) extra[f] = optString(p, body, f, '');
  for (const f of EXTRA_FIELDS.boolean)
    extra[f] = typeof body[f] === 'boolean' ? body[f] : f === 'gift' ? false : null;
  for (const f of EXTRA_FIELDS.object) extra[f] = isObject(body[f]) ? body[f] : null;
  if (extra.confirmation !== null && !CONFIRMATIONS.includes(String(extra.confirmation))) {
    p.add(`confirmation must be one of ${CONFIRMATIONS.join(', ')}.`);
  }
  if (extra.weight !== null) extra.weight = weight(p, extra.weight, 'weight');
  extra.internationalOptions = internationalOptions(p, body.internationalOptions);
  const advancedOptions: Json = {};
  const adv = isObject(body.advancedOptions) ? body.advancedOptions : {};
  for (const f of ADVANCED_FIELDS.number) advancedOptions[f] = optNumber(p, adv, f, 'advancedOptions.');
  for (const f of ADVANCED_FIELDS.boolean) advancedOptions[f] = typeof adv[f] === 'boolean' ? adv[f] : false;
  for (const f of ADVANCED_FIELDS.string) advancedOptions[f] = optString(p, adv, f, 'advancedOptions.');
  const tagIds = Array.isArray(body.tagIds)
    ? body.tagIds.filter((t): t is number => Number.isInteger(t))
    : null;
  const input: OrderInput = {
    orderNumber: orderNumber ?? '',
    orderKey: orderKey ?? undefined,
    orderDate: orderDate ?? 0,
    paymentDate: optDate(p, body, 'paymentDate'),
    shipByDate: optDate(p, body, 'shipByDate'),
    shipDate: optDate(p, body, 'shipDate'),
    holdUntilDate: optDate(p, body, 'holdUntilDate'),
    orderStatus: status as OrderStatus,
    customerUsername: optString(p, body, 'customerUsername', ''),
    customerEmail: optString(p, body, 'customerEmail', ''),
    billTo: address(p, body.billTo, 'billTo'),
    shipTo: address(p, body.shipTo, 'shipTo'),
    items: items(p, body.items),
    amountPaid: optNumber(p, body, 'amountPaid', '') ?? 0,
    taxAmount: optNumber(p, body, 'taxAmount', '') ?? 0,
    shippingAmount: optNumber(p, body, 'shippingAmount', '') ?? 0,
    extra,
    advancedOptions,
    tagIds,
  };
  return p.list.length > 0 ? { problems: p.list } : { input };
}

const dt = (ms: number | null) => (ms === null ? null : toV1DateTime(ms));
const day = (ms: number | null) => (ms === null ? null : toV1Date(ms));

/** A V1 address with the read-only addressVerified flag. */
export function renderAddress(a: Json): Json {
  return { ...a, addressVerified: 'Address not yet validated' };
}

export function renderItem(i: OrderItem): Json {
  return { ...i, createDate: dt(i.createDate), modifyDate: dt(i.modifyDate) };
}

/** orderTotal is read-only in V1: items plus tax and shipping, computed here. */
export function orderTotal(o: StoredOrder): number {
  const items = o.items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);
  return Math.round((items + o.taxAmount + o.shippingAmount) * 100) / 100;
}

/** The Order model in V1's field order, dates in Pacific time without an offset. */
export function renderOrder(o: StoredOrder): Json {
  const x = o.extra;
  return {
    orderId: o.orderId,
    orderNumber: o.orderNumber,
    orderKey: o.orderKey,
    orderDate: dt(o.orderDate),
    createDate: dt(o.createDate),
    modifyDate: dt(o.modifyDate),
    paymentDate: dt(o.paymentDate),
    shipByDate: dt(o.shipByDate),
    orderStatus: o.orderStatus,
    customerId: o.customerId,
    customerUsername: o.customerUsername,
    customerEmail: o.customerEmail,
    billTo: renderAddress(o.billTo),
    shipTo: renderAddress(o.shipTo),
    items: o.items.map(renderItem),
    orderTotal: orderTotal(o),
    amountPaid: o.amountPaid,
    taxAmount: o.taxAmount,
    shippingAmount: o.shippingAmount,
    customerNotes: x.customerNotes,
    internalNotes: x.internalNotes,
    gift: x.gift,
    giftMessage: x.giftMessage,
    paymentMethod: x.paymentMethod,
    requestedShippingService: x.requestedShippingService,
    carrierCode: x.carrierCode,
    serviceCode: x.serviceCode,
    packageCode: x.packageCode,
    confirmation: x.confirmation,
    shipDate: day(o.shipDate),
    holdUntilDate: day(o.holdUntilDate),
    weight: x.weight,
    dimensions: x.dimensions,
    insuranceOptions: x.insuranceOptions,
    internationalOptions: x.internationalOptions,
    advancedOptions: o.advancedOptions,
    tagIds: o.tagIds,
    userId: x.userId,
    externallyFulfilled: x.externallyFulfilled ?? false,
    externallyFulfilledBy: x.externallyFulfilledBy,
  };
}

/** Item weight in pounds (0 when unknown). */
export function pounds(w: Weight | null): number {
  if (!w) return 0;
  if (w.units === 'ounces') return w.value / 16;
  if (w.units === 'grams') return w.value / 453.59237;
  return w.value;
}
