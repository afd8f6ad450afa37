import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PLEX_CUSTOMS_FIELDS,
  formatPlexDate,
  linePrice,
  openQuantity,
  orderVersion,
  parseReadyState,
  plexInstant,
  toErpOrder,
  toShipperStatusUpdate,
  toShipperTrackingUpdate,
  unitWeight,
} from '../../connectors/plex/mapping';
import { normalizeCountry } from '../../domain/country-names';
import type { ErpOrder } from '../../domain/order';
import { buildShipmentRequest, packWeights, type ShipmentMappingConfig } from '../../domain/shipment-request';
import { ADDRESS, IDS, LINE_PRICES, ORDER, PARTS, RELEASES, WAREHOUSE, orderParts } from './plex-fixtures';

const ROUTING: ShipmentMappingConfig = {
  shipFrom: WAREHOUSE,
  serviceLevels: { 'FDX-GROUND': 'FEDEX_GROUND', 'FDX-2DAY': 'FEDEX_2_DAY' },
  defaultService: 'FEDEX_GROUND',
  // Plex Connect's part records carry no country of origin: the mapping supplies it.
  customs: {
    purpose: 'SOLD',
    termsOfSale: 'DAP',
    dutiesPayment: { payer: 'RECIPIENT' },
    defaults: { countryOfManufacture: 'US' },
  },
};
const TORONTO = { ...ADDRESS, city: 'Toronto', state: 'ON', zip: 'M5X 1A9', country: 'Canada' };
const CTX = { idempotencyKey: 'order/plex-test/100123', today: '2026-11-20' };

function problemsOf(order: ErpOrder, config: ShipmentMappingConfig = ROUTING): string[] {
  return buildShipmentRequest(order, config, CTX).problems.map((p) => `${p.field}:${p.code}`);
}

