// Pure ShipStation mapping: ErpOrder (and its customs, for an order shipped abroad) -> V1 order
// body (with a stable orderKey and a content version), V1 shipment -> canonical shipment record,
// ShipStation order statuses, and V2 inventory levels. No I/O, no clock: every input comes in as an
// argument.

import { createHash } from 'node:crypto';
import type { CustomsDetail, ShipmentPurpose } from '../../domain/customs';
import type { Address, Money } from '../../domain/model';
import type { ErpOrder, ErpOrderLine } from '../../domain/order';
import { validateAddress, type ValidationProblem } from '../../domain/validate';
import { dayToPacific, shipStationDateToUtc, pacificToUtc, utcToPacific } from './time';
import type {
  SsAddress,
  SsContents,
  SsInternationalOptions,
  SsNonDelivery,
  SsOrderInput,
  SsOrderItem,
  SsOrderStatus,
  SsShipment,
  SsV2InventoryLevel,
  SsV2InventoryUpdate,
  SsWeight,
} from './wire';

// ------------------------------------------------------------------ order key and version

/** Longest readable orderKey; longer ERP keys are hashed (ShipStation documents no limit, so stay modest). */
const MAX_READABLE_KEY = 100;

/**
 * The ShipStation orderKey for an ERP order: createorder upserts by it, so the same ERP order always
 * lands on the same ShipStation order, across retries, restarts and workers. Readable when short
 * (`mlc:<connection>:<erp order key>`), else a hash of the same two parts.
 */
export function shipStationOrderKey(erpConnection: string, erpOrderKey: string): string {
  const readable = `mlc:${erpConnection}:${erpOrderKey}`;
  if (readable.length <= MAX_READABLE_KEY) return readable;
  const digest = createHash('sha256').update(`${erpConnection}\n${erpOrderKey}`).digest('hex');
  return `mlc:${erpConnection.slice(0, 40)}:sha256-${digest.slice(0, 40)}`;
}

/** JSON with object keys sorted, so equal content always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Content hash of what would be pushed. `orderDate` is left out (it is when the order was placed,
 * not something an edit changes), so re-mapping an unchanged order gives the same version and the
 * push is skipped; any change to items, quantities, prices, weights, address or references changes it.
 */
export function shipStationOrderVersion(body: SsOrderInput): string {
  const { orderDate: _placed, ...content } = body;
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16);
}

// ------------------------------------------------------------------ ErpOrder -> V1 order

export interface ShipStationOrderOptions {
  /** UTC instant the order counts as placed; the ERP's modifiedAt when absent. */
  orderDate?: string;
  /** advancedOptions.storeId (only settable when the order is created). */
  storeId?: number;
  /** advancedOptions.warehouseId (ship-from location). */
  warehouseId?: number;
  /** The order leaves the warehouse's country: sent as internationalOptions. */
  customs?: CustomsDetail;
  /** What the carrier does with a parcel it cannot deliver abroad (default DEFAULT_NON_DELIVERY). */
  nonDelivery?: SsNonDelivery;
}

/**
 * ShipStation's own default where a label is made without one (Shipments/CreateLabel); sent
 * explicitly, so the account's UI setting does not decide it for labels made from the order.
 */
export const DEFAULT_NON_DELIVERY: SsNonDelivery = 'return_to_sender';

/** ShipStation V1 customs values are US dollars (the CustomsItem model has no currency). */
export const CUSTOMS_CURRENCY = 'USD';

/** ShipStation's documented limit on orderNumber [CUO]. */
export const MAX_ORDER_NUMBER_LENGTH = 50;

