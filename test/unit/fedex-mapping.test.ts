import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FEDEX_STATUS_TABLE,
  fedexCustomerReferences,
  fedexOrderReference,
  fedexRequestProblems,
  fedexServiceType,
  fedexTimeToUtc,
  freightCost,
  normaliseFedexStatus,
  parseShipResponse,
  parseTrackByReferenceResponse,
  parseTrackResponse,
  referenceMaxLength,
  toFedexShipRequest,
  toFedexTrackByReferenceRequest,
  toFedexTrackRequests,
  totalWeight,
  fedexStateCode,
} from '../../connectors/fedex/mapping';
import type { FedexTrackResult } from '../../connectors/fedex/wire';
import { CANADA, CUSTOMS, internationalRequest, RECIPIENT, SHIPPER, shipmentRequest } from './fedex-fixtures';

const now = new Date('2026-11-23T15:00:00Z');

describe('customer references', () => {
  const long = 'X'.repeat(50);

  it('cuts each reference type to FedEx limits (CUSTOMER_REFERENCE 40 Express / 30 Ground, others 30)', () => {
    assert.equal(referenceMaxLength('CUSTOMER_REFERENCE', 'FEDEX_GROUND'), 30);
    assert.equal(referenceMaxLength('CUSTOMER_REFERENCE', 'GROUND_HOME_DELIVERY'), 30);
    assert.equal(referenceMaxLength('CUSTOMER_REFERENCE', 'SMART_POST'), 30);
    assert.equal(referenceMaxLength('CUSTOMER_REFERENCE', 'PRIORITY_OVERNIGHT'), 40);
    for (const type of ['P_O_NUMBER', 'INVOICE_NUMBER', 'DEPARTMENT_NUMBER'] as const) {
      assert.equal(referenceMaxLength(type, 'PRIORITY_OVERNIGHT'), 30);
    }
    const refs = { orderNumber: long, poNumber: long, invoiceNumber: long, department: long };
    const express = fedexCustomerReferences(refs, 'STANDARD_OVERNIGHT');
    assert.deepEqual(
      express.map((r) => [r.customerReferenceType, r.value.length]),
      [
        ['CUSTOMER_REFERENCE', 40],
        ['P_O_NUMBER', 30],
        ['INVOICE_NUMBER', 30],
        ['DEPARTMENT_NUMBER', 30],
      ],
    );
    assert.equal(fedexCustomerReferences(refs, 'FEDEX_GROUND')[0]?.value.length, 30);
  });

  it('leaves out empty optional references and keeps short values whole', () => {
    assert.deepEqual(fedexCustomerReferences({ orderNumber: ' SO-1 ', poNumber: '  ' }, 'FEDEX_GROUND'), [
      { customerReferenceType: 'CUSTOMER_REFERENCE', value: 'SO-1' },
    ]);
  });

  it('uses the same order reference for creating and for looking up', () => {
    const req = shipmentRequest({ references: { orderNumber: long } });
    const body = toFedexShipRequest(req, { accountNumber: '740561073' });
    const sent = body.requestedShipment.requestedPackageLineItems[0]?.customerReferences?.[0]?.value;
    assert.equal(sent, fedexOrderReference(long, body.requestedShipment.serviceType));
    const lookup = toFedexTrackByReferenceRequest(sent!, { accountNumber: '740561073', now });
    assert.equal(lookup.referencesInformation.value, sent);
  });
});

