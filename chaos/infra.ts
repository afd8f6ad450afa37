import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from 'pino';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../lib/db';
import { migrateToLatest } from '../lib/db/migrate';
import { freePort } from '../lib/process';
import { requireTemporalCli } from '../lib/temporal/cli-binary';
import { startDevServer, type DevServer } from '../lib/temporal/dev-server';
import { WORKFLOWS_PATH } from '../workers/worker';

// What the chaos run stands on: a Temporal dev server it can restart (persistent SQLite file, same
// port), its own PostgreSQL database (created, migrated, dropped), and a workflow bundle built once
// for every worker incarnation.

export const POSTGRES_URL =
  process.env.CHAOS_POSTGRES_URL ??
  process.env.TEST_POSTGRES_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

/** The dev server on a fixed port and db file, so a restart brings back the same server. */
export class RestartableDevServer {
  private current: DevServer | undefined;
  restarts = 0;

  private constructor(
    private readonly cliPath: string,
    private readonly port: number,
    private readonly dbFile: string,
    private readonly log: Logger,
  ) {}

  static async start(dbFile: string, log: Logger): Promise<RestartableDevServer> {
    const server = new RestartableDevServer(requireTemporalCli().path, await freePort(), dbFile, log);
    await server.up();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get namespace(): string {
    return 'default';
  }

  private async up(): Promise<void> {
    this.current = await startDevServer({
      cliPath: this.cliPath,
      port: this.port,
      ui: false,
      dbFile: this.dbFile,
      log: this.log,
    });
  }

  /** Stop it as an operator would (SIGTERM), then start it again on the same file and port. */
  async restart(downMs = 0): Promise<void> {
    await this.current?.stop();
    this.current = undefined;
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.up();
    this.restarts++;
  }

  async stop(): Promise<void> {
    await this.current?.stop();
    this.current = undefined;
  }
}

export interface ChaosDatabase {
  name: string;
  url: string;
  handle: DatabaseHandle;
  drop(): Promise<void>;
}

export async function createChaosDatabase(log: Logger): Promise<ChaosDatabase> {
  const name = `mlc_chaos_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase({ url: url.toString(), dataDir: '', log, poolSize: 5 });
    await migrateToLatest(handle.db, log);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    throw err;
  }
  const opened = handle;
  return {
    name,
    url: url.toString(),
    handle: opened,
    async drop() {
      await opened.close().catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
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

/** The workflow bundle every worker incarnation loads (built here unless one is given). */
export async function workflowBundle(dir: string, given?: string): Promise<string> {
  if (given && fs.existsSync(given)) return given;
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: new DefaultLogger('ERROR'),
  });
  const file = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(file, code);
  return file;
}