/** What ShipStation would reject or what would push a wrong order; empty when the order can go. */
export function validateForShipStation(order: ErpOrder, customs?: CustomsDetail): ValidationProblem[] {
  const problems = validateAddress(order.shipTo, 'shipTo');
  const add = (field: string, code: string, message: string) => problems.push({ field, code, message });
  if (!order.orderNumber.trim()) add('orderNumber', 'required', 'the order number is required');
  if (order.orderNumber.length > MAX_ORDER_NUMBER_LENGTH)
    add('orderNumber', 'too_long', `ShipStation takes at most ${MAX_ORDER_NUMBER_LENGTH} characters`);
  if (order.lines.length === 0) add('lines', 'required', 'the order has no lines to ship');
  order.lines.forEach((line, i) => {
    if (!line.sku.trim()) add(`lines[${i}].sku`, 'required', 'every line needs a SKU');
    if (!Number.isInteger(line.quantity) || line.quantity <= 0)
      add(`lines[${i}].quantity`, 'invalid', `quantity must be a whole number above 0 (is ${line.quantity})`);
    if (line.unitWeight && !(line.unitWeight.value > 0))
      add(`lines[${i}].unitWeight.value`, 'invalid', 'a unit weight must be above 0');
  });
  const currency = customs?.totalCustomsValue.currency;
  if (currency !== undefined && currency !== CUSTOMS_CURRENCY)
    add(
      'customs.totalCustomsValue.currency',
      'unsupported',
      `ShipStation takes customs values in ${CUSTOMS_CURRENCY} and the order is priced in ${currency}: ` +
        `price the order in ${CUSTOMS_CURRENCY} in the ERP`,
    );
  return problems;
}

/** The shipment's contents as ShipStation names them, from the commercial invoice's purpose. */
const CONTENTS: Partial<Record<ShipmentPurpose, SsContents>> = { GIFT: 'gift', SAMPLE: 'sample' };

/**
 * The order's customs declaration: one customs item per commodity. `value` is the value of one
 * unit (decided in the README: the V1 docs say "of the line item", ShipEngine's "of each item").
 */
export function toInternationalOptions(
  customs: CustomsDetail,
  nonDelivery: SsNonDelivery = DEFAULT_NON_DELIVERY,
): SsInternationalOptions {
  return {
    contents: CONTENTS[customs.commercialInvoice.purpose] ?? 'merchandise',
    customsItems: customs.lines.map((l) => ({
      description: l.description,
      quantity: l.quantity,
      // As the ERP prices it: rounding a small part's unit price to the cent would skew the line.
      value: l.unitPrice.amount,
      harmonizedTariffCode: l.hsCode,
      countryOfOrigin: l.countryOfManufacture,
    })),
    nonDelivery,
  };
}

function toSsAddress(a: Address): SsAddress {
  return {
    name: a.name?.trim() || a.company?.trim() || '',
    ...(a.company ? { company: a.company } : {}),
    street1: a.lines[0] ?? '',
    ...(a.lines[1] ? { street2: a.lines[1] } : {}),
    ...(a.lines[2] ? { street3: a.lines[2] } : {}),
    city: a.city,
    ...(a.stateOrProvince ? { state: a.stateOrProvince } : {}),
    ...(a.postalCode ? { postalCode: a.postalCode } : {}),
    country: a.countryCode.toUpperCase(),
    ...(a.phone ? { phone: a.phone } : {}),
    ...(a.residential !== undefined ? { residential: a.residential } : {}),
  };
}

