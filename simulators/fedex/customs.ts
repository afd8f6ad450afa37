// Customs in the ship request: the field checks of customsClearanceDetail and
// shippingDocumentSpecification, the rule that a shipment between two countries needs customs
// clearance detail with described commodities, and the commercial invoice FedEx prints on request.

import { FedexError, type FedexErrorDetail } from './errors';
import { renderCommercialInvoice } from './labels';
import type { Party } from './shipments';
import { Checker, isObject, type Json } from './validate';

const SHIPMENT_PURPOSES = [
  'GIFT',
  'NOT_SOLD',
  'PERSONAL_EFFECTS',
  'REPAIR_AND_RETURN',
  'SAMPLE',
  'SOLD',
] as const;
/** FedEx's own examples give commodity weights in LB and KG (the spec's Weight_4 lists only KG). */
const WEIGHT_UNITS = ['KG', 'LB'] as const;
const DUTIES_PAYMENT_TYPES = ['SENDER', 'RECIPIENT', 'THIRD_PARTY', 'COLLECT'] as const;
const DOCUMENT_TYPES = [
  'CERTIFICATE_OF_ORIGIN',
  'COMMERCIAL_INVOICE',
  'CUSTOM_PACKAGE_DOCUMENT',
  'CUSTOM_SHIPMENT_DOCUMENT',
  'CUSTOMER_SPECIFIED_LABELS',
  'EXPORT_DECLARATION',
  'GENERAL_AGENCY_AGREEMENT',
  'LABEL',
  'USMCA_CERTIFICATION_OF_ORIGIN',
  'OP_900',
  'PENDING_SHIPMENT_EMAIL_NOTIFICATION',
  'PRO_FORMA_INVOICE',
  'RETURN_INSTRUCTIONS',
  'USMCA_COMMERCIAL_INVOICE_CERTIFICATION_OF_ORIGIN',
] as const;
/** A commodity description may be up to 450 characters; FedEx takes up to 999 commodities. */
const DESCRIPTION_MAX = 450;
const MAX_COMMODITIES = 999;

/**
 * The error codes for a shipment between two countries without what customs needs. FedEx does not
 * publish the Ship API's codes for these cases (UNCONFIRMED). Its Rate API answers a missing
 * customsClearanceDetail with RATE.CUSTOMCLEARANCEDETAIL.INVALID "Customs clearance detail cannot
 * be null." and a bad commodity with RATE.CUSTOMSVALUE.INVALID "Commodity 1 - customs value is
 * invalid." plus parameterList COMMODITY_INDEX (production answers seen by third parties); the
 * simulator follows that pattern with the Ship API's SHIPMENT prefix. The old SOAP API's text for
 * a missing list was "Commodities are required".
 */
export const CUSTOMS_ERRORS = {
  detailMissing: {
    code: 'SHIPMENT.CUSTOMCLEARANCEDETAIL.INVALID',
    message: 'Customs clearance detail cannot be null.',
  },
  commoditiesMissing: { code: 'SHIPMENT.COMMODITIES.INVALID', message: 'Commodities are required.' },
  descriptionMissing: (index: number): FedexErrorDetail => ({
    code: 'SHIPMENT.DESCRIPTION.INVALID',
    message: `Commodity ${index} - description is required.`,
    parameterList: [{ key: 'COMMODITY_INDEX', value: String(index) }],
  }),
} as const;

function money(c: Checker, parent: Json, key: string, path: string, required: boolean): void {
  const m = c.object(parent, key, path, required);
  if (!m) return;
  c.number(m, 'amount', `${path}.amount`, { min: 0 });
  c.string(m, 'currency', `${path}.currency`, { pattern: /^[A-Z]{3}$/ });
}

/**
 * Field checks of the customs parts, when present (their absence is the business rule's to answer).
 * A commodity's missing description is left to the rule too, so it gets FedEx's own kind of error.
 */
