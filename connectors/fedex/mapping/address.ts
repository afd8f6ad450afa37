// Address validation: addresses -> FedEx's resolve request (up to 100 a request), and its answer ->
// one check per input address with FedEx's suggestion and classification. Pure.

import type { Address, AddressCheck, AddressClassification } from '../../../domain/model';
import type { FedexAddressValidationRequest, FedexAddressValidationResponse } from '../wire';
import { alertText, fedexAddress } from './shared';

/** Address Validation takes up to 100 addresses per request. */
export const ADDRESS_BATCH_SIZE = 100;

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
