// The FedEx simulator's customs rule: a shipment between two countries without customs clearance
// detail, without commodities, or with an undescribed commodity is refused as FedEx refuses it; one
// with them is accepted, and the commercial invoice it asks for comes back as a PDF document.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CUSTOMS_ERRORS } from '../../simulators/fedex/customs';
import { startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { call, shipRequest, token } from './fedex-helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies edited per case
type Json = any;

async function withSim(fn: (sim: FedexSimulator, accessToken: string) => Promise<void>): Promise<void> {
  const sim = await startFedexSimulator({ seed: 42, clockSpeed: 0 });
  try {
    await fn(sim, await token(sim));
  } finally {
    await sim.stop();
  }
}

const CUSTOMS = {
  commercialInvoice: {
    shipmentPurpose: 'SOLD',
    termsOfSale: 'DAP',
    customerReferences: [{ customerReferenceType: 'INVOICE_NUMBER', value: 'INV-77' }],
  },
  commodities: [
    {
      description: 'Ball bearings, steel',
      harmonizedCode: '8482105044',
      countryOfManufacture: 'US',
      quantity: 40,
      quantityUnits: 'PCS',
      unitPrice: { amount: 3.25, currency: 'USD' },
      customsValue: { amount: 130, currency: 'USD' },
      weight: { units: 'LB', value: 9.7 },
      partNumber: 'BRG-6204',
    },
  ],
  totalCustomsValue: { amount: 130, currency: 'USD' },
  dutiesPayment: { paymentType: 'RECIPIENT' },
};

const INVOICE_SPEC = {
  shippingDocumentTypes: ['COMMERCIAL_INVOICE'],
  commercialInvoiceDetail: { documentFormat: { docType: 'PDF', stockType: 'PAPER_LETTER' } },
};

/** Memphis to Mississauga: the simulator's domestic request with a Canadian recipient. */
function toCanada(customs?: unknown, opts: Parameters<typeof shipRequest>[0] = {}): Json {
  const req: Json = shipRequest({ serviceType: 'FEDEX_INTERNATIONAL_PRIORITY', ...opts });
  req.requestedShipment.recipients[0].address = {
    streetLines: ['2200 Lakeshore Rd W'],
    city: 'Mississauga',
    stateOrProvinceCode: 'ON',
    postalCode: 'L5J 1K2',
    countryCode: 'CA',
  };
  if (customs !== undefined) {
    req.requestedShipment.customsClearanceDetail = customs;
    req.requestedShipment.shippingDocumentSpecification = INVOICE_SPEC;
  }
  return req;
}

describe('FedEx simulator: customs for shipments between two countries', () => {
  it('refuses a shipment to another country without customsClearanceDetail', () =>
    withSim(async (sim, t) => {
      const answer = await call(sim, t, '/ship/v1/shipments', toCanada());
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body.errors, [CUSTOMS_ERRORS.detailMissing]);
      assert.equal(typeof answer.body.transactionId, 'string');
      assert.equal(sim.counters().shipments, 0, 'nothing was created');
    }));

  it('refuses customs detail without commodities, and names each commodity without a description', () =>
    withSim(async (sim, t) => {
      const none = await call(sim, t, '/ship/v1/shipments', toCanada({ ...CUSTOMS, commodities: [] }));
      assert.equal(none.status, 400);
      assert.deepEqual(none.body.errors, [CUSTOMS_ERRORS.commoditiesMissing]);

      const missing = await call(
        sim,
        t,
        '/ship/v1/shipments',
        toCanada({ ...CUSTOMS, commodities: undefined }),
      );
      assert.deepEqual(missing.body.errors, [CUSTOMS_ERRORS.commoditiesMissing]);

      const [first] = CUSTOMS.commodities;
      const undescribed = await call(
        sim,
        t,
        '/ship/v1/shipments',
        toCanada({
          ...CUSTOMS,
          commodities: [first, { ...first, description: ' ' }, { ...first, description: undefined }],
        }),
      );
      assert.equal(undescribed.status, 400);
      assert.deepEqual(undescribed.body.errors, [
        CUSTOMS_ERRORS.descriptionMissing(2),
        CUSTOMS_ERRORS.descriptionMissing(3),
      ]);
      assert.deepEqual(undescribed.body.errors[0].parameterList, [{ key: 'COMMODITY_INDEX', value: '2' }]);
      assert.equal(sim.counters().shipments, 0);
    }));

  it('accepts a shipment with customs detail and answers with its commercial invoice (PDF) in shipmentDocuments', () =>
    withSim(async (sim, t) => {
      const answer = await call(sim, t, '/ship/v1/shipments', toCanada(CUSTOMS));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const shipment = answer.body.output.transactionShipments[0];
      assert.equal(shipment.shipmentDocuments.length, 1);
      const doc = shipment.shipmentDocuments[0];
      assert.equal(doc.contentType, 'COMMERCIAL_INVOICE');
      assert.equal(doc.docType, 'PDF');
      const pdf = Buffer.from(doc.encodedLabel, 'base64').toString('latin1');
      assert.ok(pdf.startsWith('%PDF-1.4') && pdf.trimEnd().endsWith('%%EOF'));
      assert.ok(pdf.includes('INV-77') && pdf.includes('8482105044'));
      assert.ok(pdf.includes(shipment.masterTrackingNumber));
      // The label is still the package's own document.
      assert.equal(shipment.pieceResponses[0].packageDocuments[0].contentType, 'LABEL');
    }));

  it('gives the commercial invoice as a link when labels come as links', () =>
    withSim(async (sim, t) => {
      const answer = await call(
        sim,
        t,
        '/ship/v1/shipments',
        toCanada(CUSTOMS, { labelResponseOptions: 'URL_ONLY' }),
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const doc = answer.body.output.transactionShipments[0].shipmentDocuments[0];
      assert.equal(doc.encodedLabel, undefined);
      const res = await fetch(doc.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/pdf');
      assert.ok(
        Buffer.from(await res.arrayBuffer())
          .toString('latin1')
          .startsWith('%PDF'),
      );
    }));

  it('lets a documents-only shipment go without commodities, and a domestic one without customs', () =>
    withSim(async (sim, t) => {
      const docs = await call(
        sim,
        t,
        '/ship/v1/shipments',
        toCanada({ isDocumentOnly: true, dutiesPayment: { paymentType: 'SENDER' } }),
      );
      assert.equal(docs.status, 200, JSON.stringify(docs.body));
      const domestic = await call(sim, t, '/ship/v1/shipments', shipRequest());
      assert.equal(domestic.status, 200);
      assert.deepEqual(domestic.body.output.transactionShipments[0].shipmentDocuments, []);
    }));

  it('checks the customs fields it is given with FedEx-style 400s', () =>
    withSim(async (sim, t) => {
      const req = toCanada({
        ...CUSTOMS,
        commercialInvoice: { ...CUSTOMS.commercialInvoice, shipmentPurpose: 'BARTER' },
        commodities: [{ ...CUSTOMS.commodities[0], quantity: 2.5, countryOfManufacture: 'USA' }],
      });
      req.requestedShipment.shippingDocumentSpecification = { shippingDocumentTypes: ['INVOICE'] };
      const answer = await call(sim, t, '/ship/v1/shipments', req);
      assert.equal(answer.status, 400);
      assert.ok(answer.body.errors.every((e: Json) => e.code === 'INVALID.INPUT.EXCEPTION'));
      assert.deepEqual(answer.body.errors.map((e: Json) => e.parameterList[0].value).sort(), [
        'requestedShipment.customsClearanceDetail.commercialInvoice.shipmentPurpose',
        'requestedShipment.customsClearanceDetail.commodities[0].countryOfManufacture',
        'requestedShipment.customsClearanceDetail.commodities[0].quantity',
        'requestedShipment.shippingDocumentSpecification.shippingDocumentTypes[0]',
      ]);
    }));
});