/** V1 weights are pounds, ounces or grams: kilograms go as grams (exact, no rounding to pounds). */
function toSsWeight(w: NonNullable<ErpOrderLine['unitWeight']>, quantity = 1): SsWeight {
  if (w.unit === 'KG') return { value: round(w.value * 1000 * quantity, 3), units: 'grams' };
  return { value: round(w.value * quantity, 4), units: 'pounds' };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function toSsItem(line: ErpOrderLine): SsOrderItem {
  return {
    lineItemKey: line.lineKey,
    sku: line.sku,
    name: line.description?.trim() || line.sku,
    quantity: line.quantity,
    ...(line.unitPrice ? { unitPrice: line.unitPrice.amount } : {}),
    ...(line.unitWeight ? { weight: toSsWeight(line.unitWeight) } : {}),
  };
}

/** The order's total weight when every line has one, in one unit (grams if any line is metric). */
function totalWeight(lines: ErpOrderLine[]): SsWeight | undefined {
  if (lines.length === 0 || lines.some((l) => !l.unitWeight)) return undefined;
  const metric = lines.some((l) => l.unitWeight!.unit === 'KG');
  let grams = 0;
  for (const l of lines) {
    const w = l.unitWeight!;
    grams += (w.unit === 'KG' ? w.value * 1000 : w.value * 453.59237) * l.quantity;
  }
  return metric
    ? { value: round(grams, 3), units: 'grams' }
    : { value: round(grams / 453.59237, 4), units: 'pounds' };
}

/**
 * The createorder body for an ERP order: full resource (V1 has no partial update), status
 * awaiting_shipment, dates in Pacific wall time, and the ERP references in the custom fields:
 * customField1 = ERP order number, customField2 = PO number, customField3 = `<connection>:<order key>`.
 * With `customs` (an order shipped abroad) it carries internationalOptions; without, none.
 */
export function toShipStationOrder(order: ErpOrder, opts: ShipStationOrderOptions = {}): SsOrderInput {
  const weight = totalWeight(order.lines);
  return {
    orderNumber: order.orderNumber,
    orderKey: shipStationOrderKey(order.connection, order.orderKey),
    orderDate: utcToPacific(opts.orderDate ?? order.modifiedAt),
    ...(order.requestedShipDate ? { shipByDate: dayToPacific(order.requestedShipDate) } : {}),
    orderStatus: 'awaiting_shipment',
    ...(order.customer.code ? { customerUsername: order.customer.code } : {}),
    ...(order.shipTo.email ? { customerEmail: order.shipTo.email } : {}),
    billTo: { name: order.customer.name },
    shipTo: toSsAddress(order.shipTo),
    items: order.lines.map(toSsItem),
    ...(order.shipVia ? { requestedShippingService: order.shipVia } : {}),
    ...(weight ? { weight } : {}),
    ...(opts.customs ? { internationalOptions: toInternationalOptions(opts.customs, opts.nonDelivery) } : {}),
    advancedOptions: {
      ...(opts.storeId !== undefined ? { storeId: opts.storeId } : {}),
      ...(opts.warehouseId !== undefined ? { warehouseId: opts.warehouseId } : {}),
      customField1: order.orderNumber,
      ...(order.poNumber ? { customField2: order.poNumber } : {}),
      customField3: `${order.connection}:${order.orderKey}`,
    },
  };
}

/** The ERP reference a ShipStation order carries in customField3 (written by toShipStationOrder). */
export function erpReferenceOf(
  customField3: string | null | undefined,
): { connection: string; orderKey: string } | undefined {
  const m = /^([a-z0-9][a-z0-9-]{0,62}):(.+)$/.exec(customField3 ?? '');
  return m ? { connection: m[1]!, orderKey: m[2]! } : undefined;
}

// ------------------------------------------------------------------ order status

/** What a ShipStation order status means for the connector. */
export type ShipStationOrderPhase = 'open' | 'shipped' | 'cancelled' | 'attention';

export interface ShipStationOrderState {
  phase: ShipStationOrderPhase;
  /** createorder may still change it (§A11: open statuses only). */
  updatable: boolean;
  /** It will not move again. */
  final: boolean;
}

const ORDER_STATES: Record<SsOrderStatus, ShipStationOrderState> = {
  awaiting_payment: { phase: 'open', updatable: true, final: false },
  awaiting_shipment: { phase: 'open', updatable: true, final: false },
  on_hold: { phase: 'open', updatable: true, final: false },
  pending_fulfillment: { phase: 'open', updatable: true, final: false },
  shipped: { phase: 'shipped', updatable: false, final: true },
  cancelled: { phase: 'cancelled', updatable: false, final: true },
  // A fulfilment provider refused it: someone has to look; not documented as updatable.
  rejected_fulfillment: { phase: 'attention', updatable: false, final: false },
};

/** Unknown statuses are treated as not updatable: pushing into an unknown state is never safe. */
export function shipStationOrderState(status: string | null | undefined): ShipStationOrderState {
  const key = (status ?? '').toLowerCase() as SsOrderStatus;
  return ORDER_STATES[key] ?? { phase: 'attention', updatable: false, final: false };
}

// ------------------------------------------------------------------ shipment -> canonical record

export interface ShipStationShipmentItem {
  sku: string;
  quantity: number;
  lineItemKey?: string;
}

/** One label ShipStation made, in UTC and canonical units: what goes back to the ERP. */
export interface ShipStationShipmentRecord {
  /** ShipStation's shipmentId as text: the dedup key for applying it to the ERP once. */
  shipmentId: string;
  orderId?: string;
  orderKey?: string;
  orderNumber?: string;
  trackingNumber: string;
  carrierCode: string;
  serviceCode?: string;
  /** YYYY-MM-DD (V1 sends a calendar day) or UTC ISO-8601 when it sent a time. */
  shipDate?: string;
  /** UTC ISO-8601 of the label's creation. */
  createdAt?: string;
  cost?: Money;
  voided: boolean;
  /** UTC ISO-8601. */
  voidedAt?: string;
  isReturnLabel: boolean;
  /** Shipped quantities per SKU; empty when the answer had no items (includeShipmentItems=false). */
  items: ShipStationShipmentItem[];
  /** False when the answer carried no item list at all, so quantities are unknown (not zero). */
  itemsKnown: boolean;
}

/**
 * A V1 shipment as a canonical record. Pacific timestamps become UTC; shipmentCost plus insurance
 * is the cost in the account's currency. Throws RangeError on a shipment without id.
 */
export function toShipmentRecord(s: SsShipment, opts: { currency?: string } = {}): ShipStationShipmentRecord {
  if (typeof s.shipmentId !== 'number' && typeof s.shipmentId !== 'string') {
    throw new RangeError('ShipStation shipment has no shipmentId');
  }
  const cost =
    typeof s.shipmentCost === 'number'
      ? { amount: round(s.shipmentCost + (s.insuranceCost ?? 0), 2), currency: opts.currency ?? 'USD' }
      : undefined;
  const items = (s.shipmentItems ?? [])
    .filter((i) => typeof i.sku === 'string' && i.sku !== '' && typeof i.quantity === 'number')
    .map((i) => ({
      sku: i.sku!,
      quantity: i.quantity,
      ...(i.lineItemKey ? { lineItemKey: i.lineItemKey } : {}),
    }));
  return {
    shipmentId: String(s.shipmentId),
    ...(s.orderId != null ? { orderId: String(s.orderId) } : {}),
    ...(s.orderKey ? { orderKey: s.orderKey } : {}),
    ...(s.orderNumber ? { orderNumber: s.orderNumber } : {}),
    trackingNumber: s.trackingNumber ?? '',
    carrierCode: s.carrierCode ?? '',
    ...(s.serviceCode ? { serviceCode: s.serviceCode } : {}),
    ...(s.shipDate ? { shipDate: shipStationDateToUtc(s.shipDate) } : {}),
    ...(s.createDate ? { createdAt: pacificToUtc(s.createDate) } : {}),
    ...(cost ? { cost } : {}),
    voided: s.voided === true,
    ...(s.voidDate ? { voidedAt: pacificToUtc(s.voidDate) } : {}),
    isReturnLabel: s.isReturnLabel === true,
    items,
    itemsKnown: Array.isArray(s.shipmentItems),
  };
}

/** Shipped quantity per SKU, summed over a record's items. */
export function shippedQuantities(record: ShipStationShipmentRecord): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of record.items) out.set(i.sku, (out.get(i.sku) ?? 0) + i.quantity);
  return out;
}

