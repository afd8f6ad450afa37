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
    const w = recordingWriter();
    const gc = new GroupCommit<Row, string>({ write: w.write, maxBatch: 50, spacingMs: 60 });
    const t0 = Date.now();
    await gc.add({ key: 'first', value: 0 });
    assert.ok(Date.now() - t0 < 50, 'the first row after a quiet spell is not held back');
    // Rows every 5 ms for 150 ms: written in a few statements, not one each.
    const adds: Array<Promise<string>> = [];
    for (let i = 0; i < 30; i++) {
      adds.push(gc.add({ key: `r${i}`, value: i }));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(adds);
    assert.ok(w.statements.length <= 1 + 5, `${w.statements.length} statements for 31 rows`);
    assert.equal(w.statements.flat().length, 31);
  });
});
