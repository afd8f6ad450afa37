// Ship: the canonical shipment request -> FedEx's ship request, and FedEx's ship answer -> the
// carrier shipment (tracking numbers, label, cost, warnings). Pure: callers pass `now`.

import type {
  CarrierDocument,
  CarrierLabel,
  CarrierShipment,
  LabelDelivery,
  LabelFormat,
  Money,
  ShipmentRequest,
} from '../../../domain/model';
import { crossesBorder } from '../../../domain/customs';
import type { ValidationProblem } from '../../../domain/validate';
import type { FedexShipRequest, FedexShipResponse, FedexTransactionShipment } from '../wire';
import {
  alertText,
  digits,
  fedexCustomerReferences,
  fedexParty,
  fedexServiceType,
  lineItem,
  round,
  totalWeight,
} from './shared';
import { COMMERCIAL_INVOICE_DOCUMENT, toFedexCustomsClearanceDetail } from './customs';

/** FedEx: the label URL "will be active for 24 hours". */
export const LABEL_URL_TTL_MS = 24 * 60 * 60 * 1000;

export interface FedexShipOptions {
  accountNumber: string;
  pickupType?: 'CONTACT_FEDEX_TO_SCHEDULE' | 'DROPOFF_AT_FEDEX_LOCATION' | 'USE_SCHEDULED_PICKUP';
}

/** FedEx-specific problems the canonical validation does not know about. */
export function fedexRequestProblems(req: ShipmentRequest): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const shipperPhone = digits(req.shipper?.phone);
  if (shipperPhone.length < 10 || shipperPhone.length > 15) {
    problems.push({
      field: 'shipper.phone',
      code: 'phone_required',
      message: 'FedEx needs a shipper phone number of 10 to 15 digits',
    });
  }
  const importer = req.customs?.importerOfRecord;
  if (importer) {
    const phone = digits(importer.phone);
    if (phone.length < 10 || phone.length > 15) {
      problems.push({
        field: 'customs.importerOfRecord.phone',
        code: 'phone_required',
        message:
          'FedEx needs a phone number of 10 to 15 digits for the importer of record ' +
          '(set mappings[].customs.importerOfRecord.phone)',
      });
    }
  }
  if (req.shipper && req.recipient && crossesBorder(req.shipper, req.recipient) && !req.customs) {
    problems.push({
      field: 'customs',
      code: 'required',
      message:
        `FedEx needs customs detail for a shipment from ${req.shipper.countryCode} to ${req.recipient.countryCode}: ` +
        'the order has no customs lines (check the ERP part data and the mapping customs settings)',
    });
  }
  req.packages?.forEach((p, i) => {
    const d = p.dimensions;
    if (d && [d.length, d.width, d.height].some((v) => Math.ceil(v) > 999)) {
      problems.push({
        field: `packages[${i}].dimensions`,
        code: 'too_large',
        message: 'FedEx takes dimensions up to 999',
      });
    }
  });
  return problems;
}

export function toFedexShipRequest(req: ShipmentRequest, opts: FedexShipOptions): FedexShipRequest {
  const serviceType = fedexServiceType(req);
  const references = fedexCustomerReferences(req.references, serviceType);
  const payment: FedexShipRequest['requestedShipment']['shippingChargesPayment'] =
    req.payment.type === 'SENDER'
      ? { paymentType: 'SENDER' }
      : {
          paymentType: req.payment.type,
          payor: { responsibleParty: { accountNumber: { value: req.payment.account ?? '' } } },
        };
  return {
    labelResponseOptions: req.label.delivery,
    // One merged label document for all pieces when FedEx returns links.
    ...(req.label.delivery === 'URL_ONLY' ? { mergeLabelDocOption: 'LABELS_ONLY' as const } : {}),
    accountNumber: { value: opts.accountNumber },
    requestedShipment: {
      shipDatestamp: req.shipDate,
      pickupType: opts.pickupType ?? 'DROPOFF_AT_FEDEX_LOCATION',
      serviceType,
      packagingType: req.packagingType ?? 'YOUR_PACKAGING',
      totalWeight: totalWeight(req.packages).value,
      totalPackageCount: req.packages.length,
      shipper: fedexParty(req.shipper),
      // FedEx requires a recipient phone; ERPs often have none, and the shipper's is the usual stand-in.
      recipients: [fedexParty(req.recipient, req.shipper.phone)],
      shippingChargesPayment: payment,
      ...(req.customs
        ? {
            customsClearanceDetail: toFedexCustomsClearanceDetail(req.customs, {
              weightUnit: totalWeight(req.packages).units,
            }),
          }
        : {}),
      labelSpecification:
        req.label.format === 'ZPL'
          ? { imageType: 'ZPLII', labelStockType: 'STOCK_4X6' }
          : { imageType: 'PDF', labelStockType: 'PAPER_4X6' },
      // FedEx prints the commercial invoice with the label; it is stored beside it.
      ...(req.customs ? { shippingDocumentSpecification: COMMERCIAL_INVOICE_DOCUMENT } : {}),
      requestedPackageLineItems: req.packages.map((p, i) => ({
        sequenceNumber: i + 1,
        ...lineItem(p),
        customerReferences: references,
        ...(p.description ? { itemDescription: p.description } : {}),
      })),
    },
  };
}

