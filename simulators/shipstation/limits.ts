/** What the limiter decided for one request, with the numbers for the rate-limit headers. */
export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until the next window begins (V1's X-Rate-Limit-Reset, V2's Retry-After). */
  resetSeconds: number;
}

/**
 * A fixed 60-second window per key that starts with the key's first request, which is how V1's
 * counting-down X-Rate-Limit-Reset reads. A burst answers 429 to everything until it ends.
 */
export class MinuteWindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private burstUntil = 0;

  constructor(
    public perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): LimitDecision {
    const now = this.now();
    if (now < this.burstUntil) {
      return {
        allowed: false,
        limit: this.perMinute,
        remaining: 0,
        resetSeconds: Math.ceil((this.burstUntil - now) / 1000),
      };
    }
    let win = this.windows.get(key);
    if (!win || now - win.start >= 60_000) {
      win = { start: now, count: 0 };
      this.windows.set(key, win);
    }
    const resetSeconds = Math.max(1, Math.ceil((win.start + 60_000 - now) / 1000));
    if (win.count >= this.perMinute)
      return { allowed: false, limit: this.perMinute, remaining: 0, resetSeconds };
    win.count++;
    return { allowed: true, limit: this.perMinute, remaining: this.perMinute - win.count, resetSeconds };
  }

  burst(seconds: number): void {
    this.burstUntil = this.now() + seconds * 1000;
  }

  get burstActiveUntil(): number | null {
    return this.burstUntil > this.now() ? this.burstUntil : null;
  }

  reset(): void {
    this.windows.clear();
    this.burstUntil = 0;
  }
}
