import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { ACCOUNT, HOUR, call, requestToken, shipRequest, token, trackRequest } from './fedex-helpers';

/**
 * The simulator's answers checked against FedEx's own OpenAPI response schemas: with ajv, and
 * with a walk that refuses any property the schema does not declare (the specs never set
 * additionalProperties: false, so ajv alone would not notice a misspelt field).
 */
const SPECS = path.resolve(__dirname, '..', '..', '..', 'shared', 'specs', 'fedex');
const FILES = {
  auth: 'APIAuthorization-Resource.json',
  ship: 'Shipment-Resource.json',
  track: 'TrackingNumbers-Resource.json',
  rate: 'RateQuotes-Resource.json',
  address: 'Addresses-Resource.json',
} as const;
type SpecName = keyof typeof FILES;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = any;
const specs = Object.fromEntries(
  Object.entries(FILES).map(([name, file]) => [
    name,
    JSON.parse(readFileSync(path.join(SPECS, file), 'utf8')),
  ]),
) as Record<SpecName, Schema>;

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
addFormats(ajv);
for (const [name, spec] of Object.entries(specs)) ajv.addSchema({ $id: name, components: spec.components });

function resolve(spec: Schema, schema: Schema): Schema {
  let s = schema;
  while (s && s.$ref) s = spec.components.schemas[String(s.$ref).split('/').pop()!];
  return s;
}

/** Every property in `data` must be declared by the schema (following $ref and allOf). */
function undeclared(spec: Schema, schema: Schema, data: unknown, at: string, out: string[]): string[] {
  const s = resolve(spec, schema);
  if (!s || data === null || typeof data !== 'object') return out;
  if (Array.isArray(data)) {
    if (s.items) data.forEach((item, i) => undeclared(spec, s.items, item, `${at}[${i}]`, out));
    return out;
  }
  const parts = [s, ...(s.allOf ?? []).map((p: Schema) => resolve(spec, p))];
  const props: Record<string, Schema> = Object.assign({}, ...parts.map((p: Schema) => p.properties ?? {}));
  if (Object.keys(props).length === 0) return out;
  for (const [key, value] of Object.entries(data)) {
    if (!(key in props)) out.push(`${at}.${key}`);
    else undeclared(spec, props[key], value, `${at}.${key}`, out);
  }
  return out;
}

