import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { shipStationLimitFor, shipStationLimitKey } from '../../connectors/shipstation/client';
import {
  SHIPSTATION_ERROR_TYPES,
  ShipStationError,
  ShipStationForeignUrlError,
  ShipStationImmutableOrderError,
  ShipStationRateLimitError,
  ShipStationUnavailableError,
  ShipStationValidationError,
} from '../../connectors/shipstation/errors';
import type { SsOrderInput } from '../../connectors/shipstation/wire';
import type { RateLimiter } from '../../lib/ratelimit';
import { fullLimiter } from '../helpers/limiter';
import {
  json,
  pageOf,
  startScriptedShipStation,
  testClient,
  TEST_V1_KEY,
  TEST_V1_SECRET,
  TEST_V2_KEY,
  type Route,
  type ScriptedShipStation,
} from './shipstation-server';

const ORDER: SsOrderInput = {
  orderNumber: '100123',
  orderKey: 'mlc:plex-main:o-1',
  orderDate: '2026-07-01 12:00:00',
  orderStatus: 'awaiting_shipment',
  billTo: { name: 'Acme Corp' },
  shipTo: {
    name: 'Receiving',
    street1: '1 Main St',
    city: 'Austin',
    state: 'TX',
    postalCode: '78701',
    country: 'US',
  },
  items: [{ lineItemKey: 'L1', sku: 'BRKT-100', name: 'Bracket', quantity: 4 }],
  advancedOptions: { customField1: '100123', customField3: 'plex-main:o-1' },
};

const orders = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    orderId: i + 1,
    orderNumber: `N${i + 1}`,
    orderKey: `k${i + 1}`,
    orderStatus: 'awaiting_shipment',
  }));

const shipment = (id: number) => ({
  shipmentId: id,
  orderId: 7,
  orderKey: 'mlc:plex-main:o-1',
  orderNumber: '100123',
  createDate: '2026-07-01T10:00:00.0000000',
  shipDate: '2026-07-01',
  shipmentCost: 9.5,
  trackingNumber: `1Z${id}`,
  carrierCode: 'ups',
  serviceCode: 'ups_ground',
  voided: false,
  shipmentItems: [{ sku: 'BRKT-100', quantity: 4 }],
});

function countingLimiter(): RateLimiter & { keys: string[] } {
  const keys: string[] = [];
  return {
    keys,
    acquire: async (key: string) => {
      keys.push(key);
    },
  };
}

