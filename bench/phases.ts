import { randomBytes } from 'node:crypto';
import { ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ErpOrder } from '../domain/order';
import type { FedexSimulator } from '../simulators/fedex';
import type { PlexSimulator } from '../simulators/plex';
import { createLogger } from '../lib/logger';
import { createWorker } from '../workers/worker';
import type { erpPoll, trackingSweep } from '../workflows/schedules';
import { averageCost, historyCost, type HistoryCost } from './history';
import type { Infra } from './infra';
import { createNullActivities } from './null-activities';
import type { Pipeline } from './pipeline';
import { mapLimit, percentile, sleep, waitUntil } from './stats';

const silent = createLogger({ level: 'silent' });

// One function per measured phase. Each is bounded by its count and by `timeoutMs`; a phase that
// runs out of time reports how far it got rather than failing the run.

const TRACK_ROUTE = 'POST /track/v1/trackingnumbers';
const OAUTH_ROUTE = 'POST /oauth/token';

/** Simulated days that take any seeded FedEx service to delivery. */
const DELIVERY_SECONDS = 8 * 24 * 3600;

export interface ThroughputResult {
  orders: number;
  completed: number;
  seconds: number;
  perSecond: number;
}

/**
 * Watch the Plex simulator until each shipper carries a tracking number; times by shipper id. With
 * `parked` (asked every 5 s for the shippers still waiting), a shipper it names stops being waited
 * for: its order stopped in needs_attention and will not get a tracking number on its own.
 */
export async function watchTracking(
  plex: PlexSimulator,
  shipperIds: string[],
  timeoutMs: number,
  parked?: (waiting: string[]) => Promise<Set<string>>,
) {
  const seen = new Map<string, number>();
  const pending = new Set(shipperIds);
  let nextParkedCheck = Date.now() + 5_000;
  await waitUntil(
    async () => {
      const now = Date.now();
      for (const id of pending) {
        if (plex.trackingNumberOf(id)) {
          seen.set(id, now);
          pending.delete(id);
        }
      }
      if (parked && pending.size > 0 && now >= nextParkedCheck) {
        nextParkedCheck = now + 5_000;
        for (const id of await parked([...pending])) pending.delete(id);
      }
      return pending.size === 0;
    },
    timeoutMs,
    100,
  );
  return seen;
}

/** Orders of `connection` among `orderKeys` that stopped in needs_attention, with their reasons. */
async function parkedOrders(p: Pipeline, orderKeys: string[]): Promise<Map<string, string>> {
  const rows = await p.repos.orders.getMany(p.erpConnection, orderKeys);
  const out = new Map<string, string>();
  for (const r of rows.values()) if (r.status === 'needs_attention') out.set(r.order_key, r.reason ?? '');
  return out;
}

const sumValues = (r: Record<string, number>, skip?: string) =>
  Object.entries(r).reduce((s, [k, v]) => (k === skip ? s : s + v), 0);

export const plexCalls = (plex: PlexSimulator) => sumValues(plex.counters().callsByEndpoint);

/**
 * Which step of the Plex -> carrier pipeline a Plex request (the simulator's route key: method,
 * route and query parameter names) serves, by where the connector makes it: the poll (with the reads
 * its orders' loads share), the load (its change check, or a fresh read when the poll's is gone), the
 * write-back (the shipper read before the PUT, and the PUT; tracking and status share both routes).
 */
export function plexPurposeOf(route: string): 'detect' | 'load' | 'write back' | 'other' {
  const [endpoint = '', query = ''] = route.split('?');
  const params = query ? query.split('&') : [];
  if (
    /customer-shippers\/\{id\}$/.test(endpoint) ||
    (endpoint.endsWith('/customer-shippers') && params.includes('id'))
  )
    return 'write back';
  const changeCheck = params.includes('modifiedDateBegin') || params.includes('modifiedByDateBegin');
  if (endpoint === 'GET /sales/v1/orders')
    return params.includes('status') ? 'detect' : changeCheck ? 'load' : 'other';
  if (endpoint === 'GET /sales/v1/releases' || endpoint === 'GET /shipping/v1/customer-shippers')
    return changeCheck ? 'load' : 'detect';
  if (
    [
      'GET /sales/v1/orders/{id}/lines',
      'GET /mdm/v1/customers',
      'GET /mdm/v1/customers/{customerId}/addresses',
      'GET /mdm/v1/parts',
      'GET /shipping/v1-beta1/inventory/parts/{partId}/shipping-details',
    ].includes(endpoint)
  )
    return 'detect';
  if (
    [
      'GET /sales/v1/orders/{id}',
      'GET /mdm/v1/customers/{id}',
      'GET /mdm/v1/customers/{customerId}/addresses/{addressId}',
      'GET /shipping/v1/customer-shippers/{shipperId}/lines',
    ].includes(endpoint)
  )
    return 'load';
  return 'other';
}

