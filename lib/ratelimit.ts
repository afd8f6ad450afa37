// Client-side rate limiting: callers `await limiter.acquire(key)` before each request and are held
// back until the request fits the key's limit.

import { sql, type Kysely } from 'kysely';
import { sleepUnlessAborted } from './concurrency';

export interface RateLimiter {
  /**
   * Resolve when `cost` requests may be sent under `key`'s limit. When `signal` aborts first, reject
   * with its reason; a shared limiter then takes nothing for this caller (the in-process one has
   * already reserved the slot, which goes unused).
   */
  acquire(key: string, cost?: number, opts?: AcquireOptions): Promise<void>;
}

export interface AcquireOptions {
  /** Stop waiting (an activity attempt cancelled or out of time). */
  signal?: AbortSignal;
}

export interface RateLimit {
  limit: number;
  windowMs: number;
  /**
   * Units a process may take from a shared (database) limiter in one go and hand out itself for
   * the rest of the current slice (default 1: every request asks the database). Units left at the
   * slice's end are lost, never carried over, so the limit still holds; they only waste a little of
   * it, which is why a lease suits high limits, where one database transaction per request costs
   * more than the requests themselves.
   */
  lease?: number;
}

/**
 * The lease a connector asks for (RateLimit.lease): about a 200th of the limit, 1 to 20. At the
 * limits carriers and ERPs document for one key (200 a minute, 100 per 10 s for a small
 * project, 40 a minute) that is 1, so every request asks the database and the limit is
 * used to the unit; only at thousands (the simulators, 1,400 per 10 s) a process takes a few.
 */
export function defaultLease(limit: number): number {
  return Math.min(20, Math.max(1, Math.floor(limit / 200)));
}

export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The clock's sleep, ended early (rejecting with the signal's reason) when `signal` aborts. */
const sleepUnless = (clock: LimiterClock, ms: number, signal: AbortSignal | undefined) =>
  sleepUnlessAborted((t) => clock.sleep(t), ms, signal);

/**
 * In-process sliding-window limiter: at most `limit` grants in any `windowMs` span. A token bucket
 * of the same size would allow a full burst plus a full refill inside one window, i.e. up to twice
 * the limit in a carrier's fixed window; a sliding window never exceeds it whatever the carrier's
 * window alignment is. Callers are served first come, first served: each call reserves its slot
 * synchronously, then sleeps until the slot's time.
 */
export class SlidingWindowLimiter implements RateLimiter {
  /** Grant times per key, one entry per unit of cost, oldest first. */
  private readonly grants = new Map<string, number[]>();

  constructor(
    private readonly limitFor: (key: string) => RateLimit,
    private readonly clock: LimiterClock = systemClock,
  ) {}

  async acquire(key: string, cost = 1, opts: AcquireOptions = {}): Promise<void> {
    const { limit, windowMs } = this.limitFor(key);
    if (!Number.isInteger(cost) || cost < 1 || cost > limit) {
      throw new RangeError(`cost ${cost} is outside 1..${limit} for rate limit key ${key}`);
    }
    opts.signal?.throwIfAborted();
    const now = this.clock.now();
    const times = (this.grants.get(key) ?? []).filter((t) => t > now - windowMs);
    // The grant must leave room for `cost` in the window ending at it: the (limit - cost + 1)-th
    // newest earlier grant has to have left the window.
    const blocker = times[times.length - (limit - cost) - 1];
    const at = blocker === undefined ? now : Math.max(now, blocker + windowMs);
    for (let i = 0; i < cost; i++) times.push(at);
    this.grants.set(key, times);
    if (at > now) await sleepUnless(this.clock, at - now, opts.signal);
  }
}

/**
 * Cross-process limiter on PostgreSQL: one counter row per key and epoch-aligned fixed window
 * (table rate_limit_windows), taken with a single atomic upsert that only increments while the
 * count stays within the limit. A caller whose request does not fit sleeps to the next window.
 *
 * The carrier's windows need not start where ours do, so a burst at the end of one of our windows
 * and another at the start of the next can land in one carrier window: this one holds a carrier's
 * limit only at half the figure. The connectors use PostgresSlidingLimiter below.
 */
export class PostgresWindowLimiter implements RateLimiter {
  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Kysely whose database has the table
    private readonly db: Kysely<any>,
    private readonly limitFor: (key: string) => RateLimit,
    private readonly clock: LimiterClock = systemClock,
    private readonly random: () => number = Math.random,
  ) {}

  async acquire(key: string, cost = 1, opts: AcquireOptions = {}): Promise<void> {
    const { limit, windowMs } = this.limitFor(key);
    if (!Number.isInteger(cost) || cost < 1 || cost > limit) {
      throw new RangeError(`cost ${cost} is outside 1..${limit} for rate limit key ${key}`);
    }
    for (;;) {
      opts.signal?.throwIfAborted();
      const now = this.clock.now();
      const windowStart = now - (now % windowMs);
      const taken = await sql<{ count: number }>`
        INSERT INTO rate_limit_windows (key, window_start, count)
        VALUES (${key}, ${new Date(windowStart)}, ${cost})
        ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_windows.count + ${cost}
        WHERE rate_limit_windows.count + ${cost} <= ${limit}
        RETURNING count`.execute(this.db);
      if (taken.rows.length > 0) {
        // Now and then, drop windows nobody will look at again.
        if (this.random() < 0.01) await this.prune(now - 10 * windowMs);
        return;
      }
      // Spread the waiters over the first tenth of the next window instead of all at its start.
      const jitter = Math.floor(this.random() * (windowMs / 10));
      await sleepUnless(this.clock, windowStart + windowMs - now + jitter, opts.signal);
    }
  }

  private async prune(beforeMs: number): Promise<void> {
    await sql`DELETE FROM rate_limit_windows WHERE window_start < ${new Date(beforeMs)}`.execute(this.db);
  }
}

