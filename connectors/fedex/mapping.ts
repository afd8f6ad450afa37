// Pure mapping between the canonical model and FedEx's REST JSON: ship, cancel, track (by number
// and by reference), rate and address validation. No I/O and no clock: callers pass `now`.

import type {
  Address,
  AddressCheck,
  AddressClassification,
  CarrierLabel,
  CarrierShipment,
  LabelDelivery,
  LabelFormat,
  Money,
  Package,
  RateQuote,
  RateQuoteRequest,
  ServiceLevel,
  ShipmentReferences,
  ShipmentRequest,
  TrackingError,
  TrackingUpdate,
} from '../../domain/model';
import type { TrackingStatus } from '../../domain/status';
import type { ValidationProblem } from '../../domain/validate';
import type {
  FedexAddress,
  FedexAddressValidationRequest,
  FedexAddressValidationResponse,
  FedexAlert,
  FedexCancelRequest,
  FedexCancelResponse,
  FedexCustomerReference,
  FedexGrantType,
  FedexPackageLineItem,
  FedexParty,
  FedexRateRequest,
  FedexRateResponse,
  FedexShipRequest,
  FedexShipResponse,
  FedexTokenForm,
  FedexTrackByReferenceRequest,
  FedexTrackRequest,
  FedexTrackResponse,
  FedexTrackResult,
  FedexTransactionShipment,
  FedexWeight,
} from './wire';

/** FedEx accepts at most 30 tracking numbers per Track request. */
export const TRACK_BATCH_SIZE = 30;
/** FedEx: the label URL "will be active for 24 hours". */
export const LABEL_URL_TTL_MS = 24 * 60 * 60 * 1000;
/** Address Validation takes up to 100 addresses per request. */
export const ADDRESS_BATCH_SIZE = 100;

// ---------------------------------------------------------------- oauth

/**
 * The token request's form: client_credentials for a plain project, csp_credentials when child
 * credentials are configured (integrators), unless the grant type is given.
 */
export function toFedexTokenForm(creds: {
  clientId: string;
  clientSecret: string;
  childKey?: string;
  childSecret?: string;
  grantType?: FedexGrantType;
}): FedexTokenForm {
  const child =
    creds.childKey && creds.childSecret
      ? { child_Key: creds.childKey, child_secret: creds.childSecret }
      : undefined;
  return {
    grant_type: creds.grantType ?? (child ? 'csp_credentials' : 'client_credentials'),
    client_id: creds.clientId,
    client_secret: creds.clientSecret,
    ...child,
  };
}

// ---------------------------------------------------------------- services and references

const DOMESTIC_SERVICES: Record<ServiceLevel, string> = {
  ground: 'FEDEX_GROUND',
  economy: 'FEDEX_EXPRESS_SAVER',
  two_day: 'FEDEX_2_DAY',
  overnight: 'STANDARD_OVERNIGHT',
  priority_overnight: 'PRIORITY_OVERNIGHT',
};

const INTERNATIONAL_SERVICES: Record<ServiceLevel, string> = {
  ground: 'FEDEX_INTERNATIONAL_GROUND',
  economy: 'INTERNATIONAL_ECONOMY',
  two_day: 'FEDEX_INTERNATIONAL_PRIORITY',
  overnight: 'FEDEX_INTERNATIONAL_PRIORITY',
  priority_overnight: 'INTERNATIONAL_FIRST',
};

/** The FedEx service code: the explicit carrier code, else the level mapped for the lane. */
export function fedexServiceType(req: {
  carrierServiceCode?: string;
  serviceLevel?: ServiceLevel;
  shipper: Pick<Address, 'countryCode'>;
  recipient: Pick<Address, 'countryCode' | 'residential'>;
}): string {
  if (req.carrierServiceCode) return req.carrierServiceCode;
  const level = req.serviceLevel ?? 'ground';
  if (req.shipper.countryCode !== req.recipient.countryCode) return INTERNATIONAL_SERVICES[level];
  if (level === 'ground' && req.recipient.residential && req.shipper.countryCode === 'US')
    return 'GROUND_HOME_DELIVERY';
  return DOMESTIC_SERVICES[level];
}