describe('ship request', () => {
  it('maps parties, packages, payment and label options', () => {
    const req = shipmentRequest({
      packages: [
        { weight: { value: 1, unit: 'KG' }, dimensions: { length: 10.2, width: 5, height: 3, unit: 'CM' } },
        { weight: { value: 2.2046, unit: 'LB' } },
      ],
      payment: { type: 'RECIPIENT', account: '123456789' },
      label: { format: 'ZPL', delivery: 'URL_ONLY' },
      recipient: { ...RECIPIENT, phone: undefined },
    });
    const body = toFedexShipRequest(req, { accountNumber: '740561073' });
    const rs = body.requestedShipment;
    assert.equal(body.labelResponseOptions, 'URL_ONLY');
    assert.equal(body.mergeLabelDocOption, 'LABELS_ONLY');
    assert.deepEqual(rs.labelSpecification, { imageType: 'ZPLII', labelStockType: 'STOCK_4X6' });
    assert.deepEqual(rs.shippingChargesPayment, {
      paymentType: 'RECIPIENT',
      payor: { responsibleParty: { accountNumber: { value: '123456789' } } },
    });
    assert.equal(rs.shipper.contact.phoneNumber, '19015550100');
    // FedEx requires a recipient phone: the shipper's stands in.
    assert.equal(rs.recipients[0]?.contact.phoneNumber, '19015550100');
    assert.deepEqual(rs.requestedPackageLineItems[0]?.dimensions, {
      length: 11,
      width: 5,
      height: 3,
      units: 'CM',
    });
    assert.equal(rs.totalWeight, 2);
    assert.equal(rs.totalPackageCount, 2);
    assert.equal(rs.shipDatestamp, '2026-11-23');
    assert.equal(rs.serviceType, 'FEDEX_GROUND');
    assert.equal(rs.packagingType, 'YOUR_PACKAGING');
  });

  it('chooses the service for the lane unless a carrier code is given', () => {
    const lane = { shipper: SHIPPER, recipient: RECIPIENT };
    assert.equal(fedexServiceType({ ...lane, serviceLevel: 'overnight' }), 'STANDARD_OVERNIGHT');
    assert.equal(
      fedexServiceType({ ...lane, recipient: { ...RECIPIENT, residential: true } }),
      'GROUND_HOME_DELIVERY',
    );
    assert.equal(
      fedexServiceType({ ...lane, recipient: { ...RECIPIENT, countryCode: 'CA' }, serviceLevel: 'two_day' }),
      'FEDEX_INTERNATIONAL_PRIORITY',
    );
    assert.equal(
      fedexServiceType({ ...lane, serviceLevel: 'ground', carrierServiceCode: 'FEDEX_2_DAY_AM' }),
      'FEDEX_2_DAY_AM',
    );
  });

  it('totals weights in the first package unit', () => {
    assert.deepEqual(
      totalWeight([{ weight: { value: 10, unit: 'LB' } }, { weight: { value: 1, unit: 'KG' } }]),
      { units: 'LB', value: 12.2 },
    );
  });

  it('flags what FedEx needs beyond the canonical checks', () => {
    assert.deepEqual(fedexRequestProblems(shipmentRequest()), []);
    const req = shipmentRequest({
      shipper: { ...SHIPPER, phone: '555' },
      packages: [
        { weight: { value: 1, unit: 'KG' }, dimensions: { length: 1000, width: 1, height: 1, unit: 'CM' } },
      ],
    });
    assert.deepEqual(
      fedexRequestProblems(req).map((p) => p.field),
      ['shipper.phone', 'packages[0].dimensions'],
    );
  });

  it('flags a shipment across a border without customs, and an importer of record without a phone', () => {
    assert.deepEqual(fedexRequestProblems(internationalRequest()), []);
    assert.deepEqual(
      fedexRequestProblems(internationalRequest({ customs: undefined })).map((p) => [p.field, p.code]),
      [['customs', 'required']],
    );
    const importer = { ...CANADA, phone: undefined };
    const problems = fedexRequestProblems(
      internationalRequest({ customs: { ...CUSTOMS, importerOfRecord: importer } }),
    );
    assert.deepEqual(
      problems.map((p) => p.field),
      ['customs.importerOfRecord.phone'],
    );
    assert.match(problems[0]!.message, /mappings\[\]\.customs\.importerOfRecord\.phone/);
  });
});

