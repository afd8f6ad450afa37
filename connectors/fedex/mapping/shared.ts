// What every FedEx operation's mapping shares: service codes and customer references, parties and
// packages as FedEx writes them, alert texts and FedEx timestamps. Pure: no I/O, no clock.

import type { Address, Package, ServiceLevel, ShipmentReferences } from '../../../domain/model';
import { convertWeight } from '../../../domain/shipment-request';
import type {
  FedexAddress,
  FedexAlert,
  FedexCustomerReference,
  FedexPackageLineItem,
  FedexParty,
  FedexWeight,
} from '../wire';

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

export function fedexAddress(a: Address): FedexAddress {
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
export function digits(phone: string | undefined): string {
  return (phone ?? '').replace(/\D/g, '');
}

export function fedexParty(a: Address, fallbackPhone?: string): FedexParty {
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

/** `value` rounded to `decimals` places (money, weights). */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * The sum of the package weights, in the first package's unit (converted with the domain's pound
 * factor: 1 lb = 0.45359237 kg exactly).
 */
export function totalWeight(packages: Package[]): FedexWeight {
  const unit = packages[0]?.weight.unit ?? 'LB';
  const sum = packages.reduce((acc, p) => acc + convertWeight(p.weight.value, p.weight.unit, unit), 0);
  return { units: unit, value: round(sum, 2) };
}

export function lineItem(p: Package): Pick<FedexPackageLineItem, 'weight' | 'dimensions' | 'declaredValue'> {
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

// ---------------------------------------------------------------- answers

export function alertText(alerts: unknown): string[] {
  if (typeof alerts === 'string') return [alerts];
  if (!Array.isArray(alerts)) return [];
  return (alerts as Array<FedexAlert | null>)
    .filter((a): a is FedexAlert => !!a && typeof a === 'object')
    .map((a) => [a.alertType, a.code, a.message].filter(Boolean).join(' '))
    .filter((s) => s.length > 0);
}

const OFFSET_RE = /(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * A FedEx timestamp as UTC ISO-8601. Values with an offset convert exactly. Values without one
 * (estimated delivery windows, commit times) are local to a place FedEx does not name; they are read
 * as UTC, so a date never shifts to another day. Undefined when unreadable.
 */
export function fedexTimeToUtc(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim();
  let ms: number;
  if (OFFSET_RE.test(v)) ms = Date.parse(v);
  else if (DATE_ONLY_RE.test(v)) ms = Date.parse(`${v}T00:00:00Z`);
  else if (LOCAL_DATETIME_RE.test(v)) ms = Date.parse(`${v}Z`);
  else return undefined;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
