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
  /** Median of the samples taken once a second for SETTLED_SAMPLES seconds after the last order parked. */
  rssMb: number;
  /** Highest of those samples. */
  settledMaxMb: number;
  /** Highest RSS seen (once a second) while the orders were arriving and parking. */
  peakWhileParkingMb: number;
  heapUsedMb: number;
  startSeconds: number;
  /** The worker's sticky cache size (the SDK's default, derived from the heap limit). */
  maxCachedWorkflows: number;
}

const MB = 1024 * 1024;
/** Seconds of once-a-second RSS readings after the last order parked. */
const SETTLED_SAMPLES = 20;

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
    // One reading swings by tens of MB with when V8 last collected: take the median of a series.
    const settled: Array<{ rss: number; heapUsed: number; written: number }> = [];
    for (let i = 0; i < SETTLED_SAMPLES; i++) {
      await sleep(1000);
      settled.push(await stats(child));
    }
    const byRss = [...settled].sort((a, b) => a.rss - b.rss);
    const median = byRss[Math.floor(byRss.length / 2)]!;
    return {
      open,
      parked: settled[settled.length - 1]!.written,
      idleRssMb: idle.rss / MB,
      rssMb: median.rss / MB,
      settledMaxMb: byRss[byRss.length - 1]!.rss / MB,
      peakWhileParkingMb: peak / MB,
      heapUsedMb: median.heapUsed / MB,
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
