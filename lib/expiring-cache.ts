/**
 * A bounded map whose entries expire `ttlMs` after they were stored. When full, the oldest tenth is
 * dropped at once rather than one entry per insert. The caller passes the time, so tests can move it.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(key: string, now: number): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (now - hit.at < this.ttlMs) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, now: number): void {
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      const drop = Math.max(1, Math.floor(this.maxEntries / 10));
      for (const k of [...this.entries.keys()].slice(0, drop)) this.entries.delete(k);
    }
    // Re-inserting moves the key to the end: insertion order stays oldest first.
    this.entries.delete(key);
    this.entries.set(key, { value, at: now });
  }

  get size(): number {
    return this.entries.size;
  }
}
