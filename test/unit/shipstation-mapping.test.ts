import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustomsDetail } from '../../domain/customs';
import type { ErpOrder } from '../../domain/order';
import {
  erpReferenceOf,
  shippedQuantities,
  shipStationOrderKey,
  shipStationOrderState,
  shipStationOrderVersion,
  toInventoryLevel,
  toOnHandAdjustment,
  toShipmentRecord,
  toShipStationOrder,
  validateForShipStation,
} from '../../connectors/shipstation/mapping';
import type { SsShipment } from '../../connectors/shipstation/wire';

const ERP_ORDER: ErpOrder = {
  connection: 'plex-main',
  orderKey: '11111111-1111-4111-8111-111111111111',
  orderNumber: '100123',
  poNumber: 'PO-778',
  customer: { key: 'c1', code: 'ACME', name: 'Acme Corp' },
  shipTo: {
    name: 'Receiving',
    company: 'Acme Corp',
    lines: ['1 Main St', 'Dock 4'],
    city: 'Austin',
    stateOrProvince: 'TX',
    postalCode: '78701',
    countryCode: 'US',
    phone: '+1 512 555 0100',
  },
  shipVia: 'FedEx Ground',
  requestedShipDate: '2026-11-21',
  lines: [
    {
      lineKey: 'L1',
      sku: 'BRKT-100',
      description: 'Bracket',
      quantity: 4,
      unitWeight: { value: 1.5, unit: 'LB' },
      unitPrice: { amount: 12.5, currency: 'USD' },
    },
    { lineKey: 'L2', sku: 'BOLT-8', quantity: 100, unitWeight: { value: 0.25, unit: 'LB' } },
  ],
  modifiedAt: '2026-07-01T19:00:00.000Z',
  version: 'erp-v1',
  writeBackKeys: {},
};

