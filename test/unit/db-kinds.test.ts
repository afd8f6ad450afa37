import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DATABASE_KINDS, forEachDatabase, parseDatabaseKinds } from '../helpers/db';

const ACCEPTED = /accepted values: postgres, pglite \(comma-separated\), or unset for all$/;

describe('TEST_DB_KINDS', () => {
  it('unset or blank means every kind', () => {
    assert.deepEqual(DATABASE_KINDS, ['postgres', 'pglite']);
    assert.deepEqual(parseDatabaseKinds(undefined), ['postgres', 'pglite']);
    assert.deepEqual(parseDatabaseKinds(''), ['postgres', 'pglite']);
    assert.deepEqual(parseDatabaseKinds('  '), ['postgres', 'pglite']);
  });

  it('narrows to the kinds it names, in the usual order, ignoring spaces and empty entries', () => {
    assert.deepEqual(parseDatabaseKinds('pglite'), ['pglite']);
    assert.deepEqual(parseDatabaseKinds('postgres'), ['postgres']);
    assert.deepEqual(parseDatabaseKinds(' pglite , postgres '), ['postgres', 'pglite']);
    assert.deepEqual(parseDatabaseKinds('pglite,'), ['pglite']);
    assert.deepEqual(parseDatabaseKinds('pglite,pglite'), ['pglite']);
  });

  it('an unknown kind throws one line naming it and the accepted values', () => {
    for (const [raw, named] of [
      ['postgress', '"postgress"'],
      ['pglite,sqlite', '"sqlite"'],
      ['Postgres', '"Postgres"'],
      ['postgres;pglite', '"postgres;pglite"'],
    ]) {
      assert.throws(
        () => parseDatabaseKinds(raw),
        (err: Error) => {
          assert.ok(!err.message.includes('\n'), 'one line');
          assert.ok(err.message.includes(`unknown kind ${named}`), err.message);
          assert.match(err.message, ACCEPTED);
          return true;
        },
      );
    }
    assert.throws(() => parseDatabaseKinds(','), /names no kind; accepted values/);
  });

  it('a database suite does not register quietly under a typo: forEachDatabase throws', () => {
    const saved = process.env.TEST_DB_KINDS;
    process.env.TEST_DB_KINDS = 'pglit';
    let bodies = 0;
    try {
      assert.throws(
        () =>
          forEachDatabase('never registered', () => {
            bodies++;
          }),
        /unknown kind "pglit"/,
      );
    } finally {
      if (saved === undefined) delete process.env.TEST_DB_KINDS;
      else process.env.TEST_DB_KINDS = saved;
    }
    assert.equal(bodies, 0);
  });

  it('npm test stops at once, with the message, before starting anything', () => {
    const root = path.resolve(__dirname, '..', '..');
    const run = spawnSync(
      process.execPath,
      [path.join(root, 'bin', 'run-ts.js'), 'scripts/run-tests.ts', 'test/unit/concurrency.test.ts'],
      { cwd: root, env: { ...process.env, TEST_DB_KINDS: 'postgress' }, encoding: 'utf8' },
    );
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /^TEST_DB_KINDS="postgress" names unknown kind "postgress"; accepted values/m);
    assert.doesNotMatch(run.stdout, /test harness: Temporal dev server/, 'no dev server was started');
  });
});
