import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { notifyOrderWorkflow, type OrderActivityDeps } from '../activities/orders/activities';
import { durationToMs, type Config } from '../lib/config';
import { openDatabase, type DatabaseHandle } from '../lib/db';
import { migrateToLatest } from '../lib/db/migrate';
import { createRepos, type Repos } from '../lib/db/repos';
import { metrics } from '../lib/metrics';
import { connectTemporal, type TemporalHandle } from '../lib/temporal/connect';
import { installTemporalRuntime } from '../lib/temporal/runtime';
import { freePort } from '../lib/process';
import { loadMasterKeys, resolveCredential, Vault } from '../lib/vault';
import { deriveCodecKey, EncryptionCodec } from '../lib/temporal/codec';
import { codecRoutes } from './http/codec-routes';
import { createWorker } from '../workers/worker';
import { activeConnections, buildConnectors, type Connectors, type LiveConnection } from './connectors';
import { opsRoutes } from './http/ops-routes';
import { startHttpServer, type RunningHttpServer } from './http/server';
import { desiredSchedules, ensureSchedules } from './schedules';

/** What each process role runs: `start` runs all of it in one process. */
export type Role = 'all' | 'worker' | 'http';

export interface App {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  repos: Repos;
  vault: Vault;
  temporal: TemporalHandle;
  connections: Map<string, LiveConnection>;
  connectors: Connectors;
  /** The schedules this app manages (ERP polls, tracking sweeps). */
  scheduleIds: string[];
  http?: RunningHttpServer;
  worker?: Worker;
  /** Resolves when the worker stops (after shutdown, or when it fails). */
  workerDone?: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Build and start the parts a role needs, in dependency order: database (migrated), vault, Temporal
 * (the dev server when no address is configured), simulators, worker, HTTP server. Everything started
 * is stopped by `shutdown()` in reverse order, also when start-up fails half-way.
 */
/**
 * What the worker role's order activities need, as the app builds it: the connectors' ports, the
 * Temporal client, and how far the ERP poll looks back (a 2-minute overlap; 7 days on a first poll).
 */
export function workerOrderDeps(parts: {
  /** The `orders` section: each order's attempts per call and how it waits out an outage. */
  orders: Config['orders'];
  repos: Repos;
  connectors: Pick<Connectors, 'erp' | 'carrier' | 'fulfilment' | 'route'>;
  temporal: Pick<TemporalHandle, 'client' | 'taskQueue'>;
  log: Logger;
}): OrderActivityDeps {
  const { repos, connectors, temporal, log } = parts;
  return {
    repos,
    erp: connectors.erp,
    carrier: connectors.carrier,
    fulfilment: connectors.fulfilment,
    route: connectors.route,
    client: temporal.client,
    taskQueue: temporal.taskQueue,
    pollOverlapMs: 2 * 60_000,
    initialLookbackMs: 7 * 24 * 3600_000,
    orderPolicy: {
      callAttempts: parts.orders.callAttempts,
      patience: {
        firstPauseMs: durationToMs(parts.orders.waitFirstPause),
        maxPauseMs: durationToMs(parts.orders.waitMaxPause),
        giveUpAfterMs: durationToMs(parts.orders.waitGiveUpAfter),
      },
    },
    log,
  };
}

export async function startApp(config: Config, log: Logger, role: Role): Promise<App> {
  const stack: Array<() => Promise<void>> = [];
  const shutdown = async () => {
    while (stack.length) {
      const stop = stack.pop()!;
      try {
        await stop();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'error while stopping');
      }
    }
  };

