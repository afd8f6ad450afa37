import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { logger } from '../logger';
import type { Database } from './types';

/**
 * Opens the application database.
 *
 * - `url` set (DATABASE_URL): a real PostgreSQL through a `pg.Pool`.
 * - otherwise: an embedded PostgreSQL (PGlite) persisted under `<dataDir>/pglite`, or kept in
 *   memory when `dataDir` is `':memory:'`. PGlite is served over the PostgreSQL wire protocol by
 *   pglite-socket on 127.0.0.1 and a free port, so `pg` is the only driver the app ever uses.
 *
 * Value mapping (pg defaults, kept on purpose): `bigint`/`bigserial` come back as strings (ids can
 * exceed 2^53), `numeric` as strings (money keeps its precision), `timestamptz` as `Date`,
 * `jsonb` parsed, `bytea` as `Buffer`.
 */
export interface OpenDatabaseOptions {
  url?: string;
  /** Directory for embedded data, or `':memory:'` for a throwaway in-memory PGlite. */
  dataDir: string;
  log?: Logger;
  /** Pool size for a real PostgreSQL (default 10). The embedded database always uses 1. */
  poolSize?: number;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Connection string (for PGlite, the local socket server's). May hold a password: never log it. */
  url: string;
  close(): Promise<void>;
}

export const IN_MEMORY = ':memory:';

export async function openDatabase(opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const log = (opts.log ?? logger()).child({ component: 'db' });
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 10, log);
  return openPglite(opts.dataDir, log);
}

async function openPostgres(url: string, poolSize: number, log: Logger): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  watchPool(pool, log);
  // Fail at start with a clear message rather than at the first order.
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot connect to PostgreSQL at ${describeUrl(url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  log.info({ kind: 'postgres', target: describeUrl(url) }, 'database opened');
  let closing: Promise<void> | undefined;
  return {
    db,
    kind: 'postgres',
    url,
    close: () => (closing ??= db.destroy()),
  };
}

/**
 * pglite-socket 0.2.17 accepts `maxConnections` connections (default 1) and answers any further
 * one with plain text before hanging up. More than one is unsafe anyway: its query queue keeps
 * explicit transactions apart, but it forwards protocol messages one by one, so two clients'
 * extended-protocol Parse/Bind/Execute sequences (outside BEGIN) can interleave on PGlite's single
 * backend and bind each other's unnamed statement. So: one server connection and a pool of one;
 * concurrent queries from the app wait in the pool queue. The idle client is never closed, so the
 * pool never races a reconnect against the server releasing the old slot.
 */
async function openPglite(dataDir: string, log: Logger): Promise<DatabaseHandle> {
  const inMemory = dataDir === IN_MEMORY;
  const dir = inMemory ? undefined : path.resolve(dataDir, 'pglite');
  const releaseLock = dir ? acquireDirLock(dir) : () => undefined;
  let lite: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    lite = await PGlite.create(dir ? { dataDir: dir } : {});
    server = new PGLiteSocketServer({ db: lite, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
  } catch (err) {
    await server?.stop().catch(() => undefined);
    await lite?.close().catch(() => undefined);
    releaseLock();
    throw err;
  }
  const [host, port] = splitHostPort(server.getServerConn());
  const url = `postgres://postgres@${host}:${port}/postgres`;
  const pool = new pg.Pool({
    host,
    port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
    idleTimeoutMillis: 0,
  });
  watchPool(pool, log);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  log.info({ kind: 'pglite', dataDir: dir ?? IN_MEMORY, port }, 'embedded database opened');

  const liteDb = lite;
  const socketServer = server;
  let closing: Promise<void> | undefined;
  return {
    db,
    kind: 'pglite',
    url,
    close: () =>
      (closing ??= (async () => {
        await db.destroy();
        await socketServer.stop();
        // The server detaches its handlers asynchronously (a handler may still roll back an open
        // transaction); give those callbacks a turn before PGlite shuts down.
        await new Promise((resolve) => setImmediate(resolve));
        await liteDb.close();
        releaseLock();
      })()),
  };
}

function watchPool(pool: pg.Pool, log: Logger): void {
  // An idle client can fail (server restart, network); without a listener pg would crash the process.
  pool.on('error', (err) => log.warn({ err: { message: err.message } }, 'idle database connection failed'));
}

function splitHostPort(conn: string): [string, number] {
  const i = conn.lastIndexOf(':');
  const port = Number(conn.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0) {
    throw new Error(`unexpected PGlite server address ${conn}`);
  }
  return [conn.slice(0, i), port];
}

/** host:port/database of a connection string, without user or password (safe to log). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/**
 * PGlite is a single-process database: two processes opening the same directory would corrupt it.
 * A lock file with the owner's pid keeps a second process (say the CLI while the app runs) out
 * with a clear message; a lock left by a dead process is taken over.
 */
function acquireDirLock(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const lockPath = `${dir}.lock`;
  const release = () => fs.rmSync(lockPath, { force: true });
  if (createLockFile(lockPath)) return release;
  const owner = Number(fs.readFileSync(lockPath, 'utf8').trim());
  if (owner === process.pid) {
    throw new Error(`embedded database ${dir} is already open in this process; close the other handle first`);
  }
  if (owner && isAlive(owner)) {
    throw new Error(
      `embedded database ${dir} is in use by process ${owner}; stop it or set DATABASE_URL to share a PostgreSQL`,
    );
  }
  release();
  if (!createLockFile(lockPath)) throw new Error(`could not lock embedded database ${dir}`);
  return release;
}

/** Creates the lock file with this process's pid; false when it already exists. */
function createLockFile(lockPath: string): boolean {
  try {
    fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