// ------------------------------------------------------------------ V2 inventory

export interface InventoryLevel {
  sku: string;
  onHand: number;
  allocated: number;
  available: number;
  warehouseId?: string;
  locationId?: string;
}

export function toInventoryLevel(l: SsV2InventoryLevel): InventoryLevel {
  const onHand = l.on_hand ?? 0;
  const allocated = l.allocated ?? 0;
  return {
    sku: l.sku,
    onHand,
    allocated,
    available: l.available ?? onHand - allocated,
    ...(l.inventory_warehouse_id ? { warehouseId: l.inventory_warehouse_id } : {}),
    ...(l.inventory_location_id ? { locationId: l.inventory_location_id } : {}),
  };
}

/** Set a SKU's on-hand quantity at a location (`adjust`: ShipStation adds or removes the difference). */
export function toOnHandAdjustment(
  sku: string,
  quantity: number,
  locationId: string,
  reason?: string,
): SsV2InventoryUpdate {
  if (!Number.isInteger(quantity) || quantity < 0) {
    throw new RangeError(`on-hand quantity for ${sku} must be a whole number >= 0 (is ${quantity})`);
  }
  return {
    transaction_type: 'adjust',
    sku,
    quantity,
    inventory_location_id: locationId,
    ...(reason ? { reason } : {}),
  };
}