export function isGroundService(serviceType: string): boolean {
  return /GROUND|SMART_POST/.test(serviceType);
}

/**
 * FedEx's maximum reference lengths: CUSTOMER_REFERENCE 40 for Express, 30 for Ground; P_O_NUMBER,
 * INVOICE_NUMBER and DEPARTMENT_NUMBER 30.
 */
export function referenceMaxLength(
  type: FedexCustomerReference['customerReferenceType'],
  serviceType: string,
): number {
  if (type === 'CUSTOMER_REFERENCE') return isGroundService(serviceType) ? 30 : 40;
  return 30;
}

function clip(value: string, max: number): string {
  return value.trim().slice(0, max);
}

/**
 * The CUSTOMER_REFERENCE value the connector sends for an order: the ERP order number, cut to the
 * service's limit. Looking a shipment up by reference must use exactly this value.
 */
export function fedexOrderReference(orderNumber: string, serviceType: string): string {
  return clip(orderNumber, referenceMaxLength('CUSTOMER_REFERENCE', serviceType));
}

export function fedexCustomerReferences(
  refs: ShipmentReferences,
  serviceType: string,
): FedexCustomerReference[] {
  const out: FedexCustomerReference[] = [
    {
      customerReferenceType: 'CUSTOMER_REFERENCE',
      value: fedexOrderReference(refs.orderNumber, serviceType),
    },
  ];
  const optional: Array<[FedexCustomerReference['customerReferenceType'], string | undefined]> = [
    ['P_O_NUMBER', refs.poNumber],
    ['INVOICE_NUMBER', refs.invoiceNumber],
    ['DEPARTMENT_NUMBER', refs.department],
  ];
  for (const [type, value] of optional) {
    if (value && value.trim()) {
      out.push({ customerReferenceType: type, value: clip(value, referenceMaxLength(type, serviceType)) });
    }
  }
  return out;
}

// ---------------------------------------------------------------- parties and packages

/**
 * FedEx takes a two-letter state or province code; it requires one for the US, Canada and Puerto
 * Rico and not elsewhere. Longer subdivision codes (ISO 3166-2 "CMX" for Mexico City) are left out
 * rather than sent in a form FedEx refuses.
 */
export function fedexStateCode(a: Pick<Address, 'stateOrProvince' | 'countryCode'>): string | undefined {
  const code = a.stateOrProvince?.trim().toUpperCase();
  if (!code) return undefined;
  if (code.length <= 2 || ['US', 'CA', 'PR'].includes(a.countryCode)) return code;
  return undefined;
}

function fedexAddress(a: Address): FedexAddress {
  const state = fedexStateCode(a);
  return {
    streetLines: a.lines.filter((l) => l.trim()).map((l) => l.trim()),
    city: a.city,
    ...(state ? { stateOrProvinceCode: state } : {}),
    ...(a.postalCode ? { postalCode: a.postalCode.trim() } : {}),
    countryCode: a.countryCode,
    ...(a.residential !== undefined ? { residential: a.residential } : {}),
  };
}

/** Phone numbers go to FedEx as digits only. */
function digits(phone: string | undefined): string {
  return (phone ?? '').replace(/\D/g, '');
}

function fedexParty(a: Address, fallbackPhone?: string): FedexParty {
  return {
    address: fedexAddress(a),
    contact: {
      ...(a.name ? { personName: a.name } : {}),
      ...(a.company ? { companyName: a.company } : {}),
      phoneNumber: digits(a.phone) || digits(fallbackPhone),
      ...(a.email ? { emailAddress: a.email } : {}),
    },
  };
}

const LB_PER_KG = 2.20462262;

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function convertWeight(value: number, from: 'KG' | 'LB', to: 'KG' | 'LB'): number {
  if (from === to) return value;
  return from === 'KG' ? value * LB_PER_KG : value / LB_PER_KG;
}

/** The sum of the package weights, in the first package's unit. */
export function totalWeight(packages: Package[]): FedexWeight {
  const unit = packages[0]?.weight.unit ?? 'LB';
  const sum = packages.reduce((acc, p) => acc + convertWeight(p.weight.value, p.weight.unit, unit), 0);
  return { units: unit, value: round(sum, 2) };
}

