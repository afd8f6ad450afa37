import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import pino from 'pino';
import { FedexClient } from '../../connectors/fedex/client';
import {
  fedexErrorFromResponse,
  FedexBusinessError,
  FedexAuthError,
  FedexUnavailableError,
} from '../../connectors/fedex/errors';
import {
  freightCost,
  parseAddressValidationResponse,
  parseCancelResponse,
  parseRateResponse,
  parseShipResponse,
  parseTrackByReferenceResponse,
  parseTrackResponse,
  toFedexAddressValidationRequest,
  toFedexCancelRequest,
  toFedexRateRequest,
  toFedexShipRequest,
  toFedexTokenForm,
  toFedexTrackByReferenceRequest,
  toFedexTrackRequests,
} from '../../connectors/fedex/mapping';
import type { ShipmentRequest } from '../../domain/model';
import { buildShipmentRequest, type ShipmentMappingConfig } from '../../domain/shipment-request';
import { loadConfig } from '../../clients/config';
import { PlexClient } from '../../connectors/plex/client';
import { DEMO_KEY, startPlexSimulator } from '../../simulators/plex';
import { unlimited } from '../../lib/ratelimit';
import {
  CANADA,
  CUSTOMS,
  internationalRequest,
  MemoryTokenStore,
  RECIPIENT,
  SHIPPER,
  shipmentRequest,
} from '../unit/fedex-fixtures';

/**
 * Every request body the connector sends, checked against FedEx's own OpenAPI request schemas, and
 * the response parsers run on the examples those files contain. The specs are reference data kept
 * outside the repository (shared/specs/fedex).
 */
const SPECS = path.resolve(__dirname, '..', '..', '..', 'shared', 'specs', 'fedex');
const FILES = {
  auth: 'APIAuthorization-Resource.json',
  ship: 'Shipment-Resource.json',
  track: 'TrackingNumbers-Resource.json',
  rate: 'RateQuotes-Resource.json',
  address: 'Addresses-Resource.json',
  reference: 'ReferenceNumbers-Resource.json',
} as const;
type SpecName = keyof typeof FILES;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const specs: Partial<Record<SpecName, Json>> = {};
for (const [name, file] of Object.entries(FILES) as Array<[SpecName, string]>) {
  const p = path.join(SPECS, file);
  if (existsSync(p)) specs[name] = JSON.parse(readFileSync(p, 'utf8'));
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Each spec is registered under its own id so its internal "#/components/..." refs resolve.
for (const [name, spec] of Object.entries(specs)) ajv.addSchema({ $id: name, components: spec.components });

function spec(name: SpecName): Json {
  const s = specs[name];
  assert.ok(s, `${FILES[name]} is missing from ${SPECS}`);
  return s;
}

function deref(s: Json, schema: Json): Json {
  let out = schema;
  while (out && out.$ref)
    out = String(out.$ref)
      .split('/')
      .slice(1)
      .reduce((o: Json, k: string) => o[k], s);
  return out;
}

/**
 * Properties the schema does not declare (following $ref/allOf). FedEx never sets
 * additionalProperties: false, so without this a misspelt optional field would pass unnoticed.
 */
function undeclared(s: Json, schema: Json, data: unknown, at: string, out: string[] = []): string[] {
  const sc = deref(s, schema);
  if (!sc || data === null || typeof data !== 'object') return out;
  if (Array.isArray(data)) {
    if (sc.items) data.forEach((d, i) => undeclared(s, sc.items, d, `${at}[${i}]`, out));
    return out;
  }
  const parts = [sc, ...(sc.allOf ?? []).map((p: Json) => deref(s, p))];
  const props: Record<string, Json> = Object.assign({}, ...parts.map((p: Json) => p.properties ?? {}));
  if (Object.keys(props).length === 0) return out;
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (!(k in props)) out.push(`${at}.${k}`);
    else undeclared(s, props[k], v, `${at}.${k}`, out);
  }
  return out;
}

