// A shipment across a border through the FedEx carrier port against the simulator: the commercial
// invoice FedEx prints with the label is stored beside it (kind 'commercial_invoice'), listed by
// the operator API with each document's kind, and served as a PDF like the label.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { opsRoutes } from '../../clients/http/ops-routes';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import {
  createFedexClientFactory,
  fedexCarrierPort,
  type FedexCarrierPort,
} from '../../connectors/fedex/carrier';
import type { ShipmentRequest } from '../../domain/model';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { unlimited } from '../../lib/ratelimit';
import { generateMasterKey, Vault } from '../../lib/vault';
import { DEMO_CLIENT, startFedexSimulator, type FedexSimulator } from '../../simulators/fedex';
import { forEachDatabase, uniqueName } from '../helpers/db';
import { internationalRequest, shipmentRequest } from '../unit/fedex-fixtures';

const log = createLogger({ level: 'silent' });
const ACCOUNT = DEMO_CLIENT.accounts[0]!;
const TOKEN = 'fedex-customs-ops-token';
const today = () => new Date().toISOString().slice(0, 10);

async function run<T>(fn: () => Promise<T>): Promise<T> {
  return new MockActivityEnvironment(
    { attempt: 1, startToCloseTimeoutMs: 60_000 },
    { logger: new DefaultLogger('ERROR') },
  ).run(fn);
}

interface Listed {
  labels: Array<{ id: string; kind: string; format: string; bytes: number }>;
  url?: string;
}

forEachDatabase('FedEx customs: the commercial invoice beside the label', (getDb) => {
  let sim: FedexSimulator;
  let repos: Repos;
  let carrier: FedexCarrierPort;
  let server: RunningHttpServer;

  before(async () => {
    sim = await startFedexSimulator({ authThrottle: { limit: 100, windowSeconds: 1 }, clockSpeed: 1 });
    repos = createRepos(getDb().db);
    const clients = createFedexClientFactory({
      db: getDb().db,
      vault: new Vault({ db: getDb().db, keys: { current: generateMasterKey(), previous: [] } }),
      repos,
      limits: { transactionsPer10s: 1400, tokenRequestsPerMinute: 100, lockoutMinutes: 10 },
      settings: () => ({
        baseUrl: sim.url,
        clientId: DEMO_CLIENT.clientId,
        clientSecret: DEMO_CLIENT.clientSecret,
        accountNumber: ACCOUNT,
      }),
      log,
      limiter: unlimited,
      timeoutMs: 5000,
    });
    carrier = fedexCarrierPort({ clients, repos, log }, 'fedex-main');
    await repos.connections.upsert('plex-test', 'plex', 'http://127.0.0.1:1', {});
    // The label routes read only the database; the Temporal client is never reached.
    const routes = opsRoutes({
      repos,
      client: undefined as unknown as Client,
      scheduleIds: () => [],
      testConnection: async () => ({ ok: true, reason: 'ok', message: 'ok' }),
      token: TOKEN,
    });
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      log,
      metrics: new Registry(),
      health: [],
      routes,
    });
  });
  after(async () => {
    await server?.close();
    await sim?.stop();
  });

  /** Ship an order as its workflow would (shipment key `ship:<workflow id>`), recorded like a poll. */
  async function shipOrder(make: (o: Partial<ShipmentRequest>) => ShipmentRequest) {
    const orderKey = uniqueName('SO').toUpperCase();
    const workflowId = `order/plex-test/${orderKey}`;
    await repos.orders.upsertDetected({
      connection: 'plex-test',
      orderKey,
      erpOrderNumber: orderKey,
      workflowId,
    });
    const request = make({
      idempotencyKey: `ship:${workflowId}`,
      shipDate: today(),
      references: { orderNumber: orderKey },
    });
    const input = {
      workflowId,
      erpConnection: 'plex-test',
      orderKey,
      carrierConnection: 'fedex-main',
      request,
    };
    const created = await run(() => carrier.createShipment(input));
    return { orderKey, created };
  }

  async function get(path: string) {
    return fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  }

  it('stores the commercial invoice with kind commercial_invoice, lists it after the label, serves it as PDF', async () => {
    const { orderKey, created } = await shipOrder(internationalRequest);
    assert.ok(created.label && 'ref' in created.label);

    const res = await get(`/api/orders/plex-test/${orderKey}/labels`);
    assert.equal(res.status, 200);
    const listed = (await res.json()) as Listed;
    assert.deepEqual(
      listed.labels.map((l) => [l.kind, l.format]),
      [
        ['label', 'PDF'],
        ['commercial_invoice', 'PDF'],
      ],
    );
    assert.equal(listed.labels[0]!.id, created.label.ref, "the shipment's label_ref stays the label");

    const invoice = await get(`/api/labels/${listed.labels[1]!.id}`);
    assert.equal(invoice.status, 200);
    assert.equal(invoice.headers.get('content-type'), 'application/pdf');
    const bytes = Buffer.from(await invoice.arrayBuffer());
    assert.equal(bytes.length, listed.labels[1]!.bytes);
    assert.ok(
      bytes.toString('latin1').startsWith('%PDF') && bytes.toString('latin1').includes('INV-2026-0042'),
    );
  });

  it("with label links, the invoice is FedEx's link too: named in the warnings, nothing stored", async () => {
    const { orderKey, created } = await shipOrder((o) =>
      internationalRequest({ ...o, label: { format: 'PDF', delivery: 'URL_ONLY' } }),
    );
    assert.ok(
      created.warnings.some((w) =>
        /commercial invoice is a link valid until .*http:\/\/127\.0\.0\.1:\d+\//.test(w),
      ),
      created.warnings.join('; '),
    );
    const listed = (await (await get(`/api/orders/plex-test/${orderKey}/labels`)).json()) as Listed;
    assert.deepEqual(listed.labels, []);
    assert.match(listed.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('a domestic shipment stores only its label', async () => {
    const { orderKey } = await shipOrder(shipmentRequest);
    const listed = (await (await get(`/api/orders/plex-test/${orderKey}/labels`)).json()) as Listed;
    assert.deepEqual(
      listed.labels.map((l) => l.kind),
      ['label'],
    );
  });
});
