import { errors } from './errors';

/**
 * FedEx's project limits: a fixed 10-second window (the counter resets every 10 s, so a burst
 * uses up the rest of the window) and an optional daily quota that resets at 00:00 GMT.
 * A "storm" answers 429 to everything until it ends.
 * All of it is timed by `now` (real time, `Date.now`, unless a test injects its own clock).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly days = new Map<string, { day: string; count: number }>();
  private stormUntil = 0;

  constructor(
    public perWindow: number,
    public dailyQuota: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one transaction for `key`; throws the 429 FedEx would send. */
  take(key: string): void {
    const now = this.now();
    if (now < this.stormUntil) throw errors.tooManyRequests();
    const day = new Date(now).toISOString().slice(0, 10);
    const daily = this.days.get(key);
    const usedToday = daily && daily.day === day ? daily.count : 0;
    if (this.dailyQuota > 0 && usedToday >= this.dailyQuota) throw errors.dailyQuota();

    const windowStart = now - (now % 10_000);
    const win = this.windows.get(key);
    const count = win && win.start === windowStart ? win.count : 0;
    if (count >= this.perWindow) throw errors.tooManyRequests();
    this.windows.set(key, { start: windowStart, count: count + 1 });
    this.days.set(key, { day, count: usedToday + 1 });
  }

  storm(seconds: number): void {
    this.stormUntil = this.now() + seconds * 1000;
  }

  get stormActiveUntil(): number | null {
    return this.stormUntil > this.now() ? this.stormUntil : null;
  }

  reset(): void {
    this.windows.clear();
    this.days.clear();
    this.stormUntil = 0;
  }
}
