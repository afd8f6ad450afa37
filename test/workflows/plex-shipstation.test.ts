import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { orderWorkflowId } from '../../domain/ids';
import { CATALOG_PART_NUMBERS } from '../../simulators/plex';
import type { ShipmentSummary } from '../../simulators/shipstation/simulator';
import { cancelSignal, retrySignal } from '../../workflows/messages';
import {
  ERP,
  WAREHOUSE,
  startShipStationPipeline,
  type ShipStationPipeline,
} from '../helpers/shipstation-pipeline';
import { seedSequence } from '../helpers/seed';
import { temporalTestEnv } from '../helpers/temporal';

// Plex -> ShipStation -> Plex on the real dev server: both simulators over HTTP, real PostgreSQL,
// and the app's HTTP server with the real ShipStation webhook routes, which the simulator calls.
// The simulated warehouse ships only when a test says so (p.ship), on a clock that runs in real time.

describe('Plex <-> ShipStation on the real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let p: ShipStationPipeline;

  before(async () => {
    env = await temporalTestEnv();
    p = await startShipStationPipeline(env, 'plex-ss');
  });
  after(async () => {
    await p?.close();
    await env?.teardown();
  });

  const seeds = seedSequence('plex-shipstation');
  const seed = (n: number, invalidShare = 0) => p.plex.seedOrders(n, { invalidShare, seed: seeds.next() });
  const handle = (orderKey: string) => env.client.workflow.getHandle(orderWorkflowId(ERP, orderKey));
  const upserts = (orderKey: string) => p.ss.counters().upsertsByOrderKey[p.ssKey(orderKey)] ?? 0;
  const ssOrder = (orderKey: string) => p.ss.orders().find((o) => o.orderKey === p.ssKey(orderKey));
  const onHand = (): Record<string, number> =>
    Object.fromEntries(CATALOG_PART_NUMBERS.map((sku) => [sku, p.plex.onHand(sku)]));
  const shippedBySku = (shipments: ShipmentSummary[]) => {
    const out: Record<string, number> = {};
    for (const s of shipments) for (const i of s.items) out[i.sku!] = (out[i.sku!] ?? 0) + i.quantity;
    return out;
  };
  const awaiting = (keys: string[]) =>
    Promise.all(keys.map((k) => p.waitFor(k, (s) => s.status === 'awaiting_fulfilment', 60_000)));
  const shipped = (keys: string[]) =>
    Promise.all(keys.map((k) => p.waitFor(k, (s) => s.status === 'shipped', 60_000)));
  const receivedCount = async (orderKey: string) =>
    (await p.repos.audit.listForOrder(WAREHOUSE, orderKey)).filter((a) => a.action === 'shipment.received')
      .length;
  const postWebhook = async (url: string, body: unknown) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const inboxRows = async () =>
    Number(
      (
        await p.db.db
          .selectFrom('webhook_inbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const ssGets = (template: string) => p.ss.counters().requestsByEndpoint[`GET ${template}`] ?? 0;

  it('happy path: every valid order is pushed once, shipped by the warehouse, and lands in Plex once', async () => {
    const good = seed(6);
    const bad = seed(2, 1);
    const before = onHand();
    const polled = await p.poll();
    assert.ok(polled.started >= 8, `the poll started every seeded order (${JSON.stringify(polled)})`);
    await awaiting(good.map((o) => o.orderKey));
    for (const o of bad) {
      const parked = await p.waitFor(o.orderKey, (s) => s.status === 'needs_attention');
      assert.equal(parked.attention?.kind, 'validation', 'an invalid order is parked with the reason');
      assert.equal(upserts(o.orderKey), 0, 'an invalid order never reaches ShipStation');
    }
    for (const o of good) assert.equal(ssOrder(o.orderKey)?.orderStatus, 'awaiting_shipment');

    const made = await p.ship(good.map((o) => o.orderKey));
    assert.equal(made.length, good.length, 'the warehouse shipped each order once');
    // The SHIP_NOTIFY webhook brings them back: no shipment poll has run yet.
    await shipped(good.map((o) => o.orderKey));

    for (const o of good) {
      const shipment = made.find((s) => s.orderKey === p.ssKey(o.orderKey));
      assert.ok(shipment, `a ShipStation shipment for ${o.orderNumber}`);
      const shipper = p.plex.getShipper(o.orderKey);
      assert.equal(
        shipper?.trackingNumber,
        shipment.trackingNumber,
        'the tracking number is on the Plex shipper',
      );
      assert.equal(shipper?.status, 'Shipped', 'the shipper status is written back');
      assert.equal((await p.status(o.orderKey)).trackingNumber, shipment.trackingNumber);
      assert.equal(upserts(o.orderKey), 1, 'each order is upserted once at ShipStation');
      assert.equal((await p.repos.orders.get(ERP, o.orderKey))?.status, 'shipped');
      assert.equal(await receivedCount(o.orderKey), 1, 'each shipment is received once');
    }
    const after = onHand();
    const out = shippedBySku(made);
    assert.ok(Object.keys(out).length > 0);
    for (const sku of CATALOG_PART_NUMBERS) {
      assert.equal(
        before[sku]! - after[sku]!,
        out[sku] ?? 0,
        `Plex on-hand of ${sku} dropped by what shipped`,
      );
    }

    // Running the polls again changes nothing.
    const writes = p.plex.counters().writes;
    const upsertsNow = p.ss.counters().upsertsByOrderKey;
    const again = await p.shipmentPoll();
    assert.equal(again.notified, 0, `the shipment poll hands nothing over again (${JSON.stringify(again)})`);
    assert.equal(again.duplicates, good.length, 'it sees each shipment, as already handed over');
    const erpAgain = await p.poll();
    assert.equal(erpAgain.started, 0, `the ERP poll starts nothing (${JSON.stringify(erpAgain)})`);
    const secondShipmentPoll = await p.shipmentPoll();
    assert.equal(secondShipmentPoll.notified, 0);
    assert.equal(p.plex.counters().writes, writes, 'no further Plex writes');
    assert.deepEqual(onHand(), after, 'Plex on-hand unchanged');
    assert.deepEqual(p.ss.counters().upsertsByOrderKey, upsertsNow, 'nothing pushed to ShipStation again');
  });

  it('an international order reaches the warehouse with a customs item per line; a domestic one with none', async () => {
    const orders = seed(8);
    const abroad = orders.filter((o) => o.country !== 'US');
    const home = orders.filter((o) => o.country === 'US');
    assert.ok(abroad.length > 0 && home.length > 0, `the seed gives both kinds (${seeds.replay})`);
    await p.poll();
    for (const o of orders) {
      const s = await p.waitFor(
        o.orderKey,
        (x) => x.status === 'awaiting_fulfilment' || x.status === 'needs_attention',
        60_000,
      );
      assert.equal(
        s.status,
        'awaiting_fulfilment',
        `order ${o.orderNumber} to ${o.country} is at the warehouse (${s.attention?.message ?? ''})`,
      );
    }
    for (const o of abroad) {
      const at = ssOrder(o.orderKey)!;
      assert.equal(at.country, o.country);
      const intl = at.internationalOptions;
      assert.ok(
        intl && intl.customsItems.length > 0,
        `order ${o.orderNumber} to ${o.country} has customs items`,
      );
      assert.equal(intl.contents, 'merchandise');
      assert.equal(intl.nonDelivery, 'return_to_sender');
      for (const item of intl.customsItems) {
        assert.ok(item.description.trim() !== '', 'a description');
        assert.ok(item.quantity > 0, 'a quantity');
        assert.ok(item.value > 0, 'a unit value');
        assert.match(item.harmonizedTariffCode ?? '', /^\d{4}(\.?\d{2}){0,3}$/, 'an HS code');
        assert.match(item.countryOfOrigin, /^[A-Z]{2}$/, 'a country of origin');
        assert.equal(typeof item.customsItemId, 'number', 'ShipStation numbered the line');
      }
    }
    for (const o of home) assert.equal(ssOrder(o.orderKey)?.internationalOptions, null);
    // Each pushed once: the customs are part of the first push, not a second one.
    for (const o of orders) assert.equal(upserts(o.orderKey), 1);
  });

  it('an international order whose part lacks an HS code parks naming the part and the Plex field; fixed in Plex and retried, it reaches the warehouse with customs and ships', async () => {
    const orders = seed(8, 0.5);
    const o = orders.find((x) => x.invalid === 'hs_code');
    assert.ok(o, `the seed gives an order without an HS code (${seeds.replay})`);
    await p.poll();
    const parked = await p.waitFor(o.orderKey, (s) => s.status === 'needs_attention', 60_000);
    assert.equal(parked.attention?.kind, 'validation');
    assert.equal(parked.attention?.step, 'submit_order');
    assert.match(parked.attention!.message, /part \S+ has no HS code/);
    assert.match(parked.attention!.message, /Harmonized Tariff Code/);
    assert.equal(upserts(o.orderKey), 0, 'nothing went to ShipStation');

    p.plex.fixOrder(o.orderKey);
    await handle(o.orderKey).signal(retrySignal, { by: 'test' });
    await awaiting([o.orderKey]);
    const items = ssOrder(o.orderKey)?.internationalOptions?.customsItems ?? [];
    assert.ok(items.length > 0, 'customs items at ShipStation');
    for (const item of items) assert.match(item.harmonizedTariffCode ?? '', /^\d{4}/);
    assert.equal(upserts(o.orderKey), 1, 'pushed once, after the fix');
    await p.ship([o.orderKey]);
    await shipped([o.orderKey]);
  });

  it('duplicate webhooks (and a shipment poll racing them) still apply each shipment once', async () => {
    const orders = seed(3);
    const keys = orders.map((o) => o.orderKey);
    await p.poll();
    await awaiting(keys);
    p.ss.setWebhookKnobs({ duplicateShare: 1 });
    try {
      const before = onHand();
      const plexBefore = p.plex.counters();
      const deliveriesBefore = p.ss.counters().webhookDeliveries.length;
      const [made] = await Promise.all([p.ship(keys), p.shipmentPoll()]);
      await shipped(keys);
      await p.ss.flushWebhooks();
      const deliveries = p.ss
        .counters()
        .webhookDeliveries.slice(deliveriesBefore)
        .filter((d) => d.resourceType === 'SHIP_NOTIFY');
      assert.ok(
        deliveries.some((d) => d.duplicate) && deliveries.some((d) => !d.duplicate),
        'each SHIP_NOTIFY was delivered twice',
      );
      for (const d of deliveries) assert.equal(d.status, 200, 'the receiver accepts a duplicate quietly');

      const plexAfter = p.plex.counters();
      assert.equal(
        plexAfter.inventoryShipmentsShipped - plexBefore.inventoryShipmentsShipped,
        made.length,
        'one Plex inventory shipment per ShipStation shipment',
      );
      const out = shippedBySku(made);
      const after = onHand();
      for (const sku of CATALOG_PART_NUMBERS) {
        assert.equal(before[sku]! - after[sku]!, out[sku] ?? 0, `Plex on-hand of ${sku} dropped once`);
      }
      for (const o of orders) {
        assert.equal(await receivedCount(o.orderKey), 1, 'received once');
        const shipment = made.find((s) => s.orderKey === p.ssKey(o.orderKey))!;
        assert.equal(p.plex.getShipper(o.orderKey)?.trackingNumber, shipment.trackingNumber);
      }
      // A late poll, too, hands nothing over again.
      assert.equal((await p.shipmentPoll()).notified, 0);
    } finally {
      p.ss.setWebhookKnobs({ duplicateShare: 0 });
    }
  });

  it('refuses a resource_url on a foreign host (400, nothing fetched there); the shipment poll still brings the shipments', async () => {
    let trapped = 0;
    const trap = http.createServer((req, res) => {
      trapped++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"shipments":[],"total":0,"page":1,"pages":0}');
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const trapOrigin = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    try {
      const orders = seed(2);
      const keys = orders.map((o) => o.orderKey);
      await p.poll();
      await awaiting(keys);
      const shipmentGets = ssGets('/shipments');

      const deliveriesBefore = p.ss.counters().webhookDeliveries.length;
      p.ss.setWebhookKnobs({ foreignResourceHost: 'https://ssapi.evil.example' });
      await p.ship([keys[0]!]);
      p.ss.setWebhookKnobs({ foreignResourceHost: trapOrigin });
      await p.ship([keys[1]!]);
      p.ss.setWebhookKnobs({ foreignResourceHost: null });

      const deliveries = p.ss
        .counters()
        .webhookDeliveries.slice(deliveriesBefore)
        .filter((d) => d.resourceType === 'SHIP_NOTIFY');
      assert.equal(deliveries.length, 2);
      assert.ok(deliveries[0]!.resourceUrl.startsWith('https://ssapi.evil.example/'));
      assert.ok(deliveries[1]!.resourceUrl.startsWith(trapOrigin));
      for (const d of deliveries)
        assert.equal(d.status, 400, 'the receiver answers 400 to a foreign resource_url');
      assert.equal(trapped, 0, 'nothing was fetched from the foreign host');
      assert.equal(ssGets('/shipments'), shipmentGets, 'nor from ShipStation on its behalf');
      for (const k of keys) {
        assert.equal((await p.status(k)).status, 'awaiting_fulfilment', 'nothing was applied');
        assert.equal(await receivedCount(k), 0);
      }

      const polled = await p.shipmentPoll();
      assert.ok(
        polled.notified >= 2,
        `the shipment poll hands the shipments over (${JSON.stringify(polled)})`,
      );
      await shipped(keys);
      for (const k of keys) assert.equal(await receivedCount(k), 1);
    } finally {
      p.ss.setWebhookKnobs({ foreignResourceHost: null });
      await new Promise((resolve) => trap.close(resolve));
    }
  });

  it('refuses a forged token in the V1 URL with 401 and processes nothing', async () => {
    const [o] = seed(1);
    const key = o!.orderKey;
    await p.poll();
    await awaiting([key]);
    // The warehouse ships while the real webhook points elsewhere, so the order waits for a notice.
    p.ss.setWebhookKnobs({ foreignResourceHost: 'https://ssapi.evil.example' });
    let made: ShipmentSummary[];
    try {
      made = await p.ship([key]);
    } finally {
      p.ss.setWebhookKnobs({ foreignResourceHost: null });
    }
    assert.equal(made.length, 1);
    const body = {
      resource_url: `${p.ss.url}/shipments?batchId=${made[0]!.batchId}&includeShipmentItems=False`,
      resource_type: 'SHIP_NOTIFY',
    };
    const real = new URL(p.webhookUrl).pathname.split('/').pop()!;
    const realToken = decodeURIComponent(real);
    const forged = [
      'forged-token',
      `${realToken.slice(0, -1)}${realToken.endsWith('A') ? 'B' : 'A'}`, // one character off
      `${realToken}x`, // longer
      realToken.slice(0, 8), // a prefix
    ];
    const inbox = await inboxRows();
    const gets = ssGets('/shipments');
    for (const token of forged) {
      const res = await postWebhook(p.webhookUrlWithToken(token), body);
      assert.equal(res.status, 401, `token ${JSON.stringify(token)} is refused`);
      assert.doesNotMatch(
        JSON.stringify(res.body),
        new RegExp(realToken),
        'the answer does not leak the token',
      );
    }
    assert.equal(await inboxRows(), inbox, 'nothing stored');
    assert.equal(ssGets('/shipments'), gets, 'nothing fetched');
    assert.equal((await p.status(key)).status, 'awaiting_fulfilment', 'nothing applied');
    assert.equal(await receivedCount(key), 0);

    // The same notice with the real token is processed: the refusal above was the token's doing.
    const ok = await postWebhook(p.webhookUrl, body);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await shipped([key]);
    assert.equal(p.plex.getShipper(key)?.trackingNumber, made[0]!.trackingNumber);
  });

  it('an edit in Plex while the ShipStation order is open is pushed once; after shipping, nothing is pushed', async () => {
    const orders = seed(3);
    const keys = orders.map((o) => o.orderKey);
    await p.poll();
    await awaiting(keys);
    // An edit whose quantity Plex can take in whole containers: a common multiple of the line
    // quantities (each a multiple of its part's pack). The stock it needs is received first, so the
    // test does not depend on what the seeded data left on the shelf.
    const key = keys[0]!;
    const quantities = (await ssOrderItems(key)).map((i) => i.quantity);
    let quantity = quantities.reduce(lcm);
    if (quantities.every((x) => x === quantity)) quantity *= 2;
    for (const i of await ssOrderItems(key)) {
      const short = quantity * 2 - p.plex.onHand(i.sku);
      if (short > 0) p.plex.receive(i.sku, short);
    }
    const other = keys.filter((k) => k !== key);
    assert.equal(upserts(key), 1);

    const before = onHand();
    p.plex.updateOrder(key, { releaseQuantity: quantity });
    const polled = await p.poll();
    assert.equal(polled.changed, 1, `the poll sees one edited order (${JSON.stringify(polled)})`);
    await p.eventually(
      'the edit reaches ShipStation',
      () => upserts(key),
      (n) => n >= 2,
    );
    await awaiting([key]);
    for (const i of await ssOrderItems(key))
      assert.equal(i.quantity, quantity, 'ShipStation has the new quantity');
    // The same version seen again pushes nothing.
    assert.equal((await p.poll()).changed, 0);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(upserts(key), 2, 'the edit was pushed exactly once');
    for (const k of other) assert.equal(upserts(k), 1, 'the other orders were not pushed again');

    const made = await p.ship([key]);
    await shipped([key]);
    assert.equal(made.length, 1);
    for (const i of made[0]!.items)
      assert.equal(i.quantity, quantity, 'the warehouse shipped the new quantity');
    const out = shippedBySku(made);
    const after = onHand();
    for (const sku of CATALOG_PART_NUMBERS) {
      assert.equal(
        before[sku]! - after[sku]!,
        out[sku] ?? 0,
        `Plex took the new quantity of ${sku} out of stock`,
      );
    }

    // An edit after the warehouse shipped: nothing goes to ShipStation.
    const locked = p.ss.counters().lockedOrderUpdatesRefused;
    p.plex.updateOrder(key, { releaseQuantity: quantity * 2 });
    await p.poll();
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(upserts(key), 2, 'a shipped order is never pushed again');
    assert.equal(p.ss.counters().lockedOrderUpdatesRefused, locked, 'not even attempted');
    assert.equal(ssOrder(key)?.orderStatus, 'shipped');

    await p.ship(other);
    await shipped(other);
  });

  it('rides out a 429 burst at ShipStation: each order pushed once, then shipped by the warehouse on its own clock', async () => {
    const orders = seed(4);
    const keys = orders.map((o) => o.orderKey);
    const tooMany = p.ss.counters().tooManyRequestsSent;
    p.ss.setWarehouse({ paused: false, shipAfterSeconds: 3 });
    try {
      p.ss.burst(4);
      await p.poll();
      await shipped(keys);
    } finally {
      p.ss.setWarehouse({ paused: true, shipAfterSeconds: 1800 });
    }
    assert.ok(p.ss.counters().tooManyRequestsSent > tooMany, 'ShipStation answered 429 meanwhile');
    const made = p.ss.shipments();
    for (const k of keys) {
      assert.equal(upserts(k), 1, 'each order pushed once');
      assert.equal(await receivedCount(k), 1);
      const shipment = made.filter((s) => s.orderKey === p.ssKey(k));
      assert.equal(shipment.length, 1);
      assert.equal(p.plex.getShipper(k)?.trackingNumber, shipment[0]!.trackingNumber);
    }
  });

  it('a createorder answer lost while the warehouse shipped the order: the refused retry finds it shipped, and the workflow waits for the shipment instead of parking', async () => {
    const [o] = seed(1);
    const key = o!.orderKey;
    const refused = p.ss.counters().lockedOrderUpdatesRefused;
    try {
      // The warehouse ships a new order at once and the createorder answer is lost after it was
      // applied, so Temporal's retry meets a shipped order. The SHIP_NOTIFY is refused (foreign
      // host), so nothing but the retried submit decides what the workflow does until the poll.
      p.ss.setWarehouse({ paused: false, shipAfterSeconds: 0 });
      p.ss.setWebhookKnobs({ foreignResourceHost: 'https://ssapi.evil.example' });
      p.ss.dropAnswers('POST /orders/createorder');
      await p.poll();
      await awaiting([key]);
      assert.equal(p.ss.counters().answersDropped, 1, 'the first answer was lost');
      assert.equal(p.ss.counters().lockedOrderUpdatesRefused, refused + 1, 'the retry was refused');
      assert.equal(ssOrder(key)?.orderStatus, 'shipped');
    } finally {
      p.ss.dropAnswers('POST /orders/createorder', 0);
      p.ss.setWebhookKnobs({ foreignResourceHost: null });
      p.ss.setWarehouse({ paused: true, shipAfterSeconds: 1800 });
    }
    const polled = await p.shipmentPoll();
    assert.ok(polled.notified >= 1, `the shipment poll hands the shipment over (${JSON.stringify(polled)})`);
    await shipped([key]);
    const shipment = p.ss.shipments().find((s) => s.orderKey === p.ssKey(key));
    assert.equal(p.plex.getShipper(key)?.trackingNumber, shipment?.trackingNumber);
    assert.equal(upserts(key), 1, 'one accepted upsert: the lost one');
    const attention = (await p.repos.audit.listForOrder(ERP, key)).filter(
      (a) => a.action === 'order.needs_attention',
    );
    assert.deepEqual(attention, [], 'the order was never parked');
  });

  it('an order cancelled in ShipStation (ORDER_NOTIFY) ends cancelled with the reason', async () => {
    const [o] = seed(1);
    const key = o!.orderKey;
    await p.poll();
    await awaiting([key]);
    // Someone cancels the order in ShipStation (an update through V1, as the UI would do).
    const order = await ssV1<Record<string, unknown>>('GET', `/orders/${ssOrder(key)!.orderId}`);
    await ssV1('POST', '/orders/createorder', { ...order, orderStatus: 'cancelled' });
    assert.equal(ssOrder(key)?.orderStatus, 'cancelled');

    const notice = {
      resource_url: `${p.ss.url}/orders?orderNumber=${encodeURIComponent(o!.orderNumber)}`,
      resource_type: 'ORDER_NOTIFY',
    };
    const res = await postWebhook(p.webhookUrl, notice);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // Answered once stored; the connection's webhook drainer follows the pointer after.
    assert.deepEqual(res.body, { status: 'accepted' });
    await p.eventually(
      'the stored notice is processed',
      () =>
        p.db.db
          .selectFrom('webhook_inbox')
          .select(['status', 'error'])
          .where('body', '=', JSON.stringify(notice))
          .executeTakeFirst(),
      (row) => row?.status === 'processed',
    );
    const result = await handle(key).result();
    assert.equal(result.status, 'cancelled');
    assert.match(result.attention?.message ?? '', /cancelled in ShipStation/);
    const row = await p.repos.orders.get(ERP, key);
    assert.equal(row?.status, 'cancelled');
    assert.match(row?.reason ?? '', /cancelled in ShipStation/);
    assert.equal(ssOrder(key)?.orderStatus, 'cancelled');
    assert.equal((await p.ship([key])).length, 0, 'the warehouse does not ship it');
  });

  it('an order cancelled in ShipStation without any webhook is found by the shipment poll', async () => {
    const [o] = seed(1);
    const key = o!.orderKey;
    await p.poll();
    await awaiting([key]);
    const order = await ssV1<Record<string, unknown>>('GET', `/orders/${ssOrder(key)!.orderId}`);
    await ssV1('POST', '/orders/createorder', { ...order, orderStatus: 'cancelled' });
    const polled = await p.shipmentPoll();
    assert.equal(polled.cancelled, 1);
    const result = await handle(key).result();
    assert.equal(result.status, 'cancelled');
    assert.match(result.attention?.message ?? '', /cancelled in ShipStation/);
    const again = await p.shipmentPoll();
    assert.equal(again.cancelled, 0, 'a second poll tells nobody again');
  });

  it('an operator cancel withdraws the ShipStation order while it is open', async () => {
    const orders = seed(2);
    const [open, gone] = orders.map((o) => o.orderKey) as [string, string];
    await p.poll();
    await awaiting([open, gone]);

    await handle(open).signal(cancelSignal, { reason: 'customer cancelled', by: 'test' });
    const result = await handle(open).result();
    assert.equal(result.status, 'cancelled');
    assert.match(result.attention?.message ?? '', /customer cancelled/);
    assert.equal(ssOrder(open)?.orderStatus, 'cancelled', 'the ShipStation order is cancelled');
    assert.equal((await p.ship([open])).length, 0, 'the warehouse does not ship it');

    // Shipped before the notice arrived: the cancel cannot withdraw it, and says so.
    p.ss.setWebhookKnobs({ foreignResourceHost: 'https://ssapi.evil.example' });
    try {
      await p.ship([gone]);
    } finally {
      p.ss.setWebhookKnobs({ foreignResourceHost: null });
    }
    await handle(gone).signal(cancelSignal, { reason: 'customer cancelled', by: 'test' });
    const late = await handle(gone).result();
    assert.equal(late.status, 'cancelled');
    assert.match(late.attention?.message ?? '', /already shipped/);
    assert.equal(ssOrder(gone)?.orderStatus, 'shipped', 'a shipped ShipStation order is left as it is');
  });

  it('inventory sync sets ShipStation on-hand to Plex figures, a second run changes nothing, and shipping keeps both in step', async () => {
    const first = await p.inventorySync();
    assert.equal(first.skus, CATALOG_PART_NUMBERS.length, JSON.stringify(first));
    assert.deepEqual(first.unknownInErp, []);
    assert.ok(first.changed > 0, 'the ShipStation figures were set');
    const ssOnHand = () => {
      const out: Record<string, number> = {};
      for (const skus of Object.values(p.ss.inventory()))
        for (const [sku, n] of Object.entries(skus)) out[sku] = (out[sku] ?? 0) + n;
      return out;
    };
    const plexNow = onHand();
    const ssNow = ssOnHand();
    for (const sku of CATALOG_PART_NUMBERS) assert.equal(ssNow[sku], plexNow[sku], `${sku} in step`);

    const writes = p.ss.counters().inventoryWrites;
    const second = await p.inventorySync();
    assert.equal(second.changed, 0, JSON.stringify(second));
    assert.equal(p.ss.counters().inventoryWrites, writes, 'no inventory writes');

    // A shipment takes the same quantities out of both.
    const orders = seed(2);
    const keys = orders.map((o) => o.orderKey);
    await p.poll();
    await awaiting(keys);
    await p.ship(keys);
    await shipped(keys);
    const plexAfter = onHand();
    const ssAfter = ssOnHand();
    for (const sku of CATALOG_PART_NUMBERS)
      assert.equal(ssAfter[sku], plexAfter[sku], `${sku} still in step`);
    assert.equal((await p.inventorySync()).changed, 0);
  });

  it('an address edited in place in Plex is pushed once per content version while the ShipStation order is open; after shipping, nothing is pushed', async () => {
    const orders = seed(2);
    const [key, other] = orders.map((o) => o.orderKey) as [string, string];
    await p.poll();
    await awaiting([key, other]);
    const shipTo = async () =>
      (
        await ssV1<{ shipTo: { street1: string; city: string; postalCode: string } }>(
          'GET',
          `/orders/${ssOrder(key)!.orderId}`,
        )
      ).shipTo;
    assert.equal(upserts(key), 1);

    // Plex edits the address record; the order itself is not touched (its version stays).
    // A whole new Canadian address, so it is valid whatever country the seed gave the customer.
    p.plex.updateOrder(key, {
      shipTo: { address: '99 Changed Street', city: 'Windsor', state: 'ON', zip: 'N9A 1A2', country: 'CA' },
    });
    const polled = await p.poll();
    assert.equal(polled.changed, 1, `the poll sees one changed ship-to (${JSON.stringify(polled)})`);
    await p.eventually(
      'the address edit reaches ShipStation',
      () => upserts(key),
      (n) => n >= 2,
    );
    await awaiting([key]);
    assert.equal((await shipTo()).street1, '99 Changed Street');
    assert.equal((await shipTo()).city, 'Windsor');

    // The same content seen again (the poll's overlap) pushes nothing; the other order is untouched.
    assert.equal((await p.poll()).changed, 0);
    // An edit that leaves the content as it is (the same street written again) is no new version.
    p.plex.updateOrder(key, { shipTo: { address: '99 Changed Street' } });
    assert.equal((await p.poll()).changed, 0);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(upserts(key), 2, 'the edit was pushed exactly once');
    assert.equal(upserts(other), 1, 'the other order was not pushed again');

    // A second content version goes out too.
    p.plex.updateOrder(key, { shipTo: { zip: 'N9A 1A1' } });
    assert.equal((await p.poll()).changed, 1);
    await p.eventually(
      'the second edit reaches ShipStation',
      () => upserts(key),
      (n) => n >= 3,
    );
    await awaiting([key]);
    assert.equal((await shipTo()).postalCode, 'N9A 1A1');

    // After shipping, an address edit goes nowhere.
    await p.ship([key, other]);
    await shipped([key, other]);
    const locked = p.ss.counters().lockedOrderUpdatesRefused;
    p.plex.updateOrder(key, { shipTo: { address: '1 After Shipping Road' } });
    assert.equal((await p.poll()).changed, 0, 'a shipped order is not asked about');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(upserts(key), 3, 'a shipped order is never pushed again');
    assert.equal(p.ss.counters().lockedOrderUpdatesRefused, locked, 'not even attempted');
  });

  /** The items of the ShipStation order of a Plex order, read through V1. */
  async function ssOrderItems(orderKey: string): Promise<Array<{ sku: string; quantity: number }>> {
    const order = await ssV1<{ items: Array<{ sku: string; quantity: number }> }>(
      'GET',
      `/orders/${ssOrder(orderKey)!.orderId}`,
    );
    return order.items.map((i) => ({ sku: i.sku, quantity: i.quantity }));
  }

  /** A V1 call as a ShipStation user would make it (the connection's simulated credentials). */
  async function ssV1<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { apiKey, apiSecret } = p.ssCredentials;
    const res = await fetch(`${p.ss.url}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    assert.ok(res.ok, `ShipStation ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
