import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { toInventoryLevel, toShipStationOrder } from '../../connectors/shipstation/mapping';
import type { SsV2InventoryLevel } from '../../connectors/shipstation/wire';
import { buildCustoms, DEFAULT_CUSTOMS } from '../../domain/customs';
import type { ErpOrder } from '../../domain/order';
import {
  json,
  pageOf,
  startScriptedShipStation,
  testClient,
  type RecordedRequest,
  type ScriptedShipStation,
} from '../unit/shipstation-server';

/**
 * Every request the ShipStation connector sends, checked against the specs.
 *
 * V2: the official ShipStation V2 spec (shared/specs/shipstation/shipstation-mcp-shipstation-api,
 * kept outside the repository): path and method exist, every query parameter is declared and fits
 * its schema, the body fits the request schema and declares every property it sends.
 *
 * V1: no V1 OpenAPI file is available (the official one was not public on GitHub, see
 * shared/specs/shipstation/SOURCES.md). V1 requests are checked against the rules below, transcribed
 * from shared/reference/shipstation.md §A5-A10 (the official V1 docs as quoted there), with the same
 * strictness: undeclared query names and body properties are errors.
 */
const V2_SPEC_FILE = path.resolve(
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
type Json = any;

let spec: Json;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

function deref(schema: Json): Json {
  let out = schema;
  while (out && out.$ref)
    out = String(out.$ref)
      .split('/')
      .slice(1)
      .reduce((o: Json, k: string) => o[k], spec);
  return out;
}

const compiled = new Map<unknown, ValidateFunction>();
function validator(schema: Json): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile({ ...deref(schema), components: spec?.components });
    compiled.set(schema, v);
  }
  return v;
}

/** Properties present in `data` that the schema does not declare (ajv alone allows them). */
function undeclared(schema: Json, data: unknown, at: string, out: string[] = []): string[] {
  const sc = deref(schema);
  if (!sc || data === null || typeof data !== 'object') return out;
  if (Array.isArray(data)) {
    if (sc.items) data.forEach((d, i) => undeclared(sc.items, d, `${at}[${i}]`, out));
    return out;
  }
  const props = sc.properties ?? {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (!(k in props)) out.push(`${at}.${k} is not declared`);
    else undeclared(props[k], v, `${at}.${k}`, out);
  }
  return out;
}

type CheckedRequest = Pick<RecordedRequest, 'method' | 'path' | 'query' | 'body' | 'headers'>;

function checkV2(req: CheckedRequest): string[] {
  const where = `${req.method} ${req.path}`;
  const problems: string[] = [];
  if (!req.headers['api-key']) problems.push(`${where}: no api-key header`);
  const template = Object.keys(spec.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(req.path),
  );
  if (!template) return [...problems, `${where}: no such path in the V2 spec`];
  const op = spec.paths[template][req.method.toLowerCase()];
  if (!op) return [...problems, `${where}: ${template} has no ${req.method}`];
  const params: Json[] = (op.parameters ?? []).map(deref);
  const seen = new Set<string>();
  for (const [name, value] of req.query) {
    const p = params.find((x) => x.in === 'query' && x.name === name);
    if (!p) {
      problems.push(`${where}: query parameter ${name} is not declared`);
      continue;
    }
    if (seen.has(name)) problems.push(`${where}: ${name} is repeated`);
    seen.add(name);
    const schema = deref(p.schema);
    const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
    if (!validator(schema)(typed)) problems.push(`${where}: ${name}=${value} does not fit its schema`);
  }
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  if (req.body !== undefined) {
    if (!bodySchema) problems.push(`${where}: the operation takes no JSON body`);
    else {
      const v = validator(bodySchema);
      if (!v(req.body)) problems.push(`${where}: body ${ajv.errorsText(v.errors)}`);
      problems.push(...undeclared(bodySchema, req.body, `${where} body`));
    }
  } else if (op.requestBody?.required) problems.push(`${where}: the operation requires a body`);
  return problems;
}

// ------------------------------------------------------------------ V1 rules (from the reference)

/** V1 request dates: Pacific wall time, `yyyy-MM-dd HH:mm:ss`, no offset (§A2). */
const V1_DATE = '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$';
const int = { type: 'string', pattern: '^\\d+$' };
const date = { type: 'string', pattern: V1_DATE };
const str = { type: 'string', minLength: 1 };
const bool = { type: 'string', enum: ['true', 'false', 'True', 'False'] };
const paging = { page: int, pageSize: { type: 'string', pattern: '^([1-9]\\d?|[1-4]\\d\\d|500)$' } };
const dates = (...names: string[]) =>
  Object.fromEntries(
    names.flatMap((n) => [
      [`${n}Start`, date],
      [`${n}End`, date],
    ]),
  );

