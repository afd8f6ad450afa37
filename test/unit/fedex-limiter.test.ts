import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fedexRateLimit } from '../../connectors/fedex/client';
import { fedexRateLimits } from '../../connectors/fedex/carrier';
import { sql } from 'kysely';
import {
  defaultLease,
  PostgresWindowLimiter,
  SlidingWindowLimiter,
  type LimiterClock,
} from '../../lib/ratelimit';
import { forEachDatabase } from '../helpers/db';

/** A clock that only moves when a sleeper asks it to, recording every grant time. */
function fakeClock(): LimiterClock & { t: number; slept: number[] } {
  const clock = {
    t: 0,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
    },
  };
  return clock;
}

describe('SlidingWindowLimiter', () => {
  it('grants up to the limit at once, then holds callers until the window slides', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter(() => ({ limit: 3, windowMs: 10_000 }), clock);
    for (let i = 0; i < 3; i++) await limiter.acquire('k');
    assert.deepEqual(clock.slept, []);
    clock.t = 2_000;
    await limiter.acquire('k');
    await limiter.acquire('k');
    // Both wait for the earliest grants (at t=0) to leave the window: at t=10 000.
    assert.deepEqual(clock.slept, [8_000, 8_000]);
    clock.t = 10_000;
    await limiter.acquire('k');
    // At t=10 000 the three grants of t=0 have left the window; the two of t=10 000 leave room for one.
    assert.deepEqual(clock.slept, [8_000, 8_000]);
    await limiter.acquire('k');
    assert.deepEqual(clock.slept, [8_000, 8_000, 10_000]);
  });

  it('never allows more than the limit inside any window', async () => {
    const clock = fakeClock();
    const limit = 5;
    const windowMs = 1_000;
    const limiter = new SlidingWindowLimiter(() => ({ limit, windowMs }), clock);
    const grants: number[] = [];
    for (let i = 0; i < 40; i++) {
      clock.t += i % 3 === 0 ? 150 : 0;
      const before = clock.slept.length;
      await limiter.acquire('k');
      grants.push(clock.t + (clock.slept[before] ?? 0));
    }
    for (const g of grants) {
      const inWindow = grants.filter((x) => x > g - windowMs && x <= g).length;
      assert.ok(inWindow <= limit, `${inWindow} grants in the window ending at ${g}`);
    }
  });

  it('counts a cost of several units and keeps keys apart', async () => {
    const clock = fakeClock();
    const limiter = new SlidingWindowLimiter(() => ({ limit: 4, windowMs: 1_000 }), clock);
    await limiter.acquire('a', 3);
    await limiter.acquire('b', 4);
    assert.deepEqual(clock.slept, []);
    await limiter.acquire('a', 2);
    assert.deepEqual(clock.slept, [1_000]);
    await assert.rejects(limiter.acquire('a', 5), RangeError);
    await assert.rejects(limiter.acquire('a', 0), RangeError);
  });

  it('really waits with the system clock', async () => {
    const limiter = new SlidingWindowLimiter(() => ({ limit: 2, windowMs: 200 }));
    const started = Date.now();
    await Promise.all([limiter.acquire('k'), limiter.acquire('k'), limiter.acquire('k')]);
    assert.ok(Date.now() - started >= 190, 'the third caller waited for the window');
  });

  it('uses FedEx limits: 1,400 per 10 s for API calls (leases of 7), slow token requests', () => {
    assert.deepEqual(fedexRateLimit('fedex:api:abc'), { limit: 1400, windowMs: 10_000, lease: 7 });
    assert.deepEqual(fedexRateLimit('fedex:oauth:abc'), { limit: 1, windowMs: 5_000 });
    const configured = fedexRateLimits({ transactionsPer10s: 100, tokenRequestsPerMinute: 1 });
    assert.deepEqual(configured('fedex:api:abc'), { limit: 100, windowMs: 10_000, lease: 1 });
  });

  it('asks for a lease of about a 200th of the limit, 1 to 20', () => {
    assert.deepEqual(
      [40, 100, 200, 399, 400, 1400, 6000, 100_000].map(defaultLease),
      [1, 1, 1, 1, 2, 7, 20, 20],
    );
  });
});

/** A clock whose sleeps move time forward (so a waiting caller reaches the next window at once). */
function steppingClock(start: number): LimiterClock & { t: number; slept: number[] } {
  const clock = {
    t: start,
    slept: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}

forEachDatabase('PostgresWindowLimiter (shared by processes)', (getDb) => {
  const rows = async () =>
    (
      await sql<{ key: string; start: string; count: number }>`
        SELECT key, (extract(epoch from window_start) * 1000)::bigint::text AS start, count
        FROM rate_limit_windows ORDER BY key, window_start`.execute(getDb().db)
    ).rows.map((r) => [r.key, Number(r.start), r.count]);

  it('holds the limit across two limiter instances and waits for the next window', async () => {
    const clock = steppingClock(5_000_250);
    const limit = () => ({ limit: 3, windowMs: 1_000 });
    const a = new PostgresWindowLimiter(getDb().db, limit, clock, () => 0);
    const b = new PostgresWindowLimiter(getDb().db, limit, clock, () => 0);
    await a.acquire('fedex:api:x', 2);
    await b.acquire('fedex:api:x');
    assert.deepEqual(clock.slept, []);
    await b.acquire('fedex:api:x');
    assert.deepEqual(clock.slept, [750]);
    await a.acquire('fedex:api:other', 3);
    assert.deepEqual(await rows(), [
      ['fedex:api:other', 5_001_000, 3],
      ['fedex:api:x', 5_000_000, 3],
      ['fedex:api:x', 5_001_000, 1],
    ]);
    await assert.rejects(a.acquire('fedex:api:x', 4), RangeError);
  });

  it('never over-counts a window under concurrent callers', async () => {
    const clock = steppingClock(9_000_000);
    const limit = () => ({ limit: 4, windowMs: 1_000 });
    const limiters = [0, 1].map(() => new PostgresWindowLimiter(getDb().db, limit, clock, () => 0));
    await Promise.all(Array.from({ length: 10 }, (_, i) => limiters[i % 2]!.acquire('burst')));
    const burst = (await rows()).filter(([key]) => key === 'burst');
    assert.equal(
      burst.reduce((sum, [, , count]) => sum + Number(count), 0),
      10,
    );
    for (const [, start, count] of burst) assert.ok(Number(count) <= 4, `window ${start} counted ${count}`);
  });
});
