// What a ship-to address is, for noticing an edit: a hash of its content (not of the ERP's record
// id), so an address edited in place in the ERP gets a new version and the same content always
// gets the same one. Only what a carrier or warehouse is sent counts; whitespace and case in
// codes do not.
import { createHash } from 'node:crypto';
import type { Address } from '../../domain/model';

export function shipToVersion(a: Address): string {
  const material = JSON.stringify([
    a.name?.trim() ?? '',
    a.company?.trim() ?? '',
    a.lines.map((l) => l.trim()),
    a.city.trim(),
    a.stateOrProvince?.trim().toUpperCase() ?? '',
    a.postalCode?.trim().toUpperCase() ?? '',
    a.countryCode,
    a.phone?.trim() ?? '',
    a.email?.trim().toLowerCase() ?? '',
    a.residential ?? null,
  ]);
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}
