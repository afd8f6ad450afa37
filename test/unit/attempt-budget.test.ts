import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { FedexClient, type FedexAuditEntry, type FedexClientOptions } from '../../connectors/fedex/client';
import { FedexUnavailableError } from '../../connectors/fedex/errors';
import type { AccessToken } from '../../connectors/kit/tokens';
import { PlexUnavailableError } from '../../connectors/plex/errors';
import { unlimited } from '../../lib/ratelimit';
import { MemoryTokenStore, shipmentRequest } from './fedex-fixtures';
import { IDS } from './plex-fixtures';
import { freshWorld, orderRoutes } from './plex-routes';
import { startScriptedPlex, testClient, type ScriptedPlex } from './plex-server';

// Temporal retries an activity attempt that overran its start-to-close while the old attempt may
// still be running. An old attempt that then sends a write lands next to its retry's: for a FedEx
// create, a second label. The clients get the attempt's time left (waitBudgetMs) and send no write
// once it is used up; reads go on.

const USED_UP = /the activity attempt's start-to-close timeout is used up; not sending the/;

/** A budget that runs out `ms` from now, the way an activity attempt's does. */
function budgetFor(ms: number): () => number {
  const end = Date.now() + ms;
  return () => Math.max(0, end - Date.now());
}

/**
 * A token store whose refresh first waits for another process's fetch (its claim) to end, like
 * DbTokenStore while a claim is held: `release()` ends the claim.
 */
class ClaimedTokenStore extends MemoryTokenStore {
  private released!: () => void;
  private readonly claim = new Promise<void>((resolve) => (this.released = resolve));
  release(): void {
    this.released();
  }
  override async refresh(
    connection: string,
    fetchToken: () => Promise<AccessToken>,
    rejected?: string,
  ): Promise<AccessToken> {
    await this.claim;
    return super.refresh(connection, fetchToken, rejected);
  }
}

const shipOk = {
  transactionId: 'tx-ship',
  output: {
    transactionShipments: [
      {
        masterTrackingNumber: '794000000001',
        serviceType: 'FEDEX_GROUND',
        pieceResponses: [
          {
            trackingNumber: '794000000001',
            packageDocuments: [{ contentType: 'LABEL', encodedLabel: 'JVBERi0=' }],
          },
        ],
      },
    ],
  },
};

describe('FedEx: no create or cancel once the activity attempt is used up', () => {
  let server: Server;
  let baseUrl: string;
  let paths: string[];
  let audits: FedexAuditEntry[];

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url ?? '';
        paths.push(`${req.method} ${path}`);
        if (path === '/oauth/token')
          return json(res, 200, { access_token: 'access-token-xyz', token_type: 'bearer', expires_in: 3600 });
        if (path === '/ship/v1/shipments') return json(res, 200, shipOk);
        if (path === '/ship/v1/shipments/cancel')
          return json(res, 200, { output: { cancelledShipment: true, message: 'cancelled' } });
        if (path === '/track/v1/referencenumbers')
          return json(res, 404, { errors: [{ code: 'TRACKING.REFERENCENUMBER.NOTFOUND', message: 'none' }] });
        return json(res, 200, { output: { completeTrackResults: [] } });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    paths = [];
    audits = [];
  });

  function client(overrides: Partial<FedexClientOptions>): FedexClient {
    return new FedexClient({
      connection: 'fedex-test',
      baseUrl,
      clientId: 'client-id-1',
      clientSecret: 'client-secret-never-logged',
      accountNumber: '740561073',
      tokenStore: new MemoryTokenStore(),
      limiter: unlimited,
      timeoutMs: 2_000,
      log: pino({ level: 'silent' }),
      audit: async (e) => {
        audits.push(e);
      },
      ...overrides,
    });
  }

  it('a create whose budget a token wait used up sends nothing to FedEx and fails retryable', async () => {
    const store = new ClaimedTokenStore();
    const create = client({ tokenStore: store, waitBudgetMs: budgetFor(100) }).createShipment(
      shipmentRequest(),
    );
    // The other process's claim outlasts the attempt's budget, then ends.
    await new Promise((r) => setTimeout(r, 250));
    store.release();
    await assert.rejects(create, (err: Error) => {
      assert.ok(err instanceof FedexUnavailableError, String(err));
      assert.equal(err.retryable, true);
      assert.match(err.message, USED_UP);
      assert.match(err.message, /not sending the create: the retry looks the shipment up first/);
      return true;
    });
    assert.deepEqual(paths, ['POST /oauth/token'], 'the token was fetched, the create never sent');
    assert.deepEqual(
      audits.map((a) => [a.action, a.outcome]),
      [
        ['fedex.oauth', 'ok'],
        ['fedex.createShipment', 'error'],
      ],
    );
  });

  it('the same create with time left after the wait is sent', async () => {
    const store = new ClaimedTokenStore();
    const create = client({ tokenStore: store, waitBudgetMs: budgetFor(60_000) }).createShipment(
      shipmentRequest(),
    );
    await new Promise((r) => setTimeout(r, 50));
    store.release();
    assert.equal((await create).masterTrackingNumber, '794000000001');
    assert.deepEqual(paths, ['POST /oauth/token', 'POST /ship/v1/shipments']);
  });

  it('a cancel is not sent with no budget left; reads (lookup, track) still are', async () => {
    const late = client({ waitBudgetMs: () => 0 });
    await assert.rejects(late.cancelShipment('794000000001'), (err: Error) => {
      assert.ok(err instanceof FedexUnavailableError);
      assert.match(err.message, /not sending the cancel/);
      return true;
    });
    assert.equal(await late.findShipmentByReference('SO-1001-FEDEX_GROUND', '2026-11-23'), null);
    assert.deepEqual((await late.track(['794000000001'])).updates, []);
    assert.deepEqual(paths, [
      'POST /oauth/token',
      'POST /track/v1/referencenumbers',
      'POST /track/v1/trackingnumbers',
    ]);
  });

  it('a token wait heartbeats, and stops when the activity is cancelled; the shared wait goes on', async () => {
    const store = new ClaimedTokenStore();
    const cancel = new AbortController();
    let beats = 0;
    const waiting = client({
      tokenStore: store,
      heartbeat: () => beats++,
      waitHeartbeatMs: 20,
      signal: cancel.signal,
    }).createShipment(shipmentRequest());
    const other = client({ tokenStore: store }).track(['794000000001']);
    // Until two beats, for at least 100 x 20 ms of real time: a busy machine only makes it longer.
    for (let i = 0; beats < 2 && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(beats >= 2, `${beats} heartbeats during the wait`);
    cancel.abort(new Error('CANCELLED'));
    await assert.rejects(waiting, /CANCELLED/);
    const seen = beats;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(beats, seen, 'no heartbeat after the wait ended');
    store.release();
    await other;
    assert.deepEqual(paths, ['POST /oauth/token', 'POST /track/v1/trackingnumbers'], 'no create sent');
  });
});

