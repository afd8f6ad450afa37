import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  createFedexClientFactory,
  fedexCarrierPort,
  type FedexShipmentResult,
} from '../../connectors/fedex/carrier';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import {
  FEDEX_WEBHOOK_PATH,
  fedexWebhookRoute,
  type FedexTrackingEvent,
} from '../../connectors/fedex/webhook-route';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { unlimited } from '../../lib/ratelimit';
import { generateMasterKey, Vault } from '../../lib/vault';
import { DEMO_CLIENT, signAivBody, startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { forEachDatabase, uniqueName } from '../helpers/db';
import { shipmentRequest } from '../unit/fedex-fixtures';

const log = createLogger({ level: 'silent' });
const SECURITY_TOKEN = 'Webhook-Security-Token-2026abcdef';

forEachDatabase('FedEx AIV webhook route with the simulator’s signed pushes', (getDb) => {
  let sim: FedexSimulator;
  let server: RunningHttpServer;
  let repos: Repos;
  let carrier: ReturnType<typeof fedexCarrierPort>;
  let events: FedexTrackingEvent[];
  let failNext = 0;

  before(async () => {
    repos = createRepos(getDb().db);
    events = [];
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log,
      metrics: new Registry(),
      health: [],
      routes: {
        [`POST ${FEDEX_WEBHOOK_PATH}`]: fedexWebhookRoute({
          securityToken: SECURITY_TOKEN,
          inbox: repos.webhookInbox,
          tracking: repos,
          onEvent: async (e) => {
            if (failNext-- > 0) throw new Error('Temporal is unreachable');
            events.push(e);
          },
          log,
        }),
      },
    });
    sim = await startFedexSimulator({ clockSpeed: 1, authThrottle: { limit: 100, windowSeconds: 1 } });
    const clients = createFedexClientFactory({
      db: getDb().db,
      vault: new Vault({ db: getDb().db, keys: { current: generateMasterKey(), previous: [] } }),
      repos,
      limits: { transactionsPer10s: 1400, tokenRequestsPerMinute: 100, lockoutMinutes: 10 },
      settings: () => ({
        baseUrl: sim.url,
        clientId: DEMO_CLIENT.clientId,
        clientSecret: DEMO_CLIENT.clientSecret,
        accountNumber: DEMO_CLIENT.accounts[0]!,
      }),
      log,
      limiter: unlimited,
    });
    carrier = fedexCarrierPort({ clients, repos, log }, 'fedex-main');
  });
  after(async () => {
    await sim.stop();
    await server.close();
  });

  const url = () => `${server.url}${FEDEX_WEBHOOK_PATH}`;
  const post = (body: string, signature?: string) =>
    fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'fdx-signature': signature } : {}) },
      body,
    });
  const inboxCount = async () =>
    Number(
      (
        await getDb()
          .db.selectFrom('webhook_inbox')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function ship() {
    const orderNumber = uniqueName('SO').toUpperCase();
    const workflowId = `order/plex-test/${orderNumber}`;
    const request = shipmentRequest({
      idempotencyKey: `${workflowId}/shipment`,
      shipDate: new Date().toISOString().slice(0, 10),
      serviceLevel: 'overnight',
      references: { orderNumber },
    });
    // The order workflow's start-to-close (the mock's default of 1 s is too short to send a create in).
    const result: FedexShipmentResult = await new MockActivityEnvironment(
      { startToCloseTimeoutMs: 60_000 },
      { logger: new DefaultLogger('ERROR') },
    ).run(() =>
      carrier.createShipment({ workflowId, erpConnection: 'plex-test', orderKey: orderNumber, request }),
    );
    return { workflowId, trackingNumber: result.masterTrackingNumber, key: request.idempotencyKey };
  }

  it('applies signed pushes, routes status changes to the order and ends delivered', async () => {
    sim.setWebhook({ url: url(), securityToken: SECURITY_TOKEN }, { outOfOrder: false });
    const { workflowId, trackingNumber, key } = await ship();
    for (const hours of [3, 6, 12, 5]) {
      sim.advanceClock(hours * 3600);
      await sim.flushWebhooks();
    }
    const mine = sim.counters().webhookDeliveries.filter((d) => d.trackingNumber === trackingNumber);
    assert.deepEqual(
      mine.map((d) => d.eventType),
      ['OC', 'PU', 'IT', 'OD', 'DL'],
    );
    assert.ok(mine.every((d) => d.status === 200 && d.attempts === 1));
    // The OC push can arrive before the activity has stored the tracking number (FedEx pushes as
    // soon as the label exists): it is then kept as history only, so it is left out here.
    const routed = events.filter(
      (e) => e.update.trackingNumber === trackingNumber && e.update.rawCode !== 'OC',
    );
    assert.deepEqual(
      routed.map((e) => e.update.status),
      ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'],
    );
    assert.ok(routed.every((e) => e.shipment.workflowId === workflowId));
    const row = await repos.shipments.findByKey(key);
    assert.equal(row?.tracking_status, 'delivered');
    assert.ok(row?.delivered_at);
    const stored = await repos.trackingEvents.listForTrackingNumber(trackingNumber);
    assert.equal(stored.length, 5);
    assert.ok(stored.every((e) => e.source === 'webhook'));
  });

  it('events out of order are stored, but never move a shipment back', async () => {
    sim.setWebhook({ url: url(), securityToken: SECURITY_TOKEN }, { outOfOrder: true });
    const { trackingNumber, key } = await ship();
    await sim.flushWebhooks();
    sim.advanceClock(30 * 3600); // PU, IT, OD, DL found in one tick: pushed newest first
    await sim.flushWebhooks();
    const mine = sim.counters().webhookDeliveries.filter((d) => d.trackingNumber === trackingNumber);
    assert.deepEqual(
      mine.map((d) => d.eventType),
      ['OC', 'DL', 'OD', 'IT', 'PU'],
    );
    const row = await repos.shipments.findByKey(key);
    assert.equal(row?.tracking_status, 'delivered');
    assert.equal((await repos.trackingEvents.listForTrackingNumber(trackingNumber)).length, 5);
    // Of the late-found scans only DL moved the shipment forward; the older ones are history.
    assert.deepEqual(
      events
        .filter((e) => e.update.trackingNumber === trackingNumber && e.update.rawCode !== 'OC')
        .map((e) => e.update.rawCode),
      ['DL'],
    );
  });

  it('stores a push once: a redelivered push is acknowledged and not routed again', async () => {
    sim.setWebhook(null);
    const { trackingNumber } = await ship();
    const body = JSON.stringify({
      transactionId: 'tx-dup',
      output: {
        completeTrackResults: [
          {
            trackingNumber,
            trackResults: [
              {
                trackingNumberInfo: { trackingNumber },
                latestStatusDetail: { code: 'PU', description: 'Picked up' },
                scanEvents: [
                  {
                    date: new Date(Date.now() + 3600_000).toISOString(),
                    eventType: 'PU',
                    derivedStatusCode: 'PU',
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    const before = events.length;
    const first = await post(body, signAivBody(body, SECURITY_TOKEN));
    assert.equal(first.status, 200);
    assert.equal(((await first.json()) as { status: string }).status, 'processed');
    const inbox = await inboxCount();
    const again = await post(body, signAivBody(body, SECURITY_TOKEN));
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { status: string }).status, 'duplicate');
    assert.equal(await inboxCount(), inbox);
    assert.equal(events.length - before, 1);
  });

  it('a push whose routing failed answers 503 and is routed when FedEx redelivers it', async () => {
    sim.setWebhook(null);
    const { trackingNumber } = await ship();
    const body = JSON.stringify({
      output: {
        completeTrackResults: [
          {
            trackingNumber,
            trackResults: [
              {
                trackingNumberInfo: { trackingNumber },
                latestStatusDetail: { code: 'IT', description: 'In transit' },
                scanEvents: [
                  {
                    date: new Date(Date.now() + 7200_000).toISOString(),
                    eventType: 'IT',
                    derivedStatusCode: 'IT',
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    failNext = 1;
    const failed = await post(body, signAivBody(body, SECURITY_TOKEN));
    assert.equal(failed.status, 503);
    const before = events.length;
    const retried = await post(body, signAivBody(body, SECURITY_TOKEN));
    assert.equal(retried.status, 200);
    assert.equal(events.length - before, 1);
    assert.equal(events[events.length - 1]?.update.rawCode, 'IT');
  });

  it('401 for a bad or missing signature and 400 for a malformed body; nothing is stored', async () => {
    const inbox = await inboxCount();
    const body = '{"output":{"completeTrackResults":[]}}';
    assert.equal((await post(body)).status, 401);
    assert.equal((await post(body, signAivBody(body, 'not-the-token'))).status, 401);
    assert.equal((await post(body, signAivBody(`${body} `, SECURITY_TOKEN))).status, 401);
    assert.equal((await post(body, signAivBody(body, SECURITY_TOKEN))).status, 400);
    const notJson = '{"output": [';
    const res = await post(notJson, signAivBody(notJson, SECURITY_TOKEN));
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /not JSON/);
    assert.equal(await inboxCount(), inbox);
  });
});