/**
 * The freight cost FedEx will bill: `shipmentRating.actualRateType` names the entry of
 * `shipmentRateDetails` holding the actual rates; take its totalNetCharge and currency. When no
 * entry matches, the per-piece net charges are summed (currency from the rate details).
 */
export function freightCost(ts: FedexTransactionShipment): Money | undefined {
  const rating = ts.completedShipmentDetail?.shipmentRating;
  const details = rating?.shipmentRateDetails ?? [];
  const actual = details.find((d) => d.rateType === rating?.actualRateType);
  if (actual && typeof actual.totalNetCharge === 'number' && actual.currency) {
    return { amount: round(actual.totalNetCharge, 2), currency: actual.currency };
  }
  const pieces = (ts.pieceResponses ?? []).map((p) => p.netChargeAmount);
  const currency = details.find((d) => d.currency)?.currency;
  if (pieces.length > 0 && currency && pieces.every((c): c is number => typeof c === 'number')) {
    return {
      amount: round(
        pieces.reduce((a, b) => a + b, 0),
        2,
      ),
      currency,
    };
  }
  return undefined;
}

function parseLabel(
  ts: FedexTransactionShipment,
  format: LabelFormat,
  delivery: LabelDelivery,
  now: Date,
): CarrierLabel {
  const pieceDocs = (ts.pieceResponses ?? []).flatMap((p) =>
    (p.packageDocuments ?? []).map((d) => ({ ...d, trackingNumber: d.trackingNumber ?? p.trackingNumber })),
  );
  const merged = (ts.shipmentDocuments ?? []).filter(
    (d) => d.contentType === 'MERGED_LABEL_DOCUMENTS' || d.contentType === 'LABEL',
  );
  const withContent = [...pieceDocs, ...merged].filter((d) => d.encodedLabel);
  if (delivery === 'LABEL' && withContent.length > 0) {
    return {
      format,
      documents: withContent.map((d) => ({
        ...(d.trackingNumber ? { trackingNumber: d.trackingNumber } : {}),
        base64: d.encodedLabel ?? '',
      })),
    };
  }
  // Links: prefer the merged document (all pieces), else the first piece's.
  const url = [...merged, ...pieceDocs].find((d) => d.url)?.url;
  if (url) return { format, url, expiresAt: new Date(now.getTime() + LABEL_URL_TTL_MS).toISOString() };
  if (withContent.length > 0) {
    return { format, documents: withContent.map((d) => ({ base64: d.encodedLabel ?? '' })) };
  }
  throw new Error('FedEx ship response carries no label (neither encodedLabel nor url)');
}

/**
 * The commercial invoice FedEx printed with the shipment: the shipment document of content type
 * COMMERCIAL_INVOICE (shipment documents are where FedEx returns its generated documents; package
 * documents hold the labels), as base64 bytes or a link.
 */
function parseDocuments(ts: FedexTransactionShipment, now: Date): CarrierDocument[] {
  const all = ts.shipmentDocuments ?? [];
  const out: CarrierDocument[] = [];
  for (const d of all) {
    if (d.contentType !== 'COMMERCIAL_INVOICE') continue;
    if (d.encodedLabel) out.push({ kind: 'commercial_invoice', format: 'PDF', base64: d.encodedLabel });
    else if (d.url) {
      out.push({
        kind: 'commercial_invoice',
        format: 'PDF',
        url: d.url,
        expiresAt: new Date(now.getTime() + LABEL_URL_TTL_MS).toISOString(),
      });
    }
  }
  return out;
}

/**
 * FedEx ship response -> CarrierShipment. Throws when the answer has no tracking number or no label:
 * the shipment's fate is then uncertain and the caller must look it up by reference before retrying.
 */
export function parseShipResponse(
  body: FedexShipResponse,
  opts: { labelFormat: LabelFormat; labelDelivery: LabelDelivery; now: Date },
): CarrierShipment {
  const ts = body.output?.transactionShipments?.[0];
  if (!ts) throw new Error('FedEx ship response has no transactionShipments');
  const pieces = (ts.pieceResponses ?? []).map((p) => p.trackingNumber).filter((t): t is string => !!t);
  const fromDetail = (ts.completedShipmentDetail?.completedPackageDetails ?? [])
    .flatMap((p) => p.trackingIds ?? [])
    .map((t) => t.trackingNumber)
    .filter((t): t is string => !!t);
  const pieceTrackingNumbers = pieces.length > 0 ? pieces : fromDetail;
  const master =
    ts.masterTrackingNumber ??
    ts.completedShipmentDetail?.masterTrackingId?.trackingNumber ??
    pieceTrackingNumbers[0];
  if (typeof master !== 'string' || !master) throw new Error('FedEx ship response has no tracking number');
  const cost = freightCost(ts);
  const documents = parseDocuments(ts, opts.now);
  return {
    carrierShipmentId: master,
    masterTrackingNumber: master,
    pieceTrackingNumbers: pieceTrackingNumbers.length > 0 ? pieceTrackingNumbers : [master],
    label: parseLabel(ts, opts.labelFormat, opts.labelDelivery, opts.now),
    ...(documents.length > 0 ? { documents } : {}),
    ...(cost ? { cost } : {}),
    serviceType: ts.serviceType ?? '',
    warnings: [...alertText(body.output?.alerts), ...alertText(ts.alerts)],
  };
}
