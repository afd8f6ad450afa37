import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { IN_MEMORY, openDatabase, type DatabaseHandle } from '../lib/db';
import { migrateToLatest } from '../lib/db/migrate';
import { createLogger } from '../lib/logger';
import { requireTemporalCli } from '../lib/temporal/cli-binary';
import { startDevServer, type DevServer } from '../lib/temporal/dev-server';
import { WORKFLOWS_PATH } from '../workers/worker';

// What the bench runs on: its own in-memory Temporal dev server, its own PostgreSQL database on
// 127.0.0.1:5432, and one workflow bundle shared by every worker (in-process and child).

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface Infra {
  server: DevServer;
  connection: Connection;
  client: Client;
  nativeConnection: NativeConnection;
  database: DatabaseHandle;
  databaseName: string;
  bundlePath: string;
  tmpDir: string;
  close(): Promise<void>;
}

/**
 * Only errors from the SDK's core: the bench's own output is the figures. `handleSignals: false`
 * leaves SIGINT and SIGTERM to the caller (by default the SDK takes them and only shuts the workers
 * down, and a run waiting for its orders would then wait until its phase timed out).
 */
export function quietTemporalRuntime(opts: { handleSignals?: boolean } = {}): void {
  Runtime.install({
    ...(opts.handleSignals === false ? { shutdownSignals: [] } : {}),
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

export async function startInfra(): Promise<Infra> {
  const stack: Array<() => Promise<void>> = [];
  const close = async () => {
    while (stack.length) await stack.pop()!().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  };
  try {
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlc-bench-'));
    stack.push(async () => fs.rmSync(tmpDir, { recursive: true, force: true }));

    const server = await startDevServer({ cliPath: requireTemporalCli().path, ui: false });
    stack.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    stack.push(() => connection.close());
    const client = new Client({ connection, namespace: server.namespace });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    stack.push(() => nativeConnection.close());

    const databaseName = `mlc_bench_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${databaseName}`);
    stack.push(() => adminQuery(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${databaseName}`;
    const log = createLogger({ level: 'warn' });
    const database = await openDatabase({ url: url.toString(), dataDir: IN_MEMORY, log, poolSize: 20 });
    stack.push(() => database.close());
    await migrateToLatest(database.db, log);

    // One bundle for all workers: worker start-up skips webpack, as in production (dist/).
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: new DefaultLogger('ERROR'),
    });
    const bundlePath = path.join(tmpDir, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, code);

    return {
      server,
      connection,
      client,
      nativeConnection,
      database,
      databaseName,
      bundlePath,
      tmpDir,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