function lineItem(p: Package): Pick<FedexPackageLineItem, 'weight' | 'dimensions' | 'declaredValue'> {
  return {
    weight: { units: p.weight.unit, value: round(p.weight.value, 2) },
    // FedEx takes whole numbers up to 999; rounding up never understates the size.
    ...(p.dimensions
      ? {
          dimensions: {
            length: Math.ceil(p.dimensions.length),
            width: Math.ceil(p.dimensions.width),
            height: Math.ceil(p.dimensions.height),
            units: p.dimensions.unit,
          },
        }
      : {}),
    ...(p.declaredValue
      ? { declaredValue: { amount: p.declaredValue.amount, currency: p.declaredValue.currency } }
      : {}),
  };
}

// ---------------------------------------------------------------- ship

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
      labelSpecification:
        req.label.format === 'ZPL'
          ? { imageType: 'ZPLII', labelStockType: 'STOCK_4X6' }
          : { imageType: 'PDF', labelStockType: 'PAPER_4X6' },
      requestedPackageLineItems: req.packages.map((p, i) => ({
        sequenceNumber: i + 1,
        ...lineItem(p),
        customerReferences: references,
        ...(p.description ? { itemDescription: p.description } : {}),
      })),
    },
  };
}

function alertText(alerts: unknown): string[] {
  if (typeof alerts === 'string') return [alerts];
  if (!Array.isArray(alerts)) return [];
  return (alerts as Array<FedexAlert | null>)
    .filter((a): a is FedexAlert => !!a && typeof a === 'object')
    .map((a) => [a.alertType, a.code, a.message].filter(Boolean).join(' '))
    .filter((s) => s.length > 0);
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
  return {
    carrierShipmentId: master,
    masterTrackingNumber: master,
    pieceTrackingNumbers: pieceTrackingNumbers.length > 0 ? pieceTrackingNumbers : [master],
    label: parseLabel(ts, opts.labelFormat, opts.labelDelivery, opts.now),
    ...(cost ? { cost } : {}),
    serviceType: ts.serviceType ?? '',
    warnings: [...alertText(body.output?.alerts), ...alertText(ts.alerts)],
  };
}

// ---------------------------------------------------------------- cancel

export function toFedexCancelRequest(
  trackingNumber: string,
  opts: { accountNumber: string; senderCountryCode?: string },
): FedexCancelRequest {
  return {
    accountNumber: { value: opts.accountNumber },
    trackingNumber,
    ...(opts.senderCountryCode ? { senderCountryCode: opts.senderCountryCode } : {}),
    deletionControl: 'DELETE_ALL_PACKAGES',
  };
}

export function parseCancelResponse(body: FedexCancelResponse): { cancelled: boolean; message: string } {
  return { cancelled: body.output?.cancelledShipment === true, message: body.output?.message ?? '' };
}

// ---------------------------------------------------------------- track

/**
 * FedEx status codes -> normalised status. Grouped as FedEx's reference guide groups them (ship,
 * in-transit, delivery, exception events); HL/HP (held for pickup) stay in transit because the
 * package has not reached the recipient.
 */
export const FEDEX_STATUS_TABLE: Readonly<Record<string, TrackingStatus>> = {
  OC: 'label_created',
  EP: 'label_created',
  DS: 'label_created',
  PU: 'picked_up',
  PX: 'picked_up',
  AP: 'picked_up',
  IT: 'in_transit',
  IX: 'in_transit',
  AR: 'in_transit',
  AF: 'in_transit',
  DP: 'in_transit',
  SF: 'in_transit',
  FD: 'in_transit',
  OF: 'in_transit',
  LO: 'in_transit',
  AA: 'in_transit',
  PL: 'in_transit',
  PF: 'in_transit',
  PM: 'in_transit',
  EA: 'in_transit',
  EO: 'in_transit',
  AC: 'in_transit',
  AX: 'in_transit',
  OX: 'in_transit',
  CC: 'in_transit',
  CP: 'in_transit',
  CH: 'in_transit',
  TR: 'in_transit',
  MD: 'in_transit',
  HL: 'in_transit',
  HP: 'in_transit',
  OD: 'out_for_delivery',
  ED: 'out_for_delivery',
  AD: 'out_for_delivery',
  DL: 'delivered',
  DE: 'exception',
  SE: 'exception',
  DD: 'exception',
  DY: 'exception',
  PD: 'exception',
  CD: 'exception',
  RS: 'returned',
  CA: 'cancelled',
};

