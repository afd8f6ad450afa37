import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { TokenRepo, type EncryptedToken } from '../../lib/db/repos';
import type { Database } from '../../lib/db/types';
import { forEachDatabase, uniqueName } from '../helpers/db';

function encrypted(): EncryptedToken {
  return { keyId: 'k1', iv: randomBytes(12), ciphertext: randomBytes(40), authTag: randomBytes(16) };
}

async function backendPid(db: Kysely<Database>): Promise<number> {
  const r = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
  return r.rows[0]!.pid;
}

forEachDatabase('TokenRepo', (getDb, kind) => {
  const repo = () => new TokenRepo(getDb().db);

  it('saves encrypted tokens, bumps the version and keeps bytes intact', async () => {
    const connection = uniqueName('exact');
    assert.equal(await repo().get(connection), undefined);
    const t1 = encrypted();
    const expiresAt = new Date('2026-11-21T11:00:00Z');
    const row1 = await repo().save(getDb().db, connection, 'access', { ...t1, expiresAt });
    assert.equal(row1.version, 1);
    assert.deepEqual(row1.ciphertext, t1.ciphertext);
    assert.deepEqual(row1.iv, t1.iv);
    assert.deepEqual(row1.auth_tag, t1.authTag);
    assert.equal(row1.expires_at?.toISOString(), expiresAt.toISOString());

    assert.equal(
      await repo().setLockedUntil(getDb().db, connection, 'access', new Date('2030-01-01T00:00:00Z')),
      true,
    );
    assert.ok((await repo().get(connection, 'access'))?.locked_until instanceof Date);
    const t2 = encrypted();
    const row2 = await repo().save(getDb().db, connection, 'access', { ...t2, expiresAt: null });
    assert.equal(row2.version, 2);
    assert.equal(row2.locked_until, null, 'a fresh token lifts the lockout');
    assert.equal(row2.expires_at, null);
    assert.deepEqual((await repo().get(connection))?.ciphertext, t2.ciphertext);

    await repo().save(getDb().db, connection, 'refresh', { ...encrypted(), expiresAt: null });
    assert.equal((await repo().get(connection, 'refresh'))?.version, 1, 'kinds are separate rows');
    assert.equal(await repo().setLockedUntil(getDb().db, uniqueName('none'), 'access', new Date()), false);
  });

  it('withLock serialises concurrent callers and hands each the current row', async () => {
    const connection = uniqueName('exact');
    const events: string[] = [];
    const pids: number[] = [];
    const caller = (name: string) =>
      repo().withLock(connection, 'refresh', async (tx, current) => {
        events.push(`${name}:in:${current ? current.version : 'none'}`);
        pids.push(await backendPid(tx));
        await sleep(150);
        const saved = await repo().save(tx, connection, 'refresh', { ...encrypted(), expiresAt: null });
        events.push(`${name}:out`);
        return saved.version;
      });
    const versions = await Promise.all([caller('a'), caller('b')]);
    assert.deepEqual(versions.sort(), [1, 2]);
    const first = events[0]!.split(':')[0]!;
    const second = first === 'a' ? 'b' : 'a';
    assert.deepEqual(events, [`${first}:in:none`, `${first}:out`, `${second}:in:1`, `${second}:out`]);
    if (kind === 'postgres') assert.notEqual(pids[0], pids[1], 'the two callers used two connections');
  });

  it('makes a refresh single-flight: one fetch for many concurrent callers', async () => {
    const connection = uniqueName('fedex');
    let fetches = 0;
    const getToken = () =>
      repo().withLock(connection, 'access', async (tx, current) => {
        if (current?.expires_at && current.expires_at.getTime() > Date.now()) return current.ciphertext;
        fetches++;
        await sleep(50); // the auth endpoint answering
        const saved = await repo().save(tx, connection, 'access', {
          ...encrypted(),
          expiresAt: new Date(Date.now() + 3_600_000),
        });
        return saved.ciphertext;
      });
    const tokens = await Promise.all(Array.from({ length: 5 }, getToken));
    assert.equal(fetches, 1);
    assert.equal(new Set(tokens.map((t) => t.toString('hex'))).size, 1);
  });

  it('releases the lock and keeps nothing when the callback throws', async () => {
    const connection = uniqueName('exact');
    await assert.rejects(
      repo().withLock(connection, 'refresh', async (tx) => {
        await repo().save(tx, connection, 'refresh', { ...encrypted(), expiresAt: null });
        throw new Error('refresh rejected: invalid_grant');
      }),
      /invalid_grant/,
    );
    assert.equal(await repo().get(connection, 'refresh'), undefined, 'rolled back');
    const after = await repo().withLock(connection, 'refresh', async (_tx, current) => current);
    assert.equal(after, undefined);
  });

  if (kind === 'postgres') {
    describe('across connections', () => {
      it('does not block callers of other connections or kinds', async () => {
        const a = uniqueName('exact');
        const b = uniqueName('exact');
        const order: string[] = [];
        // `a` holds its lock until the test lets go, so the others finish first or not at all.
        let holding!: () => void;
        const held = new Promise<void>((r) => (holding = r));
        let letGo!: () => void;
        const release = new Promise<void>((r) => (letGo = r));
        const slow = repo().withLock(a, 'refresh', async () => {
          holding();
          await release;
          order.push('a');
        });
        await held;
        const others = (async () => {
          await repo().withLock(b, 'refresh', async () => void order.push('b'));
          await repo().withLock(a, 'access', async () => void order.push('a-access'));
        })();
        // Blocked shows in pg_locks as an advisory lock not granted; no clock decides it.
        let done = false;
        const blocked = (async () => {
          while (!done) {
            const { rows } = await sql<{ n: string }>`
              SELECT count(*) AS n FROM pg_locks
              WHERE locktype = 'advisory' AND NOT granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(
              getDb().db,
            );
            if (Number(rows[0]?.n) > 0) return true;
            await sleep(10);
          }
          return false;
        })();
        const first = await Promise.race([others.then(() => 'finished'), blocked.then(() => 'blocked')]);
        done = true;
        letGo();
        await Promise.all([slow, others, blocked]);
        assert.equal(first, 'finished', 'the other callers waited for nothing');
        assert.deepEqual(order, ['b', 'a-access', 'a']);
      });
    });
  }
});