describe('ShipStation order mapping', () => {
  it('derives a stable, readable orderKey from the ERP connection and order key', () => {
    assert.equal(
      shipStationOrderKey('plex-main', ERP_ORDER.orderKey),
      'mlc:plex-main:11111111-1111-4111-8111-111111111111',
    );
    assert.equal(shipStationOrderKey('a', 'k'), shipStationOrderKey('a', 'k'));
    assert.notEqual(shipStationOrderKey('a', 'k'), shipStationOrderKey('b', 'k'));
    const long = shipStationOrderKey('plex-main', 'x'.repeat(200));
    assert.match(long, /^mlc:plex-main:sha256-[0-9a-f]{40}$/);
    assert.notEqual(long, shipStationOrderKey('plex-main', `${'x'.repeat(199)}y`));
  });

  it('maps an ErpOrder to a full createorder body', () => {
    const body = toShipStationOrder(ERP_ORDER, { storeId: 12345, warehouseId: 77 });
    assert.deepEqual(body, {
      orderNumber: '100123',
      orderKey: 'mlc:plex-main:11111111-1111-4111-8111-111111111111',
      orderDate: '2026-07-01 12:00:00', // 19:00Z in PDT
      shipByDate: '2026-11-21 00:00:00',
      orderStatus: 'awaiting_shipment',
      customerUsername: 'ACME',
      billTo: { name: 'Acme Corp' },
      shipTo: {
        name: 'Receiving',
        company: 'Acme Corp',
        street1: '1 Main St',
        street2: 'Dock 4',
        city: 'Austin',
        state: 'TX',
        postalCode: '78701',
        country: 'US',
        phone: '+1 512 555 0100',
      },
      items: [
        {
          lineItemKey: 'L1',
          sku: 'BRKT-100',
          name: 'Bracket',
          quantity: 4,
          unitPrice: 12.5,
          weight: { value: 1.5, units: 'pounds' },
        },
        {
          lineItemKey: 'L2',
          sku: 'BOLT-8',
          name: 'BOLT-8',
          quantity: 100,
          weight: { value: 0.25, units: 'pounds' },
        },
      ],
      requestedShippingService: 'FedEx Ground',
      weight: { value: 31, units: 'pounds' },
      advancedOptions: {
        storeId: 12345,
        warehouseId: 77,
        customField1: '100123',
        customField2: 'PO-778',
        customField3: 'plex-main:11111111-1111-4111-8111-111111111111',
      },
    });
    assert.deepEqual(erpReferenceOf(body.advancedOptions.customField3), {
      connection: 'plex-main',
      orderKey: ERP_ORDER.orderKey,
    });
    assert.equal(erpReferenceOf('not a reference'), undefined);
  });

  it('sends kilograms as grams and the order date in standard time when it falls in winter', () => {
    const metric: ErpOrder = {
      ...ERP_ORDER,
      modifiedAt: '2026-01-10T08:30:00Z',
      lines: [{ lineKey: 'L1', sku: 'A', quantity: 3, unitWeight: { value: 0.2, unit: 'KG' } }],
    };
    const body = toShipStationOrder(metric, { orderDate: '2026-01-10T08:30:00Z' });
    assert.deepEqual(body.items[0]!.weight, { value: 200, units: 'grams' });
    assert.deepEqual(body.weight, { value: 600, units: 'grams' });
    assert.equal(body.orderDate, '2026-01-10 00:30:00'); // PST, UTC-8
  });

  it('leaves out the total weight when a line has none', () => {
    const body = toShipStationOrder({ ...ERP_ORDER, lines: [{ lineKey: 'L', sku: 'A', quantity: 1 }] });
    assert.equal(body.weight, undefined);
    assert.equal(body.items[0]!.weight, undefined);
  });

  it('versions the content: the same order gives the same version, any edit a new one', () => {
    const v = shipStationOrderVersion(toShipStationOrder(ERP_ORDER));
    assert.match(v, /^[0-9a-f]{16}$/);
    // A new modification time alone (orderDate) is not an edit of the content.
    assert.equal(
      shipStationOrderVersion(toShipStationOrder({ ...ERP_ORDER, modifiedAt: '2026-08-01T00:00:00Z' })),
      v,
    );
    const edits: ErpOrder[] = [
      { ...ERP_ORDER, lines: [{ ...ERP_ORDER.lines[0]!, quantity: 5 }, ERP_ORDER.lines[1]!] },
      { ...ERP_ORDER, shipTo: { ...ERP_ORDER.shipTo, lines: ['2 Main St'] } },
      { ...ERP_ORDER, poNumber: 'PO-779' },
    ];
    for (const e of edits) assert.notEqual(shipStationOrderVersion(toShipStationOrder(e)), v);
  });

  it('does not depend on property order', () => {
    const body = toShipStationOrder(ERP_ORDER);
    const reordered = Object.fromEntries(Object.entries(body).reverse()) as typeof body;
    assert.equal(shipStationOrderVersion(reordered), shipStationOrderVersion(body));
  });

  it('reports what ShipStation would refuse', () => {
    assert.deepEqual(validateForShipStation(ERP_ORDER), []);
    const bad: ErpOrder = {
      ...ERP_ORDER,
      orderNumber: 'N'.repeat(51),
      shipTo: { ...ERP_ORDER.shipTo, lines: [], city: '' },
      lines: [{ lineKey: 'L', sku: ' ', quantity: 0.5 }],
    };
    const fields = validateForShipStation(bad).map((p) => p.field);
    for (const f of ['orderNumber', 'shipTo.lines', 'shipTo.city', 'lines[0].sku', 'lines[0].quantity']) {
      assert.ok(fields.includes(f), `${f} in ${fields.join(', ')}`);
    }
    assert.deepEqual(
      validateForShipStation({ ...ERP_ORDER, lines: [] }).map((p) => p.field),
      ['lines'],
    );
  });
});