const address = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: Object.fromEntries(
    ['name', 'company', 'street1', 'street2', 'street3', 'city', 'state', 'postalCode', 'phone'].map((k) => [
      k,
      { type: ['string', 'null'] },
    ]),
  ),
};
(address.properties as Json).country = { type: 'string', pattern: '^[A-Z]{2}$' };
(address.properties as Json).residential = { type: ['boolean', 'null'] };
const weight = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'units'],
  properties: { value: { type: 'number', minimum: 0 }, units: { enum: ['pounds', 'ounces', 'grams'] } },
};
/**
 * InternationalOptions and CustomsItem (§A7, and the V1 model pages they point to): `contents` and
 * `nonDelivery` from their documented lists; per customs item a description, quantity, value, HS
 * code and two-letter country of origin (customsItemId is read-only, sent only to update a line).
 */
const internationalOptions = {
  type: 'object',
  additionalProperties: false,
  properties: {
    contents: { enum: ['merchandise', 'documents', 'gift', 'returned_goods', 'sample'] },
    nonDelivery: { enum: ['return_to_sender', 'treat_as_abandoned'] },
    customsItems: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['description', 'quantity', 'value', 'countryOfOrigin'],
        properties: {
          customsItemId: { type: ['integer', 'string'] },
          description: str,
          quantity: { type: 'number', minimum: 0 },
          value: { type: 'number', minimum: 0 },
          harmonizedTariffCode: { type: 'string' },
          countryOfOrigin: { type: 'string', pattern: '^[A-Z]{2}$' },
        },
      },
    },
  },
};

/** The V1 Order model's writable fields (§A7), full resource for createorder (§A8). */
const order = {
  type: 'object',
  additionalProperties: false,
  required: ['orderNumber', 'orderDate', 'orderStatus', 'billTo', 'shipTo'],
  properties: {
    orderNumber: { type: 'string', minLength: 1, maxLength: 50 },
    orderKey: { type: 'string', minLength: 1 },
    orderDate: date,
    paymentDate: date,
    shipByDate: date,
    orderStatus: { enum: ['awaiting_payment', 'awaiting_shipment', 'shipped', 'on_hold', 'cancelled'] },
    customerUsername: { type: 'string' },
    customerEmail: { type: 'string' },
    billTo: { ...address, required: ['name'] },
    shipTo: { ...address, required: ['name', 'street1', 'city', 'country'] },
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sku', 'name', 'quantity'],
        properties: {
          lineItemKey: { type: ['string', 'null'] },
          sku: str,
          name: str,
          quantity: { type: 'integer', minimum: 1 },
          unitPrice: { type: ['number', 'null'] },
          weight,
        },
      },
    },
    amountPaid: { type: 'number' },
    requestedShippingService: { type: 'string' },
    weight,
    internationalOptions,
    advancedOptions: {
      type: 'object',
      additionalProperties: false,
      properties: {
        storeId: { type: 'integer' },
        warehouseId: { type: 'integer' },
        customField1: { type: 'string' },
        customField2: { type: 'string' },
        customField3: { type: 'string' },
      },
    },
  },
};

interface V1Rule {
  method: string;
  path: RegExp;
  query?: Record<string, Json>;
  body?: Json;
}