function assertShape(specName: SpecName, schemaName: string, data: unknown): void {
  const validate = ajv.getSchema(`${specName}#/components/schemas/${schemaName}`);
  assert.ok(validate, `schema ${schemaName} not found in ${FILES[specName]}`);
  const valid = validate(data);
  assert.ok(valid, `${schemaName}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
  const extra = undeclared(specs[specName], specs[specName].components.schemas[schemaName], data, '$', []);
  assert.deepEqual(extra, [], `${schemaName}: properties the spec does not declare`);
}

describe('FedEx simulator answers match the official response schemas', () => {
  let sim: FedexSimulator;
  let accessToken: string;

  before(async () => {
    sim = await startFedexSimulator({ seed: 7, clockSpeed: 0, exceptionShare: 0 });
    accessToken = await token(sim);
  });
  after(() => sim.stop());

  it('the checks can fail: a wrong enum value and an undeclared property are caught', () => {
    const bad = { transactionId: 'x', output: { alerts: [{ code: 'A', alertType: 'LOUD', message: 'm' }] } };
    assert.throws(() => assertShape('ship', 'SHPCResponseVO_ShipShipment', bad));
    const misspelt = { transactionId: 'x', output: { transactionShipments: [{ masterTrackingNumbr: '1' }] } };
    assert.throws(() => assertShape('ship', 'SHPCResponseVO_ShipShipment', misspelt), /masterTrackingNumbr/);
  });

  it('OAuth token and its 401', async () => {
    assertShape('auth', 'Response', (await requestToken(sim)).body);
    const bad = await requestToken(sim, {
      grant_type: 'client_credentials',
      client_id: 'nobody',
      client_secret: 'x',
    });
    assert.equal(bad.status, 401);
    assertShape('auth', 'ErrorResponseVO', bad.body);
  });

  it('ship create (LABEL and URL_ONLY, several packages, LIST + ACCOUNT rates) and its 400', async () => {
    for (const labelResponseOptions of ['LABEL', 'URL_ONLY'] as const) {
      const answer = await call(
        sim,
        accessToken,
        '/ship/v1/shipments',
        shipRequest({
          reference: `S-${labelResponseOptions}`,
          packages: 3,
          labelResponseOptions,
          rateRequestType: ['LIST', 'ACCOUNT'],
        }),
        { headers: { 'x-customer-transaction-id': 'schema-test' } },
      );
      assert.equal(answer.status, 200);
      assertShape('ship', 'SHPCResponseVO_ShipShipment', answer.body);
    }
    const bad = await call(sim, accessToken, '/ship/v1/shipments', { accountNumber: { value: ACCOUNT } });
    assert.equal(bad.status, 400);
    assertShape('ship', 'ErrorResponseVO', bad.body);
  });

  it('ship create across a border: the commercial invoice document, and the refusal without customs', async () => {
    const req = shipRequest({ serviceType: 'FEDEX_INTERNATIONAL_PRIORITY' }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    req.requestedShipment.recipients[0].address = {
      streetLines: ['Keizersgracht 1'],
      city: 'Amsterdam',
      postalCode: '1015 CJ',
      countryCode: 'NL',
    };
    const refused = await call(sim, accessToken, '/ship/v1/shipments', req);
    assert.equal(refused.status, 400);
    assertShape('ship', 'ErrorResponseVO', refused.body);
    req.requestedShipment.customsClearanceDetail = {
      commercialInvoice: { shipmentPurpose: 'SOLD', termsOfSale: 'DAP' },
      commodities: [{ description: 'Valve bodies, brass', countryOfManufacture: 'US', quantity: 2 }],
      dutiesPayment: { paymentType: 'RECIPIENT' },
    };
    req.requestedShipment.shippingDocumentSpecification = { shippingDocumentTypes: ['COMMERCIAL_INVOICE'] };
    for (const labelResponseOptions of ['LABEL', 'URL_ONLY'] as const) {
      const answer = await call(sim, accessToken, '/ship/v1/shipments', { ...req, labelResponseOptions });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(
        answer.body.output.transactionShipments[0].shipmentDocuments[0].contentType,
        'COMMERCIAL_INVOICE',
      );
      assertShape('ship', 'SHPCResponseVO_ShipShipment', answer.body);
    }
  });

  it('cancel', async () => {
    const created = await call(sim, accessToken, '/ship/v1/shipments', shipRequest());
    const trackingNumber = created.body.output.transactionShipments[0].masterTrackingNumber;
    const answer = await call(
      sim,
      accessToken,
      '/ship/v1/shipments/cancel',
      { accountNumber: { value: ACCOUNT }, trackingNumber, deletionControl: 'DELETE_ALL_PACKAGES' },
      { method: 'PUT' },
    );
    assert.equal(answer.status, 200);
    assertShape('ship', 'SHPCResponseVO_CancelShipment', answer.body);
  });

  it('track: every status on the way, an exception, NOTFOUND, and the 400', async () => {
    sim.setLimits({ exceptionShare: 1 });
    const exception = await call(sim, accessToken, '/ship/v1/shipments', shipRequest());
    sim.setLimits({ exceptionShare: 0 });
    const normal = await call(
      sim,
      accessToken,
      '/ship/v1/shipments',
      shipRequest({ reference: 'TRK', packages: 2 }),
    );
    const numbers = [
      normal.body.output.transactionShipments[0].masterTrackingNumber,
      normal.body.output.transactionShipments[0].pieceResponses[1].trackingNumber,
      exception.body.output.transactionShipments[0].masterTrackingNumber,
      '999999999999',
    ];
    for (let step = 0; step < 6; step++) {
      const answer = await call(sim, accessToken, '/track/v1/trackingnumbers', trackRequest(numbers));
      assert.equal(answer.status, 200);
      assertShape('track', 'TrkcResponseVO_TrackingNumber', answer.body);
      sim.advanceClock(5 * HOUR);
    }
    const tooMany = await call(
      sim,
      accessToken,
      '/track/v1/trackingnumbers',
      trackRequest(Array(31).fill('1')),
    );
    assert.equal(tooMany.status, 400);
    assertShape('track', 'ErrorResponseVO', tooMany.body);
  });

  it('track by reference answers in the same track-result model', async () => {
    await call(sim, accessToken, '/ship/v1/shipments', shipRequest({ reference: 'REF-SCHEMA' }));
    for (const value of ['REF-SCHEMA', 'NO-SUCH-REF']) {
      const answer = await call(sim, accessToken, '/track/v1/referencenumbers', {
        referencesInformation: { type: 'CUSTOMER_REFERENCE', value, accountNumber: ACCOUNT },
        includeDetailedScans: true,
      });
      assert.equal(answer.status, 200);
      // The reference endpoint's spec is not in shared/specs; its output reuses the Track model.
      assertShape('track', 'TrkcResponseVO_TrackingNumber', answer.body);
    }
  });

  it('rate quotes, with and without a service filter', async () => {
    for (const serviceType of [undefined, 'FEDEX_GROUND']) {
      const answer = await call(sim, accessToken, '/rate/v1/rates/quotes', {
        accountNumber: { value: ACCOUNT },
        requestedShipment: {
          shipper: { address: { postalCode: '38117', countryCode: 'US' } },
          recipient: { address: { postalCode: '78701', countryCode: 'US' } },
          pickupType: 'DROPOFF_AT_FEDEX_LOCATION',
          ...(serviceType ? { serviceType } : {}),
          rateRequestType: ['ACCOUNT', 'LIST'],
          requestedPackageLineItems: [{ weight: { units: 'LB', value: 10 } }],
        },
      });
      assert.equal(answer.status, 200);
      assertShape('rate', 'RatcResponseVO', answer.body);
    }
  });

  it('address validation and its 400', async () => {
    const address = (postalCode: string) => ({
      address: {
        streetLines: ['7372 Parkridge Blvd', 'Suite 100'],
        city: 'Irving',
        stateOrProvinceCode: 'TX',
        postalCode,
        countryCode: 'US',
      },
    });
    const answer = await call(sim, accessToken, '/address/v1/addresses/resolve', {
      addressesToValidate: [address('75063-8659'), address('nope')],
    });
    assert.equal(answer.status, 200);
    assertShape('address', 'AdvcResponseVO', answer.body);
    const bad = await call(sim, accessToken, '/address/v1/addresses/resolve', {
      addressesToValidate: [address('nope')],
    });
    assert.equal(bad.status, 400);
    assertShape('address', 'ErrorResponseVO', bad.body);
  });

  it('401 and 429 answers use the error envelope', async () => {
    const expired = await call(sim, 'not-a-token', '/track/v1/trackingnumbers', trackRequest(['1']));
    assert.equal(expired.status, 401);
    assertShape('track', 'ErrorResponseVO401', expired.body);
    sim.storm(1);
    const limited = await call(sim, accessToken, '/track/v1/trackingnumbers', trackRequest(['1']));
    assert.equal(limited.status, 429);
    assertShape('track', 'ErrorResponseVO', limited.body);
  });
});