describe('ShipStationClient', () => {
  let server: ScriptedShipStation;
  before(async () => {
    server = await startScriptedShipStation();
  });
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.routes = [];
  });

  it('sends V1 Basic apiKey:apiSecret and V2 api-key, each only on its own API', async () => {
    server.routes = [
      ['GET', /^\/orders$/, (req) => pageOf('orders', [], req)],
      ['GET', /^\/v2\/inventory$/, () => json({ inventory: [], total: 0, page: 1, pages: 1, links: {} })],
    ];
    const limiter = countingLimiter();
    const { client } = testClient(server.url, { limiter });
    await client.listOrders();
    await client.listInventory();
    const [v1, v2] = server.requests;
    const basic = Buffer.from(`${TEST_V1_KEY}:${TEST_V1_SECRET}`).toString('base64');
    assert.equal(v1!.headers.authorization, `Basic ${basic}`);
    assert.equal(v1!.headers['api-key'], undefined);
    assert.equal(v2!.headers['api-key'], TEST_V2_KEY);
    assert.equal(v2!.headers.authorization, undefined);
    assert.deepEqual(limiter.keys, [
      shipStationLimitKey('v1', `${TEST_V1_KEY}:${TEST_V1_SECRET}`),
      shipStationLimitKey('v2', TEST_V2_KEY),
    ]);
    assert.match(limiter.keys[0]!, /^shipstation:v1:[0-9a-f]{16}$/);
    assert.ok(!limiter.keys.join(' ').includes(TEST_V1_KEY));
    const limitFor = shipStationLimitFor();
    assert.deepEqual(limitFor(limiter.keys[0]!), { limit: 40, windowMs: 60_000 });
    assert.deepEqual(limitFor(limiter.keys[1]!), { limit: 200, windowMs: 60_000 });
  });

  it('reads every page of orders, with the modify window in Pacific time', async () => {
    const all = orders(5);
    server.routes = [['GET', /^\/orders$/, (req) => pageOf('orders', all, req)]];
    const { client } = testClient(server.url, { pageSize: 2 });
    const got = await client.listOrders({
      modifyDateStart: '2026-07-01T19:00:00.250Z',
      modifyDateEnd: '2026-07-01T20:00:00.250Z',
      orderStatus: 'awaiting_shipment',
    });
    assert.deepEqual(
      got.map((o) => o.orderId),
      [1, 2, 3, 4, 5],
    );
    assert.equal(server.requests.length, 3);
    assert.deepEqual(server.requests[0]!.query, [
      ['orderStatus', 'awaiting_shipment'],
      ['modifyDateStart', '2026-07-01 12:00:00'],
      ['modifyDateEnd', '2026-07-01 13:00:01'],
      ['page', '1'],
      ['pageSize', '2'],
    ]);
    assert.deepEqual(
      server.requests.map((r) => new Map(r.query).get('page')),
      ['1', '2', '3'],
    );
  });

  it('trusts total when a page says pages: 0 (a documented artefact)', async () => {
    server.routes = [
      [
        'GET',
        /^\/orders$/,
        (req) => {
          const page = Number(new Map(req.query).get('page'));
          return json({ orders: page === 1 ? orders(2) : [], total: 2, page, pages: 0 });
        },
      ],
    ];
    const got = await testClient(server.url, { pageSize: 2 }).client.listOrders();
    assert.equal(got.length, 2);
    assert.equal(server.requests.length, 1);
  });

  it('finds an order by exact key although orderNumber is a prefix search', async () => {
    server.routes = [
      [
        'GET',
        /^\/orders$/,
        (req) =>
          pageOf(
            'orders',
            [
              { orderId: 1, orderNumber: '1001', orderKey: 'other', orderStatus: 'shipped' },
              { orderId: 2, orderNumber: '10012', orderKey: 'mine', orderStatus: 'awaiting_shipment' },
            ],
            req,
          ),
      ],
    ];
    const { client } = testClient(server.url);
    assert.equal((await client.findOrderByKey('mine', '1001'))?.orderId, 2);
    assert.equal(await client.findOrderByKey('absent', '1001'), undefined);
  });

  it('lists shipments by creation window with items, as UTC records, across pages', async () => {
    const all = [shipment(1), shipment(2), shipment(3)];
    server.routes = [['GET', /^\/shipments$/, (req) => pageOf('shipments', all, req)]];
    const got = await testClient(server.url, { pageSize: 2 }).client.listShipments({
      createDateStart: '2026-11-01T08:00:00Z',
      createDateEnd: '2026-11-01T10:30:00Z',
    });
    assert.deepEqual(
      got.map((s) => [s.shipmentId, s.trackingNumber, s.createdAt]),
      [
        ['1', '1Z1', '2026-07-01T17:00:00.000Z'],
        ['2', '1Z2', '2026-07-01T17:00:00.000Z'],
        ['3', '1Z3', '2026-07-01T17:00:00.000Z'],
      ],
    );
    assert.deepEqual(got[0]!.items, [{ sku: 'BRKT-100', quantity: 4 }]);
    assert.deepEqual(server.requests[0]!.query, [
      ['createDateStart', '2026-11-01 01:00:00'], // 08:00Z is still PDT
      ['createDateEnd', '2026-11-01 02:30:00'], // 10:30Z is PST
      ['includeShipmentItems', 'true'],
      ['page', '1'],
      ['pageSize', '2'],
    ]);
  });

  it('waits X-Rate-Limit-Reset seconds on a V1 429, through the limiter again, then succeeds', async () => {
    let calls = 0;
    server.routes = [
      [
        'GET',
        /^\/orders\/(\d+)$/,
        () =>
          ++calls <= 2
            ? json({ message: 'Too Many Requests' }, 429, {
                'X-Rate-Limit-Limit': '40',
                'X-Rate-Limit-Remaining': '0',
                'X-Rate-Limit-Reset': '7',
              })
            : json({ orderId: 9, orderNumber: 'N', orderKey: 'k', orderStatus: 'awaiting_shipment' }),
      ],
    ];
    const limiter = countingLimiter();
    const { client, sleeps, audit } = testClient(server.url, { limiter });
    const order = await client.getOrder(9);
    assert.equal(order.orderId, 9);
    assert.deepEqual(sleeps, [7_000, 7_000]);
    assert.equal(limiter.keys.length, 3, 'every attempt takes a limiter slot');
    assert.deepEqual(
      audit.map((a) => [a.outcome, a.httpStatus]),
      [
        ['error', 429],
        ['error', 429],
        ['ok', 200],
      ],
    );
  });

  it('gives up after the bounded retries with a typed, retryable rate-limit error', async () => {
    server.routes = [
      [
        'GET',
        /^\/orders\/\d+$/,
        () => json({ message: 'Too Many Requests' }, 429, { 'X-Rate-Limit-Reset': '20' }),
      ],
    ];
    const { client, sleeps } = testClient(server.url, { rateLimitRetries: 1 });
    await assert.rejects(client.getOrder(1), (err: unknown) => {
      assert.ok(err instanceof ShipStationRateLimitError);
      assert.equal(err.type, SHIPSTATION_ERROR_TYPES.rateLimit);
      assert.equal(err.retryable, true);
      assert.equal(err.retryAfterMs, 20_000);
      return true;
    });
    assert.deepEqual(sleeps, [20_000]);
    assert.equal(server.requests.length, 2);
  });

  it('honours Retry-After on a V2 429, and surfaces a wait longer than the inline maximum at once', async () => {
    let calls = 0;
    server.routes = [
      [
        'GET',
        /^\/v2\/inventory$/,
        () =>
          ++calls === 1
            ? json(
                { request_id: 'r', errors: [{ error_code: 'rate_limit_exceeded', message: 'slow down' }] },
                429,
                { 'Retry-After': '3' },
              )
            : json({
                inventory: [{ sku: 'A', on_hand: 5, allocated: 1 }],
                total: 1,
                page: 1,
                pages: 1,
                links: {},
              }),
      ],
    ];
    const { client, sleeps } = testClient(server.url);
    assert.deepEqual(await client.listInventory(), [{ sku: 'A', onHand: 5, allocated: 1, available: 4 }]);
    assert.deepEqual(sleeps, [3_000]);

    server.routes = [['GET', /^\/v2\/inventory$/, () => json({}, 429, { 'Retry-After': '600' })]];
    const second = testClient(server.url);
    await assert.rejects(second.client.listInventory(), ShipStationRateLimitError);
    assert.deepEqual(second.sleeps, []);
  });

  it("creates or updates an order by orderKey and returns ShipStation's order", async () => {
    server.routes = [
      ['POST', /^\/orders\/createorder$/, (req) => json({ ...(req.body as object), orderId: 55 })],
    ];
    const saved = await testClient(server.url).client.createOrUpdateOrder(ORDER);
    assert.equal(saved.orderId, 55);
    assert.deepEqual(server.requests[0]!.body, ORDER);
  });

  it('waits for a rate-limit slot no longer than the activity attempt has left, and sends nothing then', async () => {
    server.routes = [
      ['POST', /^\/orders\/createorder$/, (req) => json({ ...(req.body as object), orderId: 55 })],
    ];
    // A limiter with no room: it grants nothing until the caller gives up.
    const { limiter: full, gaveUp } = fullLimiter();
    // The attempt's time runs out when the test fires the timer the client asked for.
    const timers: Array<{ ms: number; fire: () => void }> = [];
    const timeoutSignal = (ms: number) => {
      const timer = new AbortController();
      timers.push({ ms, fire: () => timer.abort(new DOMException('timed out', 'TimeoutError')) });
      return timer.signal;
    };
    const { client } = testClient(server.url, { limiter: full, waitBudgetMs: () => 150, timeoutSignal });
    let settled = false;
    const waiting = client.createOrUpdateOrder(ORDER);
    waiting.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (timers.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      timers.map((t) => t.ms),
      [150],
      'the wait for a slot is bounded by the time the attempt has left',
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'waiting for a slot until the budget runs out');
    timers[0]!.fire();
    await assert.rejects(waiting, (err: unknown) => {
      assert.ok(err instanceof ShipStationRateLimitError);
      assert.match(err.message, /no request slot under the V1 rate limit within the activity attempt's time/);
      assert.ok(err.retryAfterMs >= 5_000, 'Temporal is asked to come back later');
      return true;
    });
    assert.equal(gaveUp(), 1, 'the limiter heard the caller give up (a shared limiter then takes nothing)');
    assert.equal(server.requests.length, 0);

    // Cancelled while waiting: the cancellation's reason, not a rate-limit error.
    const cancel = new AbortController();
    const cancelled = testClient(server.url, { limiter: full, signal: cancel.signal }).client;
    const pending = cancelled.createOrUpdateOrder(ORDER);
    cancel.abort(new Error('activity cancelled'));
    await assert.rejects(pending, /activity cancelled/);
    assert.equal(server.requests.length, 0);
  });

  it('does not send a write once the attempt is used up, but still reads', async () => {
    server.routes = [
      ['POST', /^\/orders\/createorder$/, (req) => json({ ...(req.body as object), orderId: 55 })],
      ['GET', /^\/orders$/, (req) => pageOf('orders', [], req)],
    ];
    let beats = 0;
    const { client } = testClient(server.url, { waitBudgetMs: () => 0, heartbeat: () => void beats++ });
    await assert.rejects(client.createOrUpdateOrder(ORDER), (err: unknown) => {
      assert.ok(err instanceof ShipStationUnavailableError);
      assert.match(err.message, /attempt's time is used up; not sent/);
      return true;
    });
    assert.equal(server.requests.length, 0);
    await client.listOrders();
    assert.equal(beats, 2, 'one heartbeat per request, also without a wait');
    assert.deepEqual(
      server.requests.map((r) => r.method),
      ['GET'],
    );
  });

  it('never sends an update for a shipped or cancelled order it knows of', async () => {
    server.routes = [
      [
        'GET',
        /^\/orders\/55$/,
        () => json({ orderId: 55, orderNumber: '100123', orderKey: ORDER.orderKey, orderStatus: 'shipped' }),
      ],
      ['POST', /^\/orders\/createorder$/, () => json({ orderId: 55 })],
    ];
    await assert.rejects(
      testClient(server.url).client.createOrUpdateOrder(ORDER, { existingOrderId: 55 }),
      (err: unknown) =>
        err instanceof ShipStationImmutableOrderError && err.orderStatus === 'shipped' && !err.retryable,
    );
    assert.deepEqual(
      server.requests.map((r) => r.method),
      ['GET'],
    );
  });

  it("turns ShipStation's refusal of a locked order, or an unchanged locked answer, into the immutable error", async () => {
    server.routes = [
      [
        'POST',
        /^\/orders\/createorder$/,
        () =>
          json(
            {
              Message: 'The request is invalid.',
              ModelState: { apiOrder: ["Order 100123 is in status 'cancelled' and cannot be updated."] },
            },
            400,
          ),
      ],
      // The read-back finds nothing (e.g. not visible yet): the refusal stands as ShipStation worded it.
      ['GET', /^\/orders$/, (req) => pageOf('orders', [], req)],
    ];
    await assert.rejects(testClient(server.url).client.createOrUpdateOrder(ORDER), (err: unknown) => {
      assert.ok(err instanceof ShipStationImmutableOrderError);
      assert.match(err.shipStationMessage ?? '', /cannot be updated/);
      assert.equal(err.orderStatus, undefined);
      return true;
    });
    server.routes = [
      ['POST', /^\/orders\/createorder$/, () => json({ ...ORDER, orderId: 5, orderStatus: 'shipped' })],
    ];
    await assert.rejects(
      testClient(server.url).client.createOrUpdateOrder(ORDER),
      ShipStationImmutableOrderError,
    );
  });

  it("reports other 400s as validation errors carrying ShipStation's message", async () => {
    server.routes = [
      [
        'POST',
        /^\/orders\/createorder$/,
        () =>
          json(
            {
              Message: 'The request is invalid.',
              ModelState: { 'apiOrder.shipTo.country': ['Country is invalid'] },
            },
            400,
          ),
      ],
      // The order is open in ShipStation: a real validation problem, not a locked order.
      [
        'GET',
        /^\/orders$/,
        (req) =>
          pageOf(
            'orders',
            [
              {
                orderId: 55,
                orderNumber: '100123',
                orderKey: ORDER.orderKey,
                orderStatus: 'awaiting_shipment',
              },
            ],
            req,
          ),
      ],
    ];
    await assert.rejects(testClient(server.url).client.createOrUpdateOrder(ORDER), (err: unknown) => {
      assert.ok(err instanceof ShipStationValidationError);
      assert.equal(err.type, 'ShipStationValidationError');
      assert.equal(err.retryable, false);
      assert.equal(err.shipStationMessage, 'Country is invalid');
      assert.match(err.message, /Country is invalid/);
      return true;
    });
  });

  describe('a 400 to createorder for an order ShipStation already holds (a retry after a lost answer)', () => {
    const refused = (message: string): Route => [
      'POST',
      /^\/orders\/createorder$/,
      () => json({ Message: 'The request is invalid.', ModelState: { apiOrder: [message] } }, 400),
    ];
    const held = (orders: unknown[]): Route => ['GET', /^\/orders$/, (req) => pageOf('orders', orders, req)];
    const order = (orderStatus: string, over: Record<string, unknown> = {}) => ({
      orderId: 77,
      orderNumber: ORDER.orderNumber,
      orderKey: ORDER.orderKey,
      orderStatus,
      ...over,
    });
    const lookups = () => server.requests.filter((r) => r.method === 'GET' && r.path === '/orders');

    it('reads the order back by its orderKey: shipped there, the refusal is the immutable error with its status and orderId', async () => {
      server.routes = [
        refused("Order 100123 is in status 'shipped' and cannot be updated."),
        // orderNumber is a prefix search: another order's number starts with ours.
        held([
          order('awaiting_shipment', { orderId: 78, orderNumber: '1001234', orderKey: 'k-other' }),
          order('shipped'),
        ]),
      ];
      await assert.rejects(testClient(server.url).client.createOrUpdateOrder(ORDER), (err: unknown) => {
        assert.ok(err instanceof ShipStationImmutableOrderError);
        assert.equal(err.orderStatus, 'shipped');
        assert.equal(err.orderId, 77);
        assert.equal(err.status, 400);
        assert.equal(err.retryable, false);
        return true;
      });
      assert.deepEqual(
        server.requests.map((r) => `${r.method} ${r.path}`),
        ['POST /orders/createorder', 'GET /orders'],
        'one extra read',
      );
      assert.equal(new Map(lookups()[0]!.query).get('orderNumber'), ORDER.orderNumber);
    });

    it('decides on the status read back, not on the wording of the refusal', async () => {
      server.routes = [refused('Something ShipStation never documented.'), held([order('cancelled')])];
      await assert.rejects(testClient(server.url).client.createOrUpdateOrder(ORDER), (err: unknown) => {
        assert.ok(err instanceof ShipStationImmutableOrderError);
        assert.equal(err.orderStatus, 'cancelled');
        assert.equal(err.orderId, 77);
        return true;
      });
    });

    it('keeps the refusal when no order with exactly this orderKey is there', async () => {
      server.routes = [
        refused('Something ShipStation never documented.'),
        held([order('shipped', { orderKey: 'mlc:plex-main:o-10' })]),
      ];
      await assert.rejects(testClient(server.url).client.createOrUpdateOrder(ORDER), (err: unknown) => {
        assert.ok(err instanceof ShipStationValidationError);
        assert.equal(err.shipStationMessage, 'Something ShipStation never documented.');
        return true;
      });
      assert.equal(lookups().length, 1);
    });

    it('a read-back that failed and may work later is thrown (retryable), so the retry finds out', async () => {
      server.routes = [
        refused("Order 100123 is in status 'shipped' and cannot be updated."),
        ['GET', /^\/orders$/, () => json({ Message: 'An error has occurred.' }, 500)],
      ];
      await assert.rejects(testClient(server.url).client.createOrUpdateOrder(ORDER), (err: unknown) => {
        assert.ok(err instanceof ShipStationUnavailableError);
        assert.equal(err.retryable, true);
        return true;
      });
    });

    it('reads nothing back for answers other than 400', async () => {
      server.routes = [
        ['POST', /^\/orders\/createorder$/, () => json({ Message: 'Conflict' }, 409)],
        held([order('shipped')]),
      ];
      await assert.rejects(
        testClient(server.url).client.createOrUpdateOrder(ORDER),
        ShipStationValidationError,
      );
      assert.equal(lookups().length, 0);
    });
  });

  it('sends bulk orders in requests of 100 with one result per order', async () => {
    const many = Array.from({ length: 230 }, (_, i) => ({
      ...ORDER,
      orderNumber: `N${i}`,
      orderKey: `k${i}`,
    }));
    server.routes = [
      [
        'POST',
        /^\/orders\/createorders$/,
        (req) => {
          const list = req.body as SsOrderInput[];
          return json({
            hasErrors: true,
            results: list.map((o, i) =>
              o.orderKey === 'k7'
                ? {
                    orderId: null,
                    orderNumber: o.orderNumber,
                    orderKey: o.orderKey,
                    success: false,
                    errorMessage: "Order N7 is in status 'shipped' and cannot be updated.",
                  }
                : o.orderKey === 'k8'
                  ? {
                      orderId: null,
                      orderNumber: o.orderNumber,
                      orderKey: o.orderKey,
                      success: false,
                      errorMessage: 'Invalid postal code',
                    }
                  : {
                      orderId: 1000 + i,
                      orderNumber: o.orderNumber,
                      orderKey: o.orderKey,
                      success: true,
                      errorMessage: null,
                    },
            ),
          });
        },
      ],
    ];
    const results = await testClient(server.url).client.createOrders(many);
    assert.deepEqual(
      server.requests.map((r) => (r.body as unknown[]).length),
      [100, 100, 30],
    );
    assert.equal(results.length, 230);
    assert.deepEqual(results[0], {
      orderKey: 'k0',
      orderNumber: 'N0',
      success: true,
      orderId: 1000,
      locked: false,
    });
    assert.equal(results[7]!.success, false);
    assert.equal(results[7]!.locked, true);
    assert.deepEqual(
      [results[8]!.success, results[8]!.locked, results[8]!.errorMessage],
      [false, false, 'Invalid postal code'],
    );
    assert.equal(results[229]!.orderId, 1029);
  });
});