const V1_RULES: V1Rule[] = [
  {
    method: 'GET',
    path: /^\/orders$/,
    query: {
      ...paging,
      customerName: str,
      itemKeyword: str,
      orderNumber: str,
      orderStatus: {
        enum: [
          'awaiting_payment',
          'awaiting_shipment',
          'pending_fulfillment',
          'shipped',
          'on_hold',
          'cancelled',
          'rejected_fulfillment',
        ],
      },
      storeId: int,
      sortBy: { enum: ['OrderDate', 'ModifyDate', 'CreateDate'] },
      sortDir: { enum: ['ASC', 'DESC'] },
      ...dates('createDate', 'modifyDate', 'orderDate', 'paymentDate'),
      // Observed in ORDER_NOTIFY resource URLs (§A10), not in the filter list.
      storeID: int,
      importBatch: str,
    },
  },
  { method: 'GET', path: /^\/orders\/\d+$/ },
  { method: 'POST', path: /^\/orders\/createorder$/, body: order },
  { method: 'POST', path: /^\/orders\/createorders$/, body: { type: 'array', maxItems: 100, items: order } },
  {
    method: 'GET',
    path: /^\/shipments$/,
    query: {
      ...paging,
      recipientName: str,
      recipientCountryCode: str,
      orderNumber: str,
      orderId: int,
      carrierCode: str,
      serviceCode: str,
      trackingNumber: str,
      storeId: int,
      includeShipmentItems: bool,
      sortBy: { enum: ['ShipDate', 'CreateDate'] },
      sortDir: { enum: ['ASC', 'DESC'] },
      ...dates('createDate', 'shipDate', 'voidDate'),
      // Observed in SHIP_NOTIFY resource URLs (§A10), not in the filter list.
      batchId: int,
    },
  },
  { method: 'GET', path: /^\/webhooks$/ },
  {
    method: 'POST',
    path: /^\/webhooks\/subscribe$/,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['target_url', 'event'],
      properties: {
        target_url: { type: 'string', format: 'uri' },
        event: {
          enum: [
            'ORDER_NOTIFY',
            'ITEM_ORDER_NOTIFY',
            'SHIP_NOTIFY',
            'ITEM_SHIP_NOTIFY',
            'FULFILLMENT_SHIPPED',
            'FULFILLMENT_REJECTED',
          ],
        },
        store_id: { type: 'integer' },
        friendly_name: { type: 'string' },
      },
    },
  },
  { method: 'DELETE', path: /^\/webhooks\/\d+$/ },
];

function checkV1(req: CheckedRequest): string[] {
  const where = `${req.method} ${req.path}`;
  const problems: string[] = [];
  if (!/^Basic [A-Za-z0-9+/]+=*$/.test(String(req.headers.authorization ?? '')))
    problems.push(`${where}: no Basic authorization`);
  const rule = V1_RULES.find((r) => r.method === req.method && r.path.test(req.path));
  if (!rule) return [...problems, `${where}: not a documented V1 operation`];
  const seen = new Set<string>();
  for (const [name, value] of req.query) {
    const schema = rule.query?.[name];
    if (!schema) {
      problems.push(`${where}: query parameter ${name} is not declared`);
      continue;
    }
    if (seen.has(name)) problems.push(`${where}: ${name} is repeated`);
    seen.add(name);
    if (!ajv.validate(schema, value)) problems.push(`${where}: ${name}=${value} does not fit`);
  }
  if (rule.body) {
    if (req.body === undefined) problems.push(`${where}: body required`);
    else if (!ajv.validate(rule.body, req.body))
      problems.push(`${where}: body ${ajv.errorsText(ajv.errors)}`);
  } else if (req.body !== undefined) problems.push(`${where}: the operation takes no body`);
  return problems;
}

function check(req: CheckedRequest): string[] {
  return req.path.startsWith('/v2/') ? checkV2(req) : checkV1(req);
}

// ------------------------------------------------------------------ fixtures

const ERP_ORDER: ErpOrder = {
  connection: 'plex-main',
  orderKey: '11111111-1111-4111-8111-111111111111',
  orderNumber: '100123',
  poNumber: 'PO-778',
  customer: { key: 'c1', code: 'ACME', name: 'Acme Corp' },
  shipTo: {
    name: 'Receiving',
    lines: ['1 Main St', 'Dock 4', 'Door 2'],
    city: 'Austin',
    stateOrProvince: 'TX',
    postalCode: '78701',
    countryCode: 'US',
    phone: '+1 512 555 0100',
    residential: false,
  },
  shipVia: 'FedEx Ground',
  requestedShipDate: '2026-11-21',
  lines: [
    {
      lineKey: 'L1',
      sku: 'BRKT-100',
      description: 'Bracket',
      quantity: 4,
      unitWeight: { value: 0.7, unit: 'KG' },
      unitPrice: { amount: 12.5, currency: 'USD' },
    },
  ],
  modifiedAt: '2026-11-01T09:30:00Z',
  version: 'v',
  writeBackKeys: {},
};

/** The same order to Toronto, with the customs its workflow builds (domain/customs.ts). */
const ERP_ORDER_ABROAD: ErpOrder = {
  ...ERP_ORDER,
  shipTo: {
    ...ERP_ORDER.shipTo,
    city: 'Toronto',
    stateOrProvince: 'ON',
    postalCode: 'M5X 1A9',
    countryCode: 'CA',
  },
  lines: [{ ...ERP_ORDER.lines[0]!, hsCode: '7326.90.8688', countryOfOrigin: 'US' }],
};
const CUSTOMS = buildCustoms(
  ERP_ORDER_ABROAD,
  DEFAULT_CUSTOMS,
  ERP_ORDER.shipTo,
  ERP_ORDER_ABROAD.shipTo,
).customs!;

