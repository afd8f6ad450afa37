import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createLogger } from '../../lib/logger';
import {
  MIGRATIONS_DIR,
  isMigrationFile,
  migrateDown,
  migrateToLatest,
  migrationStatus,
} from '../../lib/db/migrate';
import { createTestDatabase, databaseKinds, makeTempDir, type TestDatabase } from '../helpers/db';

const log = createLogger({ level: 'warn' });

describe('isMigrationFile', () => {
  it('takes .ts under tsx and .js once compiled, never declarations or source maps', () => {
    assert.equal(isMigrationFile('2026-11-21T00-00_initial.ts'), true);
    assert.equal(isMigrationFile('2026-11-21T00-00_initial.js'), true);
    assert.equal(isMigrationFile('2026-11-21T00-00_initial.d.ts'), false);
    assert.equal(isMigrationFile('2026-11-21T00-00_initial.js.map'), false);
    assert.equal(isMigrationFile('2026-11-21T00-00_initial.d.ts.map'), false);
    assert.equal(isMigrationFile('.2026-11-21T00-00_initial.ts.swp'), false);
    assert.equal(isMigrationFile('README.md'), false);
  });
});

async function tableNames(tdb: TestDatabase): Promise<string[]> {
  const r = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%' ORDER BY table_name`.execute(tdb.db);
  return r.rows.map((row) => row.table_name);
}

async function columnNames(tdb: TestDatabase, table: string): Promise<string[]> {
  const r = await sql<{ column_name: string }>`
    SELECT column_name FROM information_schema.columns WHERE table_name = ${table}`.execute(tdb.db);
  return r.rows.map((row) => row.column_name);
}

for (const kind of databaseKinds()) {
  describe(`migrations [${kind}]`, () => {
    let tdb: TestDatabase;
    const expected = fs
      .readdirSync(MIGRATIONS_DIR)
      .filter(isMigrationFile)
      .map((f) => f.replace(/\.(ts|js)$/, ''))
      .sort();

    before(async () => {
      tdb = await createTestDatabase(kind, { migrate: false });
    });
    after(async () => {
      await tdb?.dispose();
    });

    it('apply every migration in order, then nothing on a second run', async () => {
      assert.ok(expected.length >= 2);
      const applied = await migrateToLatest(tdb.db, log);
      assert.deepEqual(applied, expected);
      assert.deepEqual(await migrateToLatest(tdb.db, log), []);
      const tables = await tableNames(tdb);
      for (const t of ['audit_log', 'connections', 'oauth_tokens', 'orders', 'shipments', 'webhook_inbox']) {
        assert.ok(tables.includes(t), `table ${t} exists`);
      }
      assert.ok((await columnNames(tdb, 'webhook_inbox')).includes('claimed_at'));
    });

    it('report status with execution times', async () => {
      const status = await migrationStatus(tdb.db);
      assert.deepEqual(
        status.map((s) => s.name),
        expected,
      );
      for (const s of status) assert.ok(s.executedAt instanceof Date, `${s.name} executed`);
    });

    it('go down one step at a time and back up', async () => {
      const last = expected[expected.length - 1];
      assert.deepEqual(await migrateDown(tdb.db, log), [last]);
      assert.equal((await migrationStatus(tdb.db)).find((s) => s.name === last)?.executedAt, null);
      for (let i = expected.length - 2; i >= 0; i--) await migrateDown(tdb.db, log);
      assert.deepEqual(await tableNames(tdb), []);
      assert.deepEqual(await migrateDown(tdb.db, log), []);
      assert.deepEqual(await migrateToLatest(tdb.db, log), expected);
    });
  });
}

describe('migrations from a compiled folder', () => {
  const tmp = makeTempDir('mlc-migrations-');
  let tdb: TestDatabase;
  const [kind] = databaseKinds();

  before(async () => {
    assert.ok(kind, 'at least one database kind');
    tdb = await createTestDatabase(kind, { migrate: false });
  });
  after(async () => {
    await tdb?.dispose();
    tmp.remove();
  });

  it('load .js files and ignore .d.ts and .map next to them', async () => {
    const dir = path.join(tmp.dir, 'ok');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, '0001_widgets.js'),
      `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.up = async (db) => { await db.schema.createTable('widgets').addColumn('id', 'integer').execute(); };
exports.down = async (db) => { await db.schema.dropTable('widgets').execute(); };
`,
    );
    // Were these two taken for migrations, requiring them would throw (they are not JavaScript).
    fs.writeFileSync(
      path.join(dir, '0001_widgets.d.ts'),
      'export declare function up(db: any): Promise<void>;\n',
    );
    fs.writeFileSync(path.join(dir, '0001_widgets.js.map'), '{"version":3,"mappings":""}\n');
    assert.deepEqual(await migrateToLatest(tdb.db, log, dir), ['0001_widgets']);
    assert.deepEqual(await tableNames(tdb), ['widgets']);
    assert.deepEqual(await migrateDown(tdb.db, log, dir), ['0001_widgets']);
  });

  it('name the migration that failed', async () => {
    const dir = path.join(tmp.dir, 'broken');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, '0002_broken.js'),
      `exports.up = async (db) => { await db.schema.alterTable('no_such_table').addColumn('x', 'text').execute(); };\n`,
    );
    await assert.rejects(
      migrateToLatest(tdb.db, log, dir),
      /migration 0002_broken failed \(up\): .*no_such_table/,
    );
  });
});