describe('freight cost (actualRateType rule)', () => {
  const rated = (actualRateType: string) => ({
    pieceResponses: [{ netChargeAmount: 10.1 }, { netChargeAmount: 5.2 }],
    completedShipmentDetail: {
      shipmentRating: {
        actualRateType,
        shipmentRateDetails: [
          { rateType: 'PAYOR_LIST_SHIPMENT', currency: 'USD', totalNetCharge: 40.456 },
          { rateType: 'PAYOR_ACCOUNT_SHIPMENT', currency: 'USD', totalNetCharge: 31.5 },
        ],
      },
    },
  });

  it('takes totalNetCharge of the entry actualRateType names', () => {
    assert.deepEqual(freightCost(rated('PAYOR_ACCOUNT_SHIPMENT')), { amount: 31.5, currency: 'USD' });
    assert.deepEqual(freightCost(rated('PAYOR_LIST_SHIPMENT')), { amount: 40.46, currency: 'USD' });
  });

  it('falls back to the sum of piece net charges when no entry matches', () => {
    assert.deepEqual(freightCost(rated('RATED_ACCOUNT_PACKAGE')), { amount: 15.3, currency: 'USD' });
  });

  it('gives no cost when FedEx rated nothing', () => {
    assert.equal(freightCost({ pieceResponses: [{ netChargeAmount: 3 }] }), undefined);
    assert.equal(freightCost({}), undefined);
  });
});

describe('ship response', () => {
  const body = {
    output: {
      transactionShipments: [
        {
          masterTrackingNumber: '794000000001',
          serviceType: 'FEDEX_GROUND',
          pieceResponses: [
            {
              trackingNumber: '794000000001',
              packageDocuments: [{ contentType: 'LABEL', docType: 'PDF', encodedLabel: 'QUJD' }],
            },
            {
              trackingNumber: '794000000002',
              packageDocuments: [{ contentType: 'LABEL', docType: 'PDF', encodedLabel: 'REVG' }],
            },
          ],
        },
      ],
    },
  };

  it('keeps master and piece tracking numbers and every label document', () => {
    const r = parseShipResponse(body, { labelFormat: 'PDF', labelDelivery: 'LABEL', now });
    assert.equal(r.masterTrackingNumber, '794000000001');
    assert.equal(r.carrierShipmentId, '794000000001');
    assert.deepEqual(r.pieceTrackingNumbers, ['794000000001', '794000000002']);
    assert.deepEqual(r.label, {
      format: 'PDF',
      documents: [
        { trackingNumber: '794000000001', base64: 'QUJD' },
        { trackingNumber: '794000000002', base64: 'REVG' },
      ],
    });
    assert.equal(r.cost, undefined);
  });

  it('prefers the merged label link and dates its 24 h expiry', () => {
    const withUrl = {
      output: {
        transactionShipments: [
          {
            masterTrackingNumber: '794000000001',
            pieceResponses: [
              { trackingNumber: '794000000001', packageDocuments: [{ url: 'https://x/piece' }] },
            ],
            shipmentDocuments: [{ contentType: 'MERGED_LABEL_DOCUMENTS', url: 'https://x/merged' }],
          },
        ],
      },
    };
    const r = parseShipResponse(withUrl, { labelFormat: 'ZPL', labelDelivery: 'URL_ONLY', now });
    assert.deepEqual(r.label, {
      format: 'ZPL',
      url: 'https://x/merged',
      expiresAt: '2026-11-24T15:00:00.000Z',
    });
  });

  it('refuses an answer without a tracking number or a label', () => {
    assert.throws(() =>
      parseShipResponse({ output: {} }, { labelFormat: 'PDF', labelDelivery: 'LABEL', now }),
    );
    assert.throws(() =>
      parseShipResponse(
        {
          output: {
            transactionShipments: [{ masterTrackingNumber: '1', pieceResponses: [{ trackingNumber: '1' }] }],
          },
        },
        { labelFormat: 'PDF', labelDelivery: 'LABEL', now },
      ),
    );
  });
});

