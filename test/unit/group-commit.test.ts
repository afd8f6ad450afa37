import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../lib/db/group-commit';

interface Row {
  key: string;
  value: number;
}

/** A writer that records each statement's rows, answers after a tick, and refuses value < 0. */
function recordingWriter() {
  const statements: Row[][] = [];
  const write = async (rows: Row[]) => {
    statements.push(rows);
    await new Promise((r) => setTimeout(r, 5));
    if (rows.some((r) => r.value < 0)) throw new Error('bad row');
    return rows.map((r) => `${r.key}=${r.value}`);
  };
  return { statements, write };
}

/** Lets what an ended sleep or a new row started run (a flush begins after a setImmediate). */
async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A clock that moves only when the test says so: a sleep ends when advance() reaches its time. */
function manualClock(start = 1_000_000) {
  let now = start;
  let timers: Array<{ at: number; fire: () => void }> = [];
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: (ms: number) => {
      sleeps.push(ms);
      return new Promise<void>((fire) => timers.push({ at: now + ms, fire }));
    },
    async advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fire();
      await turns();
    },
  };
}

describe('GroupCommit', () => {
  it('rows added in one turn go in one statement, and each caller gets its own result', async () => {
    const w = recordingWriter();
    const gc = new GroupCommit<Row, string>({ write: w.write, maxBatch: 50 });
    const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => gc.add({ key: `k${i}`, value: i })));
    assert.deepEqual(
      outs,
      Array.from({ length: 10 }, (_, i) => `k${i}=${i}`),
    );
    assert.equal(w.statements.length, 1);
  });

  it('rows arriving while a statement is on its way wait for the next one; maxBatch caps a statement', async () => {
    const w = recordingWriter();
    const gc = new GroupCommit<Row, string>({ write: w.write, maxBatch: 3 });
    const first = Array.from({ length: 5 }, (_, i) => gc.add({ key: `a${i}`, value: i }));
    await new Promise((r) => setTimeout(r, 1));
    const later = Array.from({ length: 2 }, (_, i) => gc.add({ key: `b${i}`, value: i }));
    await Promise.all([...first, ...later]);
    assert.deepEqual(
      w.statements.map((s) => s.length),
      [3, 3, 1],
    );
  });

  it('with keyOf, rows with the same key never share a statement and keep their order', async () => {
    const w = recordingWriter();
    const gc = new GroupCommit<Row, string>({ write: w.write, maxBatch: 50, keyOf: (r) => r.key });
    await Promise.all([
      gc.add({ key: 'x', value: 1 }),
      gc.add({ key: 'y', value: 1 }),
      gc.add({ key: 'x', value: 2 }),
      gc.add({ key: 'z', value: 1 }),
      gc.add({ key: 'x', value: 3 }),
    ]);
    assert.deepEqual(
      w.statements.map((s) => s.map((r) => `${r.key}${r.value}`)),
      [['x1', 'y1', 'z1'], ['x2'], ['x3']],
    );
  });

  it('a bad row fails alone: its neighbours are written one by one and succeed', async () => {
    const w = recordingWriter();
    const gc = new GroupCommit<Row, string>({ write: w.write, maxBatch: 50 });
    const results = await Promise.allSettled([
      gc.add({ key: 'a', value: 1 }),
      gc.add({ key: 'b', value: -1 }),
      gc.add({ key: 'c', value: 3 }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal((results[0] as PromiseFulfilledResult<string>).value, 'a=1');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /bad row/);
  });

  it('a writer answering the wrong number of results fails the batch row by row, not silently', async () => {
    const gc = new GroupCommit<Row, string>({ write: async () => ['only one'], maxBatch: 50 });
    const results = await Promise.allSettled([
      gc.add({ key: 'a', value: 1 }),
      gc.add({ key: 'b', value: 2 }),
    ]);
    // Alone, each row gets the writer's single answer.
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled'],
    );
  });

  it('with spacingMs, a busy writer sends at most one statement per spacing; a quiet one writes at once', async () => {
    const clock = manualClock();
    const t0 = clock.now();
    const statements: Array<{ at: number; keys: string[] }> = [];
    const gc = new GroupCommit<Row, string>({
      write: async (rows) => {
        statements.push({ at: clock.now() - t0, keys: rows.map((r) => r.key) });
        return rows.map((r) => `${r.key}=${r.value}`);
      },
      maxBatch: 50,
      spacingMs: 60,
      clock,
    });
    const first = gc.add({ key: 'first', value: 0 });
    await turns();
    assert.deepEqual(
      statements,
      [{ at: 0, keys: ['first'] }],
      'the first row is written with the clock still',
    );
    assert.deepEqual(clock.sleeps, [], 'the first row after a quiet spell is not held back');
    assert.equal(await first, 'first=0');

    // A row every 5 ms for 150 ms (the clock's ms): written in a few statements, not one each.
    const adds: Array<Promise<string>> = [];
    for (let i = 0; i < 30; i++) {
      adds.push(gc.add({ key: `r${i}`, value: i }));
      await clock.advance(5);
    }
    await clock.advance(60);
    await Promise.all(adds);
    assert.deepEqual(
      statements.flatMap((s) => s.keys),
      ['first', ...Array.from({ length: 30 }, (_, i) => `r${i}`)],
      'every row, once, in order',
    );
    const gaps = statements.slice(1).map((s, i) => s.at - statements[i]!.at);
    assert.ok(
      gaps.every((g) => g >= 60),
      `statements start at least 60 ms apart: ${JSON.stringify(statements.map((s) => s.at))}`,
    );
    assert.ok(statements.length <= 1 + 4, `${statements.length} statements for 31 rows`);

    // Quiet again: the next row goes at once.
    await clock.advance(1_000);
    const waitsBefore = clock.sleeps.length;
    const late = gc.add({ key: 'late', value: 1 });
    await turns();
    assert.deepEqual(statements.at(-1)?.keys, ['late']);
    assert.equal(clock.sleeps.length, waitsBefore, 'no wait after a quiet spell');
    assert.equal(await late, 'late=1');
  });
});