const V1 = { Authorization: 'Basic a2V5OnNlY3JldA==' };
const V2 = { 'api-key': 'k' };
const req = (
  method: string,
  p: string,
  query: Array<[string, string]> = [],
  body?: unknown,
  headers: Record<string, string> = p.startsWith('/v2/') ? V2 : V1,
): CheckedRequest => ({
  method,
  path: p,
  query,
  body,
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
});

describe('ShipStation requests conform to the specs', () => {
  let server: ScriptedShipStation;

  before(async () => {
    spec = parse(readFileSync(V2_SPEC_FILE, 'utf8'));
    server = await startScriptedShipStation([
      ['GET', /^\/orders$/, (r) => pageOf('orders', [], r)],
      [
        'GET',
        /^\/orders\/\d+$/,
        () => json({ orderId: 1, orderNumber: 'N', orderKey: 'k', orderStatus: 'awaiting_shipment' }),
      ],
      ['POST', /^\/orders\/createorder$/, (r) => json({ ...(r.body as object), orderId: 1 })],
      [
        'POST',
        /^\/orders\/createorders$/,
        (r) =>
          json({
            hasErrors: false,
            results: (r.body as Array<{ orderKey: string; orderNumber: string }>).map((o, i) => ({
              ...o,
              orderId: i + 1,
              success: true,
            })),
          }),
      ],
      ['GET', /^\/shipments$/, (r) => pageOf('shipments', [], r)],
      ['GET', /^\/webhooks$/, () => json({ webhooks: [] })],
      ['POST', /^\/webhooks\/subscribe$/, () => json({ id: 1 })],
      ['DELETE', /^\/webhooks\/\d+$/, () => ({ status: 200 })],
      ['GET', /^\/v2\/inventory$/, () => json({ inventory: [], total: 0, page: 1, pages: 0, links: {} })],
      ['POST', /^\/v2\/inventory$/, () => ({ status: 204 })],
    ]);
  });
  after(() => server.stop());

  it('the check has teeth: it rejects undeclared names, bad values, extra body fields and unknown operations', () => {
    const good = toShipStationOrder(ERP_ORDER, { storeId: 1 });
    assert.deepEqual(check(req('POST', '/orders/createorder', [], good)), []);
    assert.deepEqual(check(req('GET', '/v2/inventory', [['sku', 'A']])), []);
    const adjust = { transaction_type: 'adjust', sku: 'A', quantity: 1, inventory_location_id: 'se-1' };
    assert.deepEqual(check(req('POST', '/v2/inventory', [], adjust)), []);
    const bad: Array<[string, CheckedRequest, RegExp]> = [
      [
        'a V2 page parameter inventory does not declare',
        req('GET', '/v2/inventory', [['page', '2']]),
        /not declared/,
      ],
      ['a V2 limit that is not a number', req('GET', '/v2/inventory', [['limit', 'ten']]), /does not fit/],
      ['a V2 group_by outside the enum', req('GET', '/v2/inventory', [['group_by', 'sku']]), /does not fit/],
      [
        'a V2 body field the schema lacks',
        req('POST', '/v2/inventory', [], { ...adjust, warehouse: 'x' }),
        /warehouse is not declared/,
      ],
      [
        'a V2 transaction type the spec lacks',
        req('POST', '/v2/inventory', [], { ...adjust, transaction_type: 'set' }),
        /body/,
      ],
      [
        'a V2 body without a location',
        req('POST', '/v2/inventory', [], { transaction_type: 'adjust', sku: 'A', quantity: 1 }),
        /inventory_location_id/,
      ],
      ['a V2 path that does not exist', req('GET', '/v2/orders'), /no such path/],
      ['a V2 call without api-key', req('GET', '/v2/inventory', [], undefined, {}), /api-key/],
      [
        'a V1 date in UTC with Z',
        req('GET', '/orders', [['modifyDateStart', '2026-11-01T09:00:00Z']]),
        /does not fit/,
      ],
      [
        'a V1 modify filter on shipments',
        req('GET', '/shipments', [['modifyDateStart', '2026-11-01 01:00:00']]),
        /not declared/,
      ],
      ['a V1 page size above 500', req('GET', '/orders', [['pageSize', '1000']]), /does not fit/],
      [
        'a V1 order field the model lacks',
        req('POST', '/orders/createorder', [], { ...good, orderTotal: 10 }),
        /additional/,
      ],
      [
        'a V1 order without shipTo',
        req('POST', '/orders/createorder', [], { ...good, shipTo: undefined }),
        /shipTo/,
      ],
      [
        'a V1 orderNumber over 50',
        req('POST', '/orders/createorder', [], { ...good, orderNumber: 'n'.repeat(51) }),
        /orderNumber/,
      ],
      ['a V1 bulk of 101', req('POST', '/orders/createorders', [], Array(101).fill(good)), /100/],
      [
        'a V1 customs item without a country of origin',
        req('POST', '/orders/createorder', [], {
          ...good,
          internationalOptions: { customsItems: [{ description: 'Bracket', quantity: 1, value: 2 }] },
        }),
        /countryOfOrigin/,
      ],
      [
        'a V1 customs item field the model lacks',
        req('POST', '/orders/createorder', [], {
          ...good,
          internationalOptions: {
            customsItems: [
              { description: 'Bracket', quantity: 1, value: 2, countryOfOrigin: 'US', currency: 'USD' },
            ],
          },
        }),
        /additional/,
      ],
      [
        'a V1 contents outside the list',
        req('POST', '/orders/createorder', [], { ...good, internationalOptions: { contents: 'goods' } }),
        /contents/,
      ],
      [
        'a V1 webhook with an unknown event',
        req('POST', '/webhooks/subscribe', [], { target_url: 'https://x.example/h', event: 'SHIPPED' }),
        /event/,
      ],
      ['a V1 operation that does not exist', req('POST', '/orders'), /not a documented/],
      ['a V1 call without Basic auth', req('GET', '/orders', [], undefined, {}), /Basic/],
    ];
    for (const [what, r, expected] of bad) {
      const problems = check(r);
      assert.ok(problems.length > 0, `${what} should be rejected`);
      assert.match(problems.join('\n'), expected, what);
    }
  });

  it('every request the client sends conforms', async (t) => {
    server.requests.length = 0;
    const { client } = testClient(server.url);
    const body = toShipStationOrder(ERP_ORDER, { storeId: 12345, warehouseId: 7 });
    await client.createOrUpdateOrder(body);
    await client.createOrUpdateOrder(body, { existingOrderId: 1 });
    await client.createOrUpdateOrder(toShipStationOrder(ERP_ORDER_ABROAD, { storeId: 1, customs: CUSTOMS }));
    await client.createOrders([body, { ...body, orderKey: 'k2', orderNumber: '100124' }]);
    await client.listOrders({
      orderNumber: '100',
      orderStatus: 'awaiting_shipment',
      storeId: 12345,
      createDateStart: '2026-11-01T00:00:00Z',
      createDateEnd: '2026-11-02T00:00:00Z',
      modifyDateStart: '2026-03-08T09:30:00.5Z',
      modifyDateEnd: '2026-03-08T10:30:00Z',
      orderDateStart: '2026-11-01T00:00:00Z',
      orderDateEnd: '2026-11-02T00:00:00Z',
      sortBy: 'ModifyDate',
      sortDir: 'ASC',
    });
    await client.findOrderByKey('k', '100123');
    await client.listShipments({
      createDateStart: '2026-11-01T08:00:00Z',
      createDateEnd: '2026-11-01T11:00:00Z',
      shipDateStart: '2026-11-01T00:00:00Z',
      shipDateEnd: '2026-11-02T00:00:00Z',
      voidDateStart: '2026-11-01T00:00:00Z',
      voidDateEnd: '2026-11-02T00:00:00Z',
      orderId: 1,
      orderNumber: '100123',
      trackingNumber: '1Z',
      storeId: 12345,
      sortBy: 'CreateDate',
      sortDir: 'DESC',
    });
    await client.getByResourceUrl(`${server.url}/shipments?batchId=144015674&includeShipmentItems=False`);
    await client.getByResourceUrl(`${server.url}/orders?storeID=123456&importBatch=1ab23c4d`);
    await client.listWebhooks();
    await client.subscribeWebhook({
      targetUrl: 'https://hooks.example.com/ss/t',
      event: 'SHIP_NOTIFY',
      storeId: 1,
      friendlyName: 'mlc',
    });
    await client.unsubscribeWebhook(1);
    await client.listInventory({
      sku: 'BRKT-100',
      inventoryWarehouseId: 'se-9',
      inventoryLocationId: 'se-1',
      groupBy: 'location',
      limit: 50,
    });
    await client.setOnHand('BRKT-100', 42, 'se-1', 'plex on-hand');
    await client.updateInventory({
      transaction_type: 'decrement',
      sku: 'BRKT-100',
      quantity: 4,
      inventory_location_id: 'se-1',
      notes: 'shipment 1',
    });
    await client.testConnection();

    const operations = new Set(server.requests.map((r) => `${r.method} ${r.path.replace(/\d+$/, '{id}')}`));
    assert.ok(operations.size >= 10, [...operations].join(', '));
    const v2 = server.requests.filter((r) => r.path.startsWith('/v2/'));
    const v1 = server.requests.filter((r) => !r.path.startsWith('/v2/'));
    await t.test('V2 requests against the official V2 spec (shipstation-mcp-shipstation-api)', () => {
      assert.ok(v2.length > 0);
      assert.deepEqual(v2.flatMap(checkV2), []);
    });
    await t.test('V1 requests against the rules written in this file from the V1 docs', () => {
      assert.ok(v1.length > 0);
      assert.deepEqual(v1.flatMap(checkV1), []);
    });
    await t.test(
      'V1 requests against an official V1 OpenAPI file',
      { skip: 'no official V1 OpenAPI file in shared/specs/shipstation (see its SOURCES.md)' },
      () => undefined,
    );
  });
});