describe('status normalisation', () => {
  const expected: Record<string, string> = {
    OC: 'label_created',
    PU: 'picked_up',
    PX: 'picked_up',
    IT: 'in_transit',
    AR: 'in_transit',
    DP: 'in_transit',
    AF: 'in_transit',
    FD: 'in_transit',
    CC: 'in_transit',
    HL: 'in_transit',
    OD: 'out_for_delivery',
    ED: 'out_for_delivery',
    DL: 'delivered',
    DE: 'exception',
    SE: 'exception',
    DD: 'exception',
    CD: 'exception',
    RS: 'returned',
    CA: 'cancelled',
  };

  it('maps FedEx codes to the normalised statuses', () => {
    for (const [code, status] of Object.entries(expected))
      assert.equal(normaliseFedexStatus(code), status, code);
    assert.equal(normaliseFedexStatus('dl'), 'delivered');
    assert.equal(normaliseFedexStatus('ZZ'), undefined);
    assert.equal(normaliseFedexStatus(undefined), undefined);
  });

  it('covers every normalised status', () => {
    assert.deepEqual([...new Set(Object.values(FEDEX_STATUS_TABLE))].sort(), [
      'cancelled',
      'delivered',
      'exception',
      'in_transit',
      'label_created',
      'out_for_delivery',
      'picked_up',
      'returned',
    ]);
  });
});

describe('times to UTC', () => {
  it('converts offsets exactly and reads offset-less values as UTC', () => {
    assert.equal(fedexTimeToUtc('2018-02-02T12:01:00-07:00'), '2018-02-02T19:01:00.000Z');
    assert.equal(fedexTimeToUtc('2026-11-23T23:30:00+05:30'), '2026-11-23T18:00:00.000Z');
    assert.equal(fedexTimeToUtc('2026-11-23T01:00:00Z'), '2026-11-23T01:00:00.000Z');
    assert.equal(fedexTimeToUtc('2026-11-23T10:30:00'), '2026-11-23T10:30:00.000Z');
    assert.equal(fedexTimeToUtc('2026-11-23'), '2026-11-23T00:00:00.000Z');
    assert.equal(fedexTimeToUtc('yesterday'), undefined);
    assert.equal(fedexTimeToUtc(undefined), undefined);
  });
});

