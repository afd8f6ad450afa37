/**
 * Plex's "200 calls per minute" per key, as a sliding 60-second window: the strictest reading, so
 * a connector that passes here passes under any window alignment Plex really uses.
 */
export class MinuteLimiter {
  /** Per key, the times of the calls counted, oldest first; `head` is the oldest still in the window. */
  private readonly calls = new Map<string, { times: number[]; head: number }>();

  constructor(
    public perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one call for `key`; false when it is over the limit (a refused call is not counted). */
  take(key: string): boolean {
    const now = this.now();
    let window = this.calls.get(key);
    if (!window) this.calls.set(key, (window = { times: [], head: 0 }));
    // Calls leave the window in the order they came: only its oldest end needs looking at, so a
    // call costs the same at 200 calls a minute as at the benchmark's thousands.
    while (window.head < window.times.length && window.times[window.head]! <= now - 60_000) window.head++;
    if (window.head > 1024 && window.head * 2 > window.times.length) {
      window.times = window.times.slice(window.head);
      window.head = 0;
    }
    if (window.times.length - window.head >= this.perMinute) return false;
    // A clock that stepped back still counts the call, at the newest time seen.
    window.times.push(Math.max(now, window.times[window.times.length - 1] ?? now));
    return true;
  }

  reset(): void {
    this.calls.clear();
  }
}
