import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { sql } from 'kysely';
import { createShipStationClientFactory } from '../connectors/shipstation/port';
import { shipStationWebhookPath } from '../connectors/shipstation/system';
import { startHttpServer } from '../clients/http/server';
import { loadConfig } from '../clients/config';
import { createRepos } from '../lib/db/repos';
import { createLogger } from '../lib/logger';
import { Registry } from '../lib/metrics';
import { freePort } from '../lib/process';
import { Vault } from '../lib/vault';
import { startPlexSimulator } from '../simulators/plex';
import { startShipStationSimulator, type ShipStationSimulator } from '../simulators/shipstation';
import type { erpPoll } from '../workflows/schedules';
import type { Infra } from './infra';
import { watchTracking } from './phases';
import { startAppWorkers } from './pipeline';
import { sleep } from './stats';

// Plex -> ShipStation (the warehouse path), built from the app's parts as bench/pipeline.ts builds
// Plex -> FedEx: buildConnectors + createActivities on createWorker workers, the connections
// configured as real ones (`simulator: never`, env credentials, the simulators' URLs), and the
// app's HTTP server with the real ShipStation webhook routes, to which the simulator posts
// SHIP_NOTIFY and ORDER_NOTIFY. The simulated warehouse ships each order SHIP_AFTER_SECONDS after it
// arrives (clock at real speed, so V1 timestamps and the shipment poll's window agree); a Temporal
// Schedule runs the shipment poll, the safety net under the webhooks, every SHIPMENT_POLL_SECONDS.
// ShipStation keeps its documented V1 limit (40 requests a minute per key pair) in the simulator
// and in the config: the figure is bounded by it.

/** ShipStation V1: 40 requests per minute per API key pair (reference §A3, simulator default). */
export const SHIPSTATION_V1_PER_MINUTE = 40;
/** Seconds from an order's arrival in ShipStation (awaiting_shipment) to the warehouse shipping it. */
export const SHIP_AFTER_SECONDS = 10;
/** The shipment poll Schedule's interval (production default 10 min; the demo's is 15 s). */
export const SHIPMENT_POLL_SECONDS = 60;
/** Plex has room, as in the FedEx pipelines: the figure is about ShipStation. */
const PLEX_PER_MINUTE = 60_000;

export interface ShipStationPhaseOptions {
  orders: number;
  workers: number;
  timeoutMs: number;
}

export interface ShipStationPhaseResult {
  orders: number;
  completed: number;
  /** First ERP poll started -> last tracking number in Plex. */
  seconds: number;
  perSecond: number;
  /** V1 requests during the phase, by class, and per order. */
  requests: { createUpdate: number; shipments: number; other: number; total: number };
  perOrder: { createUpdate: number; shipments: number; other: number; total: number };
  /** Every V1 endpoint with its count (for "other"). */
  byEndpoint: Record<string, number>;
  http429: number;
  /** Requests per limit over the simulator's 60-s windows wholly inside the busy span; NaN without one. */
  share: number;
  fullWindows: number;
  /** Requests per limit over the whole busy span (start and tail included). */
  spanShare: number;
  busySeconds: number;
  busyRequests: number;
  /** Shipments handed to order workflows, by the path that brought them. */
  received: { webhook: number; poll: number };
  /** The phase's orders by status in the orders table when the phase ended. */
  statuses: Record<string, number>;
  /** The simulator's webhook deliveries: attempts without a 2xx (or 5-s timeout), deliveries never answered 2xx. */
  webhooks: { deliveries: number; failedAttempts: number; undelivered: number };
  shipAfterSeconds: number;
  shipmentPollSeconds: number;
}

const V1_WEBHOOK_EVENTS = ['SHIP_NOTIFY', 'ORDER_NOTIFY'] as const;

/** V1 requests the simulator counted (every API route but V2's), by "METHOD /template". */
function v1Requests(ss: ShipStationSimulator): Record<string, number> {
  return Object.fromEntries(
    Object.entries(ss.counters().requestsByEndpoint).filter(([k]) => !k.split(' ')[1]!.startsWith('/v2/')),
  );
}
const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

