import { pounds, type Json, type StoredOrder, type Weight } from './model';
import type { SimStore, StoredShipment } from './store';
import { toV2DateTime } from './time';

/**
 * V2 views of the simulator's data. V2 has no orders: an order is a V2 shipment (`se-<orderId>`,
 * shipment_number = orderNumber, external_shipment_id = orderKey), and each V1 shipment is a V2 label
 * (`se-<shipmentId>`). Money is in `usd`; times are ISO 8601 UTC.
 */

const V2_UNITS: Record<Weight['units'], string> = { pounds: 'pound', ounces: 'ounce', grams: 'gram' };
const SHIPMENT_STATUS: Record<string, string> = {
  awaiting_payment: 'pending',
  awaiting_shipment: 'pending',
  on_hold: 'pending',
  pending_fulfillment: 'processing',
  shipped: 'label_purchased',
  cancelled: 'cancelled',
  rejected_fulfillment: 'cancelled',
};

const usd = (amount: number) => ({ currency: 'usd', amount: Math.round(amount * 100) / 100 });
const day = (ms: number) => `${toV2DateTime(ms).slice(0, 10)}T00:00:00Z`;

export const seShipmentId = (orderId: number) => `se-${orderId}`;
export const seLabelId = (shipmentId: number) => `se-${shipmentId}`;
export const seCarrierId = (carrierCode: string) => `se-${carrierCode.replace(/_/g, '-')}`;

export function v2Weight(w: Weight): Json {
  return { value: w.value, unit: V2_UNITS[w.units] };
}

/** A V1 address as V2's shipping_address (empty strings stay as V1 had them; missing optional lines are null). */
export function v2Address(a: Json): Json {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return {
    name: String(a.name ?? ''),
    phone: String(a.phone ?? ''),
    email: null,
    company_name: text(a.company),
    address_line1: String(a.street1 ?? ''),
    address_line2: text(a.street2),
    address_line3: text(a.street3),
    city_locality: String(a.city ?? ''),
    state_province: String(a.state ?? ''),
    postal_code: String(a.postalCode ?? ''),
    country_code: String(a.country ?? ''),
    address_residential_indicator:
      a.residential === true ? 'yes' : a.residential === false ? 'no' : 'unknown',
  };
}

function trackingUrl(carrierCode: string, tracking: string): string | null {
  if (carrierCode === 'fedex') return `https://www.fedex.com/fedextrack/?trknbr=${tracking}`;
  if (carrierCode === 'ups') return `https://www.ups.com/track?tracknum=${tracking}`;
  if (carrierCode === 'stamps_com' || carrierCode === 'usps')
    return `https://tools.usps.com/go/TrackConfirmAction?tLabels=${tracking}`;
  return null;
}

export function renderV2Shipment(o: StoredOrder, store: SimStore): Json {
  const origin = v2Address(
    (store.warehouses.find((w) => w.warehouseId === o.advancedOptions.warehouseId) ?? store.defaultWarehouse)
      .originAddress,
  );
  const lbs = o.items.reduce((sum, i) => sum + pounds(i.weight) * i.quantity, 0);
  const weight = (o.extra.weight as Weight | null) ?? {
    value: Math.round(lbs * 16 * 100) / 100,
    units: 'ounces',
  };
  const label = [...store.shipments.values()].find((s) => s.orderId === o.orderId && !s.voided);
  const adv = o.advancedOptions;
  return {
    shipment_id: seShipmentId(o.orderId),
    carrier_id: label ? seCarrierId(label.carrierCode) : null,
    service_code: label?.serviceCode ?? (o.extra.serviceCode as string | null) ?? null,
    requested_shipment_service: (o.extra.requestedShippingService as string | null) ?? null,
    external_order_id: null,
    ship_by_date: o.shipByDate === null ? null : toV2DateTime(o.shipByDate),
    store_id: `se-${String(adv.storeId)}`,
    items: o.items.map((i) => ({
      name: i.name,
      sales_order_id: null,
      sales_order_item_id: null,
      quantity: i.quantity,
      sku: i.sku,
      external_order_id: null,
      external_order_item_id: i.lineItemKey,
      ...(i.weight ? { weight: v2Weight(i.weight) } : {}),
      unit_price: i.unitPrice,
      tax_amount: i.taxAmount,
      shipping_amount: i.shippingAmount,
      inventory_location: i.warehouseLocation,
      options: i.options,
      product_id: i.productId === null ? null : String(i.productId),
      upc: i.upc,
    })),
    notes_from_buyer: (o.extra.customerNotes as string | null) ?? null,
    notes_for_gift: (o.extra.giftMessage as string | null) ?? null,
    is_gift: o.extra.gift === true,
    amount_paid: usd(o.amountPaid),
    shipping_paid: usd(o.shippingAmount),
    tax_paid: usd(o.taxAmount),
    external_shipment_id: o.orderKey.slice(0, 50),
    shipment_number: o.orderNumber,
    ship_date: o.shipDate === null ? null : day(o.shipDate),
    created_at: toV2DateTime(o.createDate),
    modified_at: toV2DateTime(o.modifyDate),
    shipment_status: SHIPMENT_STATUS[o.orderStatus] ?? 'pending',
    ship_to: v2Address(o.shipTo),
    ship_from: origin,
    warehouse_id: `se-${String(adv.warehouseId)}`,
    return_to: origin,
    is_return: false,
    confirmation: (o.extra.confirmation as string | null) ?? 'none',
    customs: null,
    advanced_options: {
      contains_alcohol: adv.containsAlcohol === true,
      non_machinable: adv.nonMachinable === true,
      saturday_delivery: adv.saturdayDelivery === true,
      custom_field1: adv.customField1 ?? null,
      custom_field2: adv.customField2 ?? null,
      custom_field3: adv.customField3 ?? null,
    },
    insurance_provider: 'none',
    tags: [],
    packages: [
      {
        package_code: label?.packageCode ?? (o.extra.packageCode as string | null) ?? 'package',
        weight: v2Weight(weight),
        ...(label ? { tracking_number: label.trackingNumber } : {}),
      },
    ],
    total_weight: v2Weight(weight),
  };
}

