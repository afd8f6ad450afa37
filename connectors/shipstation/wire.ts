// ShipStation JSON shapes the connector reads and writes. V1 (ssapi.shipstation.com) is camelCase
// with Pacific-time strings; V2 (api.shipstation.com/v2) is snake_case with UTC strings. Only the
// fields the connector uses are typed; answers carry more.

export type SsOrderStatus =
  | 'awaiting_payment'
  | 'awaiting_shipment'
  | 'pending_fulfillment'
  | 'shipped'
  | 'on_hold'
  | 'cancelled'
  | 'rejected_fulfillment';

export type SsWeightUnits = 'pounds' | 'ounces' | 'grams';

export interface SsWeight {
  value: number;
  units: SsWeightUnits;
}

export interface SsAddress {
  name: string;
  company?: string | null;
  street1: string;
  street2?: string | null;
  street3?: string | null;
  city: string;
  state?: string | null;
  postalCode?: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string;
  phone?: string | null;
  residential?: boolean | null;
}

export interface SsOrderItem {
  lineItemKey?: string | null;
  sku: string;
  name: string;
  quantity: number;
  unitPrice?: number | null;
  weight?: SsWeight | null;
}

export interface SsAdvancedOptions {
  storeId?: number | null;
  warehouseId?: number | null;
  customField1?: string | null;
  customField2?: string | null;
  customField3?: string | null;
}

/** What an international shipment holds (InternationalOptions `contents`). */
export type SsContents = 'merchandise' | 'documents' | 'gift' | 'returned_goods' | 'sample';

/** What the carrier does with a parcel it cannot deliver abroad. */
export type SsNonDelivery = 'return_to_sender' | 'treat_as_abandoned';

/** One customs declaration line (the CustomsItem model). */
export interface SsCustomsItem {
  /** Read-only: ShipStation's id of the line; sent back, it updates that line. */
  customsItemId?: number | string | null;
  description: string;
  quantity: number;
  /** Declared value of one unit, in USD (see the README: the docs say "of the line item"). */
  value: number;
  harmonizedTariffCode?: string | null;
  /** ISO 3166-1 alpha-2 country the goods were made in. */
  countryOfOrigin: string;
}

/** The order's customs part (InternationalOptions). */
export interface SsInternationalOptions {
  contents?: SsContents | null;
  customsItems?: SsCustomsItem[] | null;
  nonDelivery?: SsNonDelivery | null;
}

/** The body of POST /orders/createorder (and one element of /orders/createorders). */
export interface SsOrderInput {
  orderNumber: string;
  orderKey: string;
  /** Pacific wall time, `yyyy-MM-dd HH:mm:ss`. */
  orderDate: string;
  shipByDate?: string;
  orderStatus: SsOrderStatus;
  customerUsername?: string;
  customerEmail?: string;
  billTo: Partial<SsAddress> & { name: string };
  shipTo: SsAddress;
  items: SsOrderItem[];
  requestedShippingService?: string;
  weight?: SsWeight;
  /** Only on an order that leaves the warehouse's country. */
  internationalOptions?: SsInternationalOptions;
  advancedOptions: SsAdvancedOptions;
}

/** An order as V1 answers with it. */
export interface SsOrder {
  orderId: number;
  orderNumber: string;
  orderKey: string;
  orderDate?: string | null;
  createDate?: string | null;
  modifyDate?: string | null;
  shipByDate?: string | null;
  orderStatus: SsOrderStatus | string;
  shipTo?: SsAddress | null;
  items?: Array<SsOrderItem & { orderItemId?: number }> | null;
  internationalOptions?: SsInternationalOptions | null;
  advancedOptions?: SsAdvancedOptions | null;
}

export interface SsShipmentItem {
  orderItemId?: number | null;
  lineItemKey?: string | null;
  sku?: string | null;
  name?: string | null;
  quantity: number;
}

export interface SsShipment {
  shipmentId: number;
  orderId?: number | null;
  orderKey?: string | null;
  orderNumber?: string | null;
  createDate?: string | null;
  /** Usually date-only ("2014-10-03"). */
  shipDate?: string | null;
  shipmentCost?: number | null;
  insuranceCost?: number | null;
  trackingNumber?: string | null;
  isReturnLabel?: boolean | null;
  carrierCode?: string | null;
  serviceCode?: string | null;
  voided?: boolean | null;
  voidDate?: string | null;
  shipmentItems?: SsShipmentItem[] | null;
}

/** V1 list envelope: `{ <collection>: [...], total, page, pages }`. */
export interface SsPage {
  total?: number;
  page?: number;
  pages?: number;
}

export interface SsCreateOrdersResult {
  orderId?: number | null;
  orderNumber?: string | null;
  orderKey?: string | null;
  success: boolean;
  errorMessage?: string | null;
}

export interface SsCreateOrdersResponse {
  hasErrors: boolean;
  results: SsCreateOrdersResult[];
}

export type SsWebhookEvent =
  | 'ORDER_NOTIFY'
  | 'ITEM_ORDER_NOTIFY'
  | 'SHIP_NOTIFY'
  | 'ITEM_SHIP_NOTIFY'
  | 'FULFILLMENT_SHIPPED'
  | 'FULFILLMENT_REJECTED';

export const SS_WEBHOOK_EVENTS: readonly SsWebhookEvent[] = [
  'ORDER_NOTIFY',
  'ITEM_ORDER_NOTIFY',
  'SHIP_NOTIFY',
  'ITEM_SHIP_NOTIFY',
  'FULFILLMENT_SHIPPED',
  'FULFILLMENT_REJECTED',
];

/** GET /webhooks lists PascalCase records. */
export interface SsWebhook {
  WebHookID: number;
  HookType: string;
  Url: string;
  Name?: string | null;
  StoreID?: number | null;
  Active?: boolean;
}

// ------------------------------------------------------------------ V2

export interface SsV2InventoryLevel {
  sku: string;
  on_hand?: number;
  allocated?: number;
  available?: number;
  average_cost?: { amount?: number; currency?: string };
  inventory_warehouse_id?: string;
  inventory_location_id?: string;
}

export interface SsV2Links {
  next?: { href?: string } | null;
}

export interface SsV2InventoryPage {
  inventory?: SsV2InventoryLevel[];
  total?: number;
  page?: number;
  pages?: number;
  links?: SsV2Links;
}

export type SsV2TransactionType = 'increment' | 'decrement' | 'adjust' | 'modify';

/** The body of POST /v2/inventory (answers 204). */
export interface SsV2InventoryUpdate {
  transaction_type: SsV2TransactionType;
  sku: string;
  quantity: number;
  inventory_location_id: string;
  reason?: string;
  notes?: string;
  /** UTC ISO-8601. */
  effective_at?: string;
}
