import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { startShipStationSimulator, type ShipStationSimulator } from '../../simulators/shipstation';
import { orderBody, startReceiver, v1, v2 } from './shipstation-helpers';

/**
 * V2 answers checked against ShipStation's own V2 OpenAPI file (ShipStation's mcp-shipstation-api
 * repo). No V1 OpenAPI file is saved (see shared/specs/shipstation/SOURCES.md), so V1 shapes are
 * asserted field by field in shipstation.test.ts instead.
 *
 * The spec is read as OAS 3.0-style JSON Schema with three adjustments, each undoing a spec artefact:
 * `x-nullable: true` allows null; `additionalProperties: false` next to `allOf` is dropped (JSON
 * Schema would then refuse every property) and replaced by the walk below that refuses any property
 * no schema declares; a numeric `exclusiveMinimum` next to `minimum` (weight > 1 or > 2 in 3.1
 * terms) is dropped as the OAS 3.0 boolean it was meant to be.
 */
const SPEC_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'specs',
  'shipstation',
  'shipstation-mcp-shipstation-api',
  'openapi.yaml',
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = any;

function adjust(node: Schema): Schema {
  if (Array.isArray(node)) return node.map(adjust);
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'additionalProperties' && v === false) continue;
    if (k === 'exclusiveMinimum' && typeof v === 'number' && 'minimum' in node) continue;
    if (k === 'x-nullable') continue;
    out[k] = adjust(v);
  }
  return node['x-nullable'] === true ? { anyOf: [out, { type: 'null' }] } : out;
}

const spec: Schema = adjust(parse(readFileSync(SPEC_FILE, 'utf8')));
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
addFormats(ajv);
ajv.addSchema({ $id: 'ss', components: spec.components, paths: spec.paths });

function pointer(ref: string): Schema {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: Schema, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}

/** Every property in `data` must be declared by the schema (following $ref, allOf, anyOf, items). */
function undeclared(schema: Schema, data: unknown, at: string, out: string[]): string[] {
  let s = schema;
  while (s?.$ref) s = pointer(s.$ref);
  if (!s || data === null || typeof data !== 'object') return out;
  const parts: Schema[] = [s];
  for (let i = 0; i < parts.length; i++) {
    for (const sub of [...(parts[i].allOf ?? []), ...(parts[i].anyOf ?? [])]) {
      let r = sub;
      while (r?.$ref) r = pointer(r.$ref);
      if (r) parts.push(r);
    }
  }
  if (Array.isArray(data)) {
    const items = parts.find((p) => p.items)?.items;
    if (items) data.forEach((item, i) => undeclared(items, item, `${at}[${i}]`, out));
    return out;
  }
  const props: Record<string, Schema> = Object.assign({}, ...parts.map((p) => p.properties ?? {}));
  // paged_list_response_body allows extra keys (the item array); declared keys are still checked.
  const open = parts.some((p) => p.additionalProperties === true);
  if (Object.keys(props).length === 0) return out;
  for (const [key, value] of Object.entries(data)) {
    if (key in props) undeclared(props[key], value, `${at}.${key}`, out);
    else if (!open) out.push(`${at}.${key}`);
  }
  return out;
}

