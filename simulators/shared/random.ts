/**
 * A small seeded PRNG (mulberry32) so a simulator run can be replayed exactly: same seed, same
 * tracking numbers, same exception picks, same fault decisions.
 */
/**
 * The seed a simulator uses when none is given: fixed, so a run without one is still replayable.
 * Callers that need different data each run (the demo, on one data folder) pass their own.
 */
export const DEFAULT_SEED = 1;

export class SeededRandom {
  private state: number;

  constructor(seed: number = DEFAULT_SEED) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `share` (0..1). */
  chance(share: number): boolean {
    return share > 0 && this.next() < share;
  }

  digits(count: number): string {
    let out = '';
    for (let i = 0; i < count; i++) out += String(this.int(0, 9));
    return out;
  }
}
