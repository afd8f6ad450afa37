import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COUNTRY_CODES, isCountryCode } from '../../domain/countries';
import type { Address, ShipmentRequest } from '../../domain/model';
import { isFinalStatus, isTrackingStatus, TRACKING_STATUSES } from '../../domain/status';
import { isIsoDate, validateAddress, validateShipmentRequest } from '../../domain/validate';
import { RECIPIENT, shipmentRequest } from './fedex-fixtures';

function fields(req: ShipmentRequest): string[] {
  return validateShipmentRequest(req).map((p) => `${p.field}:${p.code}`);
}

function addressIn(countryCode: string, postalCode: string | undefined, stateOrProvince?: string): Address {
  return { name: 'A', lines: ['1 Road'], city: 'Town', countryCode, postalCode, stateOrProvince };
}

const POSTAL_CASES: Array<[string, string[], string[], string?]> = [
  ['US', ['38116', '38116-1234'], ['3811', '38116-12', 'ABCDE'], 'TN'],
  ['CA', ['K1A 0B1', 'k1a0b1', 'M5V 3L9'], ['K1A 0D', 'D1A 0B1', '12345'], 'ON'],
  ['GB', ['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'GIR 0AA', 'b338th'], ['SW1A', '12345', 'SW1A 1A']],
  ['DE', ['10115', '01067'], ['1011', '101155']],
  ['NL', ['1012 AB', '1012AB'], ['0123 AB', '1012', '1012 A1']],
  ['FR', ['75008', '20000'], ['7500', '750080']],
  ['MX', ['06600'], ['6600', 'ABCDE']],
  ['AU', ['2000', '0800'], ['200', '20000']],
  ['JP', ['100-0001', '1000001'], ['100-001', '10-00001']],
  ['BE', ['1000', '9990'], ['0999', '10000']],
];

describe('validateShipmentRequest', () => {
  it('accepts a complete request', () => {
    assert.deepEqual(validateShipmentRequest(shipmentRequest()), []);
  });

  for (const [country, good, bad, state] of POSTAL_CASES) {
    it(`checks ${country} postal codes`, () => {
      for (const postal of good) {
        assert.deepEqual(
          validateAddress(addressIn(country, postal, state), 'a'),
          [],
          `${country} ${postal} should pass`,
        );
      }
      for (const postal of bad) {
        const found = validateAddress(addressIn(country, postal, state), 'a');
        assert.deepEqual(
          found.map((p) => `${p.field}:${p.code}`),
          ['a.postalCode:postal_code_format'],
          `${country} ${postal} should fail`,
        );
        assert.match(found[0]!.message, new RegExp(country));
      }
      assert.deepEqual(
        validateAddress(addressIn(country, undefined, state), 'a').map((p) => p.code),
        ['required'],
      );
    });
  }

  it('accepts any postal code (or none) where no format is known', () => {
    assert.deepEqual(validateAddress(addressIn('HK', undefined), 'a'), []);
    assert.deepEqual(validateAddress(addressIn('AE', 'whatever'), 'a'), []);
  });

  it('rejects unknown and lower-case country codes', () => {
    for (const code of ['XX', 'UK', 'us', 'USA', '']) {
      const problems = validateAddress(addressIn(code, '12345'), 'recipient');
      assert.equal(problems[0]?.field, 'recipient.countryCode', code);
    }
  });

  it('requires a valid state or province in the US and Canada', () => {
    assert.deepEqual(
      validateAddress(addressIn('US', '38116'), 'a').map((p) => `${p.field}:${p.code}`),
      ['a.stateOrProvince:required'],
    );
    assert.deepEqual(
      validateAddress(addressIn('CA', 'K1A 0B1', 'XX'), 'a').map((p) => `${p.field}:${p.code}`),
      ['a.stateOrProvince:unknown_state'],
    );
    assert.deepEqual(validateAddress(addressIn('US', '38116', 'tn'), 'a'), []);
  });

  it('names missing name, street, city, and malformed phone and e-mail', () => {
    const bad: Address = {
      lines: [' '],
      city: '',
      countryCode: 'DE',
      postalCode: '10115',
      phone: '12',
      email: 'nope',
    };
    assert.deepEqual(
      validateAddress(bad, 'shipper').map((p) => `${p.field}:${p.code}`),
      [
        'shipper.name:required',
        'shipper.lines:required',
        'shipper.city:required',
        'shipper.phone:phone_format',
        'shipper.email:email_format',
      ],
    );
    assert.deepEqual(
      validateAddress({ ...addressIn('DE', '10115'), lines: ['a', 'b', 'c', 'd'] }, 'x').map((p) => p.code),
      ['too_many'],
    );
  });

  it('requires positive weights with a unit on every package', () => {
    const req = shipmentRequest({
      packages: [
        { weight: { value: 0, unit: 'KG' } },
        { weight: { value: -1, unit: 'LB' } },
        { weight: { value: Number.NaN, unit: 'LB' } },
        { weight: { value: 2, unit: 'G' as 'KG' } },
        { weight: undefined as unknown as { value: number; unit: 'KG' } },
        { weight: { value: 1, unit: 'KG' }, dimensions: { length: 0, width: 1, height: 1, unit: 'CM' } },
        { weight: { value: 1, unit: 'KG' }, declaredValue: { amount: -5, currency: 'usd' } },
      ],
    });
    assert.deepEqual(fields(req), [
      'packages[0].weight.value:not_positive',
      'packages[1].weight.value:not_positive',
      'packages[2].weight.value:not_positive',
      'packages[3].weight.unit:invalid_unit',
      'packages[4].weight:required',
      'packages[5].dimensions.length:not_positive',
      'packages[6].declaredValue.amount:invalid_amount',
      'packages[6].declaredValue.currency:invalid_currency',
    ]);
    assert.deepEqual(fields(shipmentRequest({ packages: [] })), ['packages:required']);
  });

  it('checks service, ship date, order number, payment and label options', () => {
    const req = shipmentRequest({
      idempotencyKey: '',
      serviceLevel: undefined,
      shipDate: '2026-02-30',
      references: { orderNumber: ' ' },
      payment: { type: 'THIRD_PARTY' },
      label: { format: 'PNG' as 'PDF', delivery: 'EMAIL' as 'LABEL' },
    });
    assert.deepEqual(fields(req), [
      'idempotencyKey:required',
      'serviceLevel:required',
      'shipDate:date_format',
      'references.orderNumber:required',
      'payment.account:required',
      'label.format:invalid_label_format',
      'label.delivery:invalid_label_delivery',
    ]);
    assert.deepEqual(
      fields(shipmentRequest({ serviceLevel: undefined, carrierServiceCode: 'FEDEX_2_DAY' })),
      [],
    );
    assert.deepEqual(fields(shipmentRequest({ serviceLevel: 'teleport' as 'ground' })), [
      'serviceLevel:unknown_service_level',
    ]);
  });

  it('reports problems in both addresses with their paths', () => {
    const req = shipmentRequest({
      recipient: { ...RECIPIENT, postalCode: '7870' },
      shipper: undefined as unknown as Address,
    });
    assert.deepEqual(fields(req), ['shipper:required', 'recipient.postalCode:postal_code_format']);
  });
});

describe('domain helpers', () => {
  it('knows all 249 ISO 3166-1 alpha-2 codes', () => {
    assert.equal(COUNTRY_CODES.size, 249);
    for (const code of ['US', 'NL', 'GB', 'AX', 'SS', 'ZW']) assert.ok(isCountryCode(code), code);
    assert.equal(isCountryCode('UK'), false);
  });

  it('reads calendar dates strictly', () => {
    assert.equal(isIsoDate('2024-02-29'), true);
    assert.equal(isIsoDate('2023-02-29'), false);
    assert.equal(isIsoDate('2026-1-05'), false);
  });

  it('has the eight normalised statuses, three of them final', () => {
    assert.equal(TRACKING_STATUSES.length, 8);
    assert.deepEqual(TRACKING_STATUSES.filter(isFinalStatus), ['delivered', 'returned', 'cancelled']);
    assert.equal(isTrackingStatus('in_transit'), true);
    assert.equal(isTrackingStatus('lost'), false);
  });
});