/** Plex calls by purpose (plexPurposeOf) between two readings of the simulator's callsByRoute(). */
export function plexCallsByPurpose(after: Record<string, number>, before: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after)) {
    const calls = n - (before[route] ?? 0);
    if (calls <= 0) continue;
    const purpose = plexPurposeOf(route);
    out[purpose] = (out[purpose] ?? 0) + calls;
  }
  return out;
}
export const fedexApiCalls = (fedex: FedexSimulator) =>
  sumValues(fedex.counters().requestsByEndpoint, OAUTH_ROUTE);

/** The real pipeline: N ready orders in Plex, one poll, until every tracking number is in Plex. */
export async function realThroughput(infra: Infra, p: Pipeline, n: number, timeoutMs: number) {
  const orders = p.plex.seedOrders(n, { invalidShare: 0 });
  const plexBefore = plexCalls(p.plex);
  const plexRoutesBefore = p.plex.callsByRoute();
  const fedexBefore = fedexApiCalls(p.fedex);
  const t0 = Date.now();
  const poll = infra.client.workflow.execute<typeof erpPoll>('erpPoll', {
    taskQueue: p.taskQueue,
    workflowId: `bench-poll-${randomBytes(4).toString('hex')}`,
    args: [{ erpConnection: p.erpConnection }],
  });
  // Every order is valid, so one in needs_attention is a bug: it is reported with its reason, and
  // the phase does not wait for it until its time runs out.
  const orderOf = new Map(orders.map((o) => [o.shipperId, o.orderKey]));
  const parked = new Map<string, string>();
  const seen = await watchTracking(
    p.plex,
    orders.map((o) => o.shipperId),
    timeoutMs,
    async (waiting) => {
      const found = await parkedOrders(
        p,
        waiting.map((id) => orderOf.get(id)!),
      );
      for (const [key, reason] of found) parked.set(key, reason);
      return new Set(waiting.filter((id) => found.has(orderOf.get(id)!)));
    },
  );
  await poll;
  const last = Math.max(t0, ...seen.values());
  const seconds = (last - t0) / 1000;
  const result: ThroughputResult = {
    orders: n,
    completed: seen.size,
    seconds,
    perSecond: seen.size / seconds,
  };
  return {
    result,
    orderKeys: orders.map((o) => o.orderKey),
    parked,
    plexCallsPerOrder: (plexCalls(p.plex) - plexBefore) / n,
    plexCallsByPurpose: plexCallsByPurpose(p.plex.callsByRoute(), plexRoutesBefore),
    fedexCallsPerOrder: (fedexApiCalls(p.fedex) - fedexBefore) / n,
  };
}

/** The null pipeline on the same server: the same workflows and poll, canned activity answers. */
export async function nullThroughput(
  infra: Infra,
  p: Pipeline,
  order: ErpOrder,
  n: number,
  workers: number,
  timeoutMs: number,
): Promise<ThroughputResult> {
  const run = randomBytes(3).toString('hex');
  const taskQueue = `bench-null-${run}`;
  const erpConnection = `null-${run}`;
  const refs = Array.from({ length: n }, (_, i) => ({ orderKey: `null-${i}`, orderNumber: `NULL-${i}` }));
  const written = new Map<string, number>();
  const activities = createNullActivities({
    client: infra.client,
    taskQueue,
    erpConnection,
    route: p.connectors.route(p.erpConnection),
    order,
    ready: () => refs,
    onTrackingWritten: (key) => void written.set(key, Date.now()),
  });
  const running = await Promise.all(
    Array.from({ length: workers }, async () => {
      // A connection per worker: the SDK admits one worker per task queue and connection.
      const connection = await NativeConnection.connect({ address: infra.server.address });
      const worker = await createWorker({
        connection,
        namespace: infra.server.namespace,
        taskQueue,
        workflowBundlePath: infra.bundlePath,
        log: silent,
        activities,
      });
      return { worker, connection, done: worker.run() };
    }),
  );
  try {
    const t0 = Date.now();
    await infra.client.workflow.execute<typeof erpPoll>('erpPoll', {
      taskQueue,
      workflowId: `bench-null-poll-${run}`,
      args: [{ erpConnection }],
    });
    await waitUntil(() => written.size >= n, timeoutMs, 100);
    const seconds = (Math.max(t0, ...written.values()) - t0) / 1000;
    return { orders: n, completed: written.size, seconds, perSecond: written.size / seconds };
  } finally {
    // The null orders stay parked on the server; without a worker nothing more happens to them.
    for (const r of running) r.worker.shutdown();
    await Promise.all(running.map((r) => r.done.catch(() => undefined)));
    for (const r of running) await r.connection.close();
  }
}

