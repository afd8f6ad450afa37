import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCustoms, crossesBorder, DEFAULT_CUSTOMS, type CustomsConfig } from '../../domain/customs';
import type { Address } from '../../domain/model';
import type { ErpOrder } from '../../domain/order';
import { buildShipmentRequest } from '../../domain/shipment-request';

const MEMPHIS: Address = {
  company: 'Demo Manufacturing Co',
  lines: ['3610 Hacks Cross Rd'],
  city: 'Memphis',
  stateOrProvince: 'TN',
  postalCode: '38125',
  countryCode: 'US',
  phone: '9015550100',
};
const TORONTO: Address = {
  company: 'Maple Parts Inc',
  lines: ['100 King St W'],
  city: 'Toronto',
  stateOrProvince: 'ON',
  postalCode: 'M5X 1A9',
  countryCode: 'CA',
  phone: '4165550100',
};
const ROTTERDAM: Address = {
  company: 'Delta Components BV',
  lines: ['Weena 70'],
  city: 'Rotterdam',
  postalCode: '3012 CM',
  countryCode: 'NL',
  phone: '31105550100',
};

function order(overrides: Partial<ErpOrder> = {}): ErpOrder {
  return {
    connection: 'erp',
    orderKey: 'k1',
    orderNumber: 'SO-1001',
    customer: { key: 'c1', name: 'Maple Parts Inc' },
    shipTo: TORONTO,
    lines: [
      {
        lineKey: 'l1',
        sku: 'BRG-6204',
        description: 'Ball bearing, steel, 20 mm bore',
        quantity: 12,
        unitWeight: { value: 0.11, unit: 'KG' },
        unitPrice: { amount: 4.35, currency: 'USD' },
        hsCode: '8482.10.5044',
        countryOfOrigin: 'US',
      },
      {
        lineKey: 'l2',
        sku: 'SHF-0300',
        description: 'Drive shaft, 300 mm',
        quantity: 2,
        unitWeight: { value: 1.4, unit: 'KG' },
        unitPrice: { amount: 58.1, currency: 'USD' },
        hsCode: '8483.10',
        countryOfOrigin: 'MX',
      },
    ],
    modifiedAt: '2026-12-07T10:00:00.000Z',
    version: 'v1',
    writeBackKeys: {},
    ...overrides,
  };
}

