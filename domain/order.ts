// The ERP side of the canonical model: what every ERP connector reads (an order ready to ship)
// and what it writes back (tracking, status, cancellation). Pure types only: workflows import it.

import type { Address, Money, WeightUnit } from './model';
import type { CustomsFieldNames } from './customs';
import type { TrackingStatus } from './status';

/** One order an ERP poll found ready to ship. `version` changes whenever the order changes. */
export interface ReadyOrderRef {
  /** Stable key of the order in this ERP connection (the sales order's id, say). */
  orderKey: string;
  /** The number people use (sales order number). */
  orderNumber: string;
  /** UTC ISO-8601 of the ERP's last modification. */
  modifiedAt: string;
  /** Opaque: changes when anything that affects the shipment changes (quantities, address). */
  version: string;
}

export interface ErpOrderLine {
  lineKey: string;
  /** Part / item number (the SKU a warehouse system sees). */
  sku: string;
  description?: string;
  /** Quantity to ship now (the sum of the open release quantities, say). */
  quantity: number;
  /** Weight of one unit; missing weights are a data problem the validation reports. */
  unitWeight?: { value: number; unit: WeightUnit };
  unitPrice?: Money;
  /** Harmonized System code of the part, for customs (domain/customs.ts). */
  hsCode?: string;
  /** ISO 3166-1 alpha-2 country where the part was made, for customs. */
  countryOfOrigin?: string;
}

export interface ErpOrder {
  connection: string;
  orderKey: string;
  orderNumber: string;
  poNumber?: string;
  customer: { key: string; code?: string; name: string };
  shipTo: Address;
  /** The ERP's ship-via / carrier service code; the mapping turns it into a carrier service. */
  shipVia?: string;
  /** Division, building or site; mapped per connection. */
  division?: string;
  costCenter?: string;
  /** YYYY-MM-DD the ERP wants the goods to leave. */
  requestedShipDate?: string;
  lines: ErpOrderLine[];
  /** The ERP's invoice number for the order, where it has one (the commercial invoice's number). */
  invoiceNumber?: string;
  /**
   * What this ERP calls each customs value, so that a missing one names the field to fill
   * ("the part's shipping details, Harmonized Tariff Code"). Generic names otherwise.
   */
  customsFieldNames?: Partial<CustomsFieldNames>;
  modifiedAt: string;
  version: string;
  /**
   * The ERP's record of the ship-to address, opaque outside the connector, where the ERP edits
   * addresses in place without touching the order. The poll asks the connector which of
   * these changed (ErpPort.shipToChanges), since the order's own version cannot show it.
   */
  shipToRef?: string;
  /**
   * Keys the ERP connector needs to write back, e.g. the ERP's shipping document id. Opaque to the
   * workflow; passed back unchanged.
   */
  writeBackKeys: Record<string, string>;
}

/** Written into the ERP once the carrier has created the shipment. */
export interface TrackingWriteBack {
  carrier: string;
  /** The carrier connection's account, where the ERP keeps one per carrier. */
  carrierAccount?: string;
  trackingNumber: string;
  pieceTrackingNumbers: string[];
  serviceType: string;
  /** YYYY-MM-DD. */
  shipDate: string;
  cost?: Money;
  labelRef?: string;
}

/** A lifecycle change written into the ERP (delivery progress, parking, cancellation). */
export interface StatusWriteBack {
  status: TrackingStatus | 'needs_attention';
  /** UTC ISO-8601 of the event. */
  at: string;
  description: string;
  trackingNumber?: string;
}