describe('ShipStationClient resource_url', () => {
  let server: ScriptedShipStation;
  before(async () => {
    server = await startScriptedShipStation([
      ['GET', /^\/shipments$/, (req) => pageOf('shipments', [shipment(1), shipment(2)], req)],
      ['GET', /^\/orders$/, (req) => pageOf('orders', orders(1), req)],
    ]);
  });
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('follows a resource_url on the configured host, with items and credentials', async () => {
    const { client } = testClient(server.url);
    const res = await client.getByResourceUrl(
      `${server.url}/shipments?batchId=144015674&includeShipmentItems=False`,
    );
    assert.equal(res.kind, 'shipments');
    assert.deepEqual(res.kind === 'shipments' ? res.shipments.map((s) => s.shipmentId) : [], ['1', '2']);
    const q = server.requests[0]!.query;
    assert.deepEqual(q, [
      ['batchId', '144015674'],
      ['includeShipmentItems', 'True'],
      ['page', '1'],
      ['pageSize', '500'],
    ]);
    assert.match(String(server.requests[0]!.headers.authorization), /^Basic /);
    const ordersRes = await client.getByResourceUrl(`${server.url}/orders?storeID=123456&importBatch=abc`);
    assert.equal(ordersRes.kind === 'orders' ? ordersRes.orders.length : -1, 1);
  });

  it('refuses foreign and forged resource_urls without sending anything', async () => {
    const { client } = testClient(server.url);
    const port = Number(new URL(server.url).port);
    const forged = [
      'https://evil.example.com/shipments?batchId=1',
      'https://ssapi.shipstation.com.evil.example/shipments',
      'https://evilssapi.shipstation.com/shipments',
      'http://ssapi.shipstation.com/shipments', // not https
      'https://ssapi.shipstation.com:8443/shipments', // another port
      `http://127.0.0.1:${port + 1}/shipments`, // the simulator's host, another port
      `http://localhost:${port}/shipments`, // same machine, another name
      `http://user:pw@127.0.0.1:${port}/shipments`, // credentials in the URL
      `${server.url}/accounts/listtags`, // a ShipStation host, but not a resource we follow
      `${server.url}/shipments/../users`,
      'javascript:alert(1)',
      '/shipments?batchId=1',
      '',
    ];
    for (const url of forged) {
      await assert.rejects(client.getByResourceUrl(url), (err: unknown) => {
        assert.ok(err instanceof ShipStationForeignUrlError, url);
        assert.equal(err.retryable, false);
        assert.match(err.message, /refused/);
        return true;
      });
    }
    assert.equal(server.requests.length, 0, 'nothing was fetched');
  });

  it("accepts ShipStation's production hosts, numbered shards included", () => {
    const { client } = testClient(server.url);
    for (const url of [
      'https://ssapi.shipstation.com/shipments?batchId=1&includeShipmentItems=False',
      'https://ssapi11.shipstation.com/orders?storeID=1&importBatch=x',
    ]) {
      assert.ok(client.checkResourceUrl(url).kind);
    }
  });

  it('allows a base URL with a path prefix and only under it', async () => {
    const { client } = testClient(`${server.url}/ss`);
    assert.equal(client.checkResourceUrl(`${server.url}/ss/shipments?x=1`).kind, 'shipments');
    assert.throws(() => client.checkResourceUrl(`${server.url}/shipments`), ShipStationForeignUrlError);
  });
});