describe('ShipStation customs on the createorder body', () => {
  it('an international order carries customsItems that fit the V1 InternationalOptions and CustomsItem models', () => {
    const body = toShipStationOrder(ERP_ORDER_ABROAD, { storeId: 1, customs: CUSTOMS });
    assert.deepEqual(body.internationalOptions?.customsItems, [
      {
        description: 'Bracket',
        quantity: 4,
        value: 12.5,
        harmonizedTariffCode: '7326.90.8688',
        countryOfOrigin: 'US',
      },
    ]);
    assert.deepEqual(check(req('POST', '/orders/createorder', [], body)), []);
    assert.deepEqual(check(req('POST', '/orders/createorders', [], [body])), []);
  });
});

describe('ShipStation V2 spec response shapes parse with the mapping', () => {
  /** A value for a schema built from its own `example`s, else a typed placeholder. */
  function exampleOf(schema: Json, name = 'x'): Json {
    const sc = deref(schema);
    if (sc.example !== undefined) return sc.example;
    if (sc.type === 'object' || sc.properties)
      return Object.fromEntries(Object.entries(sc.properties ?? {}).map(([k, v]) => [k, exampleOf(v, k)]));
    if (sc.type === 'array') return [exampleOf(sc.items, name)];
    if (sc.type === 'integer') return 3;
    if (sc.type === 'number') return 1.5;
    if (sc.type === 'boolean') return true;
    if (sc.enum) return sc.enum[0];
    return `${name}-example`;
  }

  it("an inventory page built from the spec's schema maps to levels", () => {
    spec ??= parse(readFileSync(V2_SPEC_FILE, 'utf8'));
    const schema = spec.paths['/v2/inventory'].get.responses['200'].content['application/json'].schema;
    const page = exampleOf(schema);
    // Not through assert.ok: ajv's type guard would narrow `page` to unknown.
    assert.equal(validator(schema)(page) as boolean, true);
    const levels = (page.inventory as SsV2InventoryLevel[]).map(toInventoryLevel);
    assert.deepEqual(levels, [
      {
        sku: 'sku-example',
        onHand: 3,
        allocated: 3,
        available: 3,
        warehouseId: 'inventory_warehouse_id-example',
        locationId: 'inventory_location_id-example',
      },
    ]);
  });

  it("the scripted inventory answers the tests use fit the spec's response schema", () => {
    spec ??= parse(readFileSync(V2_SPEC_FILE, 'utf8'));
    const schema = spec.paths['/v2/inventory'].get.responses['200'].content['application/json'].schema;
    const answer = {
      inventory: [{ sku: 'A', on_hand: 4, allocated: 0, available: 4, inventory_location_id: 'se-1' }],
      total: 2,
      page: 1,
      pages: 2,
      links: { next: { href: '/v2/inventory?limit=1&cursor=2' } },
    };
    assert.ok(validator(schema)(answer));
    assert.deepEqual(undeclared(schema, answer, 'answer'), []);
  });
});
