import fs from 'node:fs';
import path from 'node:path';
import { notifyOrderWorkflow } from '../activities/orders/activities';
import { activeConnections, buildConnectors } from '../clients/connectors';
import { workerOrderDeps } from '../clients/app';
import { startHttpServer, type RunningHttpServer } from '../clients/http/server';
import { desiredSchedules, ensureSchedules } from '../clients/schedules';
import { loadConfig } from '../clients/config';
import { openDatabase } from '../lib/db';
import { createRepos } from '../lib/db/repos';
import { createLogger } from '../lib/logger';
import { metrics } from '../lib/metrics';
import { deriveCodecKey, EncryptionCodec } from '../lib/temporal/codec';
import { connectTemporal } from '../lib/temporal/connect';
import { installTemporalRuntime } from '../lib/temporal/runtime';
import { loadMasterKeys, Vault } from '../lib/vault';
import { createWorker } from '../workers/worker';
import { READY_MARKER, type ChaosWorkerSetup } from './worker-supervisor';

// The worker the chaos run kills: the app's `worker` role (clients/app.ts) built from the same
// parts: database, vault, payload codec, Temporal connection, connectors, createWorker, schedules.
// What differs: the HTTP server carries only the webhook routes, and only when the run gives it a
// port (ShipStation mode: the warehouse's SHIP_NOTIFY and ORDER_NOTIFY land here, as in `start`,
// where worker and HTTP server share a process; a kill takes both down); and the workflow bundle the
// run built once (a restart skips webpack, as a production worker with dist/ does). Logs go to
// stdout as JSON lines; the run keeps them and scans them for secrets.
//
// argv[2]: a JSON file with { configFile, bundlePath }. Credentials and the master key come from
// the environment, as in production.

async function main(): Promise<void> {
  const setup = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as ChaosWorkerSetup;
  const config = loadConfig({
    file: setup.configFile,
    env: process.env,
    cwd: path.dirname(setup.configFile),
  });
  const log = createLogger({ level: config.log.level });
  installTemporalRuntime(log);

  const database = await openDatabase({ url: config.database.url, dataDir: config.dataDir, log });
  const repos = createRepos(database.db);
  const loaded = loadMasterKeys({ keyFile: config.vault.keyFile, env: process.env });
  const vault = new Vault({ db: database.db, keys: loaded.keys });
  const codec = new EncryptionCodec(
    deriveCodecKey(loaded.keys.current.id, loaded.keys.current.key),
    loaded.keys.previous.map((k) => deriveCodecKey(k.id, k.key)),
  );
  const temporal = await connectTemporal({ ...config.temporal, apiKey: undefined }, log, codec);
  const connectors = await buildConnectors({
    config,
    db: database.db,
    repos,
    vault,
    log,
    env: process.env,
    simulators: false,
    httpBaseUrl: 'http://127.0.0.1:9',
  });
  const active = activeConnections(config, connectors.live);
  const schedules = desiredSchedules(config, new Set([...active.erps, ...active.carriers]));

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
    workflowBundlePath: setup.bundlePath,
  });
  const done = worker.run();
  await ensureSchedules(temporal.client, temporal.taskQueue, schedules, log);
  let http: RunningHttpServer | undefined;
  if (setup.httpPort !== undefined) {
    http = await startHttpServer({
      host: '127.0.0.1',
      port: setup.httpPort,
      log,
      metrics,
      health: [],
      routes: connectors.webhookRoutes(
        (shipment, update) =>
          notifyOrderWorkflow(temporal.client, repos, shipment.id, shipment.workflowId, update),
        temporal.client,
      ),
    });
  }

  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${READY_MARKER} ${process.pid}\n`);

  let failed = false;
  try {
    await done;
  } catch (err) {
    failed = true;
    log.error({ err: (err as Error).message }, 'worker stopped with an error');
  }
  await http?.close().catch(() => undefined);
  await connectors.stop().catch(() => undefined);
  await temporal.close().catch(() => undefined);
  await database.close().catch(() => undefined);
  process.exit(failed ? 1 : 0);
}

main().catch((err: Error) => {
  process.stderr.write(`chaos worker failed to start: ${err.message}\n`);
  process.exit(1);
});
