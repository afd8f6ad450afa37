import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eitherSignal, forEachConcurrently } from '../../lib/concurrency';
import { getEventListeners } from 'node:events';

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(5 + (n % 3));
      running--;
      done.push(n);
    });
    assert.deepEqual(
      [...done].sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(peak, 3);
  });

  it('stops starting items after a failure, waits for those running, then throws that failure', async () => {
    const started: number[] = [];
    let settled = 0;
    await assert.rejects(
      forEachConcurrently([1, 2, 3, 4, 5, 6], 2, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('two failed');
        await sleep(20);
        settled++;
      }),
      /two failed/,
    );
    assert.deepEqual(started, [1, 2], 'nothing started after the failure');
    assert.equal(settled, 1, 'the item already running finished before the call returned');
  });

  it('accepts an empty list and refuses a limit below one', async () => {
    await forEachConcurrently([], 4, () => Promise.reject(new Error('never called')));
    await assert.rejects(
      forEachConcurrently([1], 0, async () => {}),
      RangeError,
    );
  });
});

describe('eitherSignal', () => {
  it('aborts with the reason of whichever source aborts first', () => {
    const a = new AbortController();
    const b = new AbortController();
    const either = eitherSignal(a.signal, b.signal);
    b.abort(new Error('out of time'));
    assert.equal(either.signal?.aborted, true);
    assert.equal((either.signal?.reason as Error).message, 'out of time');
    either.dispose();
  });

  it('leaves no listener on a long-lived source once disposed, however often it is used', () => {
    const cancellation = new AbortController();
    for (let i = 0; i < 50; i++) {
      const deadline = new AbortController();
      const either = eitherSignal(cancellation.signal, deadline.signal);
      either.dispose();
    }
    assert.equal(getEventListeners(cancellation.signal, 'abort').length, 0);
  });

  it('passes a single signal through, and an already aborted source at once', () => {
    const only = new AbortController();
    assert.equal(eitherSignal(only.signal, undefined).signal, only.signal);
    assert.equal(eitherSignal(undefined, undefined).signal, undefined);
    const done = new AbortController();
    done.abort('gone');
    assert.equal(eitherSignal(done.signal, new AbortController().signal).signal?.reason, 'gone');
  });
});
