import assert from 'node:assert/strict';
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DateTime } from 'luxon';
import type { RunningServer } from '../../simulators/shared/http';
import {
  PACIFIC,
  parseV1Date,
  startShipStationSimulator,
  toV1DateTime,
  type ShipStationSimulator,
} from '../../simulators/shipstation';
import { BASIC, orderBody, startReceiver, v1, v2, type Received } from './shipstation-helpers';

const V1_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$/;

describe('ShipStation simulator', () => {
  let sim: ShipStationSimulator;
  let receiver: { server: RunningServer; received: Received[] };

  before(async () => {
    sim = await startShipStationSimulator({
      clockSpeed: 0,
      seed: 5,
      shipAfterSeconds: 600,
      inventory: { 'WIDGET-1': 50, 'GADGET-2': 20 },
    });
    receiver = await startReceiver();
  });
  after(async () => {
    await sim.stop();
    await receiver.server.close();
  });
  beforeEach(() => {
    sim.reset();
    receiver.received.length = 0;
  });

  describe('authentication', () => {
    it('V1 needs Basic base64(apiKey:apiSecret)', async () => {
      assert.equal((await v1(sim, '/orders')).status, 200);
      for (const auth of [
        null,
        'Basic ' + Buffer.from('demo-shipstation-key:wrong').toString('base64'),
        'Bearer x',
      ]) {
        const res = await v1(sim, '/orders', { auth });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, { message: 'Invalid API credentials' });
      }
    });

    it('V2 needs the api-key header; V1 credentials do not work there', async () => {
      assert.equal((await v2(sim, '/v2/labels')).status, 200);
      for (const key of [null, 'nope', BASIC]) {
        const res = await v2(sim, '/v2/labels', { key });
        assert.equal(res.status, 401);
        assert.equal(res.body.errors[0].error_code, 'unauthorized');
        assert.match(res.body.request_id, /^[0-9a-f-]{36}$/);
      }
      const res = await fetch(`${sim.url}/v2/labels`, { headers: { authorization: BASIC } });
      assert.equal(res.status, 401);
    });
  });

  describe('orders', () => {
    it('createorder upserts by orderKey: the same key twice is one order, updated', async () => {
      const first = await v1(sim, '/orders/createorder', { body: orderBody(1) });
      assert.equal(first.status, 200);
      assert.equal(first.body.orderKey, 'plex-SO-1');
      assert.equal(first.body.orderTotal, 25.5);
      assert.equal(first.body.advancedOptions.customField1, 'plex:1');
      assert.equal(first.body.createDate, first.body.modifyDate);
      sim.advanceClock(60);
      const edited = orderBody(1, { shipTo: { ...(orderBody(1).shipTo as object), street1: '2 Side St' } });
      const second = await v1(sim, '/orders/createorder', { body: edited });
      assert.equal(second.status, 200);
      assert.equal(second.body.orderId, first.body.orderId);
      assert.equal(second.body.shipTo.street1, '2 Side St');
      assert.equal(second.body.createDate, first.body.createDate);
      assert.notEqual(second.body.modifyDate, first.body.modifyDate);
      assert.equal(
        second.body.items[0].orderItemId,
        first.body.items[0].orderItemId,
        'items keep their id by lineItemKey',
      );
      const list = await v1(sim, '/orders');
      assert.equal(list.body.total, 1);
      const c = sim.counters();
      assert.equal(c.ordersCreated, 1);
      assert.equal(c.ordersUpdated, 1);
      assert.deepEqual(c.upsertsByOrderKey, { 'plex-SO-1': 2 });
    });

    it('an order without orderKey gets a generated one; a bad order gets a ModelState 400', async () => {
      const res = await v1(sim, '/orders/createorder', { body: orderBody(2, { orderKey: undefined }) });
      assert.equal(res.status, 200);
      assert.match(res.body.orderKey, /^[0-9a-f]{32}$/);
      const bad = await v1(sim, '/orders/createorder', {
        body: orderBody(3, { orderStatus: 'lost', orderNumber: 'x'.repeat(51) }),
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.Message, 'The request is invalid.');
      assert.equal(bad.body.ModelState.apiOrder.length, 2);
      assert.equal((await v1(sim, '/orders/999')).status, 404);
    });

    it('createorder stores internationalOptions, numbers the customs lines and answers them back', async () => {
      const intl = {
        contents: 'merchandise',
        nonDelivery: 'return_to_sender',
        customsItems: [
          {
            description: 'Widget, steel',
            quantity: 2,
            value: 12.75,
            harmonizedTariffCode: '8483.10',
            countryOfOrigin: 'US',
          },
        ],
      };
      const first = await v1(sim, '/orders/createorder', {
        body: orderBody(30, { internationalOptions: intl }),
      });
      assert.equal(first.status, 200);
      const stored = first.body.internationalOptions;
      assert.equal(stored.contents, 'merchandise');
      assert.equal(stored.nonDelivery, 'return_to_sender');
      const [line] = stored.customsItems;
      assert.equal(typeof line.customsItemId, 'number');
      assert.deepEqual(
        { ...line, customsItemId: undefined },
        { ...intl.customsItems[0], customsItemId: undefined },
      );
      const read = await v1(sim, `/orders/${first.body.orderId}`);
      assert.deepEqual(read.body.internationalOptions, stored);

      // The full resource again: a line sent with its id keeps it, a new line gets one.
      const again = await v1(sim, '/orders/createorder', {
        body: orderBody(30, {
          internationalOptions: {
            ...intl,
            customsItems: [
              { ...line, quantity: 3 },
              { description: 'Gadget', quantity: 1, value: 4, countryOfOrigin: 'MX' },
            ],
          },
        }),
      });
      const lines = again.body.internationalOptions.customsItems;
      assert.equal(lines[0].customsItemId, line.customsItemId);
      assert.equal(lines[0].quantity, 3);
      assert.notEqual(lines[1].customsItemId, line.customsItemId);
      // A domestic order has none.
      const plain = await v1(sim, '/orders/createorder', { body: orderBody(31) });
      assert.equal(plain.body.internationalOptions, null);
    });

    it('createorder refuses customs lines of the wrong shape with a ModelState 400', async () => {
      const bad = await v1(sim, '/orders/createorder', {
        body: orderBody(32, {
          internationalOptions: {
            contents: 'goods',
            nonDelivery: 'burn',
            customsItems: [{ description: '', quantity: -1, value: 'ten', countryOfOrigin: 'USA' }],
          },
        }),
      });
      assert.equal(bad.status, 400);
      const messages: string[] = bad.body.ModelState.apiOrder;
      for (const field of ['contents', 'nonDelivery', 'description', 'quantity', 'value', 'countryOfOrigin'])
        assert.ok(
          messages.some((m) => m.includes(field)),
          `${field} in ${messages.join(' | ')}`,
        );
      const notArray = await v1(sim, '/orders/createorder', {
        body: orderBody(33, { internationalOptions: { customsItems: {} } }),
      });
      assert.equal(notArray.status, 400);
    });

    it('createorders takes up to 100 orders and answers per order', async () => {
      const res = await v1(sim, '/orders/createorders', {
        body: [orderBody(10), orderBody(11, { orderDate: 'yesterday' }), orderBody(10, { amountPaid: 30 })],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.hasErrors, true);
      assert.equal(res.body.results.length, 3);
      const [a, b, c] = res.body.results;
      assert.equal(a.success, true);
      assert.equal(b.success, false);
      assert.match(b.errorMessage, /orderDate/);
      assert.equal(c.orderId, a.orderId, 'the same orderKey in one batch updates the first');
      assert.equal((await v1(sim, '/orders')).body.total, 1);
      const tooMany = await v1(sim, '/orders/createorders', {
        body: Array.from({ length: 101 }, (_, i) => orderBody(100 + i)),
      });
      assert.equal(tooMany.status, 400);
      assert.equal((await v1(sim, '/orders')).body.total, 1, 'an oversized batch writes nothing');
    });

    it('shipped and cancelled orders cannot be updated', async () => {
      await v1(sim, '/orders/createorder', { body: orderBody(20) });
      await v1(sim, '/orders/createorder', { body: orderBody(21, { orderStatus: 'cancelled' }) });
      sim.shipNow();
      for (const [n, status] of [
        [20, 'shipped'],
        [21, 'cancelled'],
      ] as const) {
        const res = await v1(sim, '/orders/createorder', { body: orderBody(n, { amountPaid: 1 }) });
        assert.equal(res.status, 400);
        assert.match(res.body.ModelState.apiOrder[0], new RegExp(`status '${status}'`));
      }
      const bulk = await v1(sim, '/orders/createorders', { body: [orderBody(20, { amountPaid: 1 })] });
      assert.equal(bulk.body.hasErrors, true);
      assert.equal(bulk.body.results[0].success, false);
      const order = (await v1(sim, '/orders?orderNumber=SO-20')).body.orders[0];
      assert.equal(order.amountPaid, 25.5);
      assert.equal(sim.counters().lockedOrderUpdatesRefused, 3);
    });

    it('pages with page/pageSize in V1 shape and filters by status, number prefix and modify date', async () => {
      for (let i = 1; i <= 7; i++) {
        await v1(sim, '/orders/createorder', {
          body: orderBody(`P${i}`, { orderStatus: i === 7 ? 'on_hold' : 'awaiting_shipment' }),
        });
        sim.advanceClock(60);
      }
      const p1 = await v1(sim, '/orders?pageSize=3');
      assert.deepEqual([p1.body.total, p1.body.page, p1.body.pages, p1.body.orders.length], [7, 1, 3, 3]);
      const p3 = await v1(sim, '/orders?pageSize=3&page=3');
      assert.equal(p3.body.orders.length, 1);
      assert.equal(p3.body.orders[0].orderNumber, 'SO-P7');
      assert.equal((await v1(sim, '/orders?pageSize=3&page=4')).body.orders.length, 0);
      assert.equal((await v1(sim, '/orders?pageSize=501')).status, 400);
      assert.equal((await v1(sim, '/orders?orderStatus=on_hold')).body.total, 1);
      assert.equal(
        (await v1(sim, '/orders?orderNumber=SO-P')).body.total,
        7,
        'orderNumber is a prefix search',
      );
      const third = p1.body.orders[2];
      const since = third.modifyDate.replace('T', ' ').slice(0, 19);
      const recent = await v1(
        sim,
        `/orders?modifyDateStart=${encodeURIComponent(since)}&sortBy=ModifyDate&sortDir=DESC`,
      );
      assert.equal(recent.body.total, 5);
      assert.equal(recent.body.orders[0].orderNumber, 'SO-P7');
      assert.equal((await v1(sim, '/orders?modifyDateStart=not-a-date')).status, 400);
    });
  });

  describe('Pacific time', () => {
    it('formats instants as Pacific wall time without an offset, on both DST edges', () => {
      // 2026-03-08: 02:00 PST jumps to 03:00 PDT (10:00Z).
      assert.equal(toV1DateTime(Date.UTC(2026, 2, 8, 9, 59, 59)), '2026-03-08T01:59:59.0000000');
      assert.equal(toV1DateTime(Date.UTC(2026, 2, 8, 10, 0, 0)), '2026-03-08T03:00:00.0000000');
      // 2026-11-01: 02:00 PDT falls back to 01:00 PST (09:00Z): 01:30 happens twice.
      assert.equal(toV1DateTime(Date.UTC(2026, 10, 1, 8, 30)), '2026-11-01T01:30:00.0000000');
      assert.equal(toV1DateTime(Date.UTC(2026, 10, 1, 9, 30)), '2026-11-01T01:30:00.0000000');
      assert.equal(parseV1Date('2026-07-01 12:00:00'), Date.UTC(2026, 6, 1, 19));
      assert.equal(parseV1Date('2026-12-01T12:00:00.1230000'), Date.UTC(2026, 11, 1, 20, 0, 0, 123));
      assert.equal(parseV1Date('2026-12-01T12:00:00Z'), Date.UTC(2026, 11, 1, 12));
      assert.equal(parseV1Date('2026-02-30 00:00:00'), undefined);
    });

    it('createDate and modifyDate straddle the spring-forward jump, and filters read Pacific time', async () => {
      const year = new Date(sim.now()).getUTCFullYear() + 1;
      const jump = DateTime.fromObject({ year, month: 3, day: 1 }, { zone: PACIFIC });
      // The second Sunday of March at 03:00 local is the first instant of PDT.
      const sunday = jump.plus({ days: ((7 - jump.weekday) % 7) + 7 }).set({ hour: 3 });
      const before = sunday.toMillis() - 90_000;
      sim.advanceClock((before - sim.now().getTime()) / 1000);
      const created = await v1(sim, '/orders/createorder', { body: orderBody('DST') });
      assert.match(created.body.createDate, V1_DATETIME);
      assert.equal(created.body.createDate.slice(11, 19), '01:58:30');
      sim.advanceClock(180);
      const updated = await v1(sim, '/orders/createorder', { body: orderBody('DST', { amountPaid: 1 }) });
      assert.equal(
        updated.body.modifyDate.slice(11, 19),
        '03:01:30',
        'three real minutes later, the wall clock moved an hour more',
      );
      const day = sunday.toFormat('yyyy-MM-dd');
      const inGap = await v1(
        sim,
        `/orders?modifyDateStart=${day}%2003:00:00&modifyDateEnd=${day}%2003:05:00`,
      );
      assert.equal(inGap.body.total, 1);
      const beforeJump = await v1(
        sim,
        `/orders?createDateStart=${day}%2001:58:00&createDateEnd=${day}%2001:59:00`,
      );
      assert.equal(beforeJump.body.total, 1);
      assert.equal(created.body.orderDate, '2026-11-20T09:15:00.0000000', 'request dates come back as sent');
    });
  });

  describe('rate limits', () => {
    it('V1: X-Rate-Limit-* on every answer, then 429 past the per-minute limit', async () => {
      sim.setLimits({ v1RateLimitPerMinute: 3 });
      const seen: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await v1(sim, '/orders');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-rate-limit-limit'), '3');
        seen.push(res.headers.get('x-rate-limit-remaining')!);
        const reset = Number(res.headers.get('x-rate-limit-reset'));
        assert.ok(reset >= 1 && reset <= 60);
      }
      assert.deepEqual(seen, ['2', '1', '0']);
      const limited = await v1(sim, '/orders');
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.body, { message: 'Too Many Requests' });
      assert.equal(limited.headers.get('x-rate-limit-remaining'), '0');
      assert.ok(Number(limited.headers.get('x-rate-limit-reset')) >= 1);
      assert.equal((await v2(sim, '/v2/labels')).status, 200, 'V2 has its own budget');
      assert.equal(sim.counters().tooManyRequestsSent, 1);
    });

    it('V2: 429 with Retry-After past the limit; a burst answers 429 to everything', async () => {
      sim.setLimits({ v2RateLimitPerMinute: 2 });
      await v2(sim, '/v2/inventory');
      await v2(sim, '/v2/inventory');
      const limited = await v2(sim, '/v2/inventory');
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(limited.body.errors[0].error_code, 'rate_limit_exceeded');
      sim.reset();
      sim.burst(30, 'v1');
      const burst = await v1(sim, '/orders');
      assert.equal(burst.status, 429);
      assert.equal(burst.headers.get('x-rate-limit-reset'), '30');
      assert.equal((await v2(sim, '/v2/inventory')).status, 200);
    });
  });

  describe('fulfilment', () => {
    it('ships an awaiting_shipment order after the delay: a shipment with tracking, cost and items; stock drops', async () => {
      const order = (await v1(sim, '/orders/createorder', { body: orderBody(30) })).body;
      sim.advanceClock(599);
      assert.equal((await v1(sim, `/orders/${order.orderId}`)).body.orderStatus, 'awaiting_shipment');
      sim.advanceClock(1);
      const shipped = (await v1(sim, `/orders/${order.orderId}`)).body;
      assert.equal(shipped.orderStatus, 'shipped');
      assert.match(shipped.shipDate, /^\d{4}-\d{2}-\d{2}$/);
      const res = await v1(sim, `/shipments?orderId=${order.orderId}&includeShipmentItems=true`);
      assert.equal(res.body.total, 1);
      const s = res.body.shipments[0];
      assert.match(s.trackingNumber, /^\d{12}$/);
      assert.equal(s.carrierCode, 'fedex');
      assert.equal(s.serviceCode, 'fedex_ground');
      assert.equal(s.orderKey, 'plex-SO-30');
      assert.ok(s.shipmentCost > 0);
      assert.equal(s.shipDate, shipped.shipDate);
      assert.match(s.createDate, V1_DATETIME);
      assert.deepEqual(
        s.shipmentItems.map((i: { sku: string; quantity: number }) => [i.sku, i.quantity]),
        [
          ['WIDGET-1', 2],
          ['GADGET-2', 1],
        ],
      );
      assert.equal(
        (await v1(sim, `/shipments?orderId=${order.orderId}`)).body.shipments[0].shipmentItems,
        null,
      );
      const stock = await v2(sim, '/v2/inventory?sku=WIDGET-1,GADGET-2');
      assert.deepEqual(
        stock.body.inventory.map((r: { sku: string; on_hand: number }) => [r.sku, r.on_hand]),
        [
          ['GADGET-2', 19],
          ['WIDGET-1', 48],
        ],
      );
      const label = await v2(sim, `/v2/labels?shipment_id=se-${order.orderId}`);
      assert.equal(label.body.labels[0].tracking_number, s.trackingNumber);
      assert.equal(
        (await v2(sim, `/v2/shipments/se-${order.orderId}`)).body.shipment_status,
        'label_purchased',
      );
    });

    it('on_hold orders wait, shipNow ships at once, and a paused warehouse ships nothing', async () => {
      await v1(sim, '/orders/createorder', { body: orderBody(31, { orderStatus: 'on_hold' }) });
      await v1(sim, '/orders/createorder', { body: orderBody(32) });
      sim.setWarehouse({ paused: true });
      sim.advanceClock(3600);
      assert.equal(sim.shipments().length, 0);
      const now = sim.shipNow();
      assert.deepEqual(
        now.map((s) => s.orderKey),
        ['plex-SO-32'],
      );
      const since = await v1(
        sim,
        `/shipments?shipDateStart=${encodeURIComponent(
          toV1DateTime(sim.now().getTime() - 1000)
            .replace('T', ' ')
            .slice(0, 19),
        )}`,
      );
      assert.equal(since.body.total, 1);
    });

    it('markasshipped makes a fulfillment, not a shipment', async () => {
      const order = (await v1(sim, '/orders/createorder', { body: orderBody(33) })).body;
      const res = await v1(sim, '/orders/markasshipped', {
        body: { orderId: order.orderId, carrierCode: 'fedex', trackingNumber: '123' },
      });
      assert.deepEqual(res.body, { orderId: order.orderId, orderNumber: 'SO-33' });
      assert.equal((await v1(sim, '/fulfillments')).body.fulfillments[0].trackingNumber, '123');
      assert.equal((await v1(sim, '/shipments')).body.total, 0);
    });
  });

  describe('webhooks', () => {
    const target = () => `${receiver.server.url}/hooks/shipstation?token=s3cret`;

    it('SHIP_NOTIFY posts {resource_url, resource_type}; the resource_url returns the shipment', async () => {
      const sub = await v1(sim, '/webhooks/subscribe', {
        body: { target_url: target(), event: 'SHIP_NOTIFY', friendly_name: 'ml' },
      });
      assert.equal(sub.status, 201);
      assert.equal((await v1(sim, '/webhooks')).body.webhooks[0].HookType, 'SHIP_NOTIFY');
      await v1(sim, '/orders/createorder', { body: orderBody(40) });
      const [shipment] = sim.shipNow();
      await sim.flushWebhooks();
      assert.equal(receiver.received.length, 1);
      const hook = receiver.received[0]!;
      assert.equal(hook.path, '/hooks/shipstation?token=s3cret');
      assert.deepEqual(Object.keys(hook.body), ['resource_url', 'resource_type']);
      assert.equal(hook.body.resource_type, 'SHIP_NOTIFY');
      assert.ok(hook.body.resource_url.startsWith(`${sim.url}/shipments?batchId=`));
      assert.match(hook.body.resource_url, /includeShipmentItems=False$/);
      assert.equal(
        (await fetch(hook.body.resource_url)).status,
        401,
        'the resource_url needs the Basic credentials',
      );
      const got = await v1(sim, hook.body.resource_url.slice(sim.url.length).replace('False', 'True'));
      assert.equal(got.body.total, 1);
      assert.equal(got.body.shipments[0].trackingNumber, shipment!.trackingNumber);
      assert.equal(got.body.shipments[0].shipmentItems.length, 2);
      const id = sub.body.id;
      assert.equal((await v1(sim, `/webhooks/${id}`, { method: 'DELETE' })).status, 200);
      assert.equal((await v1(sim, '/webhooks')).body.webhooks.length, 0);
    });

    it('ORDER_NOTIFY: one payload per import action, pointing at that import batch', async () => {
      await v1(sim, '/webhooks/subscribe', { body: { target_url: target(), event: 'ORDER_NOTIFY' } });
      await v1(sim, '/orders/createorder', { body: orderBody(41, { orderStatus: 'awaiting_payment' }) });
      await v1(sim, '/orders/createorders', { body: [orderBody(42), orderBody(43)] });
      await sim.flushWebhooks();
      assert.equal(receiver.received.length, 1, 'awaiting_payment orders do not notify');
      const url: string = receiver.received[0]!.body.resource_url;
      assert.match(url, /\/orders\?storeID=\d+&importBatch=[0-9a-f-]{36}$/);
      const orders = await v1(sim, url.slice(sim.url.length));
      assert.deepEqual(
        orders.body.orders.map((o: { orderNumber: string }) => o.orderNumber),
        ['SO-42', 'SO-43'],
      );
    });

    it('knobs: duplicate deliveries and a foreign resource_url host', async () => {
      await v1(sim, '/webhooks/subscribe', { body: { target_url: target(), event: 'ORDER_NOTIFY' } });
      sim.setWebhookKnobs({ duplicateShare: 1, foreignResourceHost: 'https://ssapi.evil.example' });
      await v1(sim, '/orders/createorder', { body: orderBody(44) });
      await sim.flushWebhooks();
      assert.equal(receiver.received.length, 2);
      assert.equal(receiver.received[0]!.raw, receiver.received[1]!.raw);
      assert.ok(
        receiver.received[0]!.body.resource_url.startsWith('https://ssapi.evil.example/orders?storeID='),
      );
      assert.deepEqual(
        sim.counters().webhookDeliveries.map((d) => d.duplicate),
        [false, true],
      );
    });

    it('V2 track events are RSA-SHA256 signed over "<timestamp>.<body>" and verify with the JWKS key', async () => {
      const sub = await v2(sim, '/v2/environment/webhooks', {
        body: { event: 'track', url: target(), headers: [{ key: 'x-tenant', value: 'demo' }] },
      });
      assert.equal(sub.status, 200);
      assert.equal(
        (await v2(sim, '/v2/environment/webhooks', { body: { event: 'track', url: target() } })).status,
        409,
      );
      await v1(sim, '/orders/createorders', { body: [orderBody(50), orderBody(51)] });
      const beforeShip = Date.now();
      const shipped = sim.shipNow();
      await sim.flushWebhooks();
      const afterFlush = Date.now();
      assert.equal(receiver.received.length, 2);
      const jwks = (await (await fetch(sim.jwksUrl)).json()) as { keys: (JsonWebKey & { kid: string })[] };
      for (const [i, hook] of receiver.received.entries()) {
        const kid = String(hook.headers['x-shipengine-rsa-sha256-key-id']);
        const signature = String(hook.headers['x-shipengine-rsa-sha256-signature']);
        const timestamp = String(hook.headers['x-shipengine-timestamp']);
        assert.equal(hook.headers['x-tenant'], 'demo');
        const at = Date.parse(timestamp);
        assert.ok(at >= beforeShip && at <= afterFlush, `the timestamp is real time (${timestamp})`);
        const jwk = jwks.keys.find((k) => k.kid === kid);
        assert.ok(jwk, 'the key id is in the JWKS');
        const key = createPublicKey({ key: jwk, format: 'jwk' });
        assert.ok(
          verify('sha256', Buffer.from(`${timestamp}.${hook.raw}`), key, Buffer.from(signature, 'base64')),
        );
        assert.equal(
          verify(
            'sha256',
            Buffer.from(`${timestamp}.${hook.raw.replace('TRACK', 'TRACC')}`),
            key,
            Buffer.from(signature, 'base64'),
          ),
          false,
        );
        assert.equal(hook.body.resource_type, 'TRACK_EVENT_V2');
        assert.equal(hook.body.data.tracking_number, shipped[i]!.trackingNumber, 'in order without the knob');
        const track = await v2(sim, hook.body.resource_url.slice(sim.url.length));
        assert.equal(track.body.tracking_number, shipped[i]!.trackingNumber);
      }
      const oldKid = String(receiver.received[0]!.headers['x-shipengine-rsa-sha256-key-id']);
      const newKid = sim.rotateSigningKey();
      assert.notEqual(newKid, oldKid);
      assert.deepEqual(
        sim.jwks().keys.map((k) => k.kid),
        [newKid, oldKid],
      );
    });

    it('out-of-order knob sends the events of one tick newest first', async () => {
      await v2(sim, '/v2/environment/webhooks', { body: { event: 'track', url: target() } });
      sim.setWebhookKnobs({ outOfOrder: true });
      await v1(sim, '/orders/createorders', { body: [orderBody(52), orderBody(53)] });
      const shipped = sim.shipNow();
      await sim.flushWebhooks();
      assert.deepEqual(
        receiver.received.map((r) => r.body.data.tracking_number),
        shipped.map((s) => s.trackingNumber).reverse(),
      );
    });
  });

  describe('faults and V2 inventory', () => {
    it('errorRate 1 answers 500 without processing; latency delays answers', async () => {
      sim.setFaults({ errorRate: 1 });
      const res = await v1(sim, '/orders/createorder', { body: orderBody(60) });
      assert.equal(res.status, 500);
      assert.equal(res.body.Message, 'An error has occurred.');
      sim.setFaults({ errorRate: 0, latencyMs: 150 });
      const started = Date.now();
      assert.equal((await v1(sim, '/orders')).body.total, 0);
      assert.ok(Date.now() - started >= 140);
    });

    it('a timed-out createorder is still processed', async () => {
      sim.setFaults({ timeoutRate: 1 });
      const call = fetch(`${sim.url}/orders/createorder`, {
        method: 'POST',
        headers: { authorization: BASIC, 'content-type': 'application/json' },
        body: JSON.stringify(orderBody(61)),
        signal: AbortSignal.timeout(300),
      });
      await assert.rejects(call, /abort|timeout/i);
      sim.setFaults({ timeoutRate: 0 });
      assert.equal((await v1(sim, '/orders?orderNumber=SO-61')).body.total, 1);
    });

    it('dropAnswers: the next 2xx answers of one endpoint are lost after the request was applied', async () => {
      assert.throws(() => sim.dropAnswers('createorder'), RangeError);
      assert.deepEqual(sim.dropAnswers('POST /orders/createorder', 2), { 'POST /orders/createorder': 2 });
      // A refused request is answered and does not use up a drop.
      const bad = await v1(sim, '/orders/createorder', { body: orderBody(62, { orderNumber: '' }) });
      assert.equal(bad.status, 400);
      // Another endpoint is answered as usual.
      assert.equal((await v1(sim, '/orders')).status, 200);
      await assert.rejects(v1(sim, '/orders/createorder', { body: orderBody(62) }), /fetch failed/);
      assert.equal((await v1(sim, '/orders?orderNumber=SO-62')).body.total, 1, 'the order was created');
      // The second drop; the one after is answered again.
      await assert.rejects(v1(sim, '/orders/createorder', { body: orderBody(63) }), /fetch failed/);
      assert.equal((await v1(sim, '/orders/createorder', { body: orderBody(64) })).status, 200);
      assert.equal(sim.counters().answersDropped, 2);
      sim.dropAnswers('POST /orders/createorder', 1);
      assert.deepEqual(sim.dropAnswers('POST /orders/createorder', 0), {});
      assert.equal((await v1(sim, '/orders/createorder', { body: orderBody(65) })).status, 200);
    });

    it('inventory: adjust, increment, all-or-nothing decrement, per-location view', async () => {
      const loc = (await v2(sim, '/v2/inventory_locations')).body.inventory_locations[0]
        .inventory_location_id;
      const post = (body: object) =>
        v2(sim, '/v2/inventory', { body: { inventory_location_id: loc, ...body } });
      assert.equal((await post({ transaction_type: 'adjust', sku: 'NEW-SKU', quantity: 7 })).status, 204);
      assert.equal((await post({ transaction_type: 'increment', sku: 'NEW-SKU', quantity: 3 })).status, 204);
      const tooMany = await post({ transaction_type: 'decrement', sku: 'NEW-SKU', quantity: 11 });
      assert.equal(tooMany.status, 400);
      assert.equal((await post({ transaction_type: 'decrement', sku: 'NEW-SKU', quantity: 10 })).status, 204);
      assert.equal((await post({ transaction_type: 'teleport', sku: 'NEW-SKU', quantity: 1 })).status, 400);
      assert.equal((await post({ transaction_type: 'adjust', sku: 'NEW-SKU' })).status, 400);
      const view = await v2(sim, `/v2/inventory?sku=NEW-SKU&group_by=location`);
      assert.deepEqual(view.body.inventory, [
        {
          sku: 'NEW-SKU',
          on_hand: 0,
          allocated: 0,
          available: 0,
          inventory_warehouse_id: view.body.inventory[0].inventory_warehouse_id,
          inventory_location_id: loc,
        },
      ]);
      assert.equal(sim.counters().inventoryWrites, 3);
    });
  });
});