export interface SweepResult {
  shipments: number;
  changed: number;
  trackCalls: number;
}

export async function sweep(infra: Infra, p: Pipeline, advanceSeconds: number): Promise<SweepResult> {
  if (advanceSeconds > 0) p.fedex.advanceClock(advanceSeconds);
  const before = p.fedex.counters().requestsByEndpoint[TRACK_ROUTE] ?? 0;
  const r = await infra.client.workflow.execute<typeof trackingSweep>('trackingSweep', {
    taskQueue: p.taskQueue,
    workflowId: `bench-sweep-${randomBytes(4).toString('hex')}`,
    args: [{ carrierConnection: p.carrierConnection }],
  });
  const trackCalls = (p.fedex.counters().requestsByEndpoint[TRACK_ROUTE] ?? 0) - before;
  return { shipments: r.shipments, changed: r.changed, trackCalls };
}

/** Deliver the throughput orders (one sweep after the clock moves on), then read a sample of histories. */
export async function deliveredCost(
  infra: Infra,
  p: Pipeline,
  orderKeys: string[],
  sample: number,
  timeoutMs: number,
) {
  const delivery = await sweep(infra, p, DELIVERY_SECONDS);
  const ids = orderKeys.map((k) => `order/${p.erpConnection}/${k}`);
  const deadline = Date.now() + timeoutMs;
  const statuses = await mapLimit(ids, 50, async (id) => {
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    const result = infra.client.workflow.getHandle(id).result() as Promise<{ status: string }>;
    const r = await Promise.race([result, sleep(left).then(() => ({ status: 'timeout' }))]);
    return r.status;
  });
  const delivered = ids.filter((_, i) => statuses[i] === 'delivered');
  const picked = [...delivered].sort(() => Math.random() - 0.5).slice(0, sample);
  const costs: HistoryCost[] = await mapLimit(picked, 10, (id) => historyCost(infra.client, id));
  return { delivery, delivered: delivered.length, sampled: costs.length, cost: averageCost(costs) };
}

export interface LatencyResult {
  orders: number;
  completed: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** The last poll runs: how long one took and how many orders it found. */
  polls: { runs: number; meanSeconds: number; meanFound: number };
}

/**
 * Orders arrive one by one in Plex while a real Temporal Schedule runs the ERP poll every 5 s;
 * latency is from the order becoming ready to its tracking number being in Plex.
 */
export async function latency(
  infra: Infra,
  p: Pipeline,
  n: number,
  spanSeconds: number,
  timeoutMs: number,
): Promise<LatencyResult> {
  const scheduleId = `bench-erp-poll-${randomBytes(3).toString('hex')}`;
  const schedule = await infra.client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: '5s' }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'erpPoll',
      taskQueue: p.taskQueue,
      args: [{ erpConnection: p.erpConnection }],
      workflowId: scheduleId,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  });
  try {
    const readyAt = new Map<string, number>();
    const gapMs = (spanSeconds * 1000) / n;
    const seeding = (async () => {
      for (let i = 0; i < n; i++) {
        const [o] = p.plex.seedOrders(1, { invalidShare: 0 });
        readyAt.set(o!.shipperId, Date.now());
        await sleep(gapMs);
      }
    })();
    // Watch as orders arrive: the watcher's list grows while seeding runs.
    const seen = new Map<string, number>();
    await waitUntil(
      () => {
        const now = Date.now();
        for (const id of readyAt.keys()) {
          if (!seen.has(id) && p.plex.trackingNumberOf(id)) seen.set(id, now);
        }
        return seen.size >= n;
      },
      spanSeconds * 1000 + timeoutMs,
      100,
    );
    await seeding;
    const polls = await pollRuns(infra, schedule);
    const latencies = [...seen].map(([id, at]) => (at - readyAt.get(id)!) / 1000).sort((a, b) => a - b);
    return {
      orders: n,
      completed: seen.size,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? NaN,
      polls,
    };
  } finally {
    await schedule.delete();
  }
}

