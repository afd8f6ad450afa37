import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { AcceptResult } from '../../activities/orders/fulfilment';
import type { InventorySyncResult } from '../../connectors/ports';
import { shipStationOrderKey } from '../../connectors/shipstation/mapping';
import { buildConnectors, type Connectors } from '../../clients/connectors';
import { shipStationWebhookPath } from '../../connectors/shipstation/system';
import { startHttpServer, type RunningHttpServer } from '../../clients/http/server';
import { orderWorkflowId } from '../../domain/ids';
import { loadConfig, type Config } from '../../clients/config';
import { createRepos, type Repos } from '../../lib/db/repos';
import { createLogger } from '../../lib/logger';
import { Registry } from '../../lib/metrics';
import { freePort } from '../../lib/process';
import { Vault } from '../../lib/vault';
import type { PlexSimulator } from '../../simulators/plex';
import type { ShipStationSimulator } from '../../simulators/shipstation';
import { erpPoll, inventorySync, shipmentPoll } from '../../workflows';
import { statusQuery, type OrderState } from '../../workflows/messages';
import { createTestDatabase, type TestDatabase } from './db';
import { testTaskQueue, testWorker } from './temporal';

/**
 * The Plex -> ShipStation pipeline for workflow tests: real PostgreSQL, both simulators over real
 * HTTP, the app's connectors and activities, a worker on the real dev server, and the app's HTTP
 * server with the real ShipStation webhook routes, to which the ShipStation simulator is subscribed
 * (SHIP_NOTIFY and ORDER_NOTIFY), as `start` does.
 *
 * Time: the ShipStation simulator runs on real time (clock speed 1, so its V1 timestamps and the
 * shipment poll's window agree) with its warehouse paused: a test ships with `ship()` when it
 * wants the warehouse to act. Nothing ships behind a test's back.
 */
