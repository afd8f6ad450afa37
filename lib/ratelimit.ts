// Client-side rate limiting: callers `await limiter.acquire(key)` before each request and are held
// back until the request fits the key's limit.

export interface RateLimiter {
  /** Resolve when `cost` requests may be sent under `key`'s limit. */
  acquire(key: string, cost?: number): Promise<void>;
}

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

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

  async acquire(key: string, cost = 1): Promise<void> {
    const { limit, windowMs } = this.limitFor(key);
    if (!Number.isInteger(cost) || cost < 1 || cost > limit) {
      throw new RangeError(`cost ${cost} is outside 1..${limit} for rate limit key ${key}`);
    }
    const now = this.clock.now();
    const times = (this.grants.get(key) ?? []).filter((t) => t > now - windowMs);
    // The grant must leave room for `cost` in the window ending at it: the (limit - cost + 1)-th
    // newest earlier grant has to have left the window.
    const blocker = times[times.length - (limit - cost) - 1];
    const at = blocker === undefined ? now : Math.max(now, blocker + windowMs);
    for (let i = 0; i < cost; i++) times.push(at);
    this.grants.set(key, times);
    if (at > now) await this.clock.sleep(at - now);
  }
}

/** A limiter that never waits (tests, tools that run one request). */
export const unlimited: RateLimiter = { acquire: async () => undefined };
