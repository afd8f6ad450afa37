import type { SeededRandom } from './random';

/** Fault settings a test can change at run time (all optional in an update; all off by default). */
export interface FaultSettings {
  /** Added to every answer, in ms. */
  latencyMs: number;
  /** Uniform extra 0..jitterMs ms on top of latencyMs. */
  jitterMs: number;
  /** Share (0..1) of requests answered with a 5xx. */
  errorRate: number;
  /** Share (0..1) of requests that time out: accepted, then never answered (or answered late, see below). */
  timeoutRate: number;
  /** 0 = a timed-out request is never answered; > 0 = it is processed normally after this many ms. */
  timeoutDelayMs: number;
}

export const NO_FAULTS: FaultSettings = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  timeoutDelayMs: 0,
};

/** What to do with one request, decided once when it arrives. */
export type FaultDecision =
  | { kind: 'none'; delayMs: number }
  | { kind: 'error'; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'late'; delayMs: number };

export class FaultKnobs {
  private settings: FaultSettings = { ...NO_FAULTS };

  constructor(private readonly random: SeededRandom) {}

  get current(): FaultSettings {
    return { ...this.settings };
  }

  /** Merge a partial update after checking every value; throws RangeError on nonsense. */
  update(patch: Partial<FaultSettings>): FaultSettings {
    const next = { ...this.settings, ...patch };
    for (const key of ['latencyMs', 'jitterMs', 'timeoutDelayMs'] as const) {
      if (!Number.isFinite(next[key]) || next[key] < 0) throw new RangeError(`${key} must be a number >= 0`);
    }
    for (const key of ['errorRate', 'timeoutRate'] as const) {
      if (!Number.isFinite(next[key]) || next[key] < 0 || next[key] > 1) {
        throw new RangeError(`${key} must be between 0 and 1`);
      }
    }
    this.settings = next;
    return this.current;
  }

  reset(): void {
    this.settings = { ...NO_FAULTS };
  }

  decide(): FaultDecision {
    const s = this.settings;
    const delayMs = s.latencyMs + (s.jitterMs > 0 ? this.random.int(0, s.jitterMs) : 0);
    if (this.random.chance(s.timeoutRate)) {
      return s.timeoutDelayMs > 0 ? { kind: 'late', delayMs: s.timeoutDelayMs } : { kind: 'hang' };
    }
    if (this.random.chance(s.errorRate)) return { kind: 'error', delayMs };
    return { kind: 'none', delayMs };
  }
}

/** Delays that can all be cancelled at shutdown, so a stopped simulator leaves no timers behind. */
export class Delays {
  private pending = new Map<NodeJS.Timeout, () => void>();

  /** Resolves true after `ms`, or false when cancelled first. */
  wait(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve(true);
      }, ms);
      this.pending.set(timer, () => resolve(false));
    });
  }

  cancelAll(): void {
    for (const [timer, cancel] of this.pending) {
      clearTimeout(timer);
      cancel();
    }
    this.pending.clear();
  }
}
