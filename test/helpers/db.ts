import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { createLogger } from '../../lib/logger';
import { IN_MEMORY, describeUrl, openDatabase, type DatabaseHandle } from '../../lib/db';
import { migrateToLatest } from '../../lib/db/migrate';

export type DatabaseKind = DatabaseHandle['kind'];

/** Server used for real-PostgreSQL tests; each test database is created on it and dropped after. */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every database kind the tests know, in the order their suites are registered. */
export const DATABASE_KINDS: readonly DatabaseKind[] = ['postgres', 'pglite'];

/**
 * The kinds a `TEST_DB_KINDS` value names (comma-separated, e.g. `pglite` or `postgres,pglite`), in
 * DATABASE_KINDS order; all of them when it is unset or blank. Any other name throws with a one-line
 * message: a typo must fail the run, not leave the database suites registering nothing.
 */
export function parseDatabaseKinds(raw: string | undefined): DatabaseKind[] {
  if (raw === undefined || raw.trim() === '') return [...DATABASE_KINDS];
  const named = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = named.filter((s) => !(DATABASE_KINDS as readonly string[]).includes(s));
  if (unknown.length > 0 || named.length === 0) {
    const what = unknown.length > 0 ? `unknown kind ${unknown.map((u) => `"${u}"`).join(', ')}` : 'no kind';
    throw new Error(
      `TEST_DB_KINDS=${JSON.stringify(raw)} names ${what}; accepted values: ` +
        `${DATABASE_KINDS.join(', ')} (comma-separated), or unset for all`,
    );
  }
  return DATABASE_KINDS.filter((k) => named.includes(k));
}

/**
 * The kinds every database test runs on: all, unless `TEST_DB_KINDS` narrows them for a quick
 * local run (see parseDatabaseKinds). CI leaves it unset.
 */
export function databaseKinds(): DatabaseKind[] {
  return parseDatabaseKinds(process.env.TEST_DB_KINDS);
}

export interface TestDatabase extends DatabaseHandle {
  /** Closes the handle and removes what the helper created (the database, the temp dir). */
  dispose(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the migrations (default true). */
  migrate?: boolean;
  /** PGlite only: persist under this directory instead of memory (the caller owns the directory). */
  dataDir?: string;
}

const quietLog = createLogger({ level: 'warn' });

export async function createTestDatabase(
  kind: DatabaseKind,
  opts: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const handle = kind === 'postgres' ? await createPostgres() : await createPglite(opts.dataDir);
  if (opts.migrate ?? true) {
    try {
      await migrateToLatest(handle.db, quietLog);
    } catch (err) {
      await handle.dispose();
      throw err;
    }
  }
  return handle;
}

/**
 * Registers a suite per database kind. Each suite gets a fresh, migrated database in `before`
 * and removes it in `after`; `body` reads it through `getDb()` inside its tests.
 */
export function forEachDatabase(
  title: string,
  body: (getDb: () => TestDatabase, kind: DatabaseKind) => void,
  opts: TestDatabaseOptions = {},
): void {
  for (const kind of databaseKinds()) {
    describe(`${title} [${kind}]`, () => {
      let tdb: TestDatabase | undefined;
      before(async () => {
        tdb = await createTestDatabase(kind, opts);
      });
      after(async () => {
        await tdb?.dispose();
      });
      body(() => {
        if (!tdb) throw new Error(`test database (${kind}) is not open`);
        return tdb;
      }, kind);
    });
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

async function createPostgres(): Promise<TestDatabase> {
  const name = `mlc_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), dataDir: IN_MEMORY, log: quietLog });
  return {
    ...handle,
    dispose: async () => {
      await handle.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function createPglite(dataDir?: string): Promise<TestDatabase> {
  const handle = await openDatabase({ dataDir: dataDir ?? IN_MEMORY, log: quietLog });
  return { ...handle, dispose: () => handle.close() };
}

/** Runs one statement on the server's maintenance database; unreachable server = clear failure. */
async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${describeUrl(TEST_POSTGRES_URL)} (${(err as Error).message}). ` +
        'These tests need it (they do not skip). Start it, e.g. `sudo service postgresql start`, or ' +
        '`docker run -d -p 127.0.0.1:5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`, ' +
        'or point TEST_POSTGRES_URL at another server.',
      { cause: err },
    );
  }
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A temp directory removed by the returned function. */
export function makeTempDir(prefix = 'mlc-db-'): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