export function renderLabel(s: StoredShipment, baseUrl: string): Json {
  const labelId = seLabelId(s.shipmentId);
  const pdf = `${baseUrl}/v2/downloads/10/${labelId}/label-${s.shipmentId}.pdf`;
  return {
    label_id: labelId,
    status: s.voided ? 'voided' : 'completed',
    shipment_id: seShipmentId(s.orderId),
    external_shipment_id: s.orderKey.slice(0, 50),
    external_order_id: null,
    ship_date: day(s.shipDate),
    created_at: toV2DateTime(s.createDate),
    shipment_cost: usd(s.shipmentCost),
    insurance_cost: usd(s.insuranceCost),
    tracking_number: s.trackingNumber,
    is_return_label: false,
    rma_number: null,
    is_international: s.shipTo.country !== 'US',
    batch_id: `se-${s.batchId}`,
    carrier_id: seCarrierId(s.carrierCode),
    charge_event: 'carrier_default',
    service_code: s.serviceCode,
    package_code: s.packageCode,
    voided: s.voided,
    voided_at: s.voidDate === null ? null : toV2DateTime(s.voidDate),
    label_format: 'pdf',
    display_scheme: 'label',
    label_layout: '4x6',
    trackable: true,
    label_image_id: null,
    carrier_code: s.carrierCode,
    confirmation: s.confirmation,
    tracking_status: 'in_transit',
    label_download: { href: pdf, pdf },
    form_download: null,
    insurance_claim: null,
    packages: [
      {
        package_id: s.shipmentId,
        package_code: s.packageCode,
        weight: v2Weight(s.weight),
        tracking_number: s.trackingNumber,
        label_messages: { reference1: s.orderNumber, reference2: null, reference3: null },
        sequence: 1,
        has_label_documents: true,
        has_form_documents: false,
        has_qr_code_documents: false,
        has_paperless_label_documents: false,
      },
    ],
    alternative_identifiers: [],
    tracking_url: trackingUrl(s.carrierCode, s.trackingNumber),
    ship_to: v2Address(s.shipTo),
  };
}

/** The body of GET /v2/labels/{id}/track and of a TRACK_EVENT_V2 notification's `data`. */
export function trackingInfo(s: StoredShipment): Json {
  return {
    tracking_number: s.trackingNumber,
    tracking_url: trackingUrl(s.carrierCode, s.trackingNumber) ?? '',
    status_code: 'AC',
    status_description: 'Accepted',
    carrier_code: s.carrierCode,
    carrier_status_code: 'OC',
    carrier_status_description: 'Shipment information sent to carrier',
    ship_date: toV2DateTime(s.shipDate),
    estimated_delivery_date: toV2DateTime(s.shipDate + 3 * 86_400_000),
    actual_delivery_date: null,
    events: [],
  };
}