describe('customs', () => {
  it('only shipments between two countries cross a border', () => {
    assert.equal(crossesBorder(MEMPHIS, TORONTO), true);
    assert.equal(crossesBorder(MEMPHIS, { ...MEMPHIS, city: 'Nashville' }), false);
    assert.equal(crossesBorder(MEMPHIS, { ...TORONTO, countryCode: 'us' }), false);
  });

  it('builds commodities, values and the commercial invoice from the order', () => {
    const { customs, problems } = buildCustoms(order(), DEFAULT_CUSTOMS, MEMPHIS, TORONTO);
    assert.deepEqual(problems, []);
    assert.equal(customs!.lines.length, 2);
    assert.deepEqual(customs!.lines[0], {
      sku: 'BRG-6204',
      description: 'Ball bearing, steel, 20 mm bore',
      hsCode: '8482.10.5044',
      countryOfManufacture: 'US',
      quantity: 12,
      quantityUnit: 'PCS',
      unitPrice: { amount: 4.35, currency: 'USD' },
      customsValue: { amount: 52.2, currency: 'USD' },
      netWeight: { value: 1.32, unit: 'KG' },
    });
    assert.deepEqual(customs!.totalCustomsValue, { amount: 168.4, currency: 'USD' });
    assert.deepEqual(customs!.commercialInvoice, { number: 'SO-1001', purpose: 'SOLD', termsOfSale: 'DAP' });
    assert.deepEqual(customs!.dutiesPayment, { payer: 'RECIPIENT' });
    assert.equal(customs!.usmca, undefined);
  });

  it('a missing HS code names the part and the ERP field; a configured default fills it', () => {
    const o = order({
      customsFieldNames: { hsCode: 'the part\'s shipping details, "Harmonized Tariff Code"' },
    });
    o.lines[1]!.hsCode = undefined;
    const missing = buildCustoms(o, DEFAULT_CUSTOMS, MEMPHIS, TORONTO);
    assert.equal(missing.customs, undefined);
    assert.equal(missing.problems.length, 1);
    assert.equal(missing.problems[0]!.field, 'customs.lines[1].hsCode');
    assert.match(missing.problems[0]!.message, /part SHF-0300 has no HS code/);
    assert.match(missing.problems[0]!.message, /"Harmonized Tariff Code"/);
    assert.match(missing.problems[0]!.message, /defaults\.parts\["SHF-0300"\]\.hsCode/);

    const config: CustomsConfig = {
      ...DEFAULT_CUSTOMS,
      defaults: { parts: { 'SHF-0300': { hsCode: '8483.10' } } },
    };
    const filled = buildCustoms(o, config, MEMPHIS, TORONTO);
    assert.deepEqual(filled.problems, []);
    assert.equal(filled.customs!.lines[1]!.hsCode, '8483.10');
  });

  it('a missing price, a bad HS code and a missing origin are each reported once', () => {
    const o = order();
    o.lines[0]!.unitPrice = undefined;
    o.lines[1]!.hsCode = 'ABC';
    o.lines[1]!.countryOfOrigin = undefined;
    const { problems } = buildCustoms(o, DEFAULT_CUSTOMS, MEMPHIS, TORONTO);
    assert.deepEqual(
      problems.map((p) => [p.field, p.code]),
      [
        ['customs.lines[0].unitPrice', 'customs_value_missing'],
        ['customs.lines[1].hsCode', 'customs_value_invalid'],
        ['customs.lines[1].countryOfManufacture', 'customs_value_missing'],
      ],
    );
    // The mapping's country of manufacture covers every part without one.
    const withOrigin = buildCustoms(
      order({ lines: [{ ...order().lines[1]!, countryOfOrigin: undefined }] }),
      { ...DEFAULT_CUSTOMS, defaults: { countryOfManufacture: 'US' } },
      MEMPHIS,
      TORONTO,
    );
    assert.equal(withOrigin.customs!.lines[0]!.countryOfManufacture, 'US');
  });

  it('USMCA details only between the US, Mexico and Canada; third-party duties need an account', () => {
    const config: CustomsConfig = { ...DEFAULT_CUSTOMS, usmca: { originCriterion: 'B' } };
    assert.deepEqual(buildCustoms(order(), config, MEMPHIS, TORONTO).customs!.usmca, {
      originCriterion: 'B',
    });
    assert.equal(
      buildCustoms(order({ shipTo: ROTTERDAM }), config, MEMPHIS, ROTTERDAM).customs!.usmca,
      undefined,
    );
    const thirdParty = buildCustoms(
      order(),
      { ...DEFAULT_CUSTOMS, dutiesPayment: { payer: 'THIRD_PARTY' } },
      MEMPHIS,
      TORONTO,
    );
    assert.deepEqual(
      thirdParty.problems.map((p) => p.field),
      ['customs.dutiesPayment.account'],
    );
  });

  it('the shipment request carries customs for cross-border orders only', () => {
    const routing = { shipFrom: MEMPHIS, serviceLevels: {}, defaultService: 'INTERNATIONAL_ECONOMY' };
    const ctx = { idempotencyKey: 'k', today: '2026-12-07' };
    const abroad = buildShipmentRequest(order(), routing, ctx);
    assert.deepEqual(abroad.problems, []);
    assert.equal(abroad.request.customs?.lines.length, 2);
    const home = buildShipmentRequest(order({ shipTo: { ...MEMPHIS, company: 'Home Co' } }), routing, ctx);
    assert.equal(home.request.customs, undefined);
  });
});