/** The schedule's recent poll runs (the server keeps the last 10): duration and orders found. */
async function pollRuns(infra: Infra, schedule: ScheduleHandle) {
  const { info } = await schedule.describe();
  const runs = await Promise.all(
    info.recentActions.map(async (a) => {
      const handle = infra.client.workflow.getHandle<typeof erpPoll>(
        a.action.workflow.workflowId,
        a.action.workflow.firstExecutionRunId,
      );
      const d = await handle.describe();
      if (!d.closeTime) return undefined;
      const r = await handle.result();
      return { seconds: (d.closeTime.getTime() - d.startTime.getTime()) / 1000, found: r.found };
    }),
  );
  const done = runs.filter((r) => r !== undefined);
  const mean = (f: (r: (typeof done)[number]) => number) =>
    done.reduce((s, r) => s + f(r), 0) / Math.max(1, done.length);
  return { runs: done.length, meanSeconds: mean((r) => r.seconds), meanFound: mean((r) => r.found) };
}

export interface LimitResult {
  orders: number;
  completed: number;
  limitPer10s: number;
  apiCalls: number;
  seconds: number;
  ratePer10s: number;
  /** Calls per limit over the simulator's aligned 10-s windows wholly inside the busy span. */
  share: number;
  fullWindows: number;
  /** The same over the whole busy span (start-up and tail included). */
  spanShare: number;
  http429: number;
}

/** Ship N orders against the lowered FedEx limit, sampling the simulator's counters as it goes. */
export async function limits(
  infra: Infra,
  p: Pipeline,
  n: number,
  limitPer10s: number,
  timeoutMs: number,
): Promise<LimitResult> {
  const orders = p.plex.seedOrders(n, { invalidShare: 0 });
  const samples: Array<{ t: number; calls: number }> = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      samples.push({ t: Date.now(), calls: fedexApiCalls(p.fedex) });
      await sleep(250);
    }
  })();
  const poll = infra.client.workflow.execute<typeof erpPoll>('erpPoll', {
    taskQueue: p.taskQueue,
    workflowId: `bench-limits-poll-${randomBytes(4).toString('hex')}`,
    args: [{ erpConnection: p.erpConnection }],
  });
  const seen = await watchTracking(
    p.plex,
    orders.map((o) => o.shipperId),
    timeoutMs,
  );
  await poll;
  sampling = false;
  await sampler;
  samples.push({ t: Date.now(), calls: fedexApiCalls(p.fedex) });

  // The busy span: from the first sample that saw a call to the last one that saw a new call.
  const start = samples.findIndex((s) => s.calls > 0);
  let end = samples.length - 1;
  while (end > start && samples[end - 1]!.calls === samples[end]!.calls) end--;
  const first = samples[Math.max(0, start - 1)]!;
  const lastS = samples[end]!;
  const seconds = (lastS.t - first.t) / 1000;
  const apiCalls = lastS.calls - first.calls;
  const ratePer10s = seconds > 0 ? (apiCalls / seconds) * 10 : NaN;

  // Calls per aligned 10-s window (the simulator's own windows). The share is taken over the
  // windows wholly inside the busy span, where the pipeline had work waiting for the limit.
  const perWindow = new Map<number, number>();
  for (let i = 1; i < samples.length; i++) {
    const w = Math.floor(samples[i]!.t / 10_000);
    perWindow.set(w, (perWindow.get(w) ?? 0) + samples[i]!.calls - samples[i - 1]!.calls);
  }
  const full = [...perWindow.entries()]
    .filter(([w]) => w * 10_000 >= first.t && (w + 1) * 10_000 <= lastS.t)
    .map(([, c]) => c);
  const fullShare = full.length > 0 ? full.reduce((a, b) => a + b, 0) / (full.length * limitPer10s) : NaN;
  return {
    orders: n,
    completed: seen.size,
    limitPer10s,
    apiCalls,
    seconds,
    ratePer10s,
    share: fullShare,
    fullWindows: full.length,
    spanShare: ratePer10s / limitPer10s,
    http429: p.fedex.counters().tooManyRequestsSent,
  };
}

/** Token requests per FedEx credential, per started hour of the simulator's life. */
export function tokenRequests(fedex: FedexSimulator, startedAt: number) {
  const hours = Math.max(1, Math.ceil((Date.now() - startedAt) / 3600_000));
  const byClient = fedex.counters().tokenRequestsByClient;
  return Object.fromEntries(Object.entries(byClient).map(([c, n]) => [c, n / hours]));
}