describe('ShipStation customs (internationalOptions)', () => {
  const TORONTO = {
    ...ERP_ORDER.shipTo,
    city: 'Toronto',
    stateOrProvince: 'ON',
    postalCode: 'M5X 1A9',
    countryCode: 'CA',
  };
  const ABROAD: ErpOrder = { ...ERP_ORDER, shipTo: TORONTO };
  const CUSTOMS: CustomsDetail = {
    lines: [
      {
        sku: 'BRKT-100',
        description: 'Bracket, steel',
        hsCode: '7326.90.8688',
        countryOfManufacture: 'US',
        quantity: 4,
        quantityUnit: 'PCS',
        unitPrice: { amount: 12.5, currency: 'USD' },
        customsValue: { amount: 50, currency: 'USD' },
      },
      {
        sku: 'BOLT-8',
        description: 'Bolt, M8',
        hsCode: '7318.15',
        countryOfManufacture: 'MX',
        quantity: 100,
        quantityUnit: 'PCS',
        unitPrice: { amount: 0.125, currency: 'USD' },
        customsValue: { amount: 12.5, currency: 'USD' },
      },
    ],
    totalCustomsValue: { amount: 62.5, currency: 'USD' },
    commercialInvoice: { number: '100123', purpose: 'SOLD', termsOfSale: 'DAP' },
    dutiesPayment: { payer: 'RECIPIENT' },
  };

  it('an order shipped abroad carries one customs item per commodity, valued per unit', () => {
    const body = toShipStationOrder(ABROAD, { customs: CUSTOMS });
    assert.deepEqual(body.internationalOptions, {
      contents: 'merchandise',
      customsItems: [
        {
          description: 'Bracket, steel',
          quantity: 4,
          value: 12.5,
          harmonizedTariffCode: '7326.90.8688',
          countryOfOrigin: 'US',
        },
        {
          description: 'Bolt, M8',
          quantity: 100,
          value: 0.125,
          harmonizedTariffCode: '7318.15',
          countryOfOrigin: 'MX',
        },
      ],
      nonDelivery: 'return_to_sender',
    });
    // Everything else is the order as it goes without customs.
    const { internationalOptions: _intl, ...rest } = body;
    assert.deepEqual(rest, toShipStationOrder(ABROAD));
  });

  it('gifts and samples say so; the non-delivery choice can be given', () => {
    const gift = {
      ...CUSTOMS,
      commercialInvoice: { ...CUSTOMS.commercialInvoice, purpose: 'GIFT' as const },
    };
    const sample = {
      ...CUSTOMS,
      commercialInvoice: { ...CUSTOMS.commercialInvoice, purpose: 'SAMPLE' as const },
    };
    assert.equal(toShipStationOrder(ABROAD, { customs: gift }).internationalOptions?.contents, 'gift');
    assert.equal(toShipStationOrder(ABROAD, { customs: sample }).internationalOptions?.contents, 'sample');
    assert.equal(
      toShipStationOrder(ABROAD, { customs: CUSTOMS, nonDelivery: 'treat_as_abandoned' }).internationalOptions
        ?.nonDelivery,
      'treat_as_abandoned',
    );
  });

  it('a domestic order has no internationalOptions and keeps its version', () => {
    const body = toShipStationOrder(ERP_ORDER);
    assert.equal('internationalOptions' in body, false);
    assert.equal(shipStationOrderVersion(body), shipStationOrderVersion(toShipStationOrder(ERP_ORDER, {})));
  });

  it('the content version includes the customs: a changed HS code or value is pushed again', () => {
    const v = shipStationOrderVersion(toShipStationOrder(ABROAD, { customs: CUSTOMS }));
    assert.notEqual(v, shipStationOrderVersion(toShipStationOrder(ABROAD)));
    assert.equal(
      v,
      shipStationOrderVersion(toShipStationOrder(ABROAD, { customs: structuredClone(CUSTOMS) })),
    );
    const hs = structuredClone(CUSTOMS);
    hs.lines[1]!.hsCode = '7318.16';
    const price = structuredClone(CUSTOMS);
    price.lines[0]!.unitPrice.amount = 13;
    for (const c of [hs, price])
      assert.notEqual(shipStationOrderVersion(toShipStationOrder(ABROAD, { customs: c })), v);
  });

  it('customs values priced in another currency than USD are refused before any push', () => {
    assert.deepEqual(validateForShipStation(ABROAD, CUSTOMS), []);
    const eur = structuredClone(CUSTOMS);
    eur.totalCustomsValue.currency = 'EUR';
    const problems = validateForShipStation(ABROAD, eur);
    assert.deepEqual(
      problems.map((p) => p.field),
      ['customs.totalCustomsValue.currency'],
    );
    assert.match(problems[0]!.message, /in USD .* priced in EUR: price the order in USD in the ERP/);
  });
});

describe('ShipStation order statuses', () => {
  it('open statuses are updatable; shipped and cancelled are final and locked', () => {
    for (const s of ['awaiting_payment', 'awaiting_shipment', 'on_hold', 'pending_fulfillment']) {
      assert.deepEqual(shipStationOrderState(s), { phase: 'open', updatable: true, final: false });
    }
    assert.deepEqual(shipStationOrderState('shipped'), { phase: 'shipped', updatable: false, final: true });
    assert.deepEqual(shipStationOrderState('cancelled'), {
      phase: 'cancelled',
      updatable: false,
      final: true,
    });
    assert.deepEqual(shipStationOrderState('rejected_fulfillment').phase, 'attention');
    assert.equal(shipStationOrderState('something_new').updatable, false);
    assert.equal(shipStationOrderState(undefined).updatable, false);
  });
});

