import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { buildConnectors, type Connectors } from '../../clients/connectors';
import { orderWorkflowId } from '../../domain/ids';
import { loadConfig, type Config } from '../../clients/config';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { Vault } from '../../lib/vault';
import type { FedexSimulator } from '../../simulators/fedex';
import type { PlexSimulator } from '../../simulators/plex';
import { erpPoll, trackingSweep } from '../../workflows';
import type { OrderState } from '../../workflows/messages';
import { statusQuery } from '../../workflows/messages';
import { createTestDatabase, type TestDatabase } from './db';
import { testTaskQueue, testWorker } from './temporal';

/**
 * The real order pipeline for workflow tests: real PostgreSQL, the Plex and FedEx simulators over
 * real HTTP, the connectors and activities the app uses, and a worker on the real dev server.
 * Tracking moves by sweeps the test runs (the FedEx simulator's webhook pushes are off), so each
 * test decides when time passes.
 */
export interface Pipeline {
  config: Config;
  db: TestDatabase;
  repos: Repos;
  connectors: Connectors;
  plex: PlexSimulator;
  fedex: FedexSimulator;
  taskQueue: string;
  worker: Worker;
  /** Resolves when the worker has stopped. */
  running: Promise<void>;
  /** Start a fresh worker (after `stopWorker`), e.g. to prove a restart loses nothing. */
  restartWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  poll(): Promise<{ found: number; started: number }>;
  /** Move the FedEx simulator's clock on and run one tracking sweep. */
  sweep(advanceSeconds?: number): Promise<{ shipments: number; changed: number; unknown: number }>;
  status(orderKey: string): Promise<OrderState>;
  /** Poll the workflow's status query until `pred` holds (or fail after `timeoutMs`). */
  waitFor(orderKey: string, pred: (s: OrderState) => boolean, timeoutMs?: number): Promise<OrderState>;
  close(): Promise<void>;
}

const CONFIG = `
connections:
  plex-demo:
    system: plex
    simulator: always
  fedex-demo:
    system: fedex
    simulator: always
    settings: { accountNumber: "740561073" }
mappings:
  - erp: plex-demo
    carrier: fedex-demo
    shipFrom: { company: Test Co, lines: ["3610 Hacks Cross Rd"], city: Memphis, stateOrProvince: TN, postalCode: "38125", countryCode: US, phone: "9015550100" }
    serviceLevels: { FDX-GROUND: FEDEX_GROUND, FDX-2DAY: FEDEX_2_DAY, FDX-OVERNIGHT: PRIORITY_OVERNIGHT }
    defaultService: FEDEX_GROUND
    customs: { defaults: { countryOfManufacture: US } } # Plex keeps no country of origin
`;

export async function startPipeline(env: TestWorkflowEnvironment, name: string): Promise<Pipeline> {
  const log = createLogger({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'silent' });
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-pipeline-'));
  fs.writeFileSync(path.join(dir, 'config.yaml'), CONFIG);
  const config = loadConfig({ file: path.join(dir, 'config.yaml'), env: {}, cwd: dir });
  const db = await createTestDatabase('postgres');
  const repos = createRepos(db.db);
  const key = randomBytes(32);
  const vault = new Vault({ db: db.db, keys: { current: { id: 'test-key', key }, previous: [] } });
  const connectors = await buildConnectors({
    config,
    db: db.db,
    repos,
    vault,
    log,
    env: {},
    simulators: true,
    httpBaseUrl: 'http://127.0.0.1:9', // no receiver: pushes are switched off below
  });
  const plex = connectors.simulator<PlexSimulator>('plex-demo')!;
  const fedex = connectors.simulator<FedexSimulator>('fedex-demo')!;
  fedex.setWebhook(null);

  const taskQueue = testTaskQueue(name);
  const activities = createActivities({
    db: db.db,
    orders: {
      repos,
      erp: connectors.erp,
      carrier: connectors.carrier,
      route: connectors.route,
      client: env.client,
      taskQueue,
      pollOverlapMs: 60_000,
      initialLookbackMs: 24 * 3600_000,
      log,
    },
  });

  let worker = await testWorker(env, { taskQueue, activities });
  let running = worker.run();
  const handle = (orderKey: string) => env.client.workflow.getHandle(orderWorkflowId('plex-demo', orderKey));

  const pipeline: Pipeline = {
    config,
    db,
    repos,
    connectors,
    plex,
    fedex,
    taskQueue,
    get worker() {
      return worker;
    },
    get running() {
      return running;
    },
    async stopWorker() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    async restartWorker() {
      worker = await testWorker(env, { taskQueue, activities });
      running = worker.run();
    },
    poll: () =>
      env.client.workflow.execute(erpPoll, {
        taskQueue,
        workflowId: `poll-${taskQueue}-${randomBytes(3).toString('hex')}`,
        args: [{ erpConnection: 'plex-demo' }],
      }),
    async sweep(advanceSeconds = 0) {
      if (advanceSeconds > 0) fedex.advanceClock(advanceSeconds);
      return await env.client.workflow.execute(trackingSweep, {
        taskQueue,
        workflowId: `sweep-${taskQueue}-${randomBytes(3).toString('hex')}`,
        args: [{ carrierConnection: 'fedex-demo' }],
      });
    },
    status: (orderKey) => handle(orderKey).query(statusQuery),
    async waitFor(orderKey, pred, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: OrderState | undefined;
      while (Date.now() < deadline) {
        try {
          last = await handle(orderKey).query(statusQuery);
          if (pred(last)) return last;
        } catch {
          // not started yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`order ${orderKey} did not reach the expected state; last: ${JSON.stringify(last)}`);
    },
    async close() {
      await pipeline.stopWorker().catch(() => undefined);
      await connectors.stop();
      await db.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return pipeline;
}

/** Days of simulated time that take any seeded service to delivery. */
export const DELIVERY_SECONDS = 8 * 24 * 3600;
