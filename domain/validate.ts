// Canonical validation: every problem with a ShipmentRequest that any carrier would reject, found
// before a carrier is called, each with the exact field so an operator can fix the ERP data.
// Pure and deterministic: workflows call it.

import { isCountryCode, postalFormat, STATE_CODES } from './countries';
import { SERVICE_LEVELS, type Address, type Money, type Package, type ShipmentRequest } from './model';

export interface ValidationProblem {
  /** Dotted path of the offending field, e.g. "recipient.postalCode" or "packages[1].weight.value". */
  field: string;
  code: string;
  message: string;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CURRENCY_RE = /^[A-Z]{3}$/;

function blank(value: string | undefined | null): boolean {
  return value === undefined || value === null || value.trim() === '';
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export function validateAddress(address: Address | undefined, field: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const add = (sub: string, code: string, message: string) =>
    problems.push({ field: `${field}.${sub}`, code, message });
  if (!address) return [{ field, code: 'required', message: `${field} is missing` }];

  if (blank(address.name) && blank(address.company))
    add('name', 'required', 'a person or company name is required');
  const lines = (address.lines ?? []).filter((l) => !blank(l));
  if (lines.length === 0) add('lines', 'required', 'at least one street line is required');
  if ((address.lines ?? []).length > 3) add('lines', 'too_many', 'at most 3 street lines are allowed');
  if (blank(address.city)) add('city', 'required', 'city is required');

  const country = address.countryCode ?? '';
  if (blank(country)) {
    add('countryCode', 'required', 'country code is required');
  } else if (!isCountryCode(country)) {
    add(
      'countryCode',
      'unknown_country',
      `"${country}" is not an ISO 3166-1 alpha-2 country code (e.g. "US")`,
    );
  } else {
    const format = postalFormat(country);
    const postal = address.postalCode?.trim();
    if (format && !postal) {
      add('postalCode', 'required', `a postal code is required for ${country}`);
    } else if (format && postal && !format.pattern.test(postal)) {
      add(
        'postalCode',
        'postal_code_format',
        `"${postal}" is not a valid ${country} postal code (e.g. ${format.example})`,
      );
    }
    const states = STATE_CODES[country];
    const state = address.stateOrProvince?.trim();
    if (states && !state) {
      add('stateOrProvince', 'required', `a state/province code is required for ${country}`);
    } else if (states && state && !states.has(state.toUpperCase())) {
      add('stateOrProvince', 'unknown_state', `"${state}" is not a ${country} state/province code`);
    }
  }

  if (!blank(address.phone)) {
    const digits = (address.phone ?? '').replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15)
      add('phone', 'phone_format', 'phone number must have 7 to 15 digits');
  }
  if (!blank(address.email) && !EMAIL_RE.test(address.email ?? ''))
    add('email', 'email_format', 'not an e-mail address');
  return problems;
}

function validateMoney(money: Money, field: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  if (!Number.isFinite(money.amount) || money.amount < 0) {
    problems.push({
      field: `${field}.amount`,
      code: 'invalid_amount',
      message: 'amount must be a number of at least 0',
    });
  }
  if (!CURRENCY_RE.test(money.currency ?? '')) {
    problems.push({
      field: `${field}.currency`,
      code: 'invalid_currency',
      message: 'currency must be an ISO 4217 code',
    });
  }
  return problems;
}

function validatePackage(pkg: Package, field: string): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const weight = pkg.weight;
  if (!weight || weight.value === undefined || weight.value === null) {
    problems.push({ field: `${field}.weight`, code: 'required', message: 'package weight is missing' });
  } else {
    if (!Number.isFinite(weight.value) || weight.value <= 0) {
      problems.push({
        field: `${field}.weight.value`,
        code: 'not_positive',
        message: 'weight must be greater than 0',
      });
    }
    if (weight.unit !== 'KG' && weight.unit !== 'LB') {
      problems.push({
        field: `${field}.weight.unit`,
        code: 'invalid_unit',
        message: 'weight unit must be KG or LB',
      });
    }
  }
  const dims = pkg.dimensions;
  if (dims) {
    for (const side of ['length', 'width', 'height'] as const) {
      if (!Number.isFinite(dims[side]) || dims[side] <= 0) {
        problems.push({
          field: `${field}.dimensions.${side}`,
          code: 'not_positive',
          message: `${side} must be greater than 0`,
        });
      }
    }
    if (dims.unit !== 'CM' && dims.unit !== 'IN') {
      problems.push({
        field: `${field}.dimensions.unit`,
        code: 'invalid_unit',
        message: 'dimension unit must be CM or IN',
      });
    }
  }
  if (pkg.declaredValue) problems.push(...validateMoney(pkg.declaredValue, `${field}.declaredValue`));
  return problems;
}

/** Every problem found in the request; an empty list means it may be sent to a carrier. */
export function validateShipmentRequest(req: ShipmentRequest): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const add = (field: string, code: string, message: string) => problems.push({ field, code, message });

  if (blank(req.idempotencyKey)) add('idempotencyKey', 'required', 'idempotency key is required');
  problems.push(...validateAddress(req.shipper, 'shipper'));
  problems.push(...validateAddress(req.recipient, 'recipient'));

  if (!req.packages || req.packages.length === 0) {
    add('packages', 'required', 'at least one package is required');
  } else {
    req.packages.forEach((p, i) => problems.push(...validatePackage(p, `packages[${i}]`)));
  }

  if (blank(req.carrierServiceCode) && !req.serviceLevel) {
    add('serviceLevel', 'required', 'a service level or carrier service code is required');
  } else if (req.serviceLevel && !SERVICE_LEVELS.includes(req.serviceLevel)) {
    add('serviceLevel', 'unknown_service_level', `service level must be one of ${SERVICE_LEVELS.join(', ')}`);
  }

  if (blank(req.shipDate) || !isIsoDate(req.shipDate)) {
    add('shipDate', 'date_format', 'ship date must be a calendar date written YYYY-MM-DD');
  }

  if (blank(req.references?.orderNumber))
    add('references.orderNumber', 'required', 'the ERP order number is required');

  const payment = req.payment;
  if (!payment || !['SENDER', 'THIRD_PARTY', 'RECIPIENT'].includes(payment.type)) {
    add('payment.type', 'invalid_payment', 'payment type must be SENDER, THIRD_PARTY or RECIPIENT');
  } else if (payment.type !== 'SENDER' && blank(payment.account)) {
    add('payment.account', 'required', `a carrier account is required when ${payment.type} pays`);
  }

  if (!req.label || (req.label.format !== 'PDF' && req.label.format !== 'ZPL')) {
    add('label.format', 'invalid_label_format', 'label format must be PDF or ZPL');
  }
  if (!req.label || (req.label.delivery !== 'LABEL' && req.label.delivery !== 'URL_ONLY')) {
    add('label.delivery', 'invalid_label_delivery', 'label delivery must be LABEL or URL_ONLY');
  }
  return problems;
}
