import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import { buildConnectors, type Connectors } from '../clients/connectors';
import { loadConfig, type Config } from '../clients/config';
import { createRepos, type Repos } from '../lib/db/repos';
import { createLogger } from '../lib/logger';
import { Vault } from '../lib/vault';
import { createWorker, type WorkerSetup } from '../workers/worker';
import { startFedexSimulator, type FedexSimulator } from '../simulators/fedex';
import { startPlexSimulator, type PlexSimulator } from '../simulators/plex';
import type { Infra } from './infra';

// The real pipeline as the app builds it (buildConnectors, createActivities, a worker), pointed at
// simulators the bench starts itself. The connections are configured as real ones
// (`simulator: never`, env credentials, the simulator's URL), so the connectors apply the
// limits from the config exactly as they would against Plex and FedEx.

export interface PipelineOptions {
  /** Connection names get this suffix, so pipelines sharing the database never share state. */
  name: string;
  /** Plex calls per minute, in the simulator and (halved by the connector) in the config. */
  plexPerMinute: number;
  /** FedEx calls per 10 s, in the simulator and in the config (the connector uses half). */
  fedexPer10s: number;
  /** Worker instances, each with its own connectors (own HTTP clients and caches), one task queue. */
  workers: number;
}

export interface Pipeline {
  erpConnection: string;
  carrierConnection: string;
  taskQueue: string;
  config: Config;
  repos: Repos;
  connectors: Connectors;
  plex: PlexSimulator;
  fedex: FedexSimulator;
  close(): Promise<void>;
}

const ACCOUNT = '740561073';

