import { randomUUID } from 'node:crypto';
import { MESSAGES, errors } from './errors';
import { Checker, isObject, type Json } from './validate';

const POSTAL_PATTERNS: Record<string, RegExp> = {
  US: /^(\d{5})(?:-?(\d{4}))?$/,
  CA: /^[A-Z]\d[A-Z] ?\d[A-Z]\d$/i,
  NL: /^\d{4} ?[A-Z]{2}$/i,
};

/** Guess the classification from the street line, so tests can get each value deterministically. */
function classify(streetLines: string[]): 'BUSINESS' | 'RESIDENTIAL' | 'MIXED' | 'UNKNOWN' {
  const text = streetLines.join(' ').toUpperCase();
  if (/\b(SUITE|STE|FLOOR|FL|BLDG|DOCK)\b/.test(text)) return 'BUSINESS';
  if (/\b(APT|APARTMENT|UNIT|#)\b/.test(text)) return 'RESIDENTIAL';
  if (/\bPO BOX\b/.test(text)) return 'MIXED';
  return 'UNKNOWN';
}

/**
 * `POST /address/v1/addresses/resolve`. An address resolves when its postal code fits the
 * country's format; it comes back upper-cased (standardized). When none of them resolves the
 * whole request fails with STANDARDIZED.ADDRESS.NOTFOUND, as in the spec's 400 example.
 */
export function resolveAddresses(body: Json): Json {
  const c = new Checker();
  const list = c.array(body, 'addressesToValidate', 'addressesToValidate', { min: 1, max: 100 });
  const parsed = (list ?? []).map((item, i) => {
    const path = `addressesToValidate[${i}].address`;
    const address = isObject(item) ? c.object(item, 'address', path) : undefined;
    if (!isObject(item)) c.fail(path, 'is required');
    if (!address) return undefined;
    const streetLines = c.array(address, 'streetLines', `${path}.streetLines`, { min: 1, max: 3 }) ?? [];
    return {
      streetLines: streetLines.map(String),
      city: c.string(address, 'city', `${path}.city`, { required: false }) ?? '',
      stateOrProvinceCode: c.string(address, 'stateOrProvinceCode', `${path}.stateOrProvinceCode`, {
        required: false,
      }),
      postalCode: c.string(address, 'postalCode', `${path}.postalCode`, { required: false }) ?? '',
      countryCode: c.string(address, 'countryCode', `${path}.countryCode`, { pattern: /^[A-Z]{2}$/ }) ?? '',
    };
  });
  c.throwIfAny();

  const resolved = parsed.map((a) => {
    const address = a!;
    const pattern = POSTAL_PATTERNS[address.countryCode];
    const match = pattern ? pattern.exec(address.postalCode) : /\S/.exec(address.postalCode);
    const ok = match !== null && address.streetLines.some((l) => l.trim() !== '');
    const base =
      address.countryCode === 'US' && match
        ? (match[1] ?? address.postalCode)
        : address.postalCode.toUpperCase();
    const addOn = address.countryCode === 'US' && match?.[2] ? match[2] : '';
    return {
      ok,
      out: {
        streetLinesToken: address.streetLines.map((l) => l.toUpperCase()),
        city: address.city.toUpperCase(),
        ...(address.stateOrProvinceCode
          ? { stateOrProvinceCode: address.stateOrProvinceCode.toUpperCase() }
          : {}),
        countryCode: address.countryCode,
        cityToken: [
          { changed: address.city !== address.city.toUpperCase(), value: address.city.toUpperCase() },
        ],
        postalCodeToken: { changed: false, value: address.postalCode },
        parsedPostalCode: { base, addOn, deliveryPoint: '' },
        classification: ok ? classify(address.streetLines) : 'UNKNOWN',
        postOfficeBox: /\bPO BOX\b/i.test(address.streetLines.join(' ')),
        normalizedStatusNameDPV: ok,
        standardizedStatusNameMatchSource: ok ? 'Postal' : '',
        resolutionMethodName: ok ? 'USPS_VALIDATE' : '',
        ruralRouteHighwayContract: false,
        generalDelivery: false,
        customerMessage: [],
        attributes: {
          Resolved: ok,
          Matched: ok,
          DPV: ok,
          ValidlyFormed: match !== null,
          CountrySupported: pattern !== undefined,
          MultipleMatches: false,
          AddressType: ok ? 'STANDARDIZED' : 'RAW',
          POBox: false,
        },
      },
    };
  });
  if (!resolved.some((r) => r.ok))
    throw errors.badRequest('STANDARDIZED.ADDRESS.NOTFOUND', MESSAGES.addressNotFound);
  return {
    transactionId: randomUUID(),
    output: { resolvedAddresses: resolved.map((r) => r.out), alerts: [] },
  };
}
