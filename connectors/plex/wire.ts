// Plex Connect's JSON shapes, as far as the connector reads or writes them (field names from the
// community copy of the Plex Connect spec, shared/specs/plex). Every field is optional: Plex omits
// or nulls fields freely, and the mapping reports what it needs and does not get.

/** GET /sales/v1/orders[/{id}] */
export interface PlexOrder {
  id: string;
  customerId?: string | null;
  orderNumber?: string | null;
  poNumber?: string | null;
  status?: string | null;
  type?: string | null;
  orderDate?: string | null;
  billToAddressId?: string | null;
  shipToAddressId?: string | null;
  carrierId?: string | null;
  /** The ship-via / carrier code people pick on the order. */
  carrier?: string | null;
  buildingId?: string | null;
  note?: string | null;
  freightTerms?: string | null;
  createdDate?: string | null;
  modifiedDate?: string | null;
}

/** GET /sales/v1/orders/{id}/lines. Lines carry no quantity: releases do. */
export interface PlexOrderLine {
  id: string;
  orderId?: string | null;
  partId?: string | null;
  customerPartId?: string | null;
  lineNumber?: string | null;
  note?: string | null;
  containerType?: string | null;
  standardPackQuantity?: number | null;
  active?: boolean | null;
  modifiedDate?: string | null;
}

/** GET /sales/v1/releases */
export interface PlexRelease {
  id: string;
  releaseNumber?: string | null;
  orderLineId?: string | null;
  type?: string | null;
  shipToAddressId?: string | null;
  shipDate?: string | null;
  dueDate?: string | null;
  quantity?: number | null;
  quantityShipped?: number | null;
  status?: string | null;
  partNumber?: string | null;
  modifiedDate?: string | null;
}

/** GET /mdm/v1/customers/{id} */
export interface PlexCustomer {
  id: string;
  code?: string | null;
  name?: string | null;
  status?: string | null;
  phone?: string | null;
  email?: string | null;
}

/** GET /mdm/v1/customers/{customerId}/addresses/{addressId} */
export interface PlexCustomerAddress {
  id: string;
  code?: string | null;
  name?: string | null;
  /** Street lines in one field, separated by line breaks. */
  address?: string | null;
  city?: string | null;
  state?: string | null;
  zip?: string | null;
  country?: string | null;
  phone?: string | null;
  email?: string | null;
  shipTo?: boolean | null;
  active?: boolean | null;
}

/** GET /mdm/v1/parts (the master has no weight field). */
export interface PlexPartRecord {
  id: string;
  number?: string | null;
  name?: string | null;
  revision?: string | null;
  description?: string | null;
  status?: string | null;
}

/** GET /shipping/v1-beta1/inventory/parts/{partId}/shipping-details: where a part's weight lives. */
export interface PlexPartShippingDetails {
  partId?: string | null;
  partNumber?: string | null;
  partPieceWeight?: number | null;
  weightUnit?: string | null;
  /** The part's Harmonized System code (customs); the spec keeps it here, not on the part master. */
  harmonizedTariffCode?: string | null;
}

/** A part with the piece weight and HS code from its shipping details, when Plex has them. */
export interface PlexPart extends PlexPartRecord {
  pieceWeight?: { value: number; unit: string };
  hsCode?: string;
}

/**
 * GET /sales/v1/orders/{id}/lines/{lineId}/prices: a line's price records. The line itself carries
 * no price; a line may hold several records (quantity breaks, dates, ship-tos).
 */
export interface PlexOrderLinePrice {
  id: string;
  orderLineId?: string | null;
  effectiveDate?: string | null;
  expirationDate?: string | null;
  breakpointQuantity?: number | null;
  shipToAddressId?: string | null;
  price?: number | null;
  active?: boolean | null;
  unit?: string | null;
  currencyCode?: string | null;
  primaryPrice?: boolean | null;
}

/** GET /shipping/v1/customer-shippers[/{id}] */
export interface PlexCustomerShipper {
  id: string;
  shipperNumber?: string | null;
  customerId?: string | null;
  customerAddressId?: string | null;
  shipDate?: string | null;
  carrierId?: string | null;
  status?: string | null;
  trackingNumber?: string | null;
  shipperNote?: string | null;
  scheduledShipDate?: string | null;
  deliveryDateTime?: string | null;
  modifiedDate?: string | null;
}

/** GET /shipping/v1/customer-shippers/{shipperId}/lines */
export interface PlexCustomerShipperLine {
  id: string;
  shipperId?: string | null;
  partId?: string | null;
  quantity?: number | null;
  releaseId?: string | null;
}

/**
 * PUT /shipping/v1-beta1/customer-shippers/{id}: the fields the connector writes. The spec does not
 * say whether the PUT merges or replaces; the connector sends only these fields and re-reads.
 */
export interface PlexShipperUpdate {
  trackingNumber?: string;
  carrierId?: string;
  status?: string;
  scheduledShipDate?: string;
  deliveryDate?: string;
  shipperNote?: string;
  freightAmount?: number;
}

/** GET /mdm/v1/tenants */
export interface PlexTenant {
  id: string;
  code?: string | null;
}
