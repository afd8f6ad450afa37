import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { DEMO_KEY, startPlexSimulator, type PlexSimulator, type SeededOrder } from '../../simulators/plex';
import { undeclaredProperties, type Schema } from '../helpers/openapi';

/**
 * The simulator's answers checked against the response schemas of the Plex Connect spec (community
 * copy): with ajv, and with a walk that refuses any property the schema does not declare (the spec
 * never sets additionalProperties: false, so ajv alone would accept a misspelt field).
 */
const SPEC_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'specs',
  'plex',
  'plex-connect-openapi.yaml',
);

const spec: Schema = parse(readFileSync(SPEC_FILE, 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'plex', components: spec.components });

const undeclared = (schema: Schema, data: unknown, at: string, out: string[]): string[] =>
  undeclaredProperties(spec, schema, data, at, out);

/** The 200 (or 201) response schema of an operation, straight from the spec's paths. */
function responseSchema(method: string, template: string, status = '200'): Schema {
  const op = spec.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is not in the spec`);
  const schema = op.responses?.[status]?.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${template} has no ${status} JSON schema`);
  return schema;
}

function assertShape(method: string, template: string, data: unknown, status = '200'): void {
  const schema = responseSchema(method, template, status);
  const validate = ajv.compile(wrap(schema));
  assert.ok(validate(data), `${method} ${template}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
  assert.deepEqual(
    undeclared(schema, data, '$', []),
    [],
    `${method} ${template}: properties the spec does not declare`,
  );
}

/** Point the schema's component refs at the registered spec so ajv can resolve them. */
function wrap(schema: Schema): Schema {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"plex#/components/'));
}

describe('Plex simulator answers match the Plex Connect spec response schemas', () => {
  let sim: PlexSimulator;
  let order: SeededOrder;
  let weightless: SeededOrder;
  let unclassified: SeededOrder;

  async function get(p: string): Promise<unknown> {
    const res = await fetch(`${sim.url}${p}`, { headers: { 'X-Plex-Connect-Api-Key': DEMO_KEY.apiKey } });
    assert.equal(res.status, 200, p);
    return res.json();
  }

  async function send(method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${sim.url}${p}`, {
      method,
      headers: { 'X-Plex-Connect-Api-Key': DEMO_KEY.apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  before(async () => {
    sim = await startPlexSimulator({ seed: 3 });
    const orders = sim.seedOrders(30, { seed: 3, invalidShare: 0.14 });
    order = orders.find((o) => !o.invalid)!;
    weightless = orders.find((o) => o.invalid === 'weight')!;
    unclassified = orders.find((o) => o.invalid === 'hs_code')!;
  });
  after(() => sim.stop());

  it('checks types, formats and undeclared properties (the checker itself can fail)', () => {
    assert.ok(spec.components.schemas.sales_orders_api_Get_Sales_Order_response);
    assert.throws(() => assertShape('GET', '/sales/v1/orders/{id}', { id: 5 }));
    assert.throws(() => assertShape('GET', '/sales/v1/orders/{id}', { id: 'not-a-uuid' }), /uuid/);
    assert.throws(
      () => assertShape('GET', '/sales/v1/orders/{id}', { modifiedDate: '2026-11-21 10:00' }),
      /date-time/,
    );
    assert.throws(
      () => assertShape('GET', '/sales/v1/orders/{id}', { shipVia: 'FDX-GROUND' }),
      /does not declare/,
    );
  });

  it('sales orders, lines and releases', async () => {
    assertShape('GET', '/sales/v1/orders', await get('/sales/v1/orders'));
    assertShape('GET', '/sales/v1/orders/{id}', await get(`/sales/v1/orders/${order.orderKey}`));
    const lines = (await get(`/sales/v1/orders/${order.orderKey}/lines`)) as { id: string }[];
    assertShape('GET', '/sales/v1/orders/{id}/lines', lines);
    assertShape(
      'GET',
      '/sales/v1/orders/{id}/lines/{lineId}',
      await get(`/sales/v1/orders/${order.orderKey}/lines/${lines[0]!.id}`),
    );
    assertShape(
      'GET',
      '/sales/v1/orders/{id}/lines/{lineId}/prices',
      await get(`/sales/v1/orders/${order.orderKey}/lines/${lines[0]!.id}/prices`),
    );
    const releases = (await get(`/sales/v1/releases?orderLineIds=${lines[0]!.id}`)) as { id: string }[];
    assertShape('GET', '/sales/v1/releases', releases);
    assertShape('GET', '/sales/v1/releases/{id}', await get(`/sales/v1/releases/${releases[0]!.id}`));
  });

  it('customers, addresses, parts (with and without a piece weight) and tenants', async () => {
    assertShape('GET', '/mdm/v1/customers', await get('/mdm/v1/customers'));
    assertShape('GET', '/mdm/v1/customers/{id}', await get(`/mdm/v1/customers/${order.customerId}`));
    assertShape(
      'GET',
      '/mdm/v1/customers/{customerId}/addresses',
      await get(`/mdm/v1/customers/${order.customerId}/addresses`),
    );
    assertShape(
      'GET',
      '/mdm/v1/customers/{customerId}/addresses/{addressId}',
      await get(`/mdm/v1/customers/${order.customerId}/addresses/${order.shipToAddressId}`),
    );
    const parts = (await get('/mdm/v1/parts')) as { id: string }[];
    assertShape('GET', '/mdm/v1/parts', parts);
    assertShape('GET', '/mdm/v1/parts/{id}', await get(`/mdm/v1/parts/${parts[0]!.id}`));
    for (const o of [order, weightless, unclassified]) {
      const lines = (await get(`/sales/v1/orders/${o.orderKey}/lines`)) as { partId: string }[];
      for (const line of lines) {
        assertShape(
          'GET',
          '/shipping/v1-beta1/inventory/parts/{partId}/shipping-details',
          await get(`/shipping/v1-beta1/inventory/parts/${line.partId}/shipping-details`),
        );
      }
    }
    assertShape('GET', '/mdm/v1/tenants', await get('/mdm/v1/tenants'));
    const [tenant] = sim.tenants();
    assertShape('GET', '/mdm/v1/tenants/{id}', await get(`/mdm/v1/tenants/${tenant!.id}`));
  });

  it('customer shippers, their lines, and the beta writes', async () => {
    assertShape('GET', '/shipping/v1/customer-shippers', await get('/shipping/v1/customer-shippers'));
    assertShape(
      'GET',
      '/shipping/v1/customer-shippers/{id}',
      await get(`/shipping/v1/customer-shippers/${order.shipperId}`),
    );
    const lines = (await get(`/shipping/v1/customer-shippers/${order.shipperId}/lines`)) as { id: string }[];
    assertShape('GET', '/shipping/v1/customer-shippers/{shipperId}/lines', lines);
    assertShape(
      'GET',
      '/shipping/v1/customer-shippers/{shipperId}/lines/{lineId}',
      await get(`/shipping/v1/customer-shippers/${order.shipperId}/lines/${lines[0]!.id}`),
    );
    assertShape(
      'GET',
      '/shipping/v1/customer-shippers/{id}/lines/{lineId}/releases',
      await get(`/shipping/v1/customer-shippers/${order.shipperId}/lines/${lines[0]!.id}/releases`),
    );

    // Every field of the update request at once; the body itself is checked against the request schema.
    const [tenant] = sim.tenants();
    const update = {
      carrierId: tenant!.carrierId,
      freightTerms: 'Prepaid',
      status: 'Shipped',
      shipperNumber: 'S-1',
      trackingNumber: '794612345678',
      trailerNumber: 'TR-9',
      scheduledShipDate: '2026-11-21T15:00:00Z',
      shipperNote: 'FedEx Ground',
      truckId: '11111111-2222-4333-8444-555555555555',
      expediteNote: 'n',
      expediteReason: 'r',
      expediteDepartmentCode: 'SHIP',
      expediteAdditionalCost: 1.5,
      shipFromId: tenant!.buildingId,
      freightAmount: 12.3,
      bolNote: 'b',
      customsExporter: 'c',
      deliveryDate: '2026-11-23T15:00:00Z',
      dropshipSupplierId: '11111111-2222-4333-8444-555555555556',
      chargeAmount: 4,
      masterBolNumber: 'MB1',
      pallets: 2,
      premiumTransAuth: 'p',
      truckConfirmation: 't',
      truckCalledDate: '2026-11-21',
      grossWeightOverride: 40.5,
      mrn: 'm',
      mrnDate: '2026-11-21',
      mrnType: 'x',
      routingAuthorizationNumber: 'ra',
    };
    const requestSchema =
      spec.paths['/shipping/v1-beta1/customer-shippers/{id}'].put.requestBody.content['application/json']
        .schema;
    assert.deepEqual(undeclared(requestSchema, update, '$', []), []);
    const put = await send('PUT', `/shipping/v1-beta1/customer-shippers/${order.shipperId}`, update);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assertShape('PUT', '/shipping/v1-beta1/customer-shippers/{id}', put.body);
    assertShape(
      'GET',
      '/shipping/v1/customer-shippers/{id}',
      await get(`/shipping/v1/customer-shippers/${order.shipperId}`),
    );

    const bad = await send('PUT', `/shipping/v1-beta1/customer-shippers/${order.shipperId}`, {
      pallets: 'two',
    });
    assert.equal(bad.status, 400);
    assertShape('PUT', '/shipping/v1-beta1/customer-shippers/{id}', bad.body, '400');

    const other = sim.orders().find((o) => o.orderKey !== order.orderKey)!;
    const shipped = await send('POST', `/shipping/v1-beta1/customer-shippers/${other.shipperId}/ship`);
    assert.equal(shipped.status, 200);
    assertShape('POST', '/shipping/v1-beta1/customer-shippers/{shipperId}/ship', shipped.body);
    const again = await send('POST', `/shipping/v1-beta1/customer-shippers/${other.shipperId}/ship`);
    assertShape('POST', '/shipping/v1-beta1/customer-shippers/{shipperId}/ship', again.body, '400');

    const noted = await send('PUT', `/sales/v1/orders/${order.orderKey}`, {
      note: 'tracking 794612345678',
      status: 'Open',
    });
    assert.equal(noted.status, 200);
    assertShape('PUT', '/sales/v1/orders/{id}', noted.body);
  });
});