describe('ShipStationClient webhooks, inventory and connection test', () => {
  let server: ScriptedShipStation;
  before(async () => {
    server = await startScriptedShipStation();
  });
  after(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    server.routes = [];
  });

  it('subscribes (either answer shape), lists and unsubscribes V1 webhooks', async () => {
    let shape = 0;
    server.routes = [
      [
        'POST',
        /^\/webhooks\/subscribe$/,
        () => json(shape++ === 0 ? { id: 123456 } : { WebHookID: 654321, HookType: 'SHIP_NOTIFY' }, 201),
      ],
      [
        'GET',
        /^\/webhooks$/,
        () =>
          json({
            webhooks: [{ WebHookID: 123456, HookType: 'SHIP_NOTIFY', Url: 'https://x', Active: true }],
          }),
      ],
      ['DELETE', /^\/webhooks\/(\d+)$/, () => ({ status: 200 })],
    ];
    const { client } = testClient(server.url);
    const input = {
      targetUrl: 'https://hooks.example.com/ss/t0k3n',
      event: 'SHIP_NOTIFY' as const,
      storeId: 5,
      friendlyName: 'ml-connector',
    };
    assert.deepEqual(await client.subscribeWebhook(input), { webhookId: 123456 });
    assert.deepEqual(await client.subscribeWebhook(input), { webhookId: 654321 });
    assert.deepEqual(server.requests[0]!.body, {
      target_url: 'https://hooks.example.com/ss/t0k3n',
      event: 'SHIP_NOTIFY',
      store_id: 5,
      friendly_name: 'ml-connector',
    });
    assert.equal((await client.listWebhooks())[0]!.WebHookID, 123456);
    await client.unsubscribeWebhook(123456);
    assert.equal(server.requests.at(-1)!.path, '/webhooks/123456');
    assert.equal(server.requests.at(-1)!.method, 'DELETE');
  });

  it('reads inventory across pages through links.next and refuses a next link to another origin', async () => {
    server.routes = [
      [
        'GET',
        /^\/v2\/inventory$/,
        (req) => {
          const q = new Map(req.query);
          return q.get('cursor') === '2'
            ? json({
                inventory: [{ sku: 'B', on_hand: 1, allocated: 0, available: 1 }],
                total: 2,
                page: 2,
                pages: 2,
                links: {},
              })
            : json({
                inventory: [
                  { sku: 'A', on_hand: 4, allocated: 0, available: 4, inventory_location_id: 'se-1' },
                ],
                total: 2,
                page: 1,
                pages: 2,
                links: { next: { href: '/v2/inventory?limit=1&cursor=2' } },
              });
        },
      ],
    ];
    const { client } = testClient(server.url);
    const levels = await client.listInventory({ sku: 'A', limit: 1 });
    assert.deepEqual(
      levels.map((l) => [l.sku, l.onHand]),
      [
        ['A', 4],
        ['B', 1],
      ],
    );
    assert.deepEqual(server.requests[0]!.query, [
      ['sku', 'A'],
      ['limit', '1'],
    ]);
    server.routes = [
      [
        'GET',
        /^\/v2\/inventory$/,
        () =>
          json({
            inventory: [],
            page: 1,
            pages: 2,
            links: { next: { href: 'https://evil.example/v2/inventory' } },
          }),
      ],
    ];
    await assert.rejects(client.listInventory(), /next link leaves/);
  });

  it('sets on-hand with an adjust transaction (204), and needs a V2 key for it', async () => {
    server.routes = [['POST', /^\/v2\/inventory$/, () => ({ status: 204 })]];
    await testClient(server.url).client.setOnHand('BRKT-100', 42, 'se-1', 'plex on-hand');
    assert.deepEqual(server.requests[0]!.body, {
      transaction_type: 'adjust',
      sku: 'BRKT-100',
      quantity: 42,
      inventory_location_id: 'se-1',
      reason: 'plex on-hand',
    });
    server.requests.length = 0;
    await assert.rejects(
      testClient(server.url, { v2ApiKey: undefined }).client.setOnHand('A', 1, 'se-1'),
      /no V2 API key/,
    );
    assert.equal(server.requests.length, 0);
  });

  it('testConnection: ok, bad credentials (V1 or V2), rate limited without waiting, unreachable', async () => {
    const basic = `Basic ${Buffer.from(`${TEST_V1_KEY}:${TEST_V1_SECRET}`).toString('base64')}`;
    server.routes = [
      [
        'GET',
        /^\/orders$/,
        (req) =>
          req.headers.authorization === basic
            ? pageOf('orders', [], req)
            : json({ message: 'Invalid API credentials' }, 401),
      ],
      [
        'GET',
        /^\/v2\/inventory$/,
        (req) =>
          req.headers['api-key'] === TEST_V2_KEY
            ? json({ inventory: [], links: {} })
            : json({ errors: [{ error_code: 'unauthorized', message: 'no' }] }, 401),
      ],
    ];
    assert.deepEqual((await testClient(server.url).client.testConnection()).reason, 'ok');
    const badV1 = await testClient(server.url, { apiSecret: 'wrong' }).client.testConnection();
    assert.equal(badV1.reason, 'bad_credentials');
    assert.match(badV1.message, /V1 API key and secret/);
    assert.ok(!badV1.message.includes('wrong'));
    const badV2 = await testClient(server.url, { v2ApiKey: 'nope' }).client.testConnection();
    assert.equal(badV2.reason, 'bad_credentials');
    assert.match(badV2.message, /V2 API key/);

    server.routes = [
      [
        'GET',
        /^\/orders$/,
        () => json({ message: 'Too Many Requests' }, 429, { 'X-Rate-Limit-Reset': '30' }),
      ],
    ];
    const limited = testClient(server.url);
    assert.equal((await limited.client.testConnection()).reason, 'rate_limited');
    assert.deepEqual(limited.sleeps, []);

    const closed = await startScriptedShipStation();
    await closed.stop();
    const unreachable = await testClient(closed.url).client.testConnection();
    assert.equal(unreachable.reason, 'unreachable');
    assert.equal(unreachable.ok, false);
  });

  it('keeps credentials out of errors and the audit log, and marks 5xx retryable', async () => {
    server.routes = [
      [
        'GET',
        /^\/orders\/\d+$/,
        () => json({ Message: 'An error has occurred.', ExceptionMessage: `boom ${TEST_V1_SECRET}` }, 500),
      ],
    ];
    const { client, audit } = testClient(server.url);
    await assert.rejects(client.getOrder(3), (err: unknown) => {
      assert.ok(err instanceof ShipStationError);
      assert.equal(err.type, SHIPSTATION_ERROR_TYPES.unavailable);
      assert.equal(err.retryable, true);
      assert.ok(!err.message.includes(TEST_V1_SECRET));
      assert.ok(!(err.shipStationMessage ?? '').includes(TEST_V1_SECRET));
      return true;
    });
    const text = JSON.stringify(audit);
    for (const secret of [TEST_V1_KEY, TEST_V1_SECRET, TEST_V2_KEY]) assert.ok(!text.includes(secret));
    assert.deepEqual(
      audit.map((a) => [a.action, a.httpPath, a.httpStatus, a.details.type]),
      [['shipstation.getOrder', '/orders/3', 500, 'ShipStationUnavailableError']],
    );
  });
});