export function checkCustomsFields(c: Checker, shipment: Json): void {
  const base = 'requestedShipment.customsClearanceDetail';
  const ccd = c.object(shipment, 'customsClearanceDetail', base, false);
  if (ccd) {
    const invoice = c.object(ccd, 'commercialInvoice', `${base}.commercialInvoice`, false);
    if (invoice) {
      c.string(invoice, 'shipmentPurpose', `${base}.commercialInvoice.shipmentPurpose`, {
        required: false,
        enum: SHIPMENT_PURPOSES,
      });
      c.string(invoice, 'termsOfSale', `${base}.commercialInvoice.termsOfSale`, { required: false, max: 3 });
    }
    const duties = c.object(ccd, 'dutiesPayment', `${base}.dutiesPayment`, false);
    if (duties) {
      c.string(duties, 'paymentType', `${base}.dutiesPayment.paymentType`, { enum: DUTIES_PAYMENT_TYPES });
    }
    c.boolean(ccd, 'isDocumentOnly', `${base}.isDocumentOnly`, false);
    money(c, ccd, 'totalCustomsValue', `${base}.totalCustomsValue`, false);
    const commodities = c.array(ccd, 'commodities', `${base}.commodities`, {
      required: false,
      max: MAX_COMMODITIES,
    });
    (commodities ?? []).forEach((item, i) => {
      const path = `${base}.commodities[${i}]`;
      if (!isObject(item)) return c.fail(path, 'must be an object');
      if (typeof item.description === 'string' && item.description.length > DESCRIPTION_MAX)
        c.fail(`${path}.description`, `must be at most ${DESCRIPTION_MAX} characters`);
      c.string(item, 'countryOfManufacture', `${path}.countryOfManufacture`, {
        required: false,
        pattern: /^[A-Z]{2}$/,
      });
      c.string(item, 'harmonizedCode', `${path}.harmonizedCode`, { required: false, pattern: /^\d{4,14}$/ });
      const quantity = c.number(item, 'quantity', `${path}.quantity`, { required: false, min: 0 });
      if (quantity !== undefined && !Number.isInteger(quantity))
        c.fail(`${path}.quantity`, 'must be a whole number');
      money(c, item, 'unitPrice', `${path}.unitPrice`, false);
      money(c, item, 'customsValue', `${path}.customsValue`, false);
      const weight = c.object(item, 'weight', `${path}.weight`, false);
      if (weight) {
        c.string(weight, 'units', `${path}.weight.units`, { enum: WEIGHT_UNITS });
        c.number(weight, 'value', `${path}.weight.value`, { min: 0 });
      }
    });
  }
  const docBase = 'requestedShipment.shippingDocumentSpecification';
  const docs = c.object(shipment, 'shippingDocumentSpecification', docBase, false);
  if (docs) {
    const types = c.array(docs, 'shippingDocumentTypes', `${docBase}.shippingDocumentTypes`, { min: 1 });
    types?.forEach((t, i) => {
      if (!DOCUMENT_TYPES.includes(t as (typeof DOCUMENT_TYPES)[number]))
        c.fail(`${docBase}.shippingDocumentTypes[${i}]`, `must be one of ${DOCUMENT_TYPES.join(', ')}`);
    });
    const detail = c.object(docs, 'commercialInvoiceDetail', `${docBase}.commercialInvoiceDetail`, false);
    const format = detail
      ? c.object(detail, 'documentFormat', `${docBase}.commercialInvoiceDetail.documentFormat`, false)
      : undefined;
    if (format) {
      const at = `${docBase}.commercialInvoiceDetail.documentFormat`;
      c.string(format, 'docType', `${at}.docType`, { required: false, enum: ['PDF'] });
      c.string(format, 'stockType', `${at}.stockType`, { required: false, enum: ['PAPER_LETTER'] });
    }
  }
}

/**
 * FedEx's rule: a shipment whose shipper and recipient countries differ needs customs clearance
 * detail with at least one commodity, each with a description. A documents-only shipment
 * (`isDocumentOnly: true`) needs no commodities. Throws one 400 naming every problem.
 */
export function enforceCustomsRule(shipper: Party, recipient: Party, shipment: Json): void {
  if (shipper.address.countryCode === recipient.address.countryCode) return;
  const ccd = shipment.customsClearanceDetail;
  if (!isObject(ccd)) throw new FedexError(400, CUSTOMS_ERRORS.detailMissing);
  if (ccd.isDocumentOnly === true) return;
  const commodities = Array.isArray(ccd.commodities) ? ccd.commodities : [];
  if (commodities.length === 0) throw new FedexError(400, CUSTOMS_ERRORS.commoditiesMissing);
  const undescribed = commodities
    .map((item, i) => ({ item, index: i + 1 }))
    .filter(({ item }) => !isObject(item) || typeof item.description !== 'string' || !item.description.trim())
    .map(({ index }) => CUSTOMS_ERRORS.descriptionMissing(index));
  if (undescribed.length > 0) throw new FedexError(400, undescribed.slice(0, 10));
}

/** Whether the request asks FedEx to print a commercial invoice with the label. */
export function wantsCommercialInvoice(shipment: Json): boolean {
  const docs = shipment.shippingDocumentSpecification;
  return (
    isObject(docs) &&
    Array.isArray(docs.shippingDocumentTypes) &&
    docs.shippingDocumentTypes.includes('COMMERCIAL_INVOICE')
  );
}

function moneyText(value: unknown): string {
  if (!isObject(value) || typeof value.amount !== 'number') return '';
  return `${value.amount.toFixed(2)} ${typeof value.currency === 'string' ? value.currency : ''}`.trim();
}

function partyName(p: Party): string {
  return [p.contact.companyName ?? p.contact.personName, p.address.city, p.address.countryCode]
    .filter(Boolean)
    .join(', ');
}

/** The commercial invoice of a created shipment, from what the request declared. */
export function commercialInvoicePdf(
  shipment: Json,
  parties: { shipper: Party; recipient: Party },
  masterTrackingNumber: string,
): Buffer {
  const ccd = isObject(shipment.customsClearanceDetail) ? shipment.customsClearanceDetail : {};
  const invoice = isObject(ccd.commercialInvoice) ? ccd.commercialInvoice : {};
  const refs = Array.isArray(invoice.customerReferences) ? invoice.customerReferences : [];
  const number = refs.find(
    (r): r is Json =>
      isObject(r) && r.customerReferenceType === 'INVOICE_NUMBER' && typeof r.value === 'string',
  );
  const commodities = (Array.isArray(ccd.commodities) ? ccd.commodities : []).filter(isObject);
  return renderCommercialInvoice({
    invoiceNumber: typeof number?.value === 'string' ? number.value : masterTrackingNumber,
    trackingNumber: masterTrackingNumber,
    shipper: partyName(parties.shipper),
    recipient: partyName(parties.recipient),
    purpose: typeof invoice.shipmentPurpose === 'string' ? invoice.shipmentPurpose : '',
    termsOfSale: typeof invoice.termsOfSale === 'string' ? invoice.termsOfSale : '',
    lines: commodities.map((c) => ({
      description: typeof c.description === 'string' ? c.description : '',
      harmonizedCode: typeof c.harmonizedCode === 'string' ? c.harmonizedCode : '',
      quantity:
        `${typeof c.quantity === 'number' ? c.quantity : ''} ${typeof c.quantityUnits === 'string' ? c.quantityUnits : ''}`.trim(),
      value: moneyText(c.customsValue),
    })),
    total: moneyText(ccd.totalCustomsValue),
  });
}
