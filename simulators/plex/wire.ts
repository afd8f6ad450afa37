// Resource shapes as the Plex Connect spec (community copy of developers.plex.com) names them.
// Only the fields the simulator fills are listed; every one of them exists in the spec's schema of
// the same name (test/simulators/plex-schemas.test.ts checks that against the spec).

/** sales_orders_api_Get_Sales_Order_response */
export interface SalesOrder {
  id: string;
  customerId: string;
  orderNumber: string;
  poNumber: string;
  status: string;
  type: string;
  category: string;
  terms: string;
  fob: string;
  freightTerms: string;
  orderDate: string;
  billToAddressId: string;
  shipToAddressId: string;
  /** Supplier id of the carrier (FedEx) in this tenant. */
  carrierId: string;
  /** The ship-via code, e.g. FDX-GROUND. */
  carrier: string;
  note?: string;
  buildingId: string;
  createdDate: string;
  modifiedDate: string;
  multipleDocksPerShipper: boolean;
  multiplePOPerShipper: boolean;
}

/** sales_orders_api_List_Sales_Order_Lines_item (lines carry no quantity: releases do) */
export interface OrderLine {
  id: string;
  orderId: string;
  partId: string;
  lineNumber: string;
  containerType: string;
  standardPackQuantity: number;
  active: boolean;
  createdDate: string;
  modifiedDate: string;
}

/** sales_releases_api_Get_Release_response */
export interface Release {
  id: string;
  releaseNumber: string;
  orderLineId: string;
  type: string;
  shipToAddressId: string;
  shipDate: string;
  dueDate: string;
  quantity: number;
  status: string;
  quantityShipped: number;
  orderQuantity: number;
  partNumber: string;
  shipFrom: string;
  createdDate: string;
  modifiedDate: string;
}

/** customers_api_Get_Customer_response */
export interface Customer {
  id: string;
  code: string;
  name: string;
  status: string;
  type: string;
  phone: string;
  email: string;
  defaultCarrierIds: string[];
  createdDate: string;
  modifiedDate: string;
}

/** customers_api_Get_Customer_Address_response */
export interface CustomerAddress {
  id: string;
  code: string;
  name: string;
  /** Street lines joined with "\n". */
  address: string;
  city: string;
  state?: string;
  zip: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  phone: string;
  shipTo: boolean;
  billTo: boolean;
  active: boolean;
  createdDate: string;
  modifiedDate: string;
}

/** parts_api_Get_Part_response (the part master has no weight field) */
export interface Part {
  id: string;
  number: string;
  name: string;
  revision: string;
  description: string;
  type: string;
  status: string;
  source: string;
  buildingCode: string;
  createdDate: string;
  modifiedDate: string;
}

/** shipping_inventory_api_Get_Part_Shipping_Details_response: where the spec keeps a part's weight */
export interface PartShippingDetails {
  partId: string;
  partNumber: string;
  partRevision: string;
  partNumberRevision: string;
  containerType: string;
  partPieceWeight?: number;
  weightUnit?: string;
  cubeLength: number;
  cubeWidth: number;
  cubeHeight: number;
  /** The part's HS code; absent for a part nobody has classified (the `hs_code` defect). */
  harmonizedTariffCode?: string;
  hazardous: boolean;
}

/**
 * sales_orders_api_List_Sales_Order_Line_Prices_item: a line's price record. The order line has no
 * price field; its prices are records of their own, listed per line.
 */
export interface OrderLinePrice {
  id: string;
  orderLineId: string;
  effectiveDate: string;
  breakpointQuantity: number;
  price: number;
  active: boolean;
  unit: string;
  currencyCode: string;
  primaryPrice: boolean;
  createdDate: string;
  modifiedDate: string;
}

/** customer_shippers_api_Get_Customer_Shipper_response */
export interface Shipper {
  id: string;
  shipperNumber: string;
  customerId: string;
  customerAddressId: string;
  status: string;
  carrierId: string;
  freightTerms: string;
  scheduledShipDate: string;
  shipFromCode: string;
  shipDate?: string;
  shippedById?: string;
  trackingNumber?: string;
  trailerNumber?: string;
  note?: string;
  shipperNote?: string;
  bolNote?: string;
  truckId?: string;
  expediteNote?: string;
  expediteReason?: string;
  expediteDepartment?: string;
  expediteAdditionalCost?: number;
  truckArrivalTimeOfDay?: string;
  freightAmount?: number;
  customsExporter?: string;
  deliveryDateTime?: string;
  dropshipSupplierId?: string;
  shipperChargeAmount?: number;
  masterBolNo?: string;
  pallets?: number;
  premiumTransAuth?: string;
  truckConfirmation?: string;
  truckCalledDate?: string;
  grossWeightOverride?: number;
  mrn?: string;
  mrnDate?: string;
  mrnType?: string;
  routingAuthorizationNumber?: string;
  modifiedById?: string;
  createdDate: string;
  modifiedDate: string;
}

/** customer_shippers_api_Get_Customer_Shipper_Line_response */
export interface ShipperLine {
  id: string;
  shipperId: string;
  partId: string;
  quantity: number;
  releaseId: string;
  packingComplete: boolean;
}

/** tenant_directory_api_List_Tenants_item */
export interface TenantRecord {
  id: string;
  code: string;
}

/** The error body of the Get Started page and the spec's *_400_response schemas. */
export interface PlexErrorBody {
  code: string;
  message: string;
  errors?: { code: string; message: string }[];
}