function classify(r: Record<string, number>) {
  let createUpdate = 0;
  let shipments = 0;
  let other = 0;
  for (const [k, v] of Object.entries(r)) {
    if (k === 'POST /orders/createorder' || k === 'POST /orders/createorders') createUpdate += v;
    else if (k === 'GET /shipments') shipments += v;
    else other += v;
  }
  return { createUpdate, shipments, other, total: createUpdate + shipments + other };
}

export async function shipStationPhase(
  infra: Infra,
  opts: ShipStationPhaseOptions,
): Promise<ShipStationPhaseResult> {
  const log = createLogger({ level: 'silent' });
  const run = randomBytes(3).toString('hex');
  const erpConnection = `plex-ss-${run}`;
  const warehouseConnection = `shipstation-${run}`;
  const plexKey = randomBytes(16).toString('hex');
  const v1 = { apiKey: randomBytes(12).toString('hex'), apiSecret: randomBytes(16).toString('hex') };
  const webhookSecret = randomBytes(24).toString('base64url');
  const stops: Array<() => Promise<void>> = [];
  try {
    const plex = await startPlexSimulator({
      keys: [{ apiKey: plexKey }],
      rateLimitPerMinute: PLEX_PER_MINUTE,
    });
    stops.push(() => plex.stop());
    const ss = await startShipStationSimulator({
      v1Keys: [v1],
      v1RateLimitPerMinute: SHIPSTATION_V1_PER_MINUTE,
      clockSpeed: 1,
      shipAfterSeconds: SHIP_AFTER_SECONDS,
    });
    stops.push(() => ss.stop());

    // The simulator must know where to post: the HTTP port is chosen first, as `start` does.
    const port = await freePort('127.0.0.1');
    const httpBaseUrl = `http://127.0.0.1:${port}`;
    const file = path.join(infra.tmpDir, `shipstation-${run}.yaml`);
    fs.writeFileSync(file, configYaml(erpConnection, warehouseConnection, plex.url, ss.url));
    const env = {
      BENCH_PLEX_KEY: plexKey,
      BENCH_SS_KEY: v1.apiKey,
      BENCH_SS_SECRET: v1.apiSecret,
      BENCH_SS_WEBHOOK: webhookSecret,
    };
    const config = loadConfig({ file, env: {}, cwd: infra.tmpDir });
    const repos = createRepos(infra.database.db);
    const vault = new Vault({
      db: infra.database.db,
      keys: { current: { id: 'bench', key: randomBytes(32) }, previous: [] },
    });
    const taskQueue = `bench-ss-${run}`;

    // Own connectors per worker, as separate processes would: the limit is shared through PostgreSQL.
    const { connectors: first } = await startAppWorkers(infra, {
      config,
      repos,
      vault,
      env,
      log,
      taskQueue,
      workers: opts.workers,
      httpBaseUrl,
      stops,
      // Only the bench's clean-up: an activity waiting for a limiter slot ignores cancellation,
      // and the phase must end even then (nothing else differs from the app's worker).
      workerOptions: { shutdownForceTime: '30s' },
    });

    // The app's HTTP server with the real webhook routes of the first worker's connectors.
    const http = await startHttpServer({
      host: '127.0.0.1',
      port,
      log,
      metrics: new Registry(),
      health: [],
      routes: first.webhookRoutes(async () => undefined, infra.client),
    });
    stops.push(() => http.close());

    // Subscribe as an operator would, through the app's client (so through the shared limiter). The
    // simulator's 60-s window for the key starts with the first of these calls.
    const windowStart = Date.now();
    const client = createShipStationClientFactory({
      db: infra.database.db,
      limits: config.limits.shipstation as { v1PerMinute: number; v2PerMinute: number },
      settings: () => ({ v1BaseUrl: ss.url, v2BaseUrl: ss.url, ...v1 }),
      log,
    })(warehouseConnection);
    const targetUrl = `${httpBaseUrl}${shipStationWebhookPath(warehouseConnection, webhookSecret)}`;
    for (const event of V1_WEBHOOK_EVENTS) {
      await client.subscribeWebhook({ targetUrl, event, friendlyName: `ml-connector bench ${event}` });
    }

    const schedule = await infra.client.schedule.create({
      scheduleId: `bench-shipment-poll-${run}`,
      spec: { intervals: [{ every: `${SHIPMENT_POLL_SECONDS}s` }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'shipmentPoll',
        taskQueue,
        args: [{ carrierConnection: warehouseConnection }],
        workflowId: `bench-shipment-poll-${run}`,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
    stops.push(() => schedule.delete());

    // Stock to cover every order, as in the chaos suite: a valid order never parks for want of stock.
    const orders = plex.seedOrders(opts.orders, { invalidShare: 0, stockToCover: true });
    const before = v1Requests(ss);
    const before429 = ss.counters().tooManyRequestsSent;
    const samples: Array<{ t: number; calls: number }> = [{ t: Date.now(), calls: total(before) }];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sleep(250);
        samples.push({ t: Date.now(), calls: total(v1Requests(ss)) });
      }
    })();

    const t0 = Date.now();
    const poll = infra.client.workflow.execute<typeof erpPoll>('erpPoll', {
      taskQueue,
      workflowId: `bench-ss-poll-${run}`,
      args: [{ erpConnection }],
    });
    let seen = new Map<string, number>();
    try {
      seen = await watchTracking(
        plex,
        orders.map((o) => o.shipperId),
        opts.timeoutMs,
      );
      await poll;
    } finally {
      sampling = false;
      await sampler;
    }
    samples.push({ t: Date.now(), calls: total(v1Requests(ss)) });
    const last = Math.max(t0, ...seen.values());
    const seconds = (last - t0) / 1000;

    const after = v1Requests(ss);
    const delta: Record<string, number> = {};
    for (const [k, v] of Object.entries(after)) {
      const d = v - (before[k] ?? 0);
      if (d > 0) delta[k] = d;
    }
    const requests = classify(delta);
    const per = (v: number) => v / opts.orders;

    // The busy span: from the sample before the first request of the phase to the last new one.
    const start = samples.findIndex((s) => s.calls > samples[0]!.calls);
    let end = samples.length - 1;
    while (end > start && samples[end - 1]!.calls === samples[end]!.calls) end--;
    const firstS = samples[Math.max(0, start - 1)]!;
    const lastS = samples[end]!;
    const busySeconds = start < 0 ? 0 : (lastS.t - firstS.t) / 1000;
    const busyRequests = start < 0 ? 0 : lastS.calls - firstS.calls;
    const perMinuteLimit = SHIPSTATION_V1_PER_MINUTE;
    const spanShare = busySeconds > 0 ? busyRequests / ((busySeconds / 60) * perMinuteLimit) : NaN;
    // The simulator's own windows: 60 s each from the key's first request (the subscription),
    // back to back while requests keep coming (they do, through the busy span).
    const perWindow = new Map<number, number>();
    for (let i = 1; i < samples.length; i++) {
      const w = Math.floor((samples[i]!.t - windowStart) / 60_000);
      perWindow.set(w, (perWindow.get(w) ?? 0) + samples[i]!.calls - samples[i - 1]!.calls);
    }
    const full = [...perWindow.entries()]
      .filter(([w]) => windowStart + w * 60_000 >= firstS.t && windowStart + (w + 1) * 60_000 <= lastS.t)
      .map(([, c]) => c);
    const share = full.length > 0 ? full.reduce((a, b) => a + b, 0) / (full.length * perMinuteLimit) : NaN;

    const parked = await infra.database.db
      .selectFrom('orders')
      .select(['status', sql<string>`count(*)`.as('n')])
      .where('connection', '=', erpConnection)
      .groupBy('status')
      .execute();
    const received = await infra.database.db
      .selectFrom('audit_log')
      .select(['actor', sql<string>`count(*)`.as('n')])
      .where('connection', '=', warehouseConnection)
      .where('action', '=', 'shipment.received')
      .groupBy('actor')
      .execute();
    const receivedBy = (actor: string) => Number(received.find((r) => r.actor === actor)?.n ?? 0);
    const deliveries = ss.counters().webhookDeliveries;

    return {
      orders: opts.orders,
      completed: seen.size,
      seconds,
      perSecond: seconds > 0 ? seen.size / seconds : 0,
      requests,
      perOrder: {
        createUpdate: per(requests.createUpdate),
        shipments: per(requests.shipments),
        other: per(requests.other),
        total: per(requests.total),
      },
      byEndpoint: delta,
      http429: ss.counters().tooManyRequestsSent - before429,
      share,
      fullWindows: full.length,
      spanShare,
      busySeconds,
      busyRequests,
      received: { webhook: receivedBy('webhook'), poll: receivedBy('poll') },
      statuses: Object.fromEntries(parked.map((r) => [r.status, Number(r.n)])),
      webhooks: {
        deliveries: deliveries.length,
        failedAttempts: deliveries.reduce(
          (n, d) => n + d.attempts - (d.status >= 200 && d.status < 300 ? 1 : 0),
          0,
        ),
        undelivered: deliveries.filter((d) => !(d.status >= 200 && d.status < 300)).length,
      },
      shipAfterSeconds: SHIP_AFTER_SECONDS,
      shipmentPollSeconds: SHIPMENT_POLL_SECONDS,
    };
  } finally {
    while (stops.length) await stops.pop()!().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  }
}

function configYaml(erp: string, warehouse: string, plexUrl: string, ssUrl: string) {
  return `
connections:
  ${erp}:
    system: plex
    baseUrl: ${plexUrl}
    simulator: never
    credentials: { apiKey: "env:BENCH_PLEX_KEY" }
    settings: { readyState: Open, writeBack: { shippedStatus: Shipped } }
  ${warehouse}:
    system: shipstation
    baseUrl: ${ssUrl}
    simulator: never
    credentials: { apiKey: "env:BENCH_SS_KEY", apiSecret: "env:BENCH_SS_SECRET", webhookSecret: "env:BENCH_SS_WEBHOOK" }
    settings: { apiVersion: v1, v2BaseUrl: ${ssUrl} }
limits:
  plex: { callsPerMinute: ${PLEX_PER_MINUTE} }
  shipstation: { v1PerMinute: ${SHIPSTATION_V1_PER_MINUTE} }
mappings:
  - erp: ${erp}
    carrier: ${warehouse}
    customs: { originCountry: US, defaults: { countryOfManufacture: US } } # Plex keeps no country of origin
`;
}

const r2 = (v: number, digits = 2) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : 0);

