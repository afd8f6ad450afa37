// The ShipStation V1 webhook route and its drainer (connectors/shipstation/webhook-routes.ts and
// webhook-drain.ts) over real HTTP and a real database. The route answers once the delivery is
// stored, never after following the pointer; the drainer follows the stored pointers one at a time,
// retries a failure on a later wake, leaves a refused pointer failed, takes over a row whose
// processor died, and close() waits for the row in progress.
//
// The port is the real ShipStation port (so pointers are checked by the real client) with
// shipmentsAt replaced per test; the Temporal client is a stand-in that records the signals.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { ShipmentIntake } from '../../activities/orders/fulfilment';
import type { FulfilmentPort, IncomingShipment } from '../../connectors/ports';
import { createShipStationClientFactory, shipStationFulfilmentPort } from '../../connectors/shipstation/port';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import { shipStationWebhookRoutes } from '../../connectors/shipstation/webhook-routes';
import {
  ShipStationWebhookDrainer,
  shipStationV1Source,
  type ShipStationWebhookDrainerOptions,
} from '../../connectors/shipstation/webhook-drain';
import { createRepos, type Repos } from '../../lib/db/repos';
import type { WebhookInboxEntry } from '../../lib/db/types';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { unlimited } from '../../lib/ratelimit';
import { forEachDatabase, uniqueName } from '../helpers/db';

const log = createLogger({ level: 'silent' });
const TOKEN = 'v1-token-for-the-drain-tests';
const SS_SETTINGS = {
  // Never contacted: every pointer is followed by a stand-in, or refused before any request.
  v1BaseUrl: 'http://127.0.0.1:9',
  v2BaseUrl: 'http://127.0.0.1:9/v2',
  apiKey: 'drain-test-key',
  apiSecret: 'drain-test-secret',
};