/** Problems of `body` against components.schemas[schemaName]; empty when it conforms. */
function problems(name: SpecName, schemaName: string, body: unknown): string[] {
  const validate = ajv.getSchema(`${name}#/components/schemas/${schemaName}`) as ValidateFunction | undefined;
  assert.ok(validate, `schema ${schemaName} not in ${FILES[name]}`);
  const out: string[] = [];
  if (!validate(body)) out.push(ajv.errorsText(validate.errors, { separator: '\n' }));
  const s = spec(name);
  out.push(
    ...undeclared(s, s.components.schemas[schemaName], body, '$').map((p) => `undeclared property ${p}`),
  );
  return out;
}

function assertConforms(name: SpecName, schemaName: string, body: unknown): void {
  assert.deepEqual(problems(name, schemaName, body), [], `${schemaName}`);
}

/** A response example assembled from the `example` values FedEx puts on the schema's properties. */
function example(name: SpecName, schemaName: string): Json {
  const s = spec(name);
  const build = (schema: Json, depth: number): Json => {
    const sc = deref(s, schema);
    if (!sc || depth > 40) return undefined;
    if (sc.example !== undefined) return structuredClone(sc.example);
    if (sc.allOf) return Object.assign({}, ...sc.allOf.map((p: Json) => build(p, depth + 1)));
    if (sc.oneOf) return build(sc.oneOf[0], depth + 1);
    if (sc.items) return [build(sc.items, depth + 1)];
    if (sc.properties) {
      const o: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(sc.properties)) {
        const b = build(v, depth + 1);
        if (b !== undefined) o[k] = b;
      }
      return o;
    }
    return undefined;
  };
  return build(s.components.schemas[schemaName], 0);
}

const ACCOUNT = '740561073';
const SHIP = 'Full_Schema_Ship';

function shipBody(req: ShipmentRequest) {
  return toFedexShipRequest(req, { accountNumber: ACCOUNT });
}

