import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { DEMO_KEY, startPlexSimulator, type PlexSimulator } from '../../simulators/plex';
import { resolveRef, undeclaredProperties, type Schema } from '../helpers/openapi';

/**
 * The simulator's inventory answers checked against the Plex Connect spec's response schemas: with
 * ajv, and with a walk that refuses any property the schema does not declare.
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

let spec: Schema;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

const resolve = (schema: Schema): Schema => resolveRef(spec, schema);
const undeclared = (schema: Schema, data: unknown, at: string, out: string[]): string[] =>
  undeclaredProperties(spec, schema, data, at, out);

function assertShape(method: string, template: string, status: string, data: unknown): void {
  const schema =
    spec.paths[template]?.[method.toLowerCase()]?.responses?.[status]?.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${template} has no ${status} JSON schema`);
  const valid = ajv.validate({ ...resolve(schema), components: spec.components }, data);
  assert.ok(valid, `${method} ${template}: ${ajv.errorsText(ajv.errors, { separator: '\n' })}`);
  assert.deepEqual(undeclared(schema, data, '$', []), [], `${method} ${template}: undeclared properties`);
}

const SHIPMENTS = '/inventory/v1/inventory-shipping/shipments';
const SHIPMENT = '/inventory/v1/inventory-shipping/shipments/{id}';
const STAGE = '/inventory/v1-beta1/inventory-shipping/shipments/{id}/stage';
const SHIP = '/inventory/v1-beta1/inventory-shipping/shipments/{id}/ship';
const CONTAINERS = '/inventory/v1/inventory-tracking/containers';

describe('Plex simulator inventory answers match the spec response schemas', () => {
  let sim: PlexSimulator;

  async function send(method: string, p: string, body?: unknown): Promise<{ status: number; body: Schema }> {
    const res = await fetch(`${sim.url}${p}`, {
      method,
      headers: { 'X-Plex-Connect-Api-Key': DEMO_KEY.apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  before(async () => {
    spec = parse(readFileSync(SPEC_FILE, 'utf8'));
    sim = await startPlexSimulator({ seed: 12 });
    sim.seedOrders(3, { seed: 12, invalidShare: 0 });
  });
  after(() => sim.stop());

  it('the checker can fail', () => {
    assert.throws(() => assertShape('GET', CONTAINERS, '200', [{ quantity: 'ten' }]), /number/);
    assert.throws(() => assertShape('GET', SHIPMENT, '200', { id: 'x', items: [] }), /uuid/);
    assert.throws(() => assertShape('GET', SHIPMENT, '200', { items: [] }), /undeclared/);
  });

  it('containers, and a shipment through create, stage, ship and a refused second ship', async () => {
    const containers = await send('GET', CONTAINERS);
    assert.equal(containers.status, 200);
    assert.ok(containers.body.length > 0);
    assertShape('GET', CONTAINERS, '200', containers.body);

    const created = await send('POST', SHIPMENTS, { externalShipmentCode: 'ss-schema' });
    assert.equal(created.status, 201);
    assertShape('POST', SHIPMENTS, '201', created.body);
    const id = created.body.id as string;
    const p = (t: string) => t.replace('{id}', id);

    const staged = await send('POST', p(STAGE), { serialNos: [containers.body[0].serialNo] });
    assert.equal(staged.status, 202);
    assertShape('POST', STAGE, '202', staged.body);
    const shipped = await send('POST', p(SHIP));
    assert.equal(shipped.status, 202);
    assertShape('POST', SHIP, '202', shipped.body);
    const again = await send('POST', p(SHIP));
    assert.equal(again.status, 400);
    assertShape('POST', SHIP, '400', again.body);

    assertShape('GET', SHIPMENT, '200', (await send('GET', p(SHIPMENT))).body);
    assertShape('GET', SHIPMENTS, '200', (await send('GET', SHIPMENTS)).body);
    const invalid = await send('POST', SHIPMENTS, { externalShipmentCode: 1 });
    assertShape('POST', SHIPMENTS, '400', invalid.body);
  });
});
