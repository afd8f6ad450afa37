import assert from 'node:assert/strict';
import { it } from 'node:test';
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
  it('never lets any window-length span exceed the limit, and uses at least 90% of it', async () => {
    const clock = jumpingClock(1_000_000_123);
    const limit = { limit: 50, windowMs: 10_000 };
    // Two instances stand for two worker processes sharing the database.
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
    assert.ok(share >= 0.9, `used ${(share * 100).toFixed(1)}% of the limit`);
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
});