export async function startPipeline(infra: Infra, opts: PipelineOptions): Promise<Pipeline> {
  const log = createLogger({ level: 'silent' });
  const erpConnection = `plex-${opts.name}`;
  const carrierConnection = `fedex-${opts.name}`;
  const plexKey = randomBytes(16).toString('hex');
  const fedexId = `bench-${opts.name}`;
  const fedexSecret = randomBytes(16).toString('hex');
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    while (stops.length) await stops.pop()!().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  };
  try {
    const plex = await startPlexSimulator({
      keys: [{ apiKey: plexKey }],
      rateLimitPerMinute: opts.plexPerMinute,
    });
    stops.push(() => plex.stop());
    const fedex = await startFedexSimulator({
      clients: [{ clientId: fedexId, clientSecret: fedexSecret, accounts: [ACCOUNT] }],
      rateLimitPer10s: opts.fedexPer10s,
      // Shipments progress only when the bench moves the clock (sweeps decide when time passes).
      clockSpeed: 1,
    });
    stops.push(() => fedex.stop());

    const file = path.join(infra.tmpDir, `${opts.name}.yaml`);
    fs.writeFileSync(file, configYaml(opts, erpConnection, carrierConnection, plex.url, fedex.url));
    const env = { BENCH_PLEX_KEY: plexKey, BENCH_FEDEX_ID: fedexId, BENCH_FEDEX_SECRET: fedexSecret };
    const config = loadConfig({ file, env: {}, cwd: infra.tmpDir });
    const repos = createRepos(infra.database.db);
    const vault = new Vault({
      db: infra.database.db,
      keys: { current: { id: 'bench', key: randomBytes(32) }, previous: [] },
    });
    const taskQueue = `bench-${opts.name}-${randomBytes(3).toString('hex')}`;

    const { connectors } = await startAppWorkers(infra, {
      config,
      repos,
      vault,
      env,
      log,
      taskQueue,
      workers: opts.workers,
      httpBaseUrl: 'http://127.0.0.1:9',
      stops,
    });
    return {
      erpConnection,
      carrierConnection,
      taskQueue,
      config,
      repos,
      connectors,
      plex,
      fedex,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function configYaml(opts: PipelineOptions, erp: string, carrier: string, plexUrl: string, fedexUrl: string) {
  return `
connections:
  ${erp}:
    system: plex
    baseUrl: ${plexUrl}
    simulator: never
    credentials: { apiKey: "env:BENCH_PLEX_KEY" }
  ${carrier}:
    system: fedex
    baseUrl: ${fedexUrl}
    simulator: never
    credentials: { clientId: "env:BENCH_FEDEX_ID", clientSecret: "env:BENCH_FEDEX_SECRET" }
    settings: { accountNumber: "${ACCOUNT}" }
limits:
  plex: { callsPerMinute: ${opts.plexPerMinute} }
  fedex: { transactionsPer10s: ${opts.fedexPer10s} }
mappings:
  - erp: ${erp}
    carrier: ${carrier}
    shipFrom: { company: Bench Co, lines: ["3610 Hacks Cross Rd"], city: Memphis, stateOrProvince: TN, postalCode: "38125", countryCode: US, phone: "9015550100" }
    serviceLevels: { FDX-GROUND: FEDEX_GROUND, FDX-2DAY: FEDEX_2_DAY, FDX-OVERNIGHT: PRIORITY_OVERNIGHT }
    defaultService: FEDEX_GROUND
    customs: { defaults: { countryOfManufacture: US } } # Plex keeps no country of origin
`;
}

export interface AppWorkersOptions {
  config: Config;
  repos: Repos;
  vault: Vault;
  /** The credentials the config's `env:` references name. */
  env: Record<string, string>;
  log: Logger;
  taskQueue: string;
  workers: number;
  /** Where the app's HTTP server is (webhook subscriptions name it). */
  httpBaseUrl: string;
  /** Their clean-up is pushed here (closed last first by the caller). */
  stops: Array<() => Promise<void>>;
  /** Worker options beyond the app's own (createWorker's `options`). */
  workerOptions?: WorkerSetup['options'];
}

/**
 * `workers` instances of the app's worker on one task queue. Every worker builds its own connectors,
 * as separate worker processes would: tokens and limits are shared only through the database.
 * Answers the first worker's connectors (for seeding, routes and webhook routes).
 */
export async function startAppWorkers(
  infra: Infra,
  o: AppWorkersOptions,
): Promise<{ connectors: Connectors }> {
  let first: Connectors | undefined;
  const running: Array<{ worker: Worker; done: Promise<void> }> = [];
  const connections: NativeConnection[] = [];
  o.stops.push(async () => {
    for (const r of running) if (r.worker.getState() === 'RUNNING') r.worker.shutdown();
    await Promise.all(running.map((r) => r.done.catch(() => undefined)));
    for (const c of connections) await c.close();
  });
  for (let i = 0; i < o.workers; i++) {
    const connectors = await buildConnectors({
      config: o.config,
      db: infra.database.db,
      repos: o.repos,
      vault: o.vault,
      log: o.log,
      env: o.env,
      simulators: false,
      httpBaseUrl: o.httpBaseUrl,
    });
    o.stops.push(() => connectors.stop());
    first ??= connectors;
    const activities = createActivities({
      db: infra.database.db,
      orders: {
        repos: o.repos,
        erp: connectors.erp,
        carrier: connectors.carrier,
        fulfilment: connectors.fulfilment,
        route: connectors.route,
        client: infra.client,
        taskQueue: o.taskQueue,
        pollOverlapMs: 60_000,
        initialLookbackMs: 24 * 3600_000,
        log: o.log,
      },
    });
    // A connection per worker: the SDK admits one worker per task queue and connection.
    const connection = await NativeConnection.connect({ address: infra.server.address });
    connections.push(connection);
    // The app's own worker (createWorker): the same options, workflow cache included, as production.
    const worker = await createWorker({
      connection,
      namespace: infra.server.namespace,
      taskQueue: o.taskQueue,
      workflowBundlePath: infra.bundlePath,
      log: o.log,
      activities,
      ...(o.workerOptions ? { options: o.workerOptions } : {}),
    });
    running.push({ worker, done: worker.run() });
  }
  return { connectors: first! };
}