/** The documented V1 shipment example's shape (APIARY), with items. */
const SHIPMENT: SsShipment = {
  shipmentId: 33974374,
  orderId: 43945660,
  orderKey: 'mlc:plex-main:11111111-1111-4111-8111-111111111111',
  orderNumber: '100123',
  createDate: '2026-11-01T01:30:00.0000000',
  shipDate: '2026-11-01',
  shipmentCost: 7.3,
  insuranceCost: 0.5,
  trackingNumber: '9400111899561704681189',
  isReturnLabel: false,
  carrierCode: 'stamps_com',
  serviceCode: 'usps_first_class_mail',
  voided: false,
  voidDate: null,
  shipmentItems: [
    { orderItemId: 1, lineItemKey: 'L1', sku: 'BRKT-100', name: 'Bracket', quantity: 4 },
    { orderItemId: 2, lineItemKey: 'L2', sku: 'BOLT-8', name: 'Bolt', quantity: 60 },
    { orderItemId: 3, lineItemKey: 'L3', sku: 'BOLT-8', name: 'Bolt', quantity: 40 },
  ],
};

describe('ShipStation shipment -> canonical record', () => {
  it('maps ids, tracking, carrier, service, UTC times, cost and items', () => {
    const r = toShipmentRecord(SHIPMENT);
    assert.deepEqual(r, {
      shipmentId: '33974374',
      orderId: '43945660',
      orderKey: SHIPMENT.orderKey,
      orderNumber: '100123',
      trackingNumber: '9400111899561704681189',
      carrierCode: 'stamps_com',
      serviceCode: 'usps_first_class_mail',
      shipDate: '2026-11-01',
      createdAt: '2026-11-01T08:30:00.000Z', // the repeated hour: earlier instant
      cost: { amount: 7.8, currency: 'USD' },
      voided: false,
      isReturnLabel: false,
      items: [
        { sku: 'BRKT-100', quantity: 4, lineItemKey: 'L1' },
        { sku: 'BOLT-8', quantity: 60, lineItemKey: 'L2' },
        { sku: 'BOLT-8', quantity: 40, lineItemKey: 'L3' },
      ],
      itemsKnown: true,
    });
    assert.deepEqual(
      [...shippedQuantities(r)],
      [
        ['BRKT-100', 4],
        ['BOLT-8', 100],
      ],
    );
  });

  it('tells "no items in the answer" apart from "no items", and keeps voids', () => {
    const r = toShipmentRecord(
      { ...SHIPMENT, shipmentItems: null, voided: true, voidDate: '2026-11-02T10:00:00.0000000' },
      { currency: 'CAD' },
    );
    assert.equal(r.itemsKnown, false);
    assert.deepEqual(r.items, []);
    assert.equal(r.voided, true);
    assert.equal(r.voidedAt, '2026-11-02T18:00:00.000Z');
    assert.equal(r.cost?.currency, 'CAD');
    assert.throws(() => toShipmentRecord({} as SsShipment), RangeError);
  });
});

describe('ShipStation V2 inventory mapping', () => {
  it('reads levels and computes available when absent', () => {
    assert.deepEqual(
      toInventoryLevel({
        sku: 'A',
        on_hand: 10,
        allocated: 3,
        inventory_location_id: 'se-1',
        inventory_warehouse_id: 'se-9',
      }),
      { sku: 'A', onHand: 10, allocated: 3, available: 7, warehouseId: 'se-9', locationId: 'se-1' },
    );
    assert.deepEqual(toInventoryLevel({ sku: 'B' }), { sku: 'B', onHand: 0, allocated: 0, available: 0 });
  });

  it('builds an adjust transaction and refuses negative or fractional quantities', () => {
    assert.deepEqual(toOnHandAdjustment('A', 12, 'se-1', 'plex sync'), {
      transaction_type: 'adjust',
      sku: 'A',
      quantity: 12,
      inventory_location_id: 'se-1',
      reason: 'plex sync',
    });
    assert.throws(() => toOnHandAdjustment('A', -1, 'se-1'), RangeError);
    assert.throws(() => toOnHandAdjustment('A', 1.5, 'se-1'), RangeError);
  });
});