export function normaliseFedexStatus(code: string | undefined): TrackingStatus | undefined {
  return code ? FEDEX_STATUS_TABLE[code.toUpperCase()] : undefined;
}

const OFFSET_RE = /(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * A FedEx timestamp as UTC ISO-8601. Values with an offset convert exactly. Values without one
 * (estimated delivery windows, commit times) are local to a place FedEx does not name; they are read
 * as UTC, so a date never shifts to another day. Undefined when unreadable.
 */
export function fedexTimeToUtc(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim();
  let ms: number;
  if (OFFSET_RE.test(v)) ms = Date.parse(v);
  else if (DATE_ONLY_RE.test(v)) ms = Date.parse(`${v}T00:00:00Z`);
  else if (LOCAL_DATETIME_RE.test(v)) ms = Date.parse(`${v}Z`);
  else return undefined;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function toFedexTrackRequests(trackingNumbers: string[]): FedexTrackRequest[] {
  const unique = [...new Set(trackingNumbers.map((t) => t.trim()).filter((t) => t))];
  const batches: FedexTrackRequest[] = [];
  for (let i = 0; i < unique.length; i += TRACK_BATCH_SIZE) {
    batches.push({
      // Detailed scans carry the event times; the latest status alone has none.
      includeDetailedScans: true,
      trackingInfo: unique
        .slice(i, i + TRACK_BATCH_SIZE)
        .map((trackingNumber) => ({ trackingNumberInfo: { trackingNumber } })),
    });
  }
  return batches;
}

/**
 * Text from FedEx as it may be stored and shown: control characters (a NUL cannot even be stored
 * in PostgreSQL) become spaces. Anything but a string is undefined.
 */
export function plainText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function formatLocation(
  loc: { city?: string; stateOrProvinceCode?: string; countryCode?: string } | undefined,
) {
  if (!loc) return undefined;
  const text = [loc.city, loc.stateOrProvinceCode, loc.countryCode].filter((s) => s && s.trim()).join(', ');
  return plainText(text) || undefined;
}

function dateOf(tr: FedexTrackResult, type: string): string | undefined {
  return fedexTimeToUtc(tr.dateAndTimes?.find((d) => d.type === type)?.dateTime);
}

function trackUpdate(tr: FedexTrackResult, trackingNumber: string, now: Date): TrackingUpdate {
  const latest = tr.latestStatusDetail ?? {};
  const scans = (tr.scanEvents ?? [])
    .map((s) => ({ ...s, utc: fedexTimeToUtc(s.date) }))
    .filter((s): s is typeof s & { utc: string } => !!s.utc)
    .sort((a, b) => b.utc.localeCompare(a.utc));
  const newest = scans[0];
  const rawCode = latest.code ?? latest.derivedCode ?? newest?.derivedStatusCode ?? newest?.eventType ?? '';
  const status =
    normaliseFedexStatus(latest.code) ??
    normaliseFedexStatus(latest.derivedCode) ??
    normaliseFedexStatus(newest?.derivedStatusCode) ??
    'in_transit';
  const eventTime =
    (status === 'delivered' ? dateOf(tr, 'ACTUAL_DELIVERY') : undefined) ??
    newest?.utc ??
    dateOf(tr, 'ACTUAL_PICKUP') ??
    dateOf(tr, 'SHIP') ??
    now.toISOString();
  const estimatedDelivery =
    dateOf(tr, 'ESTIMATED_DELIVERY') ??
    fedexTimeToUtc(tr.estimatedDeliveryTimeWindow?.window?.ends) ??
    fedexTimeToUtc(tr.estimatedDeliveryTimeWindow?.window?.begins);
  const location = formatLocation(latest.scanLocation) ?? formatLocation(newest?.scanLocation);
  return {
    trackingNumber,
    status,
    rawCode,
    description:
      [latest.description, latest.statusByLocale, newest?.eventDescription].map(plainText).find((d) => d) ??
      rawCode,
    ...(location ? { location } : {}),
    eventTime,
    ...(estimatedDelivery && status !== 'delivered' ? { estimatedDelivery } : {}),
  };
}

/**
 * Track response -> one update per tracking number, with per-number errors (e.g.
 * TRACKING.TRACKINGNUMBER.NOTFOUND, which FedEx reports on HTTP 200) kept apart. For a duplicated
 * number (several track results) the first one without an error wins.
 */
export function parseTrackResponse(
  body: FedexTrackResponse,
  opts: { now: Date },
): { updates: TrackingUpdate[]; errors: TrackingError[] } {
  const updates: TrackingUpdate[] = [];
  const errors: TrackingError[] = [];
  for (const complete of body.output?.completeTrackResults ?? []) {
    const results = complete.trackResults ?? [];
    const ok = results.find((r) => !r.error?.code);
    const trackingNumber = ok?.trackingNumberInfo?.trackingNumber || complete.trackingNumber || '';
    if (ok) {
      updates.push(trackUpdate(ok, trackingNumber, opts.now));
      continue;
    }
    const err = results[0]?.error;
    errors.push({
      trackingNumber: complete.trackingNumber || results[0]?.trackingNumberInfo?.trackingNumber || '',
      code: err?.code ?? 'TRACKING.NO.RESULT',
      message: err?.message ?? 'FedEx returned no track result for this number',
    });
  }
  return { updates, errors };
}

// ---------------------------------------------------------------- track by reference

function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * Look a shipment up by the CUSTOMER_REFERENCE it was created with. The ship date narrows the
 * search (a day either side); without it, the last 30 days, which is FedEx's own default range.
 */
export function toFedexTrackByReferenceRequest(
  reference: string,
  opts: { accountNumber: string; shipDate?: string; now: Date },
): FedexTrackByReferenceRequest {
  const today = opts.now.toISOString().slice(0, 10);
  const begin = opts.shipDate ? addDays(opts.shipDate, -1) : addDays(today, -30);
  const end = opts.shipDate ? addDays(opts.shipDate, 1) : addDays(today, 1);
  return {
    includeDetailedScans: false,
    referencesInformation: {
      type: 'CUSTOMER_REFERENCE',
      value: reference,
      accountNumber: opts.accountNumber,
      shipDateBegin: begin,
      shipDateEnd: end,
      shipDateEndDate: end,
    },
  };
}

export interface FoundShipment {
  trackingNumber: string;
  status: TrackingStatus;
  rawCode: string;
}

/** Shipments found by reference, cancelled ones last (a live shipment is the one to reuse). */
export function parseTrackByReferenceResponse(body: FedexTrackResponse): FoundShipment[] {
  const found: FoundShipment[] = [];
  for (const complete of body.output?.completeTrackResults ?? []) {
    for (const tr of complete.trackResults ?? []) {
      if (tr.error?.code) continue;
      const trackingNumber = tr.trackingNumberInfo?.trackingNumber ?? complete.trackingNumber;
      if (!trackingNumber) continue;
      const rawCode = tr.latestStatusDetail?.code ?? tr.latestStatusDetail?.derivedCode ?? '';
      found.push({ trackingNumber, status: normaliseFedexStatus(rawCode) ?? 'label_created', rawCode });
    }
  }
  return found.sort((a, b) => Number(a.status === 'cancelled') - Number(b.status === 'cancelled'));
}

// ---------------------------------------------------------------- rate

export function toFedexRateRequest(req: RateQuoteRequest, opts: { accountNumber: string }): FedexRateRequest {
  const serviceType = req.carrierServiceCode || req.serviceLevel ? fedexServiceType(req) : undefined;
  // The Rate API's address has no street lines: rates depend on postal code, country and residential.
  const address = (a: Address) => {
    const { streetLines: _lines, ...rest } = fedexAddress(a);
    return rest;
  };
  return {
    accountNumber: { value: opts.accountNumber },
    rateRequestControlParameters: { returnTransitTimes: true },
    requestedShipment: {
      shipper: { address: address(req.shipper) },
      recipient: { address: address(req.recipient) },
      pickupType: 'DROPOFF_AT_FEDEX_LOCATION',
      ...(serviceType ? { serviceType } : {}),
      ...(req.packagingType ? { packagingType: req.packagingType } : {}),
      ...(req.shipDate ? { shipDateStamp: req.shipDate } : {}),
      rateRequestType: ['ACCOUNT', 'LIST'],
      totalPackageCount: req.packages.length,
      requestedPackageLineItems: req.packages.map(lineItem),
    },
  };
}

/** One quote per service: the account rate when FedEx gives one, else the first rate it lists. */
export function parseRateResponse(body: FedexRateResponse): RateQuote[] {
  const quotes: RateQuote[] = [];
  for (const reply of body.output?.rateReplyDetails ?? []) {
    const rated = reply.ratedShipmentDetails ?? [];
    const pick = rated.find((r) => r.rateType === 'ACCOUNT') ?? rated[0];
    const currency = pick?.currency ?? pick?.shipmentRateDetail?.currency;
    if (!reply.serviceType || !pick || typeof pick.totalNetCharge !== 'number' || !currency) continue;
    const commitTime = fedexTimeToUtc(reply.commit?.dateDetail?.dayCxsFormat);
    quotes.push({
      serviceType: reply.serviceType,
      ...(reply.serviceName ? { serviceName: reply.serviceName } : {}),
      cost: { amount: round(pick.totalNetCharge, 2), currency },
      rateType: pick.rateType ?? '',
      ...(commitTime ? { commitTime } : {}),
    });
  }
  return quotes;
}

// ---------------------------------------------------------------- address validation

export function toFedexAddressValidationRequest(addresses: Address[]): FedexAddressValidationRequest {
  return {
    // Address Validation's address has no residential flag: classifying it is the point of the call.
    addressesToValidate: addresses.map((a, i) => {
      const { residential: _residential, ...address } = fedexAddress(a);
      return { address, clientReferenceId: String(i) };
    }),
  };
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true';
}

function messageText(m: unknown): string | undefined {
  if (typeof m === 'string') return m;
  if (m && typeof m === 'object') {
    const o = m as { code?: string; message?: string };
    return [o.code, o.message].filter(Boolean).join(' ') || undefined;
  }
  return undefined;
}

const CLASSIFICATIONS: Record<string, AddressClassification> = {
  BUSINESS: 'business',
  RESIDENTIAL: 'residential',
  MIXED: 'mixed',
  UNKNOWN: 'unknown',
};

/** Address Validation response -> one check per input address (matched by clientReferenceId, else by position). */
export function parseAddressValidationResponse(
  body: FedexAddressValidationResponse,
  inputs: Address[],
): AddressCheck[] {
  const resolved = body.output?.resolvedAddresses ?? [];
  const alerts = alertText(body.output?.alerts);
  return inputs.map((input, i) => {
    const r = resolved.find((x) => x.clientReferenceId === String(i)) ?? resolved[i];
    if (!r) return { input, resolved: false, classification: 'unknown', messages: alerts };
    const base = r.parsedPostalCode?.base;
    const postalCode = base
      ? r.parsedPostalCode?.addOn
        ? `${base}-${r.parsedPostalCode.addOn}`
        : base
      : r.postalCodeToken?.value;
    const classification = CLASSIFICATIONS[(r.classification ?? '').toUpperCase()] ?? 'unknown';
    const suggestion: Address = {
      ...(input.name ? { name: input.name } : {}),
      ...(input.company ? { company: input.company } : {}),
      lines: r.streetLinesToken ?? input.lines,
      city: r.city ?? input.city,
      ...(r.stateOrProvinceCode ? { stateOrProvince: r.stateOrProvinceCode } : {}),
      ...(postalCode ? { postalCode } : {}),
      countryCode: r.countryCode ?? input.countryCode,
      ...(classification === 'residential'
        ? { residential: true }
        : classification === 'business'
          ? { residential: false }
          : {}),
    };
    const messages = [
      ...(r.customerMessage ?? []).map(messageText).filter((m): m is string => !!m),
      ...alerts,
    ];
    return { input, resolved: truthy(r.attributes?.Resolved), suggestion, classification, messages };
  });
}
