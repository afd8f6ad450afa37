import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { sql } from 'kysely';
import pino from 'pino';
import { createPlexClientFactory, plexErpPort } from '../../connectors/plex/port';
import { PlexClient, plexLimitKey, type PlexClientOptions } from '../../connectors/plex/client';
import {
  PlexAuthError,
  PlexForbiddenError,
  PlexPermissionProblem,
  PlexRateLimitError,
} from '../../connectors/plex/errors';
import { parseReadyState } from '../../connectors/plex/mapping';
import type { ErpOrder } from '../../domain/order';
import { buildShipmentRequest, type ShipmentMappingConfig } from '../../domain/shipment-request';
import { AuditRepo } from '../../lib/db/repos';
import { unlimited } from '../../lib/ratelimit';
import {
  DEMO_KEY,
  DEMO_TENANT,
  startPlexSimulator,
  type PlexSimulator,
  type SeededOrder,
} from '../../simulators/plex';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { WAREHOUSE } from '../unit/plex-fixtures';

/** The Plex connector end to end against the Plex simulator (simulators/plex). */

const OTHER_TENANT = { id: '0b7d7c3e-1d2a-4e5f-8a9b-0c1d2e3f4a5b', code: 'OTHER', pcn: '654321' };
const SALES_ONLY_KEY = 'sales-only-consumer-key';
const ROUTING: ShipmentMappingConfig = {
  shipFrom: WAREHOUSE,
  serviceLevels: {
    'FDX-GROUND': 'FEDEX_GROUND',
    'FDX-2DAY': 'FEDEX_2_DAY',
    'FDX-OVERNIGHT': 'PRIORITY_OVERNIGHT',
  },
  defaultService: 'FEDEX_GROUND',
  // Plex Connect's part records carry no country of origin: the mapping supplies it.
  customs: {
    purpose: 'SOLD',
    termsOfSale: 'DAP',
    dutiesPayment: { payer: 'RECIPIENT' },
    defaults: { countryOfManufacture: 'US' },
  },
};

