import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createLogger } from '../../lib/logger';
import { describeUrl, openDatabase } from '../../lib/db';
import { migrateToLatest } from '../../lib/db/migrate';
import { createRepos } from '../../lib/db/repos';
import { createTestDatabase, makeTempDir } from '../helpers/db';

const log = createLogger({ level: 'warn' });

function portOf(url: string): number {
  return Number(new URL(url).port);
}

async function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(true));
  });
}

describe('embedded PGlite', () => {
  const tmp = makeTempDir('mlc-pglite-');
  after(() => tmp.remove());

  it('persists under <dataDir>/pglite across close and reopen, and locks the directory while open', async () => {
    const first = await openDatabase({ dataDir: tmp.dir, log });
    try {
      assert.equal(first.kind, 'pglite');
      assert.match(first.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      assert.ok(fs.existsSync(path.join(tmp.dir, 'pglite', 'PG_VERSION')));
      assert.ok((await migrateToLatest(first.db, log)).length > 0);
      await createRepos(first.db).connections.upsert('exact-demo', 'exact', 'http://127.0.0.1:1', {
        division: 42,
      });
      await assert.rejects(openDatabase({ dataDir: tmp.dir, log }), /already open in this process/);
    } finally {
      await first.close();
    }
    assert.ok(await refusesConnections(portOf(first.url)), 'socket server stopped');
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'pglite.lock')), 'lock released');

    const second = await openDatabase({ dataDir: tmp.dir, log });
    try {
      assert.deepEqual(await migrateToLatest(second.db, log), [], 'schema kept');
      const row = await createRepos(second.db).connections.get('exact-demo');
      assert.deepEqual(row?.settings, { division: 42 });
    } finally {
      await second.close();
      await second.close(); // a second close is harmless
    }
  });

  it('refuses a directory locked by a live process and takes over a dead one', async () => {
    const lockPath = path.join(tmp.dir, 'pglite.lock');
    fs.mkdirSync(path.join(tmp.dir, 'pglite'), { recursive: true });
    fs.writeFileSync(lockPath, String(process.ppid));
    await assert.rejects(
      openDatabase({ dataDir: tmp.dir, log }),
      new RegExp(`in use by process ${process.ppid}; stop it or set DATABASE_URL`),
    );
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead);
    fs.writeFileSync(lockPath, String(dead));
    const handle = await openDatabase({ dataDir: tmp.dir, log });
    try {
      assert.equal(fs.readFileSync(lockPath, 'utf8'), String(process.pid));
    } finally {
      await handle.close();
    }
  });

  it('queues concurrent queries and transactions on its single connection', async () => {
    const handle = await openDatabase({ dataDir: ':memory:', log });
    try {
      await migrateToLatest(handle.db, log);
      const { watermarks } = createRepos(handle.db);
      const work = Array.from({ length: 30 }, (_, n) =>
        n % 3 === 0
          ? handle.db.transaction().execute(async (tx) => {
              await createRepos(tx).watermarks.advance('c', `s${n}`, new Date(1_000 * n));
              await sql`SELECT pg_sleep(0.005)`.execute(tx);
              return n;
            })
          : sql<{ n: number }>`SELECT ${n}::int AS n`.execute(handle.db).then((r) => r.rows[0]?.n),
      );
      assert.deepEqual(
        await Promise.all(work),
        Array.from({ length: 30 }, (_, n) => n),
      );
      assert.deepEqual((await watermarks.get('c', 's27'))?.watermark, new Date(27_000));
      // Types cross the wire as documented: bigint and numeric as strings.
      const r = await sql<{
        b: string;
        x: string;
      }>`SELECT 9007199254740993::bigint AS b, 1.10::numeric(12,2) AS x`.execute(handle.db);
      assert.deepEqual(r.rows[0], { b: '9007199254740993', x: '1.10' });
    } finally {
      await handle.close();
    }
    assert.ok(await refusesConnections(portOf(handle.url)));
  });
});

describe('openDatabase with a URL', () => {
  it('fails at open with a message that names the server but not the password', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const url = `postgres://app:s3cret-pw@127.0.0.1:${port}/mlc`;
    await assert.rejects(openDatabase({ url, dataDir: ':memory:', log }), (err: Error) => {
      assert.match(err.message, new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}/mlc`));
      assert.ok(!err.message.includes('s3cret-pw'));
      return true;
    });
  });

  it('opens a real PostgreSQL and closes it once however often close() is called', async () => {
    const tdb = await createTestDatabase('postgres', { migrate: false });
    try {
      assert.equal(tdb.kind, 'postgres');
      const r = await sql<{ one: number }>`SELECT 1 AS one`.execute(tdb.db);
      assert.equal(r.rows[0]?.one, 1);
      await tdb.close();
      await tdb.close();
      await assert.rejects(sql`SELECT 1`.execute(tdb.db));
    } finally {
      await tdb.dispose();
    }
  });

  it('describes URLs without credentials', () => {
    assert.equal(describeUrl('postgres://u:pw@db.internal:6543/app?sslmode=require'), 'db.internal:6543/app');
    assert.equal(describeUrl('postgres://db/app'), 'db:5432/app');
    assert.equal(describeUrl('not a url'), '(unparsable DATABASE_URL)');
  });
});
