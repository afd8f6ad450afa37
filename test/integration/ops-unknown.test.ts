// The operator API (clients/http/ops-routes.ts) asked about things it does not know: every route,
// taken from the router itself, answers an unknown order, schedule, label or connection with 404
// and a one-line {"error"}; an order it knows whose workflow is not running is a 409, never a 500.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { testConnection } from '../../clients/cli/connections';
import { opsRoutes } from '../../clients/http/ops-routes';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import { loadConfig, type Config } from '../../clients/config';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { masterKey, Vault } from '../../lib/vault';
import { createTestDatabase, type TestDatabase } from '../helpers/db';
import { temporalTestEnv, testTaskQueue } from '../helpers/temporal';

const TOKEN = 'ops-unknown-token';
const log = createLogger({ level: 'silent' });

interface Case {
  method: string;
  path: string;
  /** What the message must name. */
  mentions: string;
}

/** A value for one `:param` of a route; `unknown` ones are what the 404 is about. */
interface ParamValue {
  value: string;
  unknown: boolean;
  mentions?: string;
}

describe('operator API: unknown orders, schedules, labels and connections', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let repos: Repos;
  let config: Config;
  let server: RunningHttpServer;
  let routeKeys: string[];
  // Unique on the shared dev server.
  const suffix = testTaskQueue('ops-unknown');
  const managedNotCreated = `erp-poll/not-created-${suffix}`;
  let knownConnection: string;

  before(async () => {
    env = await temporalTestEnv();
    db = await createTestDatabase('postgres');
    repos = createRepos(db.db);
    config = loadConfig({ env: {} });
    // As the app does at start: the configured connections are mirrored into the database.
    for (const [name, c] of Object.entries(config.connections))
      await repos.connections.upsert(name, c.system, 'http://127.0.0.1:1', {});
    knownConnection = config.mappings[0]!.erp;
    const vault = new Vault({ db: db.db, keys: { current: masterKey(Buffer.alloc(32, 3)), previous: [] } });
    const routes = opsRoutes({
      repos,
      client: env.client,
      scheduleIds: () => [managedNotCreated],
      testConnection: (name) => testConnection(name, { config, db: db.db, vault, log }),
      token: TOKEN,
    });
    routeKeys = Object.keys(routes);
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
    await db?.dispose();
    await env?.teardown();
  });

  // The body every POST carries: valid for each route that reads one (cancel, backfill), so
  // the answer is about the id, not the body.
  const BODY = JSON.stringify({
    reason: 'operator test',
    start: '2026-01-01T00:00:00Z',
    end: '2026-01-01T00:01:00Z',
  });

  const call = async (method: string, path: string) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: method === 'POST' ? BODY : undefined,
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), text };
  };

  /** 404, JSON `{"error": one line}` naming what is unknown. */
  const assertUnknown = async (c: Case) => {
    const label = `${c.method} ${c.path}`;
    const r = await call(c.method, c.path);
    assert.equal(r.status, 404, `${label}: ${r.status} ${r.text}`);
    assert.equal(r.type, 'application/json', label);
    const body = JSON.parse(r.text) as { error?: unknown };
    assert.deepEqual(Object.keys(body), ['error'], `${label}: ${r.text}`);
    assert.equal(typeof body.error, 'string', label);
    const error = body.error as string;
    assert.doesNotMatch(error, /[\r\n\u2028\u2029]/, `${label}: one line: ${JSON.stringify(error)}`);
    assert.ok(error.includes(c.mentions), `${label}: "${error}" names ${c.mentions}`);
    return error;
  };

  /**
   * The values each route parameter is walked with, by "<collection>:<param>". A route whose
   * parameter is not here fails the walk: add its unknown values (and its 404) when adding it.
   */
  const paramValues = (): Record<string, ParamValue[]> => ({
    'orders:connection': [
      { value: 'no-such-connection', unknown: true },
      { value: knownConnection, unknown: false },
    ],
    'orders:orderKey': [
      { value: 'no-such-order', unknown: true },
      // Decoded from %0A: the message must still be one line.
      { value: 'no-such-order\nsecond line', unknown: true, mentions: 'no-such-order' },
    ],
    'labels:id': [{ value: 'no-such-label', unknown: true }],
    'schedules:id': [
      { value: 'no-such-schedule', unknown: true },
      // One this app manages but the Temporal server does not have (yet).
      { value: managedNotCreated, unknown: true },
      { value: 'no-such-schedule\r\nx', unknown: true, mentions: 'no-such-schedule' },
    ],
    'schedules:action': ['pause', 'resume', 'trigger', 'backfill'].map((value) => ({
      value,
      unknown: false,
    })),
    'connections:name': [
      { value: 'no-such-connection', unknown: true },
      { value: 'no-such-connection\nx', unknown: true, mentions: 'no-such-connection' },
    ],
  });

  /** Routes that name no order, schedule, label or connection in their path: how each is walked, or why not. */
  const withoutPathIds = (): Record<string, Case[] | string> => ({
    'GET /api/orders': [
      { method: 'GET', path: '/api/orders?connection=no-such-connection', mentions: 'no-such-connection' },
    ],
    'GET /api/schedules': 'lists the schedules this app manages; names none',
    'POST /api/orders/retry-needs-attention': 'acts on the parked orders the database lists; names none',
  });

  /** Every combination of the route's parameter values with at least one unknown. */
  const casesFor = (key: string): Case[] | string => {
    const [method, pattern] = key.split(' ') as [string, string];
    const segments = pattern.split('/');
    const params = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
    if (params.length === 0) {
      const known = withoutPathIds()[key];
      assert.ok(known, `${key} names nothing in its path and is not classified in this test: add it`);
      return known;
    }
    const collection = segments[2]!; // /api/<collection>/...
    const table = paramValues();
    let combos: Array<Record<string, ParamValue>> = [{}];
    for (const param of params) {
      const values = table[`${collection}:${param}`];
      assert.ok(values, `${key}: the test has no values for :${param}: add its unknown values`);
      combos = combos.flatMap((c) => values.map((v) => ({ ...c, [param]: v })));
    }
    return combos
      .filter((c) => Object.values(c).some((v) => v.unknown))
      .map((c) => {
        const path = segments
          .map((s) => (s.startsWith(':') ? encodeURIComponent(c[s.slice(1)]!.value) : s))
          .join('/');
        const first = Object.values(c).find((v) => v.unknown)!;
        return { method, path, mentions: first.mentions ?? first.value };
      });
  };

  it('walks every route of the router with unknown ids: 404 and a one-line message', async () => {
    assert.ok(routeKeys.length >= 10, `the router has its routes (${routeKeys.length})`);
    const walked: string[] = [];
    for (const key of routeKeys) {
      const cases = casesFor(key);
      if (typeof cases === 'string') continue;
      assert.ok(cases.length > 0, `${key}: at least one case`);
      for (const c of cases) await assertUnknown(c);
      walked.push(key);
    }
    // Every route that names an order, schedule, label or connection was walked.
    assert.deepEqual(
      routeKeys.filter((k) => typeof withoutPathIds()[k] !== 'string'),
      walked,
    );
  });

  it('cancel of an unknown order (the issue): 404 naming the order, or the connection when that is unknown too', async () => {
    const inKnown = await assertUnknown({
      method: 'POST',
      path: `/api/orders/${encodeURIComponent(knownConnection)}/no-such-order/cancel`,
      mentions: 'no-such-order',
    });
    assert.equal(inKnown, `no order no-such-order in connection ${knownConnection}`);
    const nowhere = await assertUnknown({
      method: 'POST',
      path: '/api/orders/no-such-connection/no-such-order/cancel',
      mentions: 'no-such-connection',
    });
    assert.equal(nowhere, 'no connection no-such-connection (so no order no-such-order)');
  });

  it('an unknown connection test names the configured ones', async () => {
    const error = await assertUnknown({
      method: 'POST',
      path: '/api/connections/no-such-connection/test',
      mentions: 'no-such-connection',
    });
    assert.match(error, new RegExp(`\\(configured: .*${knownConnection}`));
  });

  it('a known order whose workflow is not running: retry and cancel answer 409, show and labels still answer', async () => {
    const orderKey = `never-started-${suffix}`;
    await repos.orders.upsertDetected({
      connection: knownConnection,
      orderKey,
      erpOrderNumber: 'SO-OPS-1',
      workflowId: `order/${knownConnection}/${orderKey}`,
    });
    const base = `/api/orders/${encodeURIComponent(knownConnection)}/${orderKey}`;
    for (const what of ['retry', 'cancel']) {
      const r = await call('POST', `${base}/${what}`);
      assert.equal(r.status, 409, `${what}: ${r.text}`);
      assert.deepEqual(JSON.parse(r.text), {
        error: `order ${orderKey} in connection ${knownConnection} has no running workflow (status detected): nothing to ${what}`,
      });
    }
    assert.equal((await call('GET', base)).status, 200);
    const labels = await call('GET', `${base}/labels`);
    assert.equal(labels.status, 404);
    assert.deepEqual(JSON.parse(labels.text), {
      error: `no shipment for order ${orderKey} in connection ${knownConnection}`,
    });

    // retry --all-failed counts it as not running instead of failing the whole request.
    await repos.orders.setStatus(knownConnection, orderKey, 'needs_attention', { reason: 'test' });
    const all = await call('POST', '/api/orders/retry-needs-attention');
    assert.equal(all.status, 202, all.text);
    assert.deepEqual(JSON.parse(all.text), { signalled: 0, notRunning: 1 });
  });

  it('a running workflow takes the signal (202); once it has ended, the same call is a 409', async () => {
    const orderKey = `running-${suffix}`;
    const workflowId = `order/${knownConnection}/${orderKey}`;
    await repos.orders.upsertDetected({
      connection: knownConnection,
      orderKey,
      erpOrderNumber: 'SO-OPS-2',
      workflowId,
    });
    // No worker polls this queue: the workflow stays open without running, which is all a signal needs.
    const handle = await env.client.workflow.start('orderShipment', {
      taskQueue: `${suffix}-no-worker`,
      workflowId,
      args: [],
    });
    const path = `/api/orders/${encodeURIComponent(knownConnection)}/${orderKey}/retry`;
    try {
      const r = await call('POST', path);
      assert.equal(r.status, 202, r.text);
      assert.deepEqual(JSON.parse(r.text), { signalled: 'retry' });
      const audit = await repos.audit.listForOrder(knownConnection, orderKey);
      assert.ok(audit.some((a) => a.action === 'order.retry.requested'));
    } finally {
      await handle.terminate('test over');
    }
    const ended = await call('POST', path);
    assert.equal(ended.status, 409, ended.text);
    assert.match(
      JSON.parse(ended.text).error,
      /has no running workflow \(status detected\): nothing to retry$/,
    );
  });
});