describe('FedEx request bodies conform to the official request schemas', () => {
  it('ship: one package, sender pays, PDF label bytes', () => {
    assertConforms('ship', SHIP, shipBody(shipmentRequest()));
  });

  it('ship: several packages in mixed units, third party pays, ZPL by URL', () => {
    const req = shipmentRequest({
      packages: [
        { weight: { value: 2, unit: 'KG' }, dimensions: { length: 30, width: 20, height: 10, unit: 'CM' } },
        { weight: { value: 4.4, unit: 'LB' } },
        {
          weight: { value: 1, unit: 'LB' },
          declaredValue: { amount: 10, currency: 'USD' },
          description: 'spare parts',
        },
      ],
      payment: { type: 'THIRD_PARTY', account: '510087780' },
      label: { format: 'ZPL', delivery: 'URL_ONLY' },
    });
    const body = shipBody(req);
    assert.equal(body.requestedShipment.requestedPackageLineItems.length, 3);
    assertConforms('ship', SHIP, body);
  });

  it('ship: every payment type and every label option', () => {
    for (const payment of [
      { type: 'SENDER' as const },
      { type: 'RECIPIENT' as const, account: '123456789' },
      { type: 'THIRD_PARTY' as const, account: '987654321' },
    ]) {
      for (const format of ['PDF', 'ZPL'] as const) {
        for (const delivery of ['LABEL', 'URL_ONLY'] as const) {
          assertConforms('ship', SHIP, shipBody(shipmentRequest({ payment, label: { format, delivery } })));
        }
      }
    }
  });

  it('ship: international, express and residential variants', () => {
    const intl = shipmentRequest({
      recipient: {
        ...RECIPIENT,
        stateOrProvince: undefined,
        city: 'Amsterdam',
        postalCode: '1012 AB',
        countryCode: 'NL',
      },
      serviceLevel: 'economy',
    });
    assert.equal(shipBody(intl).requestedShipment.serviceType, 'INTERNATIONAL_ECONOMY');
    assertConforms('ship', SHIP, shipBody(intl));
    const home = shipmentRequest({ recipient: { ...RECIPIENT, residential: true, phone: undefined } });
    assertConforms('ship', SHIP, shipBody(home));
    assertConforms('ship', SHIP, shipBody(shipmentRequest({ carrierServiceCode: 'PRIORITY_OVERNIGHT' })));
  });

  it('cancel', () => {
    assertConforms(
      'ship',
      'Full_Schema_Cancel_Shipment',
      toFedexCancelRequest('794842623031', { accountNumber: ACCOUNT }),
    );
    assertConforms(
      'ship',
      'Full_Schema_Cancel_Shipment',
      toFedexCancelRequest('794842623031', { accountNumber: ACCOUNT, senderCountryCode: 'US' }),
    );
  });

  it('track, including a split into batches of 30', () => {
    const numbers = Array.from({ length: 31 }, (_, i) => String(794800000000 + i));
    const batches = toFedexTrackRequests(numbers);
    assert.deepEqual(
      batches.map((b) => b.trackingInfo.length),
      [30, 1],
    );
    for (const b of batches) assertConforms('track', 'Full_Schema_Tracking_Numbers', b);
  });

  it('track by reference', (t) => {
    const body = toFedexTrackByReferenceRequest('SO-1001', {
      accountNumber: ACCOUNT,
      shipDate: '2026-11-23',
      now: new Date('2026-11-23T10:00:00Z'),
    });
    if (!specs.reference) {
      t.skip(`${FILES.reference} is not in shared/specs/fedex: this body is checked against nothing`);
      return;
    }
    assertConforms('reference', 'Full_Schema_Tracking_References', body);
  });

  it('rate quote, with and without a service filter', () => {
    const req = { shipper: SHIPPER, recipient: RECIPIENT, packages: shipmentRequest().packages };
    assertConforms('rate', 'Full_Schema_Quote_Rate', toFedexRateRequest(req, { accountNumber: ACCOUNT }));
    assertConforms(
      'rate',
      'Full_Schema_Quote_Rate',
      toFedexRateRequest(
        { ...req, serviceLevel: 'two_day', shipDate: '2026-11-23' },
        { accountNumber: ACCOUNT },
      ),
    );
  });

  it('address validation', () => {
    assertConforms(
      'address',
      'Full_Schema_Validate_Address',
      toFedexAddressValidationRequest([SHIPPER, RECIPIENT]),
    );
  });

  it('oauth form fields, plain and with child credentials', () => {
    assertConforms('auth', 'FullSchema', toFedexTokenForm({ clientId: 'id', clientSecret: 'secret' }));
    const child = toFedexTokenForm({
      clientId: 'id',
      clientSecret: 'secret',
      childKey: 'ck',
      childSecret: 'cs',
    });
    assert.equal(child.grant_type, 'csp_credentials');
    assertConforms('auth', 'FullSchema', child);
  });
});

describe('the schema check has teeth', () => {
  it('fails when a required field is dropped', () => {
    const body: Json = shipBody(shipmentRequest());
    delete body.requestedShipment.shipper;
    assert.match(problems('ship', SHIP, body).join('\n'), /shipper/);
    const track: Json = toFedexTrackRequests(['794842623031'])[0];
    delete track.trackingInfo[0].trackingNumberInfo.trackingNumber;
    assert.match(problems('track', 'Full_Schema_Tracking_Numbers', track).join('\n'), /trackingNumber/);
  });

  it('fails when a required field is misspelt', () => {
    const body: Json = shipBody(shipmentRequest());
    body.labelResponseOption = body.labelResponseOptions;
    delete body.labelResponseOptions;
    const found = problems('ship', SHIP, body).join('\n');
    assert.match(found, /labelResponseOptions/);
    assert.match(found, /undeclared property \$\.labelResponseOption\b/);
  });

  it('fails when an optional field is misspelt (Rate spells shipDateStamp, Ship spells shipDatestamp)', () => {
    const body: Json = shipBody(shipmentRequest());
    body.requestedShipment.shipDateStamp = body.requestedShipment.shipDatestamp;
    delete body.requestedShipment.shipDatestamp;
    assert.deepEqual(problems('ship', SHIP, body), ['undeclared property $.requestedShipment.shipDateStamp']);
  });

  it('fails on a value outside an enum', () => {
    const body: Json = shipBody(shipmentRequest());
    body.requestedShipment.shippingChargesPayment.paymentType = 'SENDR';
    assert.match(problems('ship', SHIP, body).join('\n'), /allowed values/);
  });
});

