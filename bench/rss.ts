import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { OrderRoute } from '../activities/orders/activities';
import type { ErpOrder } from '../domain/order';
import { PROJECT_ROOT } from '../lib/paths';
import type { Infra } from './infra';
import type { ChildMessage, OpenOrdersWorkerSetup, ParentMessage } from './open-orders-worker';
import { mapLimit, sleep, waitUntil } from './stats';

export interface RssResult {
  open: number;
  parked: number;
  idleRssMb: number;
  /**
   * The settled figure: the median of the once-a-second readings over the last SETTLED_SECONDS of
   * QUIET_SECONDS after the last order parked, when V8 has handed back the garbage of the burst.
   */
  rssMb: number;
  /** Highest reading of the settled span. */
  settledMaxMb: number;
  /** Median of the readings over the first JUST_PARKED_SECONDS after the last order parked. */
  justParkedMb: number;
  /** Seconds into the quiet time at which RSS first came within 5% of the settled figure. */
  settledAfterSeconds: number;
  /** Highest RSS seen (once a second) while the orders were arriving and parking. */
  peakWhileParkingMb: number;
  heapUsedMb: number;
  startSeconds: number;
  /** The worker's sticky cache size (the SDK's default, derived from the heap limit). */
  maxCachedWorkflows: number;
}

const MB = 1024 * 1024;
/**
 * Seconds of once-a-second RSS readings after the last order parked. Right after a burst of starts
 * the heaps still hold its garbage (tens of MB per V8 isolate); V8's memory reducer collects it and
 * returns the pages after about 40-60 s without work (seen 360 -> 261 MB with 10,000 open). The
 * settled figure is taken over the last SETTLED_SECONDS, the just-parked one over the first
 * JUST_PARKED_SECONDS; both are printed.
 */
const QUIET_SECONDS = 120;
const SETTLED_SECONDS = 60;
const JUST_PARKED_SECONDS = 20;

/**
 * Start `open` orderShipment workflows on a worker in a child process (null activities, no tracking),
 * wait until every one is parked in the tracking wait, and read the child's RSS.
 */
export async function openOrdersRss(
  infra: Infra,
  route: OrderRoute,
  order: ErpOrder,
  open: number,
  timeoutMs: number,
): Promise<RssResult> {
  const taskQueue = `bench-open-${Date.now().toString(36)}`;
  const erpConnection = 'open-bench';
  const setup: OpenOrdersWorkerSetup = {
    address: infra.server.address,
    namespace: infra.server.namespace,
    taskQueue,
    bundlePath: infra.bundlePath,
    erpConnection,
    route,
    order,
  };
  const setupFile = path.join(infra.tmpDir, 'open-orders.json');
  fs.writeFileSync(setupFile, JSON.stringify(setup));
  const child = fork(
    path.join(PROJECT_ROOT, 'bin', 'run-ts.js'),
    [path.join(__dirname, 'open-orders-worker.ts'), setupFile],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  try {
    const ready = (await nextMessage(child, 'ready', 120_000)) as Extract<ChildMessage, { type: 'ready' }>;
    const idle = await stats(child);
    const t0 = Date.now();
    await mapLimit(
      Array.from({ length: open }, (_, i) => i),
      50,
      (i) =>
        infra.client.workflow.start('orderShipment', {
          taskQueue,
          workflowId: `order/${erpConnection}/open-${i}`,
          args: [
            {
              erpConnection,
              orderKey: `open-${i}`,
              orderNumber: `OPEN-${i}`,
              carrierConnection: route.carrierConnection,
              carrier: route.carrier,
              routing: route.routing,
            },
          ],
        }),
    );
    let parked = 0;
    let peak = idle.rss;
    await waitUntil(
      async () => {
        const s = await stats(child);
        parked = s.written;
        peak = Math.max(peak, s.rss);
        return parked >= open;
      },
      timeoutMs,
      1000,
    );
    const startSeconds = (Date.now() - t0) / 1000;
    // One reading swings by tens of MB with when V8 last collected: take medians of series.
    const readings: Array<{ rss: number; heapUsed: number; written: number }> = [];
    for (let i = 0; i < QUIET_SECONDS; i++) {
      await sleep(1000);
      readings.push(await stats(child));
    }
    const median = (xs: typeof readings) => [...xs].sort((a, b) => a.rss - b.rss)[Math.floor(xs.length / 2)]!;
    const settled = readings.slice(-SETTLED_SECONDS);
    const settledMedian = median(settled);
    const settledAfter = readings.findIndex((r) => r.rss <= settledMedian.rss * 1.05);
    return {
      open,
      parked: readings[readings.length - 1]!.written,
      idleRssMb: idle.rss / MB,
      rssMb: settledMedian.rss / MB,
      settledMaxMb: Math.max(...settled.map((r) => r.rss)) / MB,
      justParkedMb: median(readings.slice(0, JUST_PARKED_SECONDS)).rss / MB,
      settledAfterSeconds: settledAfter + 1,
      peakWhileParkingMb: peak / MB,
      heapUsedMb: settledMedian.heapUsed / MB,
      startSeconds,
      maxCachedWorkflows: ready.maxCachedWorkflows,
    };
  } finally {
    child.send({ type: 'stop' } satisfies ParentMessage);
    const exited = await Promise.race([
      new Promise<boolean>((r) => child.once('exit', () => r(true))),
      sleep(30_000).then(() => false),
    ]);
    if (!exited && child.exitCode === null) child.kill('SIGKILL');
  }
}

async function stats(child: ChildProcess) {
  child.send({ type: 'stats' } satisfies ParentMessage);
  const m = await nextMessage(child, 'stats', 30_000);
  return m as Extract<ChildMessage, { type: 'stats' }>;
}

function nextMessage(
  child: ChildProcess,
  type: ChildMessage['type'],
  timeoutMs: number,
): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`worker child sent no ${type} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: ChildMessage) => {
      if (m.type === 'error') done(new Error(`worker child failed: ${m.message}`));
      else if (m.type === type) done(undefined, m);
    };
    const onExit = (code: number | null) => done(new Error(`worker child exited (${code}) before ${type}`));
    const done = (err?: Error, m?: ChildMessage) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