export interface ShipStationPipeline {
  config: Config;
  db: TestDatabase;
  repos: Repos;
  connectors: Connectors;
  plex: PlexSimulator;
  ss: ShipStationSimulator;
  http: RunningHttpServer;
  /** The V1 webhook URL the simulator posts to (it carries the secret token). */
  webhookUrl: string;
  /** The same route with `token` in place of the secret. */
  webhookUrlWithToken(token: string): string;
  /** V1 credentials of the simulated connection (for a test acting as a ShipStation user). */
  ssCredentials: { apiKey: string; apiSecret: string };
  taskQueue: string;
  worker: Worker;
  /** One ERP poll (erpPoll workflow). */
  poll(): Promise<{ found: number; started: number; changed: number }>;
  /** One shipment poll (shipmentPoll workflow). */
  shipmentPoll(): Promise<AcceptResult & { cancelled: number }>;
  /** One inventory sync (inventorySync workflow). */
  inventorySync(): Promise<InventorySyncResult>;
  /** Ship open ShipStation orders now (all, or those of the given Plex order keys), and deliver the webhooks. */
  ship(orderKeys?: string[]): Promise<ReturnType<ShipStationSimulator['shipNow']>>;
  /** ShipStation's orderKey for a Plex order key. */
  ssKey(orderKey: string): string;
  status(orderKey: string): Promise<OrderState>;
  /** Poll the workflow's status query until `pred` holds (or fail after `timeoutMs`). */
  waitFor(orderKey: string, pred: (s: OrderState) => boolean, timeoutMs?: number): Promise<OrderState>;
  /** Poll `read` until `pred` holds (or fail after `timeoutMs`). */
  eventually<T>(
    what: string,
    read: () => T | Promise<T>,
    pred: (v: T) => boolean,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

export const ERP = 'plex-demo';
export const WAREHOUSE = 'shipstation-demo';

const CONFIG = `
connections:
  ${ERP}:
    system: plex
    simulator: always
    settings:
      readyState: Open
      writeBack: { shippedStatus: Shipped }
  ${WAREHOUSE}:
    system: shipstation
    simulator: always
mappings:
  - erp: ${ERP}
    carrier: ${WAREHOUSE}
    # The simulated warehouse is in the US; parts whose Plex record names no country of origin
    # are declared as made there.
    customs:
      originCountry: US
      defaults: { countryOfManufacture: US }
`;

export async function startShipStationPipeline(
  env: TestWorkflowEnvironment,
  name: string,
): Promise<ShipStationPipeline> {
  const log = createLogger({ level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'silent' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-ss-pipeline-'));
  const cleanups: Array<() => Promise<unknown>> = [
    async () => fs.rmSync(dir, { recursive: true, force: true }),
  ];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    fs.writeFileSync(path.join(dir, 'config.yaml'), CONFIG);
    const config = loadConfig({ file: path.join(dir, 'config.yaml'), env: {}, cwd: dir });
    const db = await createTestDatabase('postgres');
    cleanups.push(() => db.dispose());
    const repos = createRepos(db.db);
    const vault = new Vault({
      db: db.db,
      keys: { current: { id: 'test-key', key: randomBytes(32) }, previous: [] },
    });

    // The simulator must know where to post before it starts: the port is chosen first, as `start` does.
    const port = await freePort('127.0.0.1');
    const httpBaseUrl = `http://127.0.0.1:${port}`;
    const connectors = await buildConnectors({
      config,
      db: db.db,
      repos,
      vault,
      log,
      env: {},
      simulators: true,
      httpBaseUrl,
    });
    cleanups.push(() => connectors.stop());
    const plex = connectors.simulator<PlexSimulator>(ERP)!;
    const ss = connectors.simulator<ShipStationSimulator>(WAREHOUSE)!;
    // The simulator started on the demo's fast clock, which is ahead of real time by now: back to
    // real time (nothing is stored yet), then real speed, before anything is pushed.
    ss.reset();
    ss.setClockSpeed(1);
    ss.setWarehouse({ paused: true });

    const http = await startHttpServer({
      host: '127.0.0.1',
      port,
      log,
      metrics: new Registry(),
      health: [],
      routes: connectors.webhookRoutes(async () => undefined, env.client),
    });
    cleanups.push(() => http.close());

    const taskQueue = testTaskQueue(name);
    const activities = createActivities({
      db: db.db,
      orders: {
        repos,
        erp: connectors.erp,
        carrier: connectors.carrier,
        fulfilment: connectors.fulfilment,
        route: connectors.route,
        client: env.client,
        taskQueue,
        pollOverlapMs: 60_000,
        initialLookbackMs: 24 * 3600_000,
        shipToCheckEveryMs: 0,
        log,
      },
    });
    const worker = await testWorker(env, { taskQueue, activities });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });
    await connectors.afterListen();

    const live = connectors.live.get(WAREHOUSE)!;
    const token = live.credentials.webhookSecret!;
    const handle = (orderKey: string) => env.client.workflow.getHandle(orderWorkflowId(ERP, orderKey));
    const runId = () => randomBytes(3).toString('hex');

    const eventually: ShipStationPipeline['eventually'] = async (what, read, pred, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        try {
          const v = await read();
          last = v;
          if (pred(v)) return v;
        } catch (err) {
          last = err instanceof Error ? err.message : err;
        }
        if (Date.now() > deadline) {
          throw new Error(`${what}: not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    return {
      config,
      db,
      repos,
      connectors,
      plex,
      ss,
      http,
      webhookUrl: `${http.url}${shipStationWebhookPath(WAREHOUSE, token)}`,
      webhookUrlWithToken: (t) => `${http.url}${shipStationWebhookPath(WAREHOUSE, t)}`,
      ssCredentials: { apiKey: live.credentials.apiKey!, apiSecret: live.credentials.apiSecret! },
      taskQueue,
      worker,
      poll: () =>
        env.client.workflow.execute(erpPoll, {
          taskQueue,
          workflowId: `poll-${taskQueue}-${runId()}`,
          args: [{ erpConnection: ERP }],
        }),
      shipmentPoll: () =>
        env.client.workflow.execute(shipmentPoll, {
          taskQueue,
          workflowId: `shipment-poll-${taskQueue}-${runId()}`,
          args: [{ carrierConnection: WAREHOUSE }],
        }),
      inventorySync: () =>
        env.client.workflow.execute(inventorySync, {
          taskQueue,
          workflowId: `inventory-${taskQueue}-${runId()}`,
          args: [{ carrierConnection: WAREHOUSE, erpConnection: ERP }],
        }),
      async ship(orderKeys) {
        const wanted = orderKeys?.map((k) => shipStationOrderKey(ERP, k));
        const ids = wanted
          ? ss
              .orders()
              .filter((o) => wanted.includes(o.orderKey))
              .map((o) => o.orderId)
          : undefined;
        const shipped = ss.shipNow(ids);
        await ss.flushWebhooks();
        return shipped;
      },
      ssKey: (orderKey) => shipStationOrderKey(ERP, orderKey),
      status: (orderKey) => handle(orderKey).query(statusQuery),
      waitFor: (orderKey, pred, timeoutMs = 30_000) =>
        eventually(`order ${orderKey}`, () => handle(orderKey).query(statusQuery), pred, timeoutMs),
      eventually,
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