describe('the client sends only conforming bodies', () => {
  it('captures what FedexClient puts on the wire for every operation', async (t) => {
    const sent: Array<{ path: string; body: Json; headers: Record<string, string> }> = [];
    const answers: Record<string, Json> = {
      '/oauth/token': {
        access_token: 'tok-contract-123',
        token_type: 'bearer',
        expires_in: 3600,
        scope: 'CXS',
      },
      '/ship/v1/shipments': example('ship', 'SHPCResponseVO_ShipShipment'),
      '/ship/v1/shipments/cancel': example('ship', 'SHPCResponseVO_CancelShipment'),
      '/track/v1/trackingnumbers': { output: { completeTrackResults: [] } },
      '/track/v1/referencenumbers': { output: { completeTrackResults: [] } },
      '/rate/v1/rates/quotes': example('rate', 'RatcResponseVO'),
      '/address/v1/addresses/resolve': example('address', 'AdvcResponseVO'),
    };
    // The client sends through the connector kit over real HTTP: a local server records each request.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const p = new URL(req.url ?? '/', 'http://localhost').pathname;
        const raw = Buffer.concat(chunks).toString();
        const body = p === '/oauth/token' ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
        sent.push({ path: p, body, headers: req.headers as Record<string, string> });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answers[p] ?? {}));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const client = new FedexClient({
      connection: 'fedex-contract',
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      clientId: 'client-id',
      clientSecret: 'client-secret-value',
      accountNumber: ACCOUNT,
      tokenStore: new MemoryTokenStore(),
      limiter: unlimited,
      timeoutMs: 1000,
      log: pino({ level: 'silent' }),
    });
    await client.createShipment(shipmentRequest({ label: { format: 'PDF', delivery: 'URL_ONLY' } }));
    await client.cancelShipment('794842623031', 'US');
    await client.track(['794842623031', '123456789012']);
    await client.findShipmentByReference('SO-1001', '2026-11-23');
    await client.rateQuote({ shipper: SHIPPER, recipient: RECIPIENT, packages: shipmentRequest().packages });
    await client.validateAddress([RECIPIENT]);

    const schemaFor: Record<string, [SpecName, string]> = {
      '/oauth/token': ['auth', 'FullSchema'],
      '/ship/v1/shipments': ['ship', SHIP],
      '/ship/v1/shipments/cancel': ['ship', 'Full_Schema_Cancel_Shipment'],
      '/track/v1/trackingnumbers': ['track', 'Full_Schema_Tracking_Numbers'],
      '/track/v1/referencenumbers': ['reference', 'Full_Schema_Tracking_References'],
      '/rate/v1/rates/quotes': ['rate', 'Full_Schema_Quote_Rate'],
      '/address/v1/addresses/resolve': ['address', 'Full_Schema_Validate_Address'],
    };
    assert.deepEqual(new Set(sent.map((s) => s.path)), new Set(Object.keys(schemaFor)));
    const ship = sent.find((s) => s.path === '/ship/v1/shipments');
    assert.equal(ship?.headers['x-customer-transaction-id'], 'order/plex-demo/SO-1001');
    assert.equal(ship?.headers.authorization, 'Bearer tok-contract-123');
    // One subtest per endpoint: one whose spec file is missing shows as skipped, with the reason.
    for (const [endpoint, [name, schemaName]] of Object.entries(schemaFor)) {
      await t.test(`${endpoint} against ${FILES[name]}`, (st) => {
        if (!specs[name]) {
          st.skip(`${FILES[name]} is not in shared/specs/fedex: this body is checked against nothing`);
          return;
        }
        for (const s of sent.filter((x) => x.path === endpoint)) assertConforms(name, schemaName, s.body);
      });
    }
  });
});