  try {
    const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, log });
    stack.push(() => database.close());
    await migrateToLatest(database.db, log);
    const repos = createRepos(database.db);
    const loaded = loadMasterKeys({ keyFile: config.vault.keyFile, env: process.env });
    const vault = new Vault({
      db: database.db,
      keys: loaded.keys,
      keyStore: { source: loaded.source, keyFile: loaded.keyFile },
    });
    const codec = new EncryptionCodec(
      deriveCodecKey(loaded.keys.current.id, loaded.keys.current.key),
      loaded.keys.previous.map((k) => deriveCodecKey(k.id, k.key)),
    );

    // The port is fixed before anything starts: simulators push webhooks to it and the dev server's
    // Web UI calls its codec endpoint. `http.port: 0` picks a free one here.
    const httpHost = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
    const httpPort = config.http.port || (await freePort(httpHost));
    const httpBaseUrl = `http://${httpHost}:${httpPort}`;
    const temporalMetricsPort = await freePort();
    const runtime = installTemporalRuntime(log, { metricsPort: temporalMetricsPort });
    const apiKey = config.temporal.apiKey
      ? await resolveCredential(config.temporal.apiKey, { vault, env: process.env })
      : undefined;
    const temporal = await connectTemporal(
      { ...config.temporal, apiKey, codecEndpoint: `${httpBaseUrl}/codec` },
      log,
      codec,
    );
    stack.push(() => temporal.close());

    const connectors = await buildConnectors({
      config,
      db: database.db,
      repos,
      vault,
      log,
      env: process.env,
      simulators: role === 'all',
      httpBaseUrl,
    });
    // Stopped after the HTTP server (no delivery arrives any more) and before Temporal and the
    // database: connectors.stop() first waits for each webhook drainer's row in progress.
    stack.push(() => connectors.stop());
    const connections = connectors.live;
    for (const c of connections.values()) {
      await repos.connections.upsert(c.name, c.config.system, c.baseUrl, { simulated: c.simulated });
    }
    const active = activeConnections(config, connections);
    const schedules = desiredSchedules(config, new Set([...active.erps, ...active.carriers]));

    const app: App = {
      config,
      log,
      database,
      repos,
      vault,
      temporal,
      connections,
      connectors,
      scheduleIds: schedules.map((s) => s.scheduleId),
      shutdown,
    };

    if (role !== 'http') {
      const worker = await createWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
        deps: {
          db: database.db,
          orders: workerOrderDeps({ orders: config.orders, repos, connectors, temporal, log }),
        },
        log,
        payloadCodec: codec,
        options: { maxCachedWorkflows: config.worker.maxCachedWorkflows },
      });
      app.worker = worker;
      app.workerDone = worker.run();
      stack.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await app.workerDone?.catch(() => undefined);
      });
      // Schedules are server-side objects: creating them is idempotent, so every worker may do it.
      await ensureSchedules(temporal.client, temporal.taskQueue, schedules, log);
    }

    const resolveOptional = async (ref: string | undefined) =>
      ref ? await resolveCredential(ref, { vault, env: process.env }) : undefined;
    const codecToken = await resolveOptional(config.http.codec.token);
    const opsToken = await resolveOptional(config.http.opsToken);
    if (!opsToken && !['127.0.0.1', 'localhost', '::1'].includes(config.http.host)) {
      log.warn(
        { host: config.http.host },
        'the operator API is reachable beyond this machine without a token: set http.opsToken',
      );
    }
    app.http = await startHttpServer({
      host: config.http.host,
      port: httpPort,
      log,
      metrics,
      temporalMetricsAddress: role !== 'http' ? runtime.metricsAddress : undefined,
      routes: {
        ...codecRoutes({
          codec,
          allowedOrigins: [...config.http.codec.allowedOrigins, ...(temporal.uiUrl ? [temporal.uiUrl] : [])],
          token: codecToken,
        }),
        ...opsRoutes({
          repos,
          client: temporal.client,
          scheduleIds: () => schedules.map((s) => s.scheduleId),
          testConnection: connectors.testConnection,
          token: opsToken,
        }),
        ...connectors.webhookRoutes(
          (shipment, update) =>
            notifyOrderWorkflow(temporal.client, repos, shipment.id, shipment.workflowId, update),
          temporal.client,
        ),
      },
      health: [
        { name: 'database', check: async () => void (await repos.connections.list()) },
        {
          name: 'temporal',
          check: async () => void (await temporal.connection.workflowService.getSystemInfo({})),
        },
        ...(app.worker
          ? [
              {
                name: 'worker',
                check: async () => {
                  const state = app.worker!.getState();
                  if (state !== 'RUNNING') throw new Error(`worker is ${state}`);
                },
              },
            ]
          : []),
      ],
    });
    stack.push(() => app.http!.close());
    // Simulated warehouses notify this app of shipments, as a real account would once subscribed.
    if (role === 'all') await connectors.afterListen();
    return app;
  } catch (err) {
    await shutdown();
    throw err;
  }
}