describe('PlexClient against the Plex simulator', () => {
  let sim: PlexSimulator;
  let seeded: SeededOrder[];

  before(async () => {
    // The limit is exercised by its own test; the others run without waiting for it.
    sim = await startPlexSimulator({
      seed: 5,
      rateLimitPerMinute: 100_000,
      tenants: [DEMO_TENANT, OTHER_TENANT],
      keys: [
        { apiKey: DEMO_KEY.apiKey, tenantIds: [DEMO_TENANT.id] },
        { apiKey: SALES_ONLY_KEY, tenantIds: [DEMO_TENANT.id], products: ['sales'] },
      ],
    });
  });
  after(() => sim.stop());
  beforeEach(() => {
    sim.reset();
    seeded = sim.seedOrders(12, { seed: 21, invalidShare: 0.25 });
  });

  function client(overrides: Partial<PlexClientOptions> = {}): PlexClient {
    return new PlexClient({
      connection: 'plex-sim',
      baseUrl: sim.url,
      apiKey: DEMO_KEY.apiKey,
      limiter: unlimited,
      timeoutMs: 5_000,
      log: pino({ level: 'silent' }),
      ...overrides,
    });
  }

  const window = () => ({ since: new Date(Date.now() - 3_600_000), until: new Date(Date.now() + 1_000) });

  it('says precisely what is wrong with a connection', async () => {
    const reasons = async (c: PlexClient) => {
      const r = await c.testConnection();
      return [r.ok, r.reason, r.message] as const;
    };
    assert.deepEqual((await reasons(client())).slice(0, 2), [true, 'ok']);
    assert.deepEqual((await reasons(client({ apiKey: 'not-a-key' }))).slice(0, 2), [false, 'bad_key']);
    const tenant = await reasons(client({ tenantId: OTHER_TENANT.id }));
    assert.deepEqual(tenant.slice(0, 2), [false, 'tenant_denied']);
    assert.match(tenant[2], new RegExp(`grant the app's key access to tenant ${OTHER_TENANT.id}`));
    const sales = await reasons(client({ apiKey: SALES_ONLY_KEY }));
    assert.deepEqual(sales.slice(0, 2), [false, 'not_subscribed']);
    assert.match(sales[2], /subscribe the app to the "Customers API" API product/);
    const closed = await startPlexSimulator();
    await closed.stop();
    assert.equal((await reasons(client({ baseUrl: closed.url })))[1], 'unreachable');
  });

  it('detects every ready order once, sorted, with a version that follows quantities', async () => {
    const c = client();
    const refs = await c.detectReadyOrders({ ...window(), readyState: parseReadyState('Open') });
    assert.deepEqual(new Set(refs.map((r) => r.orderKey)), new Set(seeded.map((s) => s.orderKey)));
    assert.deepEqual(
      refs.map((r) => r.modifiedAt),
      [...refs.map((r) => r.modifiedAt)].sort(),
    );
    assert.ok(refs.every((r) => /^[0-9a-f]{16}$/.test(r.version)));

    const first = seeded[0]!;
    const before = refs.find((r) => r.orderKey === first.orderKey)!;
    sim.updateOrder(first.orderKey, { order: { note: 'call ahead' } });
    const noted = (await c.detectReadyOrders(window())).find((r) => r.orderKey === first.orderKey)!;
    assert.equal(noted.version, before.version);
    sim.updateOrder(first.orderKey, { releaseQuantity: 999 });
    const changed = await c.detectReadyOrders({
      since: new Date(Date.now() - 60_000),
      until: new Date(Date.now() + 1_000),
    });
    assert.notEqual(changed.find((r) => r.orderKey === first.orderKey)?.version, before.version);

    // A window before the orders existed finds nothing.
    assert.deepEqual(
      await c.detectReadyOrders({
        since: new Date(Date.now() - 7_200_000),
        until: new Date(Date.now() - 3_600_000),
      }),
      [],
    );
  });

  it('skips reading the details of orders the caller already knows', async () => {
    const c = client();
    const [known, ...rest] = seeded;
    const lineReads = () => sim.counters().callsByEndpoint['GET /sales/v1/orders/{id}/lines'] ?? 0;
    const r0 = lineReads();
    await c.detectReadyOrders(window());
    const perFullPoll = lineReads() - r0;
    const asked: string[][] = [];
    const r1 = lineReads();
    const refs = await c.detectReadyOrders({
      ...window(),
      known: async (keys) => {
        asked.push(keys);
        return new Set([known!.orderKey]);
      },
    });
    assert.equal(asked.length, 1);
    assert.ok(asked[0]!.includes(known!.orderKey), 'the candidates are offered before any detail is read');
    assert.deepEqual(new Set(refs.map((r) => r.orderKey)), new Set(rest.map((s) => s.orderKey)));
    assert.equal(lineReads() - r1, perFullPoll - 1, 'the known order costs no detail call');
  });

  it('detects by release status and by customer shipper status too', async () => {
    const c = client();
    const keys = new Set(seeded.map((s) => s.orderKey));
    const byRelease = await c.detectReadyOrders({ ...window(), readyState: parseReadyState('release:Open') });
    assert.deepEqual(new Set(byRelease.map((r) => r.orderKey)), keys);
    const byShipper = await c.detectReadyOrders({ ...window(), readyState: parseReadyState('shipper:Open') });
    assert.deepEqual(new Set(byShipper.map((r) => r.orderKey)), keys);
    // A shipper that already carries a tracking number is not ready any more.
    sim.updateOrder(seeded[1]!.orderKey, { shipper: { trackingNumber: '794600000099' } });
    const after = await c.detectReadyOrders({ ...window(), readyState: parseReadyState('shipper:Open') });
    assert.ok(!after.some((r) => r.orderKey === seeded[1]!.orderKey));
  });

  it('loads orders, and validation catches exactly the invalid ones before any carrier call', async () => {
    const c = client();
    for (const s of seeded) {
      const order = await c.loadOrder(s.orderKey);
      assert.equal(order.orderNumber, s.orderNumber);
      assert.equal(order.shipVia, s.shipVia);
      assert.equal(order.writeBackKeys.shipperId, s.shipperId);
      assert.ok(order.lines.length > 0 && order.lines.every((l) => l.quantity > 0));
      const { problems } = buildShipmentRequest(order, ROUTING, {
        idempotencyKey: `order/plex-sim/${s.orderKey}`,
        today: new Date().toISOString().slice(0, 10),
      });
      const codes = problems.map((p) => p.code);
      if (!s.invalid) assert.deepEqual(problems, [], `${s.orderNumber} ${s.country}`);
      else if (s.invalid === 'postal_code') assert.deepEqual(codes, ['postal_code_format'], s.orderNumber);
      else if (s.invalid === 'country') assert.deepEqual(codes, ['unknown_country'], s.orderNumber);
      else if (s.invalid === 'hs_code') assert.deepEqual(codes, ['customs_value_missing'], s.orderNumber);
      else assert.deepEqual(codes, ['missing_weight'], s.orderNumber);
    }
    assert.ok(seeded.some((s) => s.invalid));

    const invalid = seeded.find((s) => s.invalid)!;
    sim.fixOrder(invalid.orderKey);
    const fixed = buildShipmentRequest(await c.loadOrder(invalid.orderKey), ROUTING, {
      idempotencyKey: 'k',
      today: new Date().toISOString().slice(0, 10),
    });
    assert.deepEqual(fixed.problems, []);
  });

  it('writes tracking and status back to the customer shipper, once', async () => {
    const c = client();
    const s = seeded.find((x) => !x.invalid)!;
    const order: ErpOrder = await c.loadOrder(s.orderKey);
    const carrierId = sim.tenants().find((t) => t.id === DEMO_TENANT.id)!.carrierId;
    const cfg = {
      carrierIds: { fedex: carrierId },
      shippedStatus: 'Shipped',
      statusMap: { delivered: 'Delivered' },
    };
    const tracking = {
      carrier: 'fedex',
      trackingNumber: '794612345678',
      pieceTrackingNumbers: ['794612345678'],
      serviceType: 'FEDEX_GROUND',
      shipDate: new Date().toISOString().slice(0, 10),
      cost: { amount: 18.4, currency: 'USD' },
    };
    assert.deepEqual(await c.writeTracking(order.writeBackKeys, tracking, cfg), {
      shipperId: s.shipperId,
      written: true,
    });
    const shipper = sim.getShipper(s.orderKey)!;
    assert.equal(shipper.trackingNumber, '794612345678');
    assert.equal(shipper.status, 'Shipped');
    assert.equal(shipper.carrierId, carrierId);
    const writes = sim.counters().writes;
    assert.deepEqual(await c.writeTracking(order.writeBackKeys, tracking, cfg), {
      shipperId: s.shipperId,
      written: false,
    });
    assert.equal(sim.counters().writes, writes);

    await c.writeStatus(
      order.writeBackKeys,
      {
        status: 'delivered',
        at: '2026-11-24T15:00:00Z',
        description: 'Delivered',
        trackingNumber: '794612345678',
      },
      cfg,
    );
    const delivered = sim.getShipper(s.orderKey)!;
    assert.equal(delivered.status, 'Delivered');
    assert.match(delivered.deliveryDateTime ?? '', /^2026-11-24T15:00:00/);
    assert.match(delivered.shipperNote ?? '', /delivered \(794612345678\)/);
  });

  it('reports permission faults: 401, 403, and empty answers where data must exist', async () => {
    const c = client();
    const key = seeded[0]!.orderKey;
    sim.setFaults({ permissions: { releases: 'empty' } });
    await assert.rejects(
      c.loadOrder(key),
      (e: Error) => e instanceof PlexPermissionProblem && /Sales Releases API/.test(e.message),
    );
    sim.setFaults({ permissions: { releases: null, customers: 'empty' } });
    await assert.rejects(
      c.loadOrder(key),
      (e: Error) => e instanceof PlexPermissionProblem && /Customers API/.test(e.message),
    );
    sim.setFaults({ permissions: { customers: null, orders: 'unauthenticated' } });
    await assert.rejects(c.loadOrder(key), PlexAuthError);
    sim.setFaults({ permissions: { orders: null, shipperWrites: 'forbidden' } });
    const order = await c.loadOrder(key);
    await assert.rejects(
      c.writeStatus(order.writeBackKeys, {
        status: 'in_transit',
        at: new Date().toISOString(),
        description: 'x',
      }),
      (e: Error) => e instanceof PlexForbiddenError && /Customer Shippers API/.test(e.message),
    );
  });

  it('backs off on 429 as Plex asks, then surfaces the limit for the retry policy', async () => {
    sim.setLimits({ rateLimitPerMinute: 4, retryAfterSeconds: 1 });
    const sleeps: number[] = [];
    const acquired: string[] = [];
    const c = client({
      limiter: {
        acquire: async (key) => {
          acquired.push(key);
        },
      },
      rateLimitRetries: 2,
      random: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    for (let i = 0; i < 4; i++) await c.getOrder(seeded[0]!.orderKey);
    await assert.rejects(c.getOrder(seeded[0]!.orderKey), (e: Error) => {
      assert.ok(e instanceof PlexRateLimitError);
      assert.equal(e.retryAfterMs, 1_000);
      return true;
    });
    assert.deepEqual(sleeps, [1_000, 1_000]);
    assert.equal(sim.counters().tooManyRequests, 3);
    // Every request, retries included, went through the shared limiter under the key's limit key.
    assert.deepEqual(acquired, Array(7).fill(plexLimitKey(DEMO_KEY.apiKey)));
  });

  describe('activities', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase('postgres');
    });
    after(() => db.dispose());

    it('audit every Plex call with the workflow and order, and fail permanently on a permission problem', async () => {
      const audit = new AuditRepo(db.db);
      // The worker's wiring: clients from the factory, limited across processes in PostgreSQL.
      const clients = createPlexClientFactory({
        db: db.db,
        callsPerMinute: 10_000,
        settings: () => ({ baseUrl: sim.url, apiKey: DEMO_KEY.apiKey }),
        log: pino({ level: 'silent' }),
      });
      const port = plexErpPort({ clients, audit, log: pino({ level: 'silent' }) }, 'plex-sim');
      const env = new MockActivityEnvironment(
        { workflowExecution: { workflowId: 'order/plex-sim/x', runId: 'r1' } },
        { logger: new DefaultLogger('ERROR') },
      );
      const key = seeded[0]!.orderKey;
      const order = (await env.run(() => port.loadOrder(key))) as ErpOrder;
      assert.equal(order.orderKey, key);
      const rows = await audit.listForWorkflow('order/plex-sim/x');
      assert.ok(rows.length >= 6, `${rows.length} audit rows`);
      assert.ok(rows.every((r) => r.system === 'plex' && r.order_key === key && r.connection === 'plex-sim'));
      assert.ok(rows.some((r) => r.action === 'plex.getOrder' && r.http_status === 200));
      assert.ok(!JSON.stringify(rows).includes(DEMO_KEY.apiKey));
      const windows = await sql<{
        count: number;
      }>`SELECT sum(count)::int AS count FROM rate_limit_windows WHERE key LIKE 'plex:%'`.execute(db.db);
      // At 10,000 a minute the process takes leases of 20 units: every call is covered, and at most
      // one lease's remainder is left unused.
      const units = windows.rows[0]?.count ?? 0;
      assert.ok(
        units >= rows.length && units < rows.length + 20,
        `every call took a slot in the shared limiter (${units} units for ${rows.length} calls)`,
      );

      sim.setFaults({ permissions: { releases: 'empty' } });
      await assert.rejects(
        env.run(() => port.loadOrder(key)),
        (e: Error & { type?: string; nonRetryable?: boolean }) => {
          assert.equal(e.type, 'PlexPermissionProblem');
          assert.equal(e.nonRetryable, true);
          assert.match(e.message, /Sales Releases API/);
          return true;
        },
      );
      sim.setFaults({ permissions: { releases: null } });
    });
  });
});
