import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import pino from 'pino';
import { parse } from 'yaml';
import { PlexClient } from '../../connectors/plex/client';
import { unlimited } from '../../lib/ratelimit';
import { DEMO_KEY, startPlexSimulator, type PlexSimulator } from '../../simulators/plex';

/**
 * The requests of the connector's inventory methods, checked against the Plex Connect spec (the
 * community copy in shared/specs/plex): path and method exist, path and query parameters are
 * declared and fit their schemas, only list parameters repeat, and a body is sent exactly when the
 * operation has one, fitting its request schema without undeclared fields.
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

/** Why the requests are not checked against an official file (a visible skip, not a silent pass). */
const NO_OFFICIAL_SPEC =
  "no official Plex OpenAPI file in shared/specs/plex: these checks use a third party's scrape of " +
  'developers.plex.com (see its SOURCES.md)';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Sent {
  method: string;
  path: string;
  query: Array<[string, string]>;
  apiKey: string | null;
  body: unknown;
}

let spec: Json;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

function deref(schema: Json): Json {
  let out = schema;
  while (out && out.$ref) out = spec.components.schemas[String(out.$ref).split('/').pop()!];
  return out;
}

const fits = (schema: Json, value: unknown) =>
  ajv.validate({ ...deref(schema), components: spec.components }, value);

function templateFor(actual: string): string | undefined {
  const matches = Object.keys(spec.paths).filter((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(actual),
  );
  return matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

/** Everything wrong with one request; empty when it conforms to the spec. */
function checkRequest(req: Sent): string[] {
  const where = `${req.method} ${req.path}`;
  const problems: string[] = [];
  if (!req.apiKey) problems.push(`${where}: no X-Plex-Connect-Api-Key header`);
  const template = templateFor(req.path);
  if (!template) return [...problems, `${where}: no such path in the spec`];
  const op = spec.paths[template][req.method.toLowerCase()];
  if (!op) return [...problems, `${where}: ${template} has no ${req.method}`];
  const params: Json[] = (op.parameters ?? []).map(deref);

  const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const values = new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`).exec(req.path)!.slice(1);
  names.forEach((name, i) => {
    const p = params.find((x) => x.in === 'path' && x.name === name);
    if (!p) problems.push(`${where}: path parameter ${name} is not declared`);
    else if (!fits(p.schema, decodeURIComponent(values[i]!)))
      problems.push(`${where}: path parameter ${name} does not fit its schema`);
  });

  const counts = new Map<string, number>();
  for (const [name, value] of req.query) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const p = params.find((x) => x.in === 'query' && x.name === name);
    if (!p) {
      problems.push(`${where}: query parameter ${name} is not declared for ${template}`);
      continue;
    }
    const schema = deref(p.schema);
    if (!fits(schema.type === 'array' ? schema.items : schema, value))
      problems.push(`${where}: ${name}=${value} does not fit its schema`);
    if (counts.get(name)! > 1 && schema.type !== 'array')
      problems.push(`${where}: ${name} is repeated but is not a list parameter`);
  }

  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  if (!bodySchema && req.body !== undefined)
    problems.push(`${where}: sends a body the operation does not take`);
  if (bodySchema && req.body === undefined && op.requestBody.required)
    problems.push(`${where}: the operation requires a body`);
  if (bodySchema && req.body !== undefined) {
    if (!fits(bodySchema, req.body))
      problems.push(`${where}: body does not fit ${template}'s request schema`);
    const props = deref(bodySchema).properties ?? {};
    for (const key of Object.keys(req.body as object))
      if (!(key in props)) problems.push(`${where}: body field ${key} is not declared`);
  }
  return problems;
}

describe('Plex inventory requests conform to the Plex Connect spec', () => {
  let sim: PlexSimulator;
  const sent: Sent[] = [];

  /** The real fetch, recording each request on the way. */
  const recording: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    sent.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: [...url.searchParams],
      apiKey: headers.get('x-plex-connect-api-key'),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    return fetch(input, init);
  };

  before(async () => {
    spec = parse(readFileSync(SPEC_FILE, 'utf8'));
    sim = await startPlexSimulator({ seed: 9, rateLimitPerMinute: 100_000 });
    sim.seedOrders(4, { seed: 9, invalidShare: 0 });
  });
  after(() => sim.stop());

  it('the checker refuses what the spec does not allow (it can fail)', () => {
    const ok: Sent = {
      method: 'POST',
      path: '/inventory/v1/inventory-shipping/shipments',
      query: [],
      apiKey: 'k',
      body: { externalShipmentCode: 'x' },
    };
    assert.deepEqual(checkRequest(ok), []);
    assert.match(checkRequest({ ...ok, body: { externalShipmentCode: 'x', items: [] } }).join(), /items/);
    assert.match(checkRequest({ ...ok, body: { externalShipmentCode: 5 } }).join(), /does not fit/);
    assert.match(checkRequest({ ...ok, apiKey: null }).join(), /Api-Key/);
    assert.match(
      checkRequest({
        ...ok,
        method: 'GET',
        body: undefined,
        query: [
          ['shipmentStatus', 'a'],
          ['shipmentStatus', 'b'],
        ],
      }).join(),
      /repeated/,
    );
    assert.match(
      checkRequest({
        ...ok,
        method: 'GET',
        path: '/inventory/v1/inventory-tracking/containers',
        body: undefined,
        query: [['partId', 'nope']],
      }).join(),
      /partId=nope/,
    );
    assert.match(
      checkRequest({
        ...ok,
        path: '/inventory/v1-beta1/inventory-shipping/shipments/not-a-uuid/ship',
      }).join(),
      /path parameter id|a body the operation does not take/,
    );
  });

  it('on-hand, then create, stage and ship', async (t) => {
    const client = new PlexClient({
      connection: 'contract',
      baseUrl: sim.url,
      apiKey: DEMO_KEY.apiKey,
      limiter: unlimited,
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      fetch: recording,
    });
    await client.onHandByPartNumber(['BRK-1001', 'VLV-5020']);
    const first = await client.recordShippedQuantities({
      externalShipmentCode: 'ss-contract-1',
      items: [{ partNumber: 'VLV-5020', quantity: 20 }],
    });
    assert.equal(first.applied, true);
    await client.createInventoryShipment('ss-contract-2');
    await client.recordShippedQuantities({
      externalShipmentCode: 'ss-contract-2',
      items: [{ partNumber: 'BRK-1001', quantity: 20 }],
    });

    const operations = new Set(sent.map((r) => `${r.method} ${templateFor(r.path)}`));
    assert.deepEqual([...operations].sort(), [
      'GET /inventory/v1/inventory-shipping/shipments',
      'GET /inventory/v1/inventory-tracking/containers',
      'GET /mdm/v1/parts',
      'POST /inventory/v1-beta1/inventory-shipping/shipments/{id}/ship',
      'POST /inventory/v1-beta1/inventory-shipping/shipments/{id}/stage',
      'POST /inventory/v1/inventory-shipping/shipments',
    ]);
    assert.deepEqual(sent.flatMap(checkRequest), []);
    await t.test('against an official Plex OpenAPI file', { skip: NO_OFFICIAL_SPEC }, () => undefined);
  });
});
