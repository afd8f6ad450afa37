import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shipToVersion } from '../../activities/orders/ship-to';
import type { Address } from '../../domain/model';

const ADDRESS: Address = {
  name: 'Receiving',
  company: 'Tier One Stamping',
  lines: ['12 Dock Road', 'Gate 4'],
  city: 'Windsor',
  stateOrProvince: 'ON',
  postalCode: 'N9A 1A2',
  countryCode: 'CA',
  phone: '+1 519 555 0100',
};

describe('ship-to version', () => {
  it('is the same for the same content, whatever the whitespace and the case of codes', () => {
    assert.equal(
      shipToVersion({ ...ADDRESS, lines: [' 12 Dock Road ', 'Gate 4'], postalCode: 'n9a 1a2 ' }),
      shipToVersion(ADDRESS),
    );
  });

  it('changes with every field a carrier or warehouse is sent', () => {
    const base = shipToVersion(ADDRESS);
    const edits: Array<Partial<Address>> = [
      { name: 'Shipping' },
      { company: 'Tier Two' },
      { lines: ['14 Dock Road', 'Gate 4'] },
      { lines: ['12 Dock Road'] },
      { city: 'London' },
      { stateOrProvince: 'QC' },
      { postalCode: 'N9A 1A3' },
      { countryCode: 'US' },
      { phone: '+1 519 555 0199' },
      { email: 'dock@example.com' },
      { residential: true },
    ];
    for (const edit of edits)
      assert.notEqual(shipToVersion({ ...ADDRESS, ...edit }), base, JSON.stringify(edit));
  });
});