/** The phase's block of figures; a figure that could not be measured is printed as 0 and says so. */
export function printShipStation(
  r: ShipStationPhaseResult,
  line: (label: string, value: string) => void,
): void {
  const limit = `ShipStation's V1 limit of ${SHIPSTATION_V1_PER_MINUTE} requests/min`;
  line(
    'throughput',
    r.completed > 0 && r.seconds > 0
      ? `${r2(r.perSecond, 3)} orders/s (${r.completed}/${r.orders} in ${r2(r.seconds, 1)} s, first ERP poll -> last ` +
          `tracking number in Plex; the warehouse ships ${r.shipAfterSeconds} s after an order arrives; bounded by ${limit})`
      : `0 orders/s (not measured: ${r.completed}/${r.orders} tracking numbers in Plex within the phase timeout)`,
  );
  const other = Object.entries(r.byEndpoint)
    .filter(
      ([k]) =>
        k !== 'POST /orders/createorder' && k !== 'POST /orders/createorders' && k !== 'GET /shipments',
    )
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${r2(v / r.orders)}`)
    .join(', ');
  line(
    'requests per order',
    `${r2(r.perOrder.total)} = order create/update ${r2(r.perOrder.createUpdate)}, shipments list ` +
      `${r2(r.perOrder.shipments)}, other ${r2(r.perOrder.other)}${other ? ` (${other})` : ''}; ${r.requests.total} requests`,
  );
  line('HTTP 429 answers', `${r.http429} (target 0: under the limit any 429 is a bug)`);
  line(
    'rate achieved',
    (r.fullWindows > 0
      ? `${r2(r.share)} of ${limit} over ${r.fullWindows} full 60-s windows`
      : `0 of ${limit} (not measured: no full 60-s window inside the busy span)`) +
      ` (${r2(r.spanShare)} over the whole busy span: ${r.busyRequests} requests in ${r2(r.busySeconds, 1)} s); ${r.http429} HTTP 429`,
  );
  line(
    'orders when the phase ended',
    Object.entries(r.statuses)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '0 (none recorded)',
  );
  line(
    'shipments received',
    `webhook ${r.received.webhook}, shipment poll ${r.received.poll} (poll every ${r.shipmentPollSeconds} s); ` +
      `${r.webhooks.deliveries} webhook deliveries: ${r.webhooks.undelivered} without a 2xx in 3 attempts, ` +
      `${r.webhooks.failedAttempts} failed attempts (the simulator gives up on an answer after 5 s)`,
  );
}
