/**
 * Plex's "200 calls per minute" per key, as a sliding 60-second window: the strictest reading, so
 * a connector that passes here passes under any window alignment Plex really uses.
 */
export class MinuteLimiter {
  private readonly calls = new Map<string, number[]>();

  constructor(
    public perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one call for `key`; false when it is over the limit (a refused call is not counted). */
  take(key: string): boolean {
    const now = this.now();
    const recent = (this.calls.get(key) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= this.perMinute) {
      this.calls.set(key, recent);
      return false;
    }
    recent.push(now);
    this.calls.set(key, recent);
    return true;
  }

  reset(): void {
    this.calls.clear();
  }
}