describe('Plex: no write once the activity attempt is used up; reads go on', () => {
  let server: ScriptedPlex;
  before(async () => {
    server = await startScriptedPlex();
  });
  after(() => server.stop());
  beforeEach(() => {
    server.routes = orderRoutes(freshWorld());
    server.requests.length = 0;
  });

  it('a PUT with no budget left is not sent; a GET with no budget left is', async () => {
    const { client, audit } = testClient(server.url, { waitBudgetMs: () => 0 });
    const shipper = await client.getCustomerShipper(IDS.shipper);
    assert.equal(shipper.id, IDS.shipper);
    await assert.rejects(client.updateCustomerShipper(IDS.shipper, { shipperNote: 'late' }), (err: Error) => {
      assert.ok(err instanceof PlexUnavailableError, String(err));
      assert.equal(err.retryable, true);
      assert.match(err.message, USED_UP);
      assert.match(err.message, /not sending the PUT/);
      return true;
    });
    assert.deepEqual(
      server.requests.map((r) => r.method),
      ['GET'],
    );
    assert.deepEqual(
      audit.map((a) => [a.action, a.outcome]),
      [
        ['plex.getCustomerShipper', 'ok'],
        ['plex.updateCustomerShipper', 'error'],
      ],
    );
  });

  it('a write-back reads the shipper but does not write it; with time left it writes', async () => {
    const status = { status: 'in_transit' as const, at: '2026-11-21T10:00:00Z', description: 'In transit' };
    await assert.rejects(
      testClient(server.url, { waitBudgetMs: () => 0 }).client.writeStatus(
        { shipperId: IDS.shipper },
        status,
      ),
      PlexUnavailableError,
    );
    assert.deepEqual(
      server.requests.map((r) => r.method),
      ['GET'],
    );
    const { client } = testClient(server.url, { waitBudgetMs: budgetFor(60_000) });
    assert.equal((await client.writeStatus({ shipperId: IDS.shipper }, status)).written, true);
    assert.deepEqual(
      server.requests.map((r) => r.method),
      ['GET', 'GET', 'PUT'],
    );
  });

  it('a POST (inventory shipment) with no budget left is not sent', async () => {
    const { client } = testClient(server.url, { waitBudgetMs: () => 0 });
    await assert.rejects(client.createInventoryShipment('se-1'), /not sending the POST/);
    assert.equal(server.requests.length, 0);
  });
});