function assertShape(ref: string, data: unknown): void {
  const validate = ajv.getSchema(`ss${ref}`);
  assert.ok(validate, `schema ${ref} not found`);
  assert.ok(validate(data), `${ref}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
  assert.deepEqual(
    undeclared(pointer(ref), data, '$', []),
    [],
    `${ref}: properties the spec does not declare`,
  );
}

const schema = (name: string) => `#/components/schemas/${name}`;
const ok200 = (p: string, method = 'get') =>
  `#/paths/${p.replace(/\//g, '~1')}/${method}/responses/200/content/application~1json/schema`;

describe('ShipStation simulator V2 answers match the V2 OpenAPI response schemas', () => {
  let sim: ShipStationSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let orderId: number;
  let openOrderId: number;

  before(async () => {
    sim = await startShipStationSimulator({ clockSpeed: 0, seed: 9, inventory: { 'WIDGET-1': 12 } });
    receiver = await startReceiver();
    const created = await v1(sim, '/orders/createorders', {
      body: [orderBody(1), orderBody(2, { orderStatus: 'on_hold' })],
    });
    orderId = created.body.results[0].orderId;
    openOrderId = created.body.results[1].orderId;
    sim.shipNow([orderId]);
  });
  after(async () => {
    await sim.stop();
    await receiver.server.close();
  });

  it('the checks can fail: a wrong enum value and an undeclared property are caught', () => {
    assert.throws(() => assertShape(schema('error_response_body'), { request_id: 'x', errors: [] }));
    const label = { label_id: 'se-1', status: 'printed' };
    assert.throws(() => assertShape(schema('get_label_by_id_response_body'), label), /status/);
    assert.throws(
      () => assertShape(schema('get_label_by_id_response_body'), { label_id: 'se-1', trackingNumber: '1' }),
      /trackingNumber/,
    );
  });

  it('labels: list and by id', async () => {
    const list = await v2(sim, '/v2/labels?page_size=1');
    assert.equal(list.status, 200);
    assert.equal(list.body.labels.length, 1);
    assertShape(schema('list_labels_response_body'), list.body);
    const nested = structuredClone(list.body);
    nested.labels[0].packages[0].trackingNumber = '1';
    assert.throws(
      () => assertShape(schema('list_labels_response_body'), nested),
      /packages\[0\]\.trackingNumber/,
    );
    const one = await v2(sim, `/v2/labels/${list.body.labels[0].label_id}`);
    assertShape(schema('get_label_by_id_response_body'), one.body);
  });

  it('shipments: list, by id (shipped and open) and by external id', async () => {
    const list = await v2(sim, '/v2/shipments');
    assert.equal(list.body.total, 2);
    assertShape(schema('list_shipments_response_body'), list.body);
    for (const id of [orderId, openOrderId])
      assertShape(schema('get_shipment_by_id_response_body'), (await v2(sim, `/v2/shipments/se-${id}`)).body);
    const byExternal = await v2(sim, '/v2/shipments/external_shipment_id/plex-SO-1');
    assert.equal(byExternal.body.shipment_id, `se-${orderId}`);
    assertShape(schema('get_shipment_by_external_id_response_body'), byExternal.body);
  });

  it('inventory levels, warehouses and locations', async () => {
    for (const q of ['', '?group_by=warehouse', '?group_by=location&sku=WIDGET-1']) {
      const res = await v2(sim, `/v2/inventory${q}`);
      assert.equal(res.status, 200);
      assertShape(ok200('/v2/inventory'), res.body);
    }
    const warehouses = await v2(sim, '/v2/inventory_warehouses');
    assertShape(ok200('/v2/inventory_warehouses'), warehouses.body);
    const created = await v2(sim, '/v2/inventory_warehouses', { body: { name: 'Overflow' } });
    assertShape(ok200('/v2/inventory_warehouses', 'post'), created.body);
    const location = await v2(sim, '/v2/inventory_locations', {
      body: { name: 'B-01', inventory_warehouse_id: created.body.inventory_warehouse_id },
    });
    assertShape(ok200('/v2/inventory_locations', 'post'), location.body);
    assertShape(ok200('/v2/inventory_locations'), (await v2(sim, '/v2/inventory_locations')).body);
    assertShape(
      ok200('/v2/inventory_locations/{inventory_location_id}'),
      (await v2(sim, `/v2/inventory_locations/${location.body.inventory_location_id}`)).body,
    );
  });

  it('webhooks: create, list, by id', async () => {
    const created = await v2(sim, '/v2/environment/webhooks', {
      body: { event: 'track', url: `${receiver.server.url}/v2hook`, headers: [{ key: 'a', value: 'b' }] },
    });
    assertShape(schema('create_webhook_response_body'), created.body);
    assertShape(schema('list_webhooks_response_body'), (await v2(sim, '/v2/environment/webhooks')).body);
    assertShape(
      schema('get_webhook_by_id_response_body'),
      (await v2(sim, `/v2/environment/webhooks/${created.body.webhook_id}`)).body,
    );
  });

  it('errors: 401, 404, 400, 409 and 429 use the error envelope', async () => {
    const answers = [
      await v2(sim, '/v2/labels', { key: 'wrong' }),
      await v2(sim, '/v2/labels/se-1'),
      await v2(sim, '/v2/inventory', {
        body: { transaction_type: 'adjust', sku: 'X', quantity: 1, inventory_location_id: 'se-404' },
      }),
      await v2(sim, '/v2/environment/webhooks', {
        body: { event: 'track', url: `${receiver.server.url}/v2hook` },
      }),
    ];
    sim.burst(5, 'v2');
    answers.push(await v2(sim, '/v2/labels'));
    assert.deepEqual(
      answers.map((a) => a.status),
      [401, 404, 400, 409, 429],
    );
    for (const a of answers) assertShape(schema('error_response_body'), a.body);
  });
});