/** A limiter that never waits (tests, tools that run one request). */
export const unlimited: RateLimiter = { acquire: async () => undefined };

/**
 * Cross-process limiter on PostgreSQL that uses nearly the whole limit, whatever the carrier's own
 * window alignment: each window is cut into `buckets` slices (rows of rate_limit_windows), and a
 * request is granted only while the last `buckets + 1` slices together stay within the limit. Any
 * span of one window length touches at most `buckets + 1` slices, so no carrier window, fixed or
 * sliding, ever sees more than the limit; in steady state it grants limit x buckets/(buckets + 1)
 * per window (95% with the default 20 slices), where the fixed-window limiter needs half the limit
 * to be safe.
 * Check and increment run in one statement (the function rate_limit_take) under an advisory lock
 * per key, one at a time per key in a process. With a `lease` above 1 (RateLimit) a transaction
 * takes several units and the process hands them out itself until the slice ends, so a busy process at a high limit pays one
 * transaction per lease instead of one per request.
 */
export class PostgresSlidingLimiter implements RateLimiter {
  /** Units this process took from the current slice and has not handed out yet, per key. */
  private readonly leases = new Map<string, { slice: number; left: number }>();
  /** The slice in which this process last found the window without room for a request, per key. */
  private readonly full = new Map<string, { slice: number; room: number }>();
  /** One database round at a time per key in this process (the advisory lock serialises them anyway). */
  private readonly rounds = new Map<string, Promise<unknown>>();

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Kysely whose database has the table
    private readonly db: Kysely<any>,
    private readonly limitFor: (key: string) => RateLimit,
    private readonly buckets = 20,
    private readonly clock: LimiterClock = systemClock,
    private readonly random: () => number = Math.random,
  ) {}

  async acquire(key: string, cost = 1, opts: AcquireOptions = {}): Promise<void> {
    const { limit, windowMs, lease = 1 } = this.limitFor(key);
    if (!Number.isInteger(cost) || cost < 1 || cost > limit) {
      throw new RangeError(`cost ${cost} is outside 1..${limit} for rate limit key ${key}`);
    }
    const sliceMs = Math.max(1, Math.floor(windowMs / this.buckets));
    const { signal } = opts;
    for (;;) {
      signal?.throwIfAborted();
      if (this.fromLease(key, cost, sliceMs)) return;
      const granted = await this.oneRoundAtATime(key, async () => {
        // A caller that gave up while queued behind this process's other rounds takes nothing.
        if (signal?.aborted) return false;
        // Another caller of this process may have refilled the lease while this one waited.
        if (this.fromLease(key, cost, sliceMs)) return true;
        // Or found the window full in this very slice: then asking again before the slice ends
        // cannot succeed, and a crowd of waiters asking one by one would take longer than the
        // slice itself (each a transaction under the key's lock), delaying the grants that fit.
        const now = this.clock.now();
        const full = this.full.get(key);
        if (full && full.slice === now - (now % sliceMs) && full.room < cost) return false;
        return this.take(key, cost, Math.max(cost, Math.min(lease, limit)), limit, sliceMs);
      });
      if (granted) return;
      // The oldest slice leaves at the next slice boundary; spread waiters over its first tenth.
      const now = this.clock.now();
      await sleepUnless(
        this.clock,
        sliceMs - (now % sliceMs) + Math.floor(this.random() * (sliceMs / 10)),
        signal,
      );
    }
  }

  /** Hand out `cost` units of this process's lease, if it is from the current slice and holds them. */
  private fromLease(key: string, cost: number, sliceMs: number): boolean {
    const now = this.clock.now();
    const held = this.leases.get(key);
    if (!held || held.slice !== now - (now % sliceMs) || held.left < cost) return false;
    held.left -= cost;
    return true;
  }

  /**
   * Take `cost` units, and up to `want` when the window has room, from the current slice; what is
   * left over after `cost` becomes this process's lease for the slice.
   */
  private async take(
    key: string,
    cost: number,
    want: number,
    limit: number,
    sliceMs: number,
  ): Promise<boolean> {
    const now = this.clock.now();
    const slice = now - (now % sliceMs);
    // One round trip: the lock, the sum and the upsert run in rate_limit_take (migration
    // 2026-11-26T00-00_rate_limit_take), in one implicit transaction.
    const { rows } = await sql<{ taken: number; room: number }>`
      SELECT taken, room FROM rate_limit_take(${key}, ${new Date(slice)},
        ${new Date(slice - (this.buckets + 1) * sliceMs)}, ${cost}, ${want}, ${limit})`.execute(this.db);
    const taken = Number(rows[0]?.taken ?? 0);
    if (taken === 0) {
      this.full.set(key, { slice, room: Number(rows[0]?.room ?? 0) });
      return false;
    }
    if (taken > cost) this.leases.set(key, { slice, left: taken - cost });
    if (this.random() < 0.01) {
      await sql`DELETE FROM rate_limit_windows WHERE window_start < ${new Date(now - 10 * this.buckets * sliceMs)}`.execute(
        this.db,
      );
    }
    return true;
  }

  private async oneRoundAtATime<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.rounds.get(key) ?? Promise.resolve();
    const round = before.then(fn, fn);
    const settled = round.catch(() => undefined);
    this.rounds.set(key, settled);
    try {
      return await round;
    } finally {
      if (this.rounds.get(key) === settled) this.rounds.delete(key);
    }
  }
}