describe('parsers on the specs own response examples', () => {
  const now = new Date('2026-11-23T12:00:00Z');

  it('ship response: tracking numbers, label and cost', () => {
    const body = example('ship', 'SHPCResponseVO_ShipShipment');
    const byUrl = parseShipResponse(body, { labelFormat: 'PDF', labelDelivery: 'URL_ONLY', now });
    assert.equal(byUrl.masterTrackingNumber, '794953535000');
    assert.deepEqual(byUrl.pieceTrackingNumbers, ['794953535000']);
    assert.equal(byUrl.serviceType, 'STANDARD_OVERNIGHT');
    assert.ok('url' in byUrl.label && byUrl.label.url.startsWith('https://'));
    assert.ok('expiresAt' in byUrl.label && byUrl.label.expiresAt === '2026-11-24T12:00:00.000Z');
    assert.ok(byUrl.warnings.some((w) => w.includes('SHIPMENT.VALIDATION.SUCCESS')));

    const bytes = parseShipResponse(body, { labelFormat: 'PDF', labelDelivery: 'LABEL', now });
    assert.ok('documents' in bytes.label && bytes.label.documents[0]?.base64 === 'encoded label');

    // FedEx's example names actualRateType PAYOR_LIST_SHIPMENT but only lists a RATED_ACCOUNT_SHIPMENT
    // entry: no entry is the actual one, so the per-piece net charges are used.
    const ts = body.output.transactionShipments[0];
    assert.deepEqual(freightCost(ts), { amount: 21.45, currency: 'USD' });
    ts.completedShipmentDetail.shipmentRating.actualRateType = 'RATED_ACCOUNT_SHIPMENT';
    assert.deepEqual(freightCost(ts), { amount: 3.78, currency: 'USD' });
  });

  it('cancel response', () => {
    const parsed = parseCancelResponse(example('ship', 'SHPCResponseVO_CancelShipment'));
    assert.equal(typeof parsed.cancelled, 'boolean');
    assert.equal(typeof parsed.message, 'string');
  });

  it('track response: an update, and the per-number error kept apart', () => {
    const body = example('track', 'TrkcResponseVO_TrackingNumber');
    const failed = parseTrackResponse(body, { now });
    assert.deepEqual(failed.updates, []);
    assert.deepEqual(failed.errors, [
      {
        trackingNumber: '123456789012',
        code: 'TRACKING.TRACKINGNUMBER.EMPTY',
        message: 'Please provide tracking number.',
      },
    ]);

    delete body.output.completeTrackResults[0].trackResults[0].error;
    const { updates, errors } = parseTrackResponse(body, { now });
    assert.deepEqual(errors, []);
    assert.equal(updates.length, 1);
    const u = updates[0]!;
    assert.equal(u.trackingNumber, '128667043726');
    assert.equal(u.status, 'picked_up');
    assert.equal(u.rawCode, 'PU');
    assert.equal(u.location, 'SEATTLE, WA, US');
    assert.match(u.eventTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(parseTrackByReferenceResponse(body)[0]?.trackingNumber, '128667043726');
  });

  it('rate response', () => {
    const quotes = parseRateResponse(example('rate', 'RatcResponseVO'));
    assert.deepEqual(
      quotes.map((q) => [q.serviceType, q.rateType, q.cost.amount, q.cost.currency]),
      [
        ['INTERNATIONAL_FIRST', 'ACCOUNT', 445.54, 'CAD'],
        ['INTERNATIONAL_PRIORITY', 'ACCOUNT', 345.15, 'CAD'],
        ['INTERNATIONAL_ECONOMY', 'ACCOUNT', 209.56, 'CAD'],
        ['FEDEX_GROUND', 'ACCOUNT', 53.59, 'CAD'],
      ],
    );
    assert.equal(quotes[0]?.serviceName, 'FedEx International First');
    assert.equal(quotes[0]?.commitTime, '2020-07-16T10:30:00.000Z');
  });

  it('address validation response', () => {
    const [check] = parseAddressValidationResponse(example('address', 'AdvcResponseVO'), [RECIPIENT]);
    assert.ok(check);
    assert.equal(check.resolved, true);
    assert.equal(check.classification, 'business');
    assert.deepEqual(check.suggestion?.lines, ['7372 PARKRIDGE BLVD', 'APT 286']);
    assert.equal(check.suggestion?.postalCode, '00926-2716');
    assert.ok(check.messages.some((m) => m.includes('SHIP.RECIPIENT.POSTALCITY.MISMATCH')));
  });

  it('error examples of every endpoint map to the right error type', () => {
    let checked = 0;
    for (const name of ['ship', 'track', 'rate', 'address', 'auth'] as const) {
      for (const [p, ops] of Object.entries(spec(name).paths as Json)) {
        for (const op of Object.values(ops as Json) as Json[]) {
          for (const [status, response] of Object.entries(op.responses ?? {}) as Array<[string, Json]>) {
            const ex = response.content?.['application/json']?.example;
            if (Number(status) < 400 || !ex) continue;
            const err = fedexErrorFromResponse(
              { status: Number(status), text: JSON.stringify(ex) },
              { operation: p, nowMs: 0 },
            );
            const expected =
              Number(status) >= 500
                ? FedexUnavailableError
                : Number(status) === 401 || Number(status) === 403
                  ? FedexAuthError
                  : FedexBusinessError;
            assert.ok(err instanceof expected, `${name} ${p} ${status} -> ${err.type}`);
            assert.equal(err.code, ex.errors?.[0]?.code ?? ex.error);
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 25, `only ${checked} error examples found`);
  });
});

describe('customs: the customs part of a ship request against the official schemas', () => {
  it('an international request carries customsClearanceDetail and asks for the commercial invoice', () => {
    const body: Json = shipBody(internationalRequest());
    const ccd = body.requestedShipment.customsClearanceDetail;
    assert.deepEqual(ccd.commercialInvoice, {
      shipmentPurpose: 'SOLD',
      termsOfSale: 'DAP',
      customerReferences: [{ customerReferenceType: 'INVOICE_NUMBER', value: 'INV-2026-0042' }],
    });
    assert.deepEqual(ccd.commodities[0], {
      description: 'Ball bearings, steel, 20 mm bore',
      harmonizedCode: '8482105044',
      countryOfManufacture: 'US',
      quantity: 40,
      quantityUnits: 'PCS',
      unitPrice: { amount: 3.25, currency: 'USD' },
      customsValue: { amount: 130, currency: 'USD' },
      weight: { units: 'KG', value: 4.4 },
      partNumber: 'BRG-6204',
    });
    // A fractional quantity goes up to a whole unit; the line's customs value stays exact.
    assert.equal(ccd.commodities[1].quantity, 3);
    assert.deepEqual(ccd.commodities[1].customsValue, { amount: 30, currency: 'USD' });
    assert.equal(ccd.commodities[1].weight, undefined);
    assert.deepEqual(ccd.totalCustomsValue, { amount: 160, currency: 'USD' });
    assert.deepEqual(ccd.dutiesPayment, {
      paymentType: 'RECIPIENT',
      payor: { responsibleParty: { accountNumber: { value: '510087020' } } },
    });
    assert.deepEqual(body.requestedShipment.shippingDocumentSpecification, {
      shippingDocumentTypes: ['COMMERCIAL_INVOICE'],
      commercialInvoiceDetail: { documentFormat: { docType: 'PDF', stockType: 'PAPER_LETTER' } },
    });
    assertConforms('ship', SHIP, body);
    assertConforms('ship', 'CustomsClearanceDetail', ccd);
    assertConforms(
      'ship',
      'ShippingDocumentSpecification',
      body.requestedShipment.shippingDocumentSpecification,
    );
  });

  it('every duties payer, an importer of record and USMCA details conform', () => {
    for (const dutiesPayment of [
      { payer: 'SENDER' as const },
      { payer: 'RECIPIENT' as const },
      { payer: 'THIRD_PARTY' as const, account: '987654321' },
    ]) {
      const req = internationalRequest({
        customs: {
          ...CUSTOMS,
          dutiesPayment,
          importerOfRecord: {
            ...CANADA,
            company: 'Maple Imports Inc',
            accountNumber: '602091147',
            taxId: '123456789RM0001',
          },
          usmca: { originCriterion: 'B' },
        },
      });
      const body: Json = shipBody(req);
      const ccd = body.requestedShipment.customsClearanceDetail;
      assert.equal(ccd.dutiesPayment.paymentType, dutiesPayment.payer);
      assert.equal(ccd.dutiesPayment.payor?.responsibleParty.accountNumber.value, dutiesPayment.account);
      assert.deepEqual(ccd.importerOfRecord.accountNumber, { value: '602091147' });
      assert.deepEqual(ccd.importerOfRecord.tins, [
        { number: '123456789RM0001', tinType: 'BUSINESS_NATIONAL' },
      ]);
      assert.equal(ccd.importerOfRecord.address.countryCode, 'CA');
      assert.ok(ccd.commodities.every((c: Json) => c.usmcaDetail.originCriterion === 'B'));
      assertConforms('ship', SHIP, body);
    }
  });

  it('in pounds, the only disagreement is the spec listing KG alone for a commodity weight', () => {
    // FedEx's Weight_4 (a commodity's weight) lists only KG, while its own examples send LB and its
    // text says package and commodity units must be the same: the connector follows the text.
    const body: Json = shipBody(internationalRequest({ packages: [{ weight: { value: 13, unit: 'LB' } }] }));
    assert.deepEqual(body.requestedShipment.customsClearanceDetail.commodities[0].weight, {
      units: 'LB',
      value: 9.7,
    });
    const found = problems('ship', SHIP, body).join('\n').split('\n').filter(Boolean);
    assert.ok(found.length > 0);
    for (const p of found)
      assert.match(p, /commodities\/0\/weight\/units must be equal to one of the allowed values/);
  });

  it('a domestic request has no customs keys, exactly as before customs existed', () => {
    const body: Json = shipBody(shipmentRequest());
    assert.deepEqual(Object.keys(body.requestedShipment).sort(), [
      'labelSpecification',
      'packagingType',
      'pickupType',
      'recipients',
      'requestedPackageLineItems',
      'serviceType',
      'shipDatestamp',
      'shipper',
      'shippingChargesPayment',
      'totalPackageCount',
      'totalWeight',
    ]);
    assertConforms('ship', SHIP, body);
  });

  it("the commercial invoice is read from the answer's shipment documents", () => {
    const answer = example('ship', 'SHPCResponseVO_ShipShipment');
    const ts = answer.output.transactionShipments[0];
    ts.shipmentDocuments = [
      { contentType: 'COMMERCIAL_INVOICE', docType: 'PDF', copiesToPrint: 1, encodedLabel: 'JVBERi0xLjQK' },
    ];
    const shipment = parseShipResponse(answer, {
      labelFormat: 'PDF',
      labelDelivery: 'LABEL',
      now: new Date('2026-11-23T10:00:00Z'),
    });
    assert.deepEqual(shipment.documents, [
      { kind: 'commercial_invoice', format: 'PDF', base64: 'JVBERi0xLjQK' },
    ]);
    ts.shipmentDocuments = [
      { contentType: 'COMMERCIAL_INVOICE', docType: 'PDF', url: 'https://example.test/ci' },
    ];
    const linked = parseShipResponse(answer, {
      labelFormat: 'PDF',
      labelDelivery: 'URL_ONLY',
      now: new Date('2026-11-23T10:00:00Z'),
    });
    assert.deepEqual(linked.documents, [
      {
        kind: 'commercial_invoice',
        format: 'PDF',
        url: 'https://example.test/ci',
        expiresAt: '2026-11-24T10:00:00.000Z',
      },
    ]);
    ts.shipmentDocuments = [];
    assert.equal(
      parseShipResponse(answer, { labelFormat: 'PDF', labelDelivery: 'LABEL', now: new Date() }).documents,
      undefined,
    );
  });
});

describe("the demo's orders, as the connector sends them to FedEx", () => {
  it('every international order carries customs detail that conforms to the spec; an unclassified part is named', async (t) => {
    if (!specs.ship) return t.skip('no Ship spec');
    // The demo's Plex data (its default seed), loaded over HTTP by the Plex connector, mapped with
    // the demo's own mapping: what `npm start` sends to FedEx.
    const sim = await startPlexSimulator({ rateLimitPerMinute: 100_000 });
    try {
      const seeded = sim.seedOrders(50);
      const plex = new PlexClient({
        connection: 'plex-demo',
        baseUrl: sim.url,
        apiKey: DEMO_KEY.apiKey,
        limiter: unlimited,
        timeoutMs: 5_000,
        log: pino({ level: 'silent' }),
        domesticCountry: 'US',
      });
      // The embedded demo configuration, parsed as `npm start` parses it (defaults filled in).
      const demo = loadConfig({ env: {} }).mappings[0]!;
      const mapping: ShipmentMappingConfig = {
        shipFrom: demo.shipFrom!,
        serviceLevels: demo.serviceLevels,
        ...(demo.defaultService ? { defaultService: demo.defaultService } : {}),
        ...(demo.customs ? { customs: demo.customs } : {}),
      };
      let international = 0;
      let unclassified = 0;
      for (const s of seeded) {
        const order = await plex.loadOrder(s.orderKey);
        const { request, problems: found } = buildShipmentRequest(order, mapping, {
          idempotencyKey: `order/plex-demo/${s.orderKey}/shipment`,
          today: '2026-12-07',
        });
        if (order.shipTo.countryCode === 'US') {
          assert.equal(request.customs, undefined);
          continue;
        }
        if (s.invalid === 'hs_code') {
          unclassified++;
          const named = found.find((p) => p.field.endsWith('.hsCode'));
          assert.ok(named, `order ${s.orderNumber}: the missing HS code is a problem`);
          assert.match(named.message, /^part \S+ has no HS code for customs: .*harmonizedTariffCode/);
          continue;
        }
        if (s.invalid) continue; // bad addresses and weights: the lifecycle tests cover them
        assert.deepEqual(found, [], `order ${s.orderNumber}`);
        international++;
        const body: Json = shipBody(request);
        assertConforms('ship', 'CustomsClearanceDetail', body.requestedShipment.customsClearanceDetail);
        assertConforms('ship', SHIP, body);
      }
      t.diagnostic(
        `${international} international orders conform; ${unclassified} with an unclassified part named`,
      );
      assert.ok(international >= 20, `${international} valid international demo orders`);
      assert.ok(unclassified >= 1, `${unclassified} demo orders with an unclassified part`);
    } finally {
      await sim.stop();
    }
  });
});