describe('Plex dates', () => {
  it('sends UTC with Z and whole seconds, never a bare date', () => {
    assert.equal(formatPlexDate(new Date('2026-11-20T10:15:30.250Z')), '2026-11-20T10:15:30Z');
    assert.equal(formatPlexDate('2026-11-20T10:15:30.250Z', 'ceil'), '2026-11-20T10:15:31Z');
    assert.equal(formatPlexDate('2026-11-20T11:15:30+01:00'), '2026-11-20T10:15:30Z');
    assert.equal(formatPlexDate('2026-11-20T10:15:30Z', 'ceil'), '2026-11-20T10:15:30Z');
    assert.match(formatPlexDate(new Date()), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    assert.throws(() => formatPlexDate('yesterday'), /not a date/);
  });

  it('reads Plex timestamps as UTC, with or without a zone', () => {
    assert.equal(plexInstant('2026-11-20T10:00:00Z'), '2026-11-20T10:00:00.000Z');
    assert.equal(plexInstant('2026-11-20T10:00:00.1234567Z'), '2026-11-20T10:00:00.123Z');
    assert.equal(plexInstant('2026-11-20T10:00:00'), '2026-11-20T10:00:00.000Z');
    assert.equal(plexInstant(null), undefined);
    assert.equal(plexInstant('garbage'), undefined);
  });
});

describe('ready state setting', () => {
  it('defaults to an order status and reads the other kinds', () => {
    assert.deepEqual(parseReadyState(undefined), { kind: 'order', statuses: ['Open'] });
    assert.deepEqual(parseReadyState('Open'), { kind: 'order', statuses: ['Open'] });
    assert.deepEqual(parseReadyState('release:Firm, Planned'), {
      kind: 'release',
      statuses: ['Firm', 'Planned'],
      orderStatuses: ['Open'],
    });
    assert.deepEqual(parseReadyState('shipper:Ready;orders=Open,Hold'), {
      kind: 'shipper',
      statuses: ['Ready'],
      orderStatuses: ['Open', 'Hold'],
    });
  });
});

describe('releases and versions', () => {
  it('counts what is left to ship on open releases only', () => {
    assert.equal(openQuantity(RELEASES[0]!), 6);
    assert.equal(openQuantity(RELEASES[3]!), 0);
    assert.equal(openQuantity({ id: 'x', quantity: 5, quantityShipped: 0, status: 'Cancelled' }), 0);
    assert.equal(openQuantity({ id: 'x', quantity: 5, quantityShipped: 9, status: 'Open' }), 0);
  });

  it('changes the version with quantities, ship-to and ship-via, not with notes', () => {
    const base = orderVersion(ORDER, RELEASES);
    assert.match(base, /^[0-9a-f]{16}$/);
    assert.equal(orderVersion({ ...ORDER, note: 'call before delivery' }, RELEASES), base);
    assert.equal(orderVersion(ORDER, [...RELEASES].reverse()), base);
    const moreQty = RELEASES.map((r, i) => (i === 0 ? { ...r, quantity: 12 } : r));
    assert.notEqual(orderVersion(ORDER, moreQty), base);
    assert.notEqual(orderVersion({ ...ORDER, carrier: 'FDX-2DAY' }, RELEASES), base);
    assert.notEqual(orderVersion({ ...ORDER, shipToAddressId: IDS.customer }, RELEASES), base);
  });
});

describe('Plex order -> ErpOrder', () => {
  it('takes quantities from open releases and weights from parts', () => {
    const order = toErpOrder(orderParts());
    assert.deepEqual(
      order.lines.map((l) => [l.lineKey, l.sku, l.quantity, l.unitWeight]),
      [
        [IDS.line1, 'BRK-1001', 11, { value: 2, unit: 'LB' }],
        [IDS.line2, 'SHF-7755', 3, { value: 1.5, unit: 'KG' }],
      ],
    );
    assert.equal(order.orderKey, IDS.order);
    assert.equal(order.orderNumber, '100123');
    assert.equal(order.poNumber, 'PO-555');
    assert.equal(order.shipVia, 'FDX-GROUND');
    assert.equal(order.requestedShipDate, '2026-11-21');
    assert.equal(order.modifiedAt, '2026-11-20T10:00:00.000Z');
    assert.equal(order.version, orderVersion(ORDER, RELEASES));
    assert.deepEqual(order.writeBackKeys, {
      orderId: IDS.order,
      customerId: IDS.customer,
      shipToAddressId: IDS.address,
      shipperId: IDS.shipper,
    });
    assert.deepEqual(order.shipTo, {
      name: 'Receiving Dock 4',
      company: 'Acme Industries LLC',
      lines: ['1200 Industrial Pkwy', 'Building B'],
      city: 'Memphis',
      stateOrProvince: 'TN',
      postalCode: '38118',
      countryCode: 'US',
      phone: '+1 901 555 0100',
    });
  });

  it('drops lines with nothing left to ship and inactive lines', () => {
    const releases = RELEASES.filter((r) => r.orderLineId !== IDS.line2);
    assert.deepEqual(
      toErpOrder(orderParts({ releases })).lines.map((l) => l.lineKey),
      [IDS.line1],
    );
    const lines = orderParts().lines.map((l) => (l.id === IDS.line1 ? { ...l, active: false } : l));
    assert.deepEqual(
      toErpOrder(orderParts({ lines })).lines.map((l) => l.lineKey),
      [IDS.line2],
    );
  });

  it('leaves the weight out when the part has none or an unknown unit', () => {
    assert.equal(unitWeight({ id: 'p' }), undefined);
    assert.equal(unitWeight({ id: 'p', pieceWeight: { value: 0, unit: 'kg' } }), undefined);
    assert.equal(unitWeight({ id: 'p', pieceWeight: { value: 2, unit: 'stone' } }), undefined);
    assert.deepEqual(unitWeight({ id: 'p', pieceWeight: { value: 250, unit: 'g' } }), {
      value: 0.25,
      unit: 'KG',
    });
    assert.deepEqual(unitWeight({ id: 'p', pieceWeight: { value: 8, unit: 'oz' } }), {
      value: 0.5,
      unit: 'LB',
    });
  });
});

describe('country normalisation', () => {
  const cases: Array<[string, string]> = [
    ['USA', 'US'],
    ['United States', 'US'],
    ['U.S.A.', 'US'],
    ['united states of america', 'US'],
    ['us', 'US'],
    ['Canada', 'CA'],
    ['UK', 'GB'],
    ['Great Britain', 'GB'],
    ['Deutschland', 'DE'],
    ['DEU', 'DE'],
    ['The Netherlands', 'NL'],
    ['México', 'MX'],
    ['France', 'FR'],
    [' nl ', 'NL'],
  ];
  for (const [input, code] of cases) {
    it(`"${input}" -> ${code}`, () => assert.equal(normalizeCountry(input), code));
  }
  it('keeps what it cannot read, upper-cased, so validation can name it', () => {
    assert.equal(normalizeCountry('Atlantis'), 'ATLANTIS');
    assert.equal(normalizeCountry('XX'), 'XX');
    assert.equal(normalizeCountry(null), '');
  });
});

describe('packing rule', () => {
  it('consolidates lines into packages up to the maximum, never splitting a unit', () => {
    const kg = (value: number) => ({ value, unit: 'KG' as const });
    const items = [
      { unitWeight: 0.90718474, quantity: 11 },
      { unitWeight: 1.5, quantity: 3 },
    ];
    assert.deepEqual(packWeights(items, { mode: 'consolidated', maxPackageWeight: kg(30) }), [14.48]);
    assert.deepEqual(
      packWeights(items, { mode: 'consolidated', maxPackageWeight: kg(5) }),
      [4.54, 4.54, 3.91, 1.5],
    );
    assert.deepEqual(
      packWeights(items, { mode: 'per_line', maxPackageWeight: kg(5) }),
      [4.54, 4.54, 0.91, 4.5],
    );
    assert.deepEqual(packWeights(items, { mode: 'per_line', maxPackageWeight: kg(30) }), [9.98, 4.5]);
  });

  it('sends a unit heavier than the maximum alone', () => {
    const rule = { mode: 'consolidated' as const, maxPackageWeight: { value: 30, unit: 'KG' as const } };
    assert.deepEqual(packWeights([{ unitWeight: 40, quantity: 2 }], rule), [40, 40]);
    assert.deepEqual(
      packWeights(
        [
          { unitWeight: 10, quantity: 1 },
          { unitWeight: 40, quantity: 1 },
        ],
        rule,
      ),
      [10, 40],
    );
  });

  it('declares no package under 0.1, even when one light unit is left over', () => {
    // Seen in the bench: 24.6 kg of shafts and filters, then 100 gaskets of 0.12 lb. 99 gaskets
    // fill the first package to 29.99 kg; the last one (0.0544 kg) made a 0.06-kg package that
    // FedEx refused, and the order stopped in needs_attention.
    const gasketKg = 0.12 / 2.20462262185;
    const items = [
      { unitWeight: 0.55, quantity: 24 },
      { unitWeight: 1.9, quantity: 6 },
      { unitWeight: gasketKg, quantity: 100 },
    ];
    const rule = { mode: 'consolidated' as const, maxPackageWeight: { value: 30, unit: 'KG' as const } };
    assert.deepEqual(packWeights(items, rule), [29.99, 0.1]);
    assert.deepEqual(packWeights([{ unitWeight: 0.01, quantity: 2 }], { ...rule, mode: 'per_line' }), [0.1]);
    assert.deepEqual(packWeights([{ unitWeight: 0.05, quantity: 3 }], rule), [0.15]);
  });
});

describe('ErpOrder -> ShipmentRequest', () => {
  it('builds a valid request with packages, service and references', () => {
    const { request, problems } = buildShipmentRequest(toErpOrder(orderParts()), ROUTING, CTX);
    assert.deepEqual(problems, []);
    assert.deepEqual(request.packages, [{ weight: { value: 14.48, unit: 'KG' } }]);
    assert.equal(request.carrierServiceCode, 'FEDEX_GROUND');
    assert.equal(request.shipDate, '2026-11-21');
    assert.equal(request.idempotencyKey, CTX.idempotencyKey);
    assert.deepEqual(request.references, { orderNumber: '100123', poNumber: 'PO-555' });
    assert.deepEqual(request.payment, { type: 'SENDER' });
    assert.equal(request.recipient.company, 'Acme Industries LLC');
    assert.equal(request.shipper, WAREHOUSE);
  });

  it('ships today when the release date has passed, and maps the ship-via', () => {
    const order = toErpOrder(orderParts({ order: { ...ORDER, carrier: 'FDX-2DAY' } }));
    const { request } = buildShipmentRequest(order, ROUTING, { ...CTX, today: '2026-12-01' });
    assert.equal(request.shipDate, '2026-12-01');
    assert.equal(request.carrierServiceCode, 'FEDEX_2_DAY');
  });

  it('lists every data problem before any carrier call', () => {
    const badZip = toErpOrder(orderParts({ shipTo: { ...ADDRESS, zip: '3811' } }));
    assert.deepEqual(problemsOf(badZip), ['recipient.postalCode:postal_code_format']);

    const badCountry = toErpOrder(orderParts({ shipTo: { ...ADDRESS, country: 'XX' } }));
    assert.deepEqual(problemsOf(badCountry), ['recipient.countryCode:unknown_country']);

    const noWeight = toErpOrder(
      orderParts({ parts: [{ id: IDS.part1, number: 'BRK-1001' }, orderParts().parts[1]!] }),
    );
    const found = buildShipmentRequest(noWeight, ROUTING, CTX).problems;
    assert.deepEqual(
      found.map((p) => `${p.field}:${p.code}`),
      ['lines[0].unitWeight:missing_weight'],
    );
    assert.match(found[0]!.message, /BRK-1001/);

    const nothing = toErpOrder(orderParts({ parts: [{ id: IDS.part1 }, { id: IDS.part2 }] }));
    assert.deepEqual(problemsOf(nothing), [
      'lines[0].unitWeight:missing_weight',
      'lines[1].unitWeight:missing_weight',
      'packages:required',
    ]);

    const unmapped = toErpOrder(orderParts({ order: { ...ORDER, carrier: 'UPS-RED' } }));
    assert.deepEqual(problemsOf(unmapped, { ...ROUTING, defaultService: undefined }), [
      'serviceLevel:required',
      'shipVia:unmapped_ship_via',
    ]);
    assert.deepEqual(problemsOf(unmapped), []);
  });
});

describe('customs values from Plex', () => {
  it("takes each line's HS code from its part's shipping details and its price from the line's price records", () => {
    const order = toErpOrder(orderParts({ shipTo: TORONTO }));
    assert.deepEqual(
      order.lines.map((l) => [l.sku, l.hsCode, l.unitPrice]),
      [
        ['BRK-1001', '7326.90.8688', { amount: 4.85, currency: 'USD' }],
        ['SHF-7755', '8483.10.5000', { amount: 64, currency: 'USD' }],
      ],
    );
    assert.equal(order.lines[0]!.countryOfOrigin, undefined, 'Plex Connect part records carry none');
    assert.deepEqual(order.customsFieldNames, PLEX_CUSTOMS_FIELDS);
    const { request, problems } = buildShipmentRequest(order, ROUTING, CTX);
    assert.deepEqual(problems, []);
    assert.deepEqual(request.customs?.totalCustomsValue, { amount: 11 * 4.85 + 3 * 64, currency: 'USD' });
    assert.deepEqual(
      request.customs?.lines.map((l) => l.countryOfManufacture),
      ['US', 'US'],
    );
  });

  it('picks the price in effect: active, dated for today, the highest quantity break reached, primary first', () => {
    const day = '2026-11-20T12:00:00Z';
    const line1 = LINE_PRICES.filter((p) => p.orderLineId === IDS.line1);
    assert.deepEqual(linePrice(line1, { quantity: 11, day, currency: 'USD' }), {
      amount: 4.85,
      currency: 'USD',
    });
    assert.deepEqual(linePrice(line1, { quantity: 150, day, currency: 'USD' }), {
      amount: 4.2,
      currency: 'USD',
    });
    assert.deepEqual(linePrice(line1, { quantity: 11, day: '2025-06-01T00:00:00Z', currency: 'USD' }), {
      amount: 5.1,
      currency: 'USD',
    });
    const inactive = line1.map((p) => ({ ...p, active: false }));
    assert.equal(linePrice(inactive, { quantity: 11, day, currency: 'USD' }), undefined);
    // A record for another ship-to does not apply; one without a currency takes the setting's.
    const other = [{ ...line1[2]!, shipToAddressId: '99999999-0000-4000-8000-000000000000' }];
    assert.equal(linePrice(other, { quantity: 11, day, shipToId: IDS.address, currency: 'USD' }), undefined);
    const bare = [{ id: 'p', price: 7, currencyCode: null }];
    assert.deepEqual(linePrice(bare, { quantity: 1, day, currency: 'EUR' }), { amount: 7, currency: 'EUR' });
  });

  it('parks an international order whose part has no HS code, naming the part and the Plex field', () => {
    const parts = [{ ...PARTS[0]!, hsCode: undefined }, PARTS[1]!];
    const order = toErpOrder(orderParts({ shipTo: TORONTO, parts }));
    const { problems } = buildShipmentRequest(order, ROUTING, CTX);
    assert.deepEqual(
      problems.map((p) => `${p.field}:${p.code}`),
      ['customs.lines[0].hsCode:customs_value_missing'],
    );
    assert.match(problems[0]!.message, /BRK-1001/);
    assert.match(
      problems[0]!.message,
      /shipping details in Plex, Harmonized Tariff Code \(harmonizedTariffCode\)/,
    );
    // The same order shipped at home needs no HS code.
    const home = toErpOrder(orderParts({ parts }));
    assert.deepEqual(buildShipmentRequest(home, ROUTING, CTX).problems, []);
  });

  it('parks an international order without a price, naming the Plex price records', () => {
    const order = toErpOrder(orderParts({ shipTo: TORONTO, prices: new Map() }));
    const { problems } = buildShipmentRequest(order, ROUTING, CTX);
    assert.deepEqual(
      problems.map((p) => `${p.field}:${p.code}`),
      [
        'customs.lines[0].unitPrice:customs_value_missing',
        'customs.lines[1].unitPrice:customs_value_missing',
      ],
    );
    assert.match(problems[0]!.message, /BRK-1001.*sales order line's price in Plex/);
    const noOrigin = buildShipmentRequest(
      toErpOrder(orderParts({ shipTo: TORONTO })),
      { ...ROUTING, customs: { ...ROUTING.customs!, defaults: {} } },
      CTX,
    );
    assert.match(
      noOrigin.problems[0]!.message,
      /BRK-1001.*the ERP keeps none, so set .*defaults\.countryOfManufacture/,
    );
  });
});

describe('write-back bodies', () => {
  it('puts tracking, carrier, ship date and freight on the shipper', () => {
    const body = toShipperTrackingUpdate(
      {
        carrier: 'fedex',
        trackingNumber: '794600000001',
        pieceTrackingNumbers: ['794600000001', '794600000002'],
        serviceType: 'FEDEX_GROUND',
        shipDate: '2026-11-21',
        cost: { amount: 42.5, currency: 'USD' },
      },
      { carrierIds: { fedex: IDS.carrier }, shippedStatus: 'Shipped' },
    );
    assert.deepEqual(
      { ...body, shipperNote: undefined },
      {
        trackingNumber: '794600000001',
        carrierId: IDS.carrier,
        status: 'Shipped',
        scheduledShipDate: '2026-11-21T00:00:00Z',
        freightAmount: 42.5,
        shipperNote: undefined,
      },
    );
    assert.match(body.shipperNote!, /794600000002/);
  });

  it('keeps status in the note, sets the delivery date, and maps the status only when configured', () => {
    const delivered = toShipperStatusUpdate(
      {
        status: 'delivered',
        at: '2026-11-24T15:04:05.123Z',
        description: 'Left at front door',
        trackingNumber: '7946',
      },
      { statusMap: { delivered: 'Delivered' } },
    );
    assert.deepEqual(delivered, {
      status: 'Delivered',
      deliveryDate: '2026-11-24T15:04:05Z',
      shipperNote: 'ml-connector 2026-11-24T15:04:05Z: delivered (7946) - Left at front door',
    });
    const transit = toShipperStatusUpdate({
      status: 'in_transit',
      at: '2026-11-22T01:00:00Z',
      description: 'x'.repeat(400),
    });
    assert.equal(transit.status, undefined);
    assert.equal(transit.deliveryDate, undefined);
    assert.equal(transit.shipperNote!.length, 255);
  });
});