describe('track', () => {
  it('splits numbers into batches of at most 30, without duplicates or blanks', () => {
    const numbers = Array.from({ length: 65 }, (_, i) => String(100000000000 + i));
    const batches = toFedexTrackRequests([...numbers, numbers[0]!, ' ']);
    assert.deepEqual(
      batches.map((b) => b.trackingInfo.length),
      [30, 30, 5],
    );
    assert.deepEqual(toFedexTrackRequests([]), []);
  });

  const result = (tn: string, r: Partial<FedexTrackResult>): FedexTrackResult => ({
    trackingNumberInfo: { trackingNumber: tn },
    ...r,
  });

  it('keeps per-number errors apart and converts event times to UTC', () => {
    const body = {
      output: {
        completeTrackResults: [
          {
            trackingNumber: '111',
            trackResults: [
              result('111', {
                latestStatusDetail: {
                  code: 'DL',
                  description: 'Delivered',
                  scanLocation: { city: 'AUSTIN', stateOrProvinceCode: 'TX', countryCode: 'US' },
                },
                dateAndTimes: [{ type: 'ACTUAL_DELIVERY', dateTime: '2026-11-22T14:05:00-06:00' }],
                scanEvents: [{ date: '2026-11-22T14:05:00-06:00', derivedStatusCode: 'DL' }],
              }),
            ],
          },
          {
            trackingNumber: '222',
            trackResults: [
              result('222', {
                latestStatusDetail: { code: 'IT', description: 'In transit' },
                scanEvents: [
                  {
                    date: '2026-11-21T08:00:00-05:00',
                    scanLocation: { city: 'MEMPHIS', stateOrProvinceCode: 'TN' },
                  },
                  {
                    date: '2026-11-22T03:10:00-05:00',
                    scanLocation: { city: 'DALLAS', stateOrProvinceCode: 'TX' },
                  },
                ],
                dateAndTimes: [{ type: 'ESTIMATED_DELIVERY', dateTime: '2026-11-24T00:00:00-06:00' }],
              }),
            ],
          },
          {
            trackingNumber: '333',
            trackResults: [
              {
                trackingNumberInfo: { trackingNumber: '333', trackingNumberUniqueId: '', carrierCode: '' },
                error: {
                  code: 'TRACKING.TRACKINGNUMBER.NOTFOUND',
                  message:
                    'Tracking number cannot be found. Please correct the tracking number and try again.',
                },
              },
            ],
          },
          {
            trackingNumber: '444',
            trackResults: [result('444', { latestStatusDetail: { code: 'ZZ', derivedCode: 'OD' } })],
          },
        ],
        alerts: 'TRACKING.DATA.NOTFOUND -  Tracking data unavailable',
      },
    };
    const { updates, errors } = parseTrackResponse(body, { now });
    assert.deepEqual(errors, [
      {
        trackingNumber: '333',
        code: 'TRACKING.TRACKINGNUMBER.NOTFOUND',
        message: 'Tracking number cannot be found. Please correct the tracking number and try again.',
      },
    ]);
    assert.deepEqual(updates[0], {
      trackingNumber: '111',
      status: 'delivered',
      rawCode: 'DL',
      description: 'Delivered',
      location: 'AUSTIN, TX, US',
      eventTime: '2026-11-22T20:05:00.000Z',
    });
    assert.deepEqual(updates[1], {
      trackingNumber: '222',
      status: 'in_transit',
      rawCode: 'IT',
      description: 'In transit',
      location: 'DALLAS, TX',
      eventTime: '2026-11-22T08:10:00.000Z',
      estimatedDelivery: '2026-11-24T06:00:00.000Z',
    });
    // An unknown detailed code falls back to the derived code, and the event time to `now`.
    assert.equal(updates[2]?.status, 'out_for_delivery');
    assert.equal(updates[2]?.rawCode, 'ZZ');
    assert.equal(updates[2]?.eventTime, now.toISOString());
  });

  it('finds shipments by reference, live ones first', () => {
    const found = parseTrackByReferenceResponse({
      output: {
        completeTrackResults: [
          {
            trackingNumber: '1',
            trackResults: [
              result('1', { latestStatusDetail: { code: 'CA' } }),
              result('2', { latestStatusDetail: { code: 'OC' } }),
              result('3', { error: { code: 'TRACKING.REFERENCE.NOTFOUND' } }),
            ],
          },
        ],
      },
    });
    assert.deepEqual(found, [
      { trackingNumber: '2', status: 'label_created', rawCode: 'OC' },
      { trackingNumber: '1', status: 'cancelled', rawCode: 'CA' },
    ]);
  });

  it('searches references around the ship date, or over the last 30 days', () => {
    const around = toFedexTrackByReferenceRequest('SO-1', {
      accountNumber: 'A',
      shipDate: '2026-03-01',
      now,
    });
    assert.equal(around.referencesInformation.shipDateBegin, '2026-02-28');
    assert.equal(around.referencesInformation.shipDateEnd, '2026-03-02');
    assert.equal(around.referencesInformation.shipDateEndDate, '2026-03-02');
    const recent = toFedexTrackByReferenceRequest('SO-1', { accountNumber: 'A', now });
    assert.equal(recent.referencesInformation.shipDateBegin, '2026-10-24');
    assert.equal(recent.referencesInformation.shipDateEnd, '2026-11-24');
  });
});

describe('state or province code', () => {
  it('sends two-letter codes, and longer ones only where FedEx requires a state', () => {
    assert.equal(fedexStateCode({ stateOrProvince: 'tn', countryCode: 'US' }), 'TN');
    assert.equal(fedexStateCode({ stateOrProvince: 'ON', countryCode: 'CA' }), 'ON');
    assert.equal(fedexStateCode({ stateOrProvince: 'CMX', countryCode: 'MX' }), undefined);
    assert.equal(fedexStateCode({ stateOrProvince: 'NL', countryCode: 'MX' }), 'NL');
    assert.equal(fedexStateCode({ stateOrProvince: ' ', countryCode: 'DE' }), undefined);
  });
});
