// The canonical model shared by every ERP and every carrier. An ERP mapping produces a
// ShipmentRequest; a carrier connector turns it into its own API call and answers with a
// ShipmentResult and TrackingUpdates. Pure types only: workflows import this module.

import type { CustomsDetail } from './customs';
import type { TrackingStatus } from './status';

/** ISO 3166-1 alpha-2 country code, upper case ("US", "NL"). */
export type CountryCode = string;

export interface Address {
  name?: string;
  company?: string;
  /** Street lines, first line first (at most 3). */
  lines: string[];
  city: string;
  /** State or province code where the country uses one (US "TX", CA "ON"). */
  stateOrProvince?: string;
  postalCode?: string;
  countryCode: CountryCode;
  phone?: string;
  email?: string;
  residential?: boolean;
}

export type WeightUnit = 'KG' | 'LB';
export type DimensionUnit = 'CM' | 'IN';

export interface Money {
  amount: number;
  /** ISO 4217 code ("USD"). */
  currency: string;
}

export interface Package {
  weight: { value: number; unit: WeightUnit };
  dimensions?: { length: number; width: number; height: number; unit: DimensionUnit };
  declaredValue?: Money;
  description?: string;
}

/** Carrier-neutral service levels; a carrier maps them to its own codes. */
export type ServiceLevel = 'ground' | 'economy' | 'two_day' | 'overnight' | 'priority_overnight';
export const SERVICE_LEVELS: readonly ServiceLevel[] = [
  'ground',
  'economy',
  'two_day',
  'overnight',
  'priority_overnight',
];

export type PaymentType = 'SENDER' | 'THIRD_PARTY' | 'RECIPIENT';

export interface Payment {
  type: PaymentType;
  /** The billed carrier account; required for THIRD_PARTY and RECIPIENT. */
  account?: string;
}

export type LabelFormat = 'PDF' | 'ZPL';
/** LABEL: the carrier returns the label bytes. URL_ONLY: the carrier returns a short-lived link. */
export type LabelDelivery = 'LABEL' | 'URL_ONLY';

export interface ShipmentReferences {
  orderNumber: string;
  poNumber?: string;
  invoiceNumber?: string;
  /** Department or cost centre. */
  department?: string;
}

export interface ShipmentRequest {
  /** Derived from the workflow id; the same order always carries the same key. */
  idempotencyKey: string;
  shipper: Address;
  recipient: Address;
  packages: Package[];
  /** Either a neutral level or the carrier's own service code (the code wins when both are set). */
  serviceLevel?: ServiceLevel;
  carrierServiceCode?: string;
  /** Carrier packaging code; the carrier's "your own packaging" when absent. */
  packagingType?: string;
  /** YYYY-MM-DD. */
  shipDate: string;
  references: ShipmentReferences;
  payment: Payment;
  label: { format: LabelFormat; delivery: LabelDelivery };
  /** Present when the goods cross a border: the commodities, their value and the commercial invoice. */
  customs?: CustomsDetail;
}

/**
 * Where the label lives: bytes stored by the connector and referenced by id (workflow payloads stay
 * small), or a carrier link that expires.
 */
export type ShipmentLabel =
  { format: LabelFormat; ref: string } | { format: LabelFormat; url: string; expiresAt: string };

export interface ShipmentResult {
  carrierShipmentId: string;
  masterTrackingNumber: string;
  pieceTrackingNumbers: string[];
  /**
   * Null when the shipment was created by an earlier attempt whose answer (with the label) was lost
   * and found again by reference: the carrier cannot reprint it, an operator does (see warnings).
   */
  label: ShipmentLabel | null;
  cost?: Money;
  serviceType: string;
  /** Carrier notes an operator should see (e.g. "label must be reprinted"). */
  warnings?: string[];
}

/** A carrier's label before the connector has stored it: base64 documents or a link. */
export type CarrierLabel =
  | { format: LabelFormat; documents: Array<{ trackingNumber?: string; base64: string }> }
  | { format: LabelFormat; url: string; expiresAt: string };

/**
 * A shipping document other than the label that the carrier generated with the shipment (the
 * commercial invoice of a shipment that crosses a border): base64 bytes, or a link while it lasts.
 */
export type CarrierDocument =
  | { kind: 'commercial_invoice'; format: 'PDF'; base64: string }
  | { kind: 'commercial_invoice'; format: 'PDF'; url: string; expiresAt: string };

/** What a carrier connector returns from "create shipment"; the activity stores the label. */
export interface CarrierShipment extends Omit<ShipmentResult, 'label' | 'warnings'> {
  label: CarrierLabel;
  /** The other documents the carrier generated (stored beside the label); absent when none. */
  documents?: CarrierDocument[];
  /** Carrier notes and warnings worth showing to an operator. */
  warnings: string[];
}

export interface TrackingUpdate {
  trackingNumber: string;
  status: TrackingStatus;
  /** The carrier's own status code, kept for operators and audits. */
  rawCode: string;
  description: string;
  location?: string;
  /** UTC ISO-8601. */
  eventTime: string;
  /** UTC ISO-8601. */
  estimatedDelivery?: string;
}

/** A tracking number the carrier could not answer for; kept apart from the updates. */
export interface TrackingError {
  trackingNumber: string;
  code: string;
  message: string;
}

export interface RateQuoteRequest {
  shipper: Address;
  recipient: Address;
  packages: Package[];
  shipDate?: string;
  serviceLevel?: ServiceLevel;
  carrierServiceCode?: string;
  packagingType?: string;
}

export interface RateQuote {
  serviceType: string;
  serviceName?: string;
  cost: Money;
  /** Which price this is (the carrier's rate type, e.g. ACCOUNT or LIST). */
  rateType: string;
  /** UTC ISO-8601 when the carrier commits to a delivery time. */
  commitTime?: string;
}

export type AddressClassification = 'business' | 'residential' | 'mixed' | 'unknown';

export interface AddressCheck {
  input: Address;
  /** True when the carrier matched the address to a deliverable one. */
  resolved: boolean;
  /** The carrier's standardised form of the address. */
  suggestion?: Address;
  classification: AddressClassification;
  messages: string[];
}