/** A promise the test resolves when it chooses: a port call that holds until then. */
function gate<T>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  pred: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached; last ${JSON.stringify(v)}`);
    await sleep(50);
  }
}

forEachDatabase('ShipStation V1 webhooks: answered once stored, drained after', (getDb) => {
  let repos: Repos;
  let realPort: FulfilmentPort;
  let signals: Array<{ workflowId: string; name: string }>;
  let intake: ShipmentIntake;
  /** What each test started, stopped after it in reverse order, while the database is open. */
  const cleanups: Array<() => Promise<unknown>> = [];

  before(() => {
    repos = createRepos(getDb().db);
    const clients = createShipStationClientFactory({
      db: getDb().db,
      limits: { v1PerMinute: 40, v2PerMinute: 200 },
      settings: () => SS_SETTINGS,
      log,
      limiter: unlimited,
    });
    const deps = { client: clients, settings: () => SS_SETTINGS, ...repos, log };
    realPort = shipStationFulfilmentPort(deps, 'ss-drain');
    signals = [];
    const client = {
      workflow: {
        getHandle: (workflowId: string) => ({
          signal: async (def: { name: string }) => void signals.push({ workflowId, name: def.name }),
        }),
      },
    } as unknown as Client;
    intake = { client, repos, log };
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  after(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  /** A connection of its own per test, so its inbox source holds only this test's rows. */
  interface Setup {
    connection: string;
    source: string;
    drainer: ShipStationWebhookDrainer;
    server: RunningHttpServer;
    /** Calls of shipmentsAt so far. */
    calls: () => number;
  }

  async function setup(
    shipmentsAt: (url: string, call: number) => Promise<IncomingShipment[]>,
    opts: { drainer?: Partial<ShipStationWebhookDrainerOptions>; start?: boolean } = {},
  ): Promise<Setup> {
    const connection = uniqueName('ss-drain');
    let calls = 0;
    const port: FulfilmentPort = {
      ...realPort,
      shipmentsAt: (url) => shipmentsAt(url, ++calls),
      ordersAt: () => Promise.reject(new Error('no ORDER_NOTIFY in these tests')),
    };
    const drainer = new ShipStationWebhookDrainer({
      connection,
      port,
      intake,
      inbox: repos.webhookInbox,
      log,
      ...opts.drainer,
    });
    cleanups.push(() => drainer.close());
    if (opts.start ?? true) drainer.start();
    const server = await serve(connection, port, drainer);
    return { connection, source: shipStationV1Source(connection), drainer, server, calls: () => calls };
  }

  async function serve(
    connection: string,
    port: Pick<FulfilmentPort, 'checkResourceUrl'>,
    drainer: Pick<ShipStationWebhookDrainer, 'kick'>,
    inbox: Parameters<typeof shipStationWebhookRoutes>[0]['inbox'] = repos.webhookInbox,
  ): Promise<RunningHttpServer> {
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log,
      metrics: new Registry(),
      health: [],
      routes: shipStationWebhookRoutes({ connection, v1Token: TOKEN, port, intake, inbox, drainer, log }),
    });
    cleanups.push(() => server.close());
    return server;
  }

  async function post(
    server: RunningHttpServer,
    connection: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${server.url}/webhooks/shipstation/${connection}/${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const shipNotify = (batch: string) => ({
    resource_url: `https://ssapi.shipstation.com/shipments?batchId=${batch}&includeShipmentItems=False`,
    resource_type: 'SHIP_NOTIFY',
  });

  const rows = (source: string): Promise<WebhookInboxEntry[]> =>
    getDb().db.selectFrom('webhook_inbox').selectAll().where('source', '=', source).orderBy('id').execute();

  const statuses = async (source: string) => (await rows(source)).map((r) => r.status);

  /** An order of ours at the warehouse and the shipment ShipStation would answer for it. */
  async function orderWithShipment(connection: string): Promise<IncomingShipment> {
    const externalOrderKey = uniqueName('mlc:plex:SO');
    await repos.fulfilment.registerOrder({
      carrierConnection: connection,
      externalOrderKey,
      erpConnection: 'plex',
      orderKey: externalOrderKey,
      workflowId: `wf-${externalOrderKey}`,
    });
    return {
      externalOrderKey,
      voided: false,
      shipment: {
        shipmentId: uniqueName('ship'),
        trackingNumber: uniqueName('1Z'),
        carrier: 'ups',
        shipDate: '2026-11-30',
        items: [{ sku: 'BRKT-100', quantity: 2 }],
      },
    };
  }

  // ------------------------------------------------------------------ the route

  it('answers 200 accepted once stored, without following the pointer, and kicks the drainer', async () => {
    const connection = uniqueName('ss-route');
    let followed = 0;
    let kicks = 0;
    const port: FulfilmentPort = {
      ...realPort,
      // Never answers: were the route to wait for it, the request would time out.
      shipmentsAt: () => (followed++, new Promise<never>(() => undefined)),
      ordersAt: () => (followed++, new Promise<never>(() => undefined)),
    };
    const server = await serve(connection, port, { kick: () => void kicks++ });
    // The port never answers, so an answer at all shows the route did not wait for it.
    const res = await post(server, connection, shipNotify(uniqueName('b')));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { status: 'accepted' });
    assert.equal(followed, 0, 'the route itself never follows the pointer');
    assert.equal(kicks, 1, 'the drainer is told at once');
    assert.deepEqual(await statuses(shipStationV1Source(connection)), ['received'], 'stored as work');
  });

  it('answers a redelivery duplicate, whether its row is in progress or processed, and processes it once', async () => {
    const held = gate<IncomingShipment[]>();
    const s = await setup(() => held.promise);
    const body = shipNotify(uniqueName('b'));
    assert.deepEqual((await post(s.server, s.connection, body)).body, { status: 'accepted' });
    await eventually(
      'the drainer has the row',
      async () => s.calls(),
      (n) => n === 1,
    );
    assert.deepEqual(await statuses(s.source), ['processing']);

    const during = await post(s.server, s.connection, body);
    assert.equal(during.status, 200);
    assert.deepEqual(during.body, { status: 'duplicate' }, 'in progress: answered, not processed again');
    held.open([]);
    await eventually(
      'processed',
      () => statuses(s.source),
      (st) => st[0] === 'processed',
    );
    const later = await post(s.server, s.connection, body);
    assert.deepEqual(later.body, { status: 'duplicate' }, 'processed: answered duplicate');
    s.drainer.kick();
    await sleep(200);
    assert.equal(s.calls(), 1, 'the pointer was followed once');
    assert.equal((await rows(s.source)).length, 1, 'stored once');
  });

  it('refuses a pointer to a foreign host or path with 400 and stores nothing', async () => {
    const connection = uniqueName('ss-route');
    let kicks = 0;
    const server = await serve(connection, realPort, { kick: () => void kicks++ });
    for (const [resourceUrl, reason] of [
      ['https://ssapi.evil.example/shipments?batchId=1', /not ShipStation's/],
      ['https://ssapi.shipstation.com:8443/shipments?batchId=1', /not ShipStation's/],
      ['https://user:pw@ssapi.shipstation.com/shipments', /credentials/],
      ['https://ssapi.shipstation.com/accounts/listtags', /not a shipment or order list/],
    ] as const) {
      const res = await post(server, connection, { resource_url: resourceUrl, resource_type: 'SHIP_NOTIFY' });
      assert.equal(res.status, 400, `${resourceUrl}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.error), reason);
    }
    assert.deepEqual(await rows(shipStationV1Source(connection)), [], 'nothing stored');
    assert.equal(kicks, 0);
  });

  it('answers 503 when the delivery cannot be stored, so the sender delivers it again', async () => {
    const connection = uniqueName('ss-route');
    const down = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const server = await serve(
      connection,
      realPort,
      { kick: () => assert.fail('nothing to kick') },
      {
        insertOnce: down,
        markProcessed: down,
        markFailed: down,
      },
    );
    const res = await post(server, connection, shipNotify(uniqueName('b')));
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.match(String(res.body.error), /retry/);
  });

  // ------------------------------------------------------------------ the drainer

  it('processes an accepted delivery once: the shipment reaches its order workflow', async () => {
    const answer: IncomingShipment[] = [];
    const s = await setup(async () => answer);
    const shipment = await orderWithShipment(s.connection);
    answer.push(shipment);
    assert.deepEqual((await post(s.server, s.connection, shipNotify(uniqueName('b')))).body, {
      status: 'accepted',
    });
    await eventually(
      'processed',
      () => statuses(s.source),
      (st) => st[0] === 'processed',
    );
    assert.equal(s.calls(), 1);
    const workflowId = `wf-${shipment.externalOrderKey}`;
    assert.deepEqual(
      signals.filter((x) => x.workflowId === workflowId),
      [{ workflowId, name: 'shipmentNotice' }],
      'the order workflow is told once',
    );
    const recorded = await repos.fulfilment.listShipments(s.connection);
    assert.deepEqual(
      recorded.map((r) => r.shipment_id),
      [shipment.shipment.shipmentId],
      'the shipment is recorded',
    );
    const [row] = await rows(s.source);
    assert.equal(row?.attempts, 1);
    assert.equal(row?.error, null);
  });

  it('retries a failed row on a later wake, not on the next kick', async () => {
    const s = await setup(
      async (_url, call) => {
        if (call === 1)
          throw new Error('ShipStation V1 getResourceShipments: ShipStation unavailable (HTTP 503)');
        return [];
      },
      { drainer: { intervalMs: 2_000 } },
    );
    await post(s.server, s.connection, shipNotify(uniqueName('a')));
    const [failed] = await eventually(
      'the first attempt failed',
      () => rows(s.source),
      (r) => r[0]?.error != null,
    );
    assert.equal(failed?.status, 'received', 'back in the queue');
    assert.equal(failed?.attempts, 1);
    assert.match(failed?.error ?? '', /unavailable/);

    // A new delivery while the failure is waited out: stored, but nothing is retried for it.
    assert.deepEqual((await post(s.server, s.connection, shipNotify(uniqueName('b')))).body, {
      status: 'accepted',
    });
    await sleep(300);
    assert.equal(s.calls(), 1, 'no retry before the wake');
    assert.deepEqual(await statuses(s.source), ['received', 'received']);

    const done = await eventually(
      'both processed on the wake',
      () => rows(s.source),
      (r) => r.every((x) => x.status === 'processed'),
    );
    assert.deepEqual(
      done.map((r) => r.attempts),
      [2, 1],
    );
    assert.equal(s.calls(), 3);
  });

  it('leaves a refused pointer failed, never retried, and goes on with the next row', async () => {
    // The real port refuses the foreign pointer before any request; ShipStation's own answers nothing.
    const s = await setup(
      (url) =>
        new URL(url).hostname === 'ssapi.shipstation.com' ? Promise.resolve([]) : realPort.shipmentsAt(url),
      { drainer: { intervalMs: 60_000 }, start: false },
    );
    // Stored before pointers were checked on arrival (the route refuses these now).
    const { id } = await repos.webhookInbox.insertOnce({
      source: s.source,
      dedupKey: uniqueName('foreign'),
      eventType: 'SHIP_NOTIFY',
      headers: {},
      body: JSON.stringify({
        resource_url: 'https://ssapi.evil.example/shipments?batchId=1',
        resource_type: 'SHIP_NOTIFY',
      }),
    });
    s.drainer.start();
    const row = await eventually(
      'refused',
      () => repos.webhookInbox.get(id),
      (r) => r?.status === 'failed',
    );
    assert.equal(row?.attempts, 1);
    assert.match(row?.error ?? '', /not ShipStation's/);

    // A refusal is the pointer's fault, not a reason to pause: the next delivery goes at once.
    await post(s.server, s.connection, shipNotify(uniqueName('b')));
    await eventually(
      'the next row',
      () => statuses(s.source),
      (st) => st[1] === 'processed',
      5_000,
    );
    assert.equal(s.calls(), 2);
    s.drainer.kick();
    await sleep(200);
    assert.equal((await repos.webhookInbox.get(id))?.status, 'failed', 'the refused row stays failed');
  });

  it('takes over a processing row whose processor died, and leaves a fresh claim alone', async () => {
    const s = await setup(async () => [], { start: false });
    const insert = async (state: 'stale' | 'fresh') => {
      const { id } = await repos.webhookInbox.insertOnce({
        source: s.source,
        dedupKey: uniqueName(state),
        eventType: 'SHIP_NOTIFY',
        headers: {},
        body: JSON.stringify(shipNotify(uniqueName('b'))),
      });
      await getDb()
        .db.updateTable('webhook_inbox')
        .set({
          status: 'processing',
          attempts: 1,
          claimed_at: state === 'stale' ? sql`now() - interval '20 minutes'` : sql`now()`,
        })
        .where('id', '=', id)
        .execute();
      return id;
    };
    const stale = await insert('stale');
    const fresh = await insert('fresh');
    s.drainer.start();
    const row = await eventually(
      'reclaimed',
      () => repos.webhookInbox.get(stale),
      (r) => r?.status === 'processed',
    );
    assert.equal(row?.attempts, 2);
    assert.equal(s.calls(), 1);
    assert.equal((await repos.webhookInbox.get(fresh))?.status, 'processing', 'its processor may be alive');
  });

  it('close() waits for the row in progress; a closed drainer takes no more', async () => {
    const held = gate<IncomingShipment[]>();
    const s = await setup(() => held.promise);
    await post(s.server, s.connection, shipNotify(uniqueName('a')));
    await eventually(
      'in progress',
      async () => s.calls(),
      (n) => n === 1,
    );

    let closed = false;
    const closing = s.drainer.close().then(() => (closed = true));
    await sleep(200);
    assert.equal(closed, false, 'still waiting for the row');
    held.open([]);
    await closing;
    assert.deepEqual(await statuses(s.source), ['processed'], 'the row in progress was finished');

    // The route still stores; the row waits for the next start.
    assert.deepEqual((await post(s.server, s.connection, shipNotify(uniqueName('b')))).body, {
      status: 'accepted',
    });
    await sleep(200);
    assert.deepEqual(await statuses(s.source), ['processed', 'received']);
    assert.equal(s.calls(), 1);
  });
});
