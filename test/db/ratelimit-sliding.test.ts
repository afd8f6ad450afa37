import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { PostgresSlidingLimiter, type LimiterClock } from '../../lib/ratelimit';
import { forEachDatabase, uniqueName } from '../helpers/db';

/** A clock that jumps forward by whatever a caller sleeps, recording nothing else. */
function jumpingClock(start: number): LimiterClock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

/** The most grants that fall in any half-open span [s, s + windowMs). */
function worstWindow(grants: number[], windowMs: number): number {
  let worst = 0;
  for (let i = 0, j = 0; i < grants.length; i++) {
    while (grants[j]! <= grants[i]! - windowMs) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

forEachDatabase('PostgresSlidingLimiter (shared by processes)', (getDb) => {
  it('never lets any window-length span exceed the limit, and uses at least 93% of it', async () => {
    const clock = jumpingClock(1_000_000_123);
    const limit = { limit: 50, windowMs: 10_000 };
    // Two instances stand for two worker processes sharing the database (default 20 slices).
    const limiters = [0, 1].map(
      () =>
        new PostgresSlidingLimiter(
          getDb().db,
          () => limit,
          undefined,
          clock,
          () => 0,
        ),
    );
    const key = uniqueName('fedex:api');
    const grants: number[] = [];
    const start = clock.t;
    for (let i = 0; i < 600; i++) {
      await limiters[i % 2]!.acquire(key);
      grants.push(clock.t);
    }
    const windows = (clock.t - start) / limit.windowMs;
    assert.ok(
      worstWindow(grants, limit.windowMs) <= limit.limit,
      `worst window ${worstWindow(grants, limit.windowMs)}`,
    );
    const share = grants.length / windows / limit.limit;
    assert.ok(share >= 0.93, `used ${(share * 100).toFixed(1)}% of the limit`);
  });

  it('counts concurrent callers atomically', async () => {
    const clock = jumpingClock(2_000_000_000);
    const limit = { limit: 5, windowMs: 1_000 };
    const limiter = new PostgresSlidingLimiter(
      getDb().db,
      () => limit,
      10,
      clock,
      () => 0,
    );
    const key = uniqueName('burst');
    const t0 = clock.t;
    await Promise.all(Array.from({ length: 5 }, () => limiter.acquire(key)));
    assert.equal(clock.t, t0, 'the first five fit at once');
    await limiter.acquire(key);
    assert.ok(clock.t > t0, 'the sixth waits');
    await assert.rejects(limiter.acquire(key, 6), RangeError);
  });

  it('with a lease, takes several units per transaction and still never exceeds the limit', async () => {
    const clock = jumpingClock(3_000_000_000);
    const limit = { limit: 100, windowMs: 10_000, lease: 8 };
    const limiters = [0, 1].map(
      () =>
        new PostgresSlidingLimiter(
          getDb().db,
          () => limit,
          10,
          clock,
          () => 0,
        ),
    );
    const key = uniqueName('plex:lease');
    const grants: number[] = [];
    const start = clock.t;
    for (let i = 0; i < 1200; i++) {
      await limiters[i % 2]!.acquire(key);
      grants.push(clock.t);
    }
    assert.ok(
      worstWindow(grants, limit.windowMs) <= limit.limit,
      `worst window ${worstWindow(grants, limit.windowMs)}`,
    );
    const share = grants.length / ((clock.t - start) / limit.windowMs) / limit.limit;
    assert.ok(share >= 0.8, `used ${(share * 100).toFixed(1)}% of the limit`);
  });

  it('a lease is taken once per transaction and does not outlive its slice', async () => {
    const clock = jumpingClock(4_000_000_000);
    const limit = { limit: 100, windowMs: 10_000, lease: 5 };
    const limiter = new PostgresSlidingLimiter(
      getDb().db,
      () => limit,
      10,
      clock,
      () => 0,
    );
    const key = uniqueName('plex:slice');
    const counted = async () =>
      (
        await sql<{ window_start: Date; count: number }>`
          SELECT window_start, count FROM rate_limit_windows WHERE key = ${key} ORDER BY window_start`.execute(
          getDb().db,
        )
      ).rows.map((r) => Number(r.count));
    await Promise.all(Array.from({ length: 3 }, () => limiter.acquire(key)));
    assert.deepEqual(await counted(), [5], 'three concurrent callers: one transaction took a lease of five');
    await limiter.acquire(key);
    await limiter.acquire(key);
    assert.deepEqual(await counted(), [5], 'the lease served the fourth and fifth');
    await limiter.acquire(key);
    assert.deepEqual(await counted(), [10], 'the sixth took a new lease');
    clock.t += 1_000; // the next slice: the four units left are not used there
    await limiter.acquire(key);
    assert.deepEqual(await counted(), [10, 5]);
  });

  it('waiters of a process do not each ask the database again while the window is full', async (t) => {
    const clock = jumpingClock(5_000_000_000);
    const limit = { limit: 2, windowMs: 1_000 };
    const { db } = getDb();
    // Counts the limiter's database rounds (each a call of rate_limit_take).
    let transactions = 0;
    const counted = db.withPlugin({
      transformQuery: (args) => {
        if (JSON.stringify(args.node).includes('rate_limit_take')) transactions++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    // A clock whose sleeps do not move time: every waiter stays in the full slice until the test moves it.
    let released = false;
    let sleeps = 0;
    const stuck = {
      now: () => clock.t,
      sleep: async () => {
        sleeps++;
        if (released) clock.t += 1_100;
        return new Promise<void>((r) => setImmediate(r));
      },
    };
    // Conditions, not fixed waits: a busy machine only makes these take longer (a hang is ended by
    // the test runner's timeout).
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise((r) => setTimeout(r, 5));
    };
    /** The waiters go round their loop (ask, or skip the database, then sleep) `n` more times. */
    const rounds = async (n: number) => {
      const target = sleeps + n;
      await until(() => sleeps >= target);
    };
    const limiter = new PostgresSlidingLimiter(
      counted,
      () => limit,
      10,
      stuck,
      () => 0,
    );
    const key = uniqueName('fedex:herd');
    let granted = 0;
    const waiters = Array.from({ length: 10 }, () => limiter.acquire(key).then(() => granted++));
    // If an assertion fails, time moves on in the waiters' sleeps so they finish instead of
    // spinning and keeping the run alive.
    t.after(() => {
      released = true;
    });
    await until(() => granted >= 2 && transactions >= 3);
    await rounds(5 * 8);
    assert.equal(granted, 2, 'the window holds two');
    assert.equal(
      transactions,
      3,
      'two grants and one round that found it full; the other waiters skip the database',
    );
    clock.t += 1_100; // both grants leave the window
    await until(() => granted >= 4);
    await rounds(5 * 6);
    assert.equal(granted, 4, 'two more, and no more, in the next slice');
    for (let i = 0; granted < 10; i++) {
      assert.ok(i < 6, `${granted} granted after ${i} more slices`);
      const before = granted;
      clock.t += 1_100;
      await until(() => granted > before);
    }
    await Promise.all(waiters);
    assert.equal(granted, 10);
  });
});

forEachDatabase('PostgresSlidingLimiter: a caller that stops waiting', (getDb) => {
  it('rejects with the signal’s reason and takes nothing from the shared window', async () => {
    // A clock that stands still and whose sleeps never end: the window stays full, and a waiter's
    // sleep can end only through its signal.
    const sleeps: number[] = [];
    const still: LimiterClock = {
      now: () => 6_000_000_000,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise<void>(() => undefined);
      },
    };
    const limit = { limit: 2, windowMs: 60_000 };
    const limiter = new PostgresSlidingLimiter(
      getDb().db,
      () => limit,
      undefined,
      still,
      () => 0,
    );
    const key = uniqueName('shipstation:v1');
    await limiter.acquire(key);
    await limiter.acquire(key);
    const used = async () =>
      Number(
        (
          await sql<{
            n: string | null;
          }>`SELECT sum(count) AS n FROM rate_limit_windows WHERE key = ${key}`.execute(getDb().db)
        ).rows[0]?.n ?? 0,
      );
    assert.equal(await used(), 2);

    const giveUp = new AbortController();
    const waiting = limiter.acquire(key, 1, { signal: giveUp.signal });
    while (sleeps.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(sleeps.length, 1, 'asleep until the next slice');
    giveUp.abort(new Error('attempt out of time'));
    await assert.rejects(waiting, /attempt out of time/, 'gave up when the signal fired');
    const aborted = new AbortController();
    aborted.abort(new Error('cancelled'));
    await assert.rejects(limiter.acquire(key, 1, { signal: aborted.signal }), /cancelled/);
    assert.equal(await used(), 2, 'nothing taken for the callers that gave up');
  });
});
