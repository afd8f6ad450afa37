import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { PlexAuthError, PlexNotFoundError } from '../../connectors/plex/errors';
import { fullLimiter } from '../helpers/limiter';
import { parseReadyState } from '../../connectors/plex/mapping';
import { IDS, ORDER, RELEASES } from './plex-fixtures';
import { freshWorld, orderRoutes, type OrderWorld } from './plex-routes';
import { json, startScriptedPlex, testClient, type Handler, type ScriptedPlex } from './plex-server';

const WINDOW = { since: '2026-11-20T09:00:00Z', until: '2026-11-20T11:00:00Z' };
const SECOND_ORDER = { ...ORDER, id: '11111111-1111-4111-8111-111111111112', orderNumber: '100124' };

/** Replace one route of the order world (matched by method and pattern source). */
function override(
  routes: Array<[string, RegExp, Handler]>,
  method: string,
  source: string,
  handler: Handler,
) {
  return routes.map((r): [string, RegExp, Handler] =>
    r[0] === method && r[1].source === source ? [r[0], r[1], handler] : r,
  );
}

describe('PlexClient detection and write-back details', () => {
  let server: ScriptedPlex;
  let world: OrderWorld;
  before(async () => {
    server = await startScriptedPlex();
  });
  after(() => server.stop());
  beforeEach(() => {
    world = freshWorld();
    server.routes = orderRoutes(world);
    server.requests.length = 0;
  });

  it('a Consumer Key that cannot be sent in a header is an auth error naming the fix, sent nowhere', async () => {
    const { client } = testClient(server.url, { apiKey: 'plex-key-77\nX-Evil: 1' });
    await assert.rejects(client.getOrder(IDS.order), (err: unknown) => {
      assert.ok(err instanceof PlexAuthError, String(err));
      assert.equal(err.retryable, false, 'not a network error to retry');
      assert.match(err.message, /cannot be sent in a header/);
      assert.ok(!err.message.includes('plex-key-77'), 'the key never appears');
      return true;
    });
    assert.equal(server.requests.length, 0, 'nothing reached Plex');
  });

  it('polls orders with the modifiedByDate window and the ready statuses', async () => {
    const { client } = testClient(server.url);
    const refs = await client.detectReadyOrders({
      ...WINDOW,
      readyState: parseReadyState('order:Open,Released'),
    });
    assert.deepEqual(
      refs.map((r) => [r.orderKey, r.orderNumber, r.modifiedAt]),
      [[IDS.order, '100123', '2026-11-20T10:00:00.000Z']],
    );
    const poll = server.requests[0]!;
    assert.equal(poll.path, '/sales/v1/orders');
    assert.deepEqual(poll.query, [
      ['modifiedByDateBegin', '2026-11-20T09:00:00Z'],
      ['modifiedByDateEnd', '2026-11-20T11:00:00Z'],
      ['status', 'Open'],
      ['status', 'Released'],
    ]);
  });

  it('skips orders whose releases all shipped, but keeps one whose releases are invisible', async () => {
    server.routes = override(server.routes, 'GET', '^\\/sales\\/v1\\/releases$', () =>
      json(RELEASES.map((r) => ({ ...r, quantityShipped: r.quantity, status: 'Shipped' }))),
    );
    assert.deepEqual(await testClient(server.url).client.detectReadyOrders(WINDOW), []);
    world.hideReleases = true;
    server.routes = orderRoutes(world);
    const refs = await testClient(server.url).client.detectReadyOrders(WINDOW);
    assert.deepEqual(
      refs.map((r) => r.orderKey),
      [IDS.order],
    );
  });

  it('ignores orders in other states even when Plex ignores the status filter', async () => {
    server.routes = override(server.routes, 'GET', '^\\/sales\\/v1\\/orders$', () =>
      json([{ ...ORDER, status: 'Closed' }]),
    );
    assert.deepEqual(await testClient(server.url).client.detectReadyOrders(WINDOW), []);
  });

  it('in shipper mode, follows the shipper lines when several orders ship to the same address', async () => {
    server.routes = override(server.routes, 'GET', '^\\/sales\\/v1\\/orders$', () =>
      json([SECOND_ORDER, ORDER]),
    );
    server.routes = override(
      server.routes,
      'GET',
      '^\\/sales\\/v1\\/orders\\/([0-9a-f-]{36})\\/lines$',
      (req) =>
        req.path.includes(SECOND_ORDER.id)
          ? json([{ id: '44444444-4444-4444-8444-444444444449', orderId: SECOND_ORDER.id, active: true }])
          : json([
              { id: IDS.line1, orderId: IDS.order, partId: IDS.part1, active: true },
              { id: IDS.line2, orderId: IDS.order, partId: IDS.part2, active: true },
            ]),
    );
    const refs = await testClient(server.url).client.detectReadyOrders({
      ...WINDOW,
      readyState: parseReadyState('shipper:Open'),
    });
    assert.deepEqual(
      refs.map((r) => r.orderKey),
      [IDS.order],
    );
    assert.ok(server.requests.some((r) => r.path === `/shipping/v1/customer-shippers/${IDS.shipper}/lines`));
    assert.ok(server.requests.some((r) => r.path === '/sales/v1/releases' && r.query[0]?.[0] === 'id'));
  });

  it('takes the only untracked shipper to the ship-to without reading its lines; with several, its lines decide', async () => {
    const linesOf = (id: string) => `/shipping/v1/customer-shippers/${id}/lines`;
    const only = await testClient(server.url).client.loadOrder(IDS.order);
    assert.equal(only.writeBackKeys.shipperId, IDS.shipper);
    assert.ok(!server.requests.some((r) => r.path === linesOf(IDS.shipper)));

    // A second untracked shipper to the same address: the lines pick the one that carries the order.
    const other = { ...world.shipper, id: '77777777-7777-4777-8777-777777777778', shipperNumber: 'S5002' };
    server.routes = override(server.routes, 'GET', '^\\/shipping\\/v1\\/customer-shippers$', () =>
      json([other, world.shipper]),
    );
    const linesRoute = server.routes.find(
      (r) => r[0] === 'GET' && r[1].source.includes('customer-shippers') && r[1].source.endsWith('\\/lines$'),
    )!;
    server.routes = override(server.routes, 'GET', linesRoute[1].source, (req, params) =>
      req.path === linesOf(other.id) ? json([]) : linesRoute[2](req, params),
    );
    server.requests.length = 0;
    const picked = await testClient(server.url).client.loadOrder(IDS.order);
    assert.equal(picked.writeBackKeys.shipperId, IDS.shipper);
    assert.ok(server.requests.some((r) => r.path === linesOf(IDS.shipper)));

    // The only one, but tracked already (another shipment's): its lines must carry the order.
    world.shipper = { ...world.shipper, trackingNumber: '794600000009' };
    server.routes = orderRoutes(world);
    server.requests.length = 0;
    const tracked = await testClient(server.url).client.loadOrder(IDS.order);
    assert.equal(tracked.writeBackKeys.shipperId, IDS.shipper);
    assert.ok(server.requests.some((r) => r.path === linesOf(IDS.shipper)));
  });

  it('finds the shipper again when the write-back keys lack it, and says what to do when none exists', async () => {
    const { client } = testClient(server.url);
    const keys = { orderId: IDS.order, customerId: IDS.customer, shipToAddressId: IDS.address };
    const tracking = {
      carrier: 'fedex',
      trackingNumber: '794600000001',
      pieceTrackingNumbers: ['794600000001'],
      serviceType: 'FEDEX_GROUND',
      shipDate: '2026-11-21',
    };
    assert.deepEqual(await client.writeTracking(keys, tracking), { shipperId: IDS.shipper, written: true });
    assert.equal(world.shipper.trackingNumber, '794600000001');

    server.routes = override(server.routes, 'GET', '^\\/shipping\\/v1\\/customer-shippers$', () => json([]));
    await assert.rejects(client.writeTracking(keys, tracking), (err: Error) => {
      assert.ok(err instanceof PlexNotFoundError);
      assert.match(err.message, /no customer shipper found for sales order/);
      assert.match(err.message, /create a customer shipper for the order in Plex/);
      return true;
    });
  });

  it("reads new orders' releases in one go; a failing read fails detection after its group-mates are handed over", async () => {
    const orders = Array.from({ length: 8 }, (_, i) => ({
      ...ORDER,
      id: `11111111-1111-4111-8111-1111111112${String(i).padStart(2, '0')}`,
      orderNumber: `2000${i}`,
    }));
    const failing = orders[5]!.id;
    server.routes = override(server.routes, 'GET', '^\\/sales\\/v1\\/orders$', () => json(orders));
    server.routes = override(
      server.routes,
      'GET',
      '^\\/sales\\/v1\\/orders\\/([0-9a-f-]{36})\\/lines$',
      (_req, [orderId]) =>
        orderId === failing
          ? { status: 400, body: { code: 'BAD_REQUEST', message: 'broken order' } }
          : json([{ id: `${orderId!.slice(0, 34)}99`, orderId, active: true }]),
    );
    const handed: string[] = [];
    await assert.rejects(
      testClient(server.url).client.detectReadyOrders({
        ...WINDOW,
        onReady: async (ref) => {
          handed.push(ref.orderKey);
        },
      }),
    );
    // The failing order never got through, but the orders read beside it did; none is handed over
    // twice. Their releases came in one read, not one per order.
    for (const o of orders.filter((x) => x.id !== failing)) {
      assert.ok(handed.includes(o.id), `${o.orderNumber} handed over`);
    }
    assert.ok(!handed.includes(failing));
    assert.equal(new Set(handed).size, handed.length);
    assert.equal(server.requests.filter((r) => r.path === '/sales/v1/releases').length, 1);
  });

  it('keeps parts with a weight and customers for five minutes across activity copies, never a part without', async () => {
    let t = Date.parse('2026-11-21T10:00:00Z');
    const { client } = testClient(server.url, { now: () => new Date(t) });
    const partReads = () =>
      server.requests.filter((r) => r.path === '/mdm/v1/parts' || r.path.endsWith('/shipping-details'))
        .length;
    const first = await client.getParts([IDS.part1, IDS.part2]);
    assert.deepEqual(
      first.map((p) => p.id),
      [IDS.part1, IDS.part2],
    );
    const cold = partReads();
    assert.equal(cold, 3, 'one list and two shipping details');
    // An activity's copy of the client (withAudit) shares the cache.
    const copy = client.withAudit(async () => {});
    assert.deepEqual(await copy.getParts([IDS.part2, IDS.part1]), [first[1], first[0]]);
    assert.equal(partReads(), cold, 'both parts came from the cache');
    t += 5 * 60_000;
    await copy.getParts([IDS.part1]);
    assert.equal(partReads(), cold + 2, 'after five minutes the part is read again');

    // Customers the same way.
    const customerReads = () => server.requests.filter((r) => r.path.startsWith('/mdm/v1/customers/')).length;
    const customer = await client.getCustomer(IDS.customer);
    assert.deepEqual(await client.withAudit(async () => {}).getCustomer(IDS.customer), customer);
    assert.equal(customerReads(), 1);
    t += 5 * 60_000;
    await client.getCustomer(IDS.customer);
    assert.equal(customerReads(), 2);

    // A part without a weight is read every time, so a weight entered in Plex counts at once.
    server.routes = override(
      server.routes,
      'GET',
      `^\\/shipping\\/v1-beta1\\/inventory\\/parts\\/${'([0-9a-f-]{36})'}\\/shipping-details$`,
      () => json({ code: 'RESOURCE_NOT_FOUND', message: 'Not found' }, 404),
    );
    const fresh = testClient(server.url, { now: () => new Date(t) }).client;
    assert.equal((await fresh.getParts([IDS.part1]))[0]!.pieceWeight, undefined);
    const before = partReads();
    await fresh.getParts([IDS.part1]);
    assert.equal(partReads(), before + 2);
  });

  it('gives up on an unanswered read after readTimeoutMs, on a write only after timeoutMs', async () => {
    const silent = createServer(() => {}); // accepts and never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      // What the client logs says which timeout each request had: every unanswered request, and
      // why each read was sent again.
      const lines: Array<{ msg: string; method?: string; kind?: string }> = [];
      const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
      const { client } = testClient(url, { timeoutMs: 1_500, readTimeoutMs: 200, rateLimitRetries: 0, log });
      const unanswered = (method: string) =>
        lines.filter((l) => l.msg === 'http request failed' && l.method === method && l.kind === 'timeout')
          .length;
      // The kit's call path logs each resend as "<system> <operation> (<METHOD> <path>): <why>; sending it again".
      const resent = () => lines.filter((l) => l.msg.endsWith('; sending it again')).map((l) => l.msg);
      await assert.rejects(client.getOrder(IDS.order), /no answer within 200 ms/);
      assert.equal(unanswered('GET'), 3, 'the read and its two re-sends');
      assert.equal(resent().length, 2);
      for (const why of resent()) {
        assert.match(why, /no answer within 200 ms( \(sent \d times\))?; sending it again$/);
      }
      lines.length = 0;
      const t0 = Date.now();
      await assert.rejects(
        client.writeStatus(
          { shipperId: IDS.shipper },
          { status: 'in_transit', at: '2026-11-21T10:00:00Z', description: 'In transit' },
        ),
        /no answer within 200 ms/,
        'the write first reads the shipper',
      );
      await assert.rejects(
        client.updateCustomerShipper(IDS.shipper, { shipperNote: 'x' }),
        /no answer within 1500 ms/,
      );
      assert.equal(unanswered('PUT'), 1, 'a write is sent once');
      assert.ok(
        resent().every(
          (why) => why.startsWith('Plex getCustomerShipper (GET ') || why.startsWith('Plex getOrder (GET '),
        ),
        'only the reads were sent again',
      );
      assert.ok(Date.now() - t0 >= 1_500, 'the write waited its whole timeout');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('sends a read again after a 5xx, but leaves a failed write to the retry policy', async () => {
    const { client } = testClient(server.url);
    let lineReads = 0;
    const real = server.routes.find(
      (r) => r[0] === 'GET' && r[1].test(`/sales/v1/orders/${IDS.order}/lines`),
    )!;
    server.routes = server.routes.map((r) =>
      r === real
        ? [
            r[0],
            r[1],
            (req, params) => (++lineReads <= 2 ? { status: 503, body: { code: 'DOWN' } } : r[2](req, params)),
          ]
        : r,
    );
    const refs = await client.detectReadyOrders(WINDOW);
    assert.equal(refs.length, 1, 'two 503s on a read are ridden out');
    assert.equal(lineReads, 3);

    let puts = 0;
    server.routes = server.routes.map((r) =>
      r[0] === 'PUT' ? [r[0], r[1], () => (puts++, { status: 503, body: { code: 'DOWN' } })] : r,
    );
    await assert.rejects(
      client.writeStatus(
        { shipperId: IDS.shipper },
        { status: 'in_transit', at: '2026-11-21T10:00:00Z', description: 'In transit' },
      ),
    );
    assert.equal(puts, 1, 'a write is sent once');
  });

  it('stops waiting for the rate limiter or out a 429 when the activity is cancelled, and sends nothing more', async () => {
    // A limiter with no room: it grants nothing until the caller gives up.
    const { limiter: full, gaveUp } = fullLimiter();
    const cancel = new AbortController();
    const waiting = testClient(server.url, { limiter: full, signal: cancel.signal }).client;
    const pending = waiting.getOrder(IDS.order);
    cancel.abort(new Error('activity cancelled'));
    await assert.rejects(pending, /activity cancelled/);
    assert.equal(gaveUp(), 1, 'the limiter heard the caller give up (a shared limiter then takes nothing)');
    assert.equal(server.requests.length, 0);

    // A 429 asks for 30 s. The first wait's timer fires only when the test says so (later waits end
    // at once), so the read can only end before it fires through the cancellation.
    server.routes = [
      ['GET', /^\/sales\/v1\/orders\/[^/]+$/, () => ({ status: 429, headers: { 'retry-after': '30' } })],
    ];
    const cancel429 = new AbortController();
    const waits: number[] = [];
    let fire30s: (() => void) | undefined;
    const sleeping = testClient(server.url, {
      signal: cancel429.signal,
      sleep: (ms) => {
        waits.push(ms);
        return waits.length === 1 ? new Promise<void>((resolve) => (fire30s = resolve)) : Promise.resolve();
      },
    }).client;
    const events: string[] = [];
    const read = sleeping.getOrder(IDS.order).then(
      () => events.push('read answered'),
      (err: Error) => events.push(`read failed: ${err.message}`),
    );
    while (waits.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(waits, [30_000], 'waiting out the 429');
    cancel429.abort(new Error('worker shutting down'));
    await new Promise((resolve) => setImmediate(resolve));
    events.push('30-s timer fired');
    fire30s!();
    await read;
    assert.deepEqual(
      events,
      ['read failed: worker shutting down', '30-s timer fired'],
      'the 30-s wait ended with the cancellation, before its timer',
    );
    assert.equal(server.requests.length, 1, 'not sent again after the cancellation');

    // Already cancelled: nothing is sent at all.
    server.requests.length = 0;
    const gone = new AbortController();
    gone.abort(new Error('cancelled before the call'));
    await assert.rejects(
      testClient(server.url, { signal: gone.signal }).client.getOrder(IDS.order),
      /cancelled before the call/,
    );
    assert.equal(server.requests.length, 0);
  });
});
