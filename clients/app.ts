import { randomBytes } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { requiredCredentials, type Config, type ConnectionConfig } from '../lib/config';
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
import { startFedexSimulator } from '../simulators/fedex';
import { startHttpServer, type RunningHttpServer } from './http/server';

/** What each process role runs: `start` runs all of it in one process. */
export type Role = 'all' | 'worker' | 'http';

/** A connection as the running app sees it: where to reach it and with which credentials. */
export interface LiveConnection {
  name: string;
  config: ConnectionConfig;
  baseUrl: string;
  /** Resolved credential values by field name. Never logged. */
  credentials: Record<string, string>;
  simulated: boolean;
}

export interface App {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  repos: Repos;
  vault: Vault;
  temporal: TemporalHandle;
  connections: Map<string, LiveConnection>;
  http?: RunningHttpServer;
  worker?: Worker;
  /** Resolves when the worker stops (after shutdown, or when it fails). */
  workerDone?: Promise<void>;
  shutdown(): Promise<void>;
}

interface RunningSimulator {
  system: string;
  url: string;
  stop(): Promise<void>;
}

/**
 * Build and start the parts a role needs, in dependency order: database (migrated), vault, Temporal
 * (the dev server when no address is configured), simulators, worker, HTTP server. Everything started
 * is stopped by `shutdown()` in reverse order, also when start-up fails half-way.
 */
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
    const vault = new Vault({ db: database.db, keys: loaded.keys, keyStore: { source: loaded.source, keyFile: loaded.keyFile } });
    const codec = new EncryptionCodec(
      deriveCodecKey(loaded.keys.current.id, loaded.keys.current.key),
      loaded.keys.previous.map((k) => deriveCodecKey(k.id, k.key)),
    );

    const temporalMetricsPort = await freePort();
    const runtime = installTemporalRuntime(log, { metricsPort: temporalMetricsPort });
    const apiKey = config.temporal.apiKey
      ? await resolveCredential(config.temporal.apiKey, { vault, env: process.env })
      : undefined;
    const temporal = await connectTemporal(
      { ...config.temporal, apiKey, codecEndpoint: `http://${config.http.host}:${config.http.port}/codec` },
      log,
      codec,
    );
    stack.push(() => temporal.close());

    const simulators: RunningSimulator[] = [];
    const connections = await resolveConnections(config, vault, log, role === 'all' ? simulators : undefined);
    for (const sim of simulators) stack.push(() => sim.stop());
    for (const c of connections.values()) {
      await repos.connections.upsert(c.name, c.config.system, c.baseUrl, { simulated: c.simulated });
    }

    const app: App = { config, log, database, repos, vault, temporal, connections, shutdown };

    if (role !== 'http') {
      const worker = await createWorker({
        connection: temporal.nativeConnection,
        namespace: temporal.namespace,
        taskQueue: temporal.taskQueue,
        deps: { db: database.db },
        log,
        payloadCodec: codec,
      });
      app.worker = worker;
      app.workerDone = worker.run();
      stack.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await app.workerDone?.catch(() => undefined);
      });
    }

    const codecToken = config.http.codec.token
      ? await resolveCredential(config.http.codec.token, { vault, env: process.env })
      : undefined;
    app.http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      log,
      metrics,
      temporalMetricsAddress: role !== 'http' ? runtime.metricsAddress : undefined,
      routes: codecRoutes({
        codec,
        allowedOrigins: [...config.http.codec.allowedOrigins, ...(temporal.uiUrl ? [temporal.uiUrl] : [])],
        token: codecToken,
      }),
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
    return app;
  } catch (err) {
    await shutdown();
    throw err;
  }
}

/**
 * Decide, per connection, whether it talks to the real system or to a simulator: `simulator: auto`
 * simulates when a required credential is missing. Simulators are started only by `start`; the
 * worker and HTTP roles of a production deployment need real credentials.
 */
async function resolveConnections(
  config: Config,
  vault: Vault,
  log: Logger,
  simulators: RunningSimulator[] | undefined,
): Promise<Map<string, LiveConnection>> {
  const live = new Map<string, LiveConnection>();
  for (const [name, conn] of Object.entries(config.connections)) {
    const credentials: Record<string, string> = {};
    const missing: string[] = [];
    for (const [field, reference] of Object.entries(conn.credentials as Record<string, string | undefined>)) {
      if (!reference) continue;
      try {
        credentials[field] = await resolveCredential(reference, { vault, env: process.env });
      } catch {
        if (requiredCredentials(conn).includes(field)) missing.push(field);
      }
    }
    for (const field of requiredCredentials(conn)) {
      if (!conn.credentials[field as keyof typeof conn.credentials] && !missing.includes(field)) missing.push(field);
    }
    const simulate = conn.simulator === 'always' || (conn.simulator === 'auto' && missing.length > 0);
    if (!simulate) {
      if (missing.length > 0) {
        throw new Error(
          `connection ${name}: credential(s) ${missing.join(', ')} not found and simulator is "never" ` +
            `(store them with \`ml-connector secrets set\` or set simulator: auto)`,
        );
      }
      live.set(name, { name, config: conn, baseUrl: conn.baseUrl!, credentials, simulated: false });
      continue;
    }
    if (!simulators) {
      throw new Error(`connection ${name}: credential(s) ${missing.join(', ')} not found (simulators run only with \`start\`)`);
    }
    const sim = await startSimulator(conn);
    if (!sim) {
      log.warn({ connection: name, system: conn.system }, 'no simulator exists for this system yet; connection inactive');
      continue;
    }
    simulators.push(sim.running);
    log.info({ connection: name, system: conn.system, url: sim.running.url }, 'simulator started');
    live.set(name, { name, config: conn, baseUrl: sim.running.url, credentials: sim.credentials, simulated: true });
  }
  return live;
}

async function startSimulator(
  conn: ConnectionConfig,
): Promise<{ running: RunningSimulator; credentials: Record<string, string> } | undefined> {
  switch (conn.system) {
    case 'fedex': {
      const credentials = { clientId: 'sim-client', clientSecret: randomBytes(16).toString('hex') };
      const sim = await startFedexSimulator({
        clients: [{ ...credentials, accounts: [conn.settings.accountNumber] }],
      });
      return { running: { system: 'fedex', url: sim.url, stop: () => sim.stop() }, credentials };
    }
    default:
      return undefined;
  }
}
