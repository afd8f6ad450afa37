import type { FedexSimulator } from '../simulators/fedex';
import type { PlexSimulator } from '../simulators/plex';
import type { SeededRandom } from '../simulators/shared/random';
import type { ShipStationSimulator } from '../simulators/shipstation';

// The faults the simulators inject for the whole run, and the bursts on top of them: every
// request has a 10% chance of a 5xx and a 5% chance of never being answered (the caller's timeout
// ends it) on both systems, plus, at random moments, latency spikes, 429 bursts (FedEx answers 429
// to everything for a few seconds; Plex's limit drops below the traffic) and one FedEx auth lockout
// (403 from the token endpoint until the client has met it).

export const BASE_FAULTS = {
  errorRate: 0.1,
  timeoutRate: 0.05,
  latencyMs: 5,
  jitterMs: 30,
  timeoutDelayMs: 0,
};

/**
 * The lockout lasts until the client has run into it (a token request refused with 403), then this
 * much longer; if no token request comes for LOCKOUT_MAX_SECONDS it ends anyway.
 */
export const LOCKOUT_AFTER_FIRST_REFUSAL_SECONDS = 30;
export const LOCKOUT_MAX_SECONDS = 300;
/**
 * FedEx tokens live 90 s in this run (an hour in production), and the client renews one with less
 * than 60 s left: a token request is due every 30 s while FedEx is called, so the lockout meets one.
 */
export const TOKEN_TTL_SECONDS = 90;

/** The carrier side of the faults: FedEx, or the ShipStation warehouse (which has no auth lockout). */
export interface CarrierFaults {
  label: string;
  setFaults(patch: {
    errorRate?: number;
    timeoutRate?: number;
    latencyMs?: number;
    jitterMs?: number;
    timeoutDelayMs?: number;
  }): unknown;
  /** 429 to everything for a while. */
  storm(seconds: number): void;
  lockout?(opts: { seconds: number }): void;
}

export function fedexFaults(fedex: FedexSimulator): CarrierFaults {
  return {
    label: 'FedEx',
    setFaults: (p) => fedex.setFaults(p),
    storm: (seconds) => fedex.storm(seconds),
    lockout: (o) => fedex.lockout(o),
  };
}

/** ShipStation: its V1 API (the one the connector calls) answers 429 to everything in a storm. */
export function shipStationFaults(ss: ShipStationSimulator): CarrierFaults {
  return {
    label: 'ShipStation',
    setFaults: (p) => ss.setFaults(p),
    storm: (seconds) => ss.burst(seconds, 'v1'),
  };
}

export interface FaultEvent {
  at: number;
  what: string;
}

export class FaultSchedule {
  readonly events: FaultEvent[] = [];
  stormsFedex = 0;
  burstsPlex = 0;
  spikes = 0;
  lockouts = 0;
  outages = 0;
  private base: { errorRate: number; timeoutRate: number } = { errorRate: 0, timeoutRate: 0 };
  private lockoutStarted: number | undefined;
  private lockoutEnds: number | undefined;
  private nextStorm: number;
  private nextSpike: number;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly random: SeededRandom,
    private readonly plex: PlexSimulator,
    private readonly fedex: CarrierFaults,
    private readonly plexPerMinute: number,
    private readonly started = Date.now(),
  ) {
    this.nextStorm = started + random.int(10_000, 30_000);
    this.nextSpike = started + random.int(5_000, 20_000);
  }

  applyBase(rates: { errorRate: number; timeoutRate: number }): void {
    this.base = rates;
    this.plex.setFaults({ ...BASE_FAULTS, ...rates });
    this.fedex.setFaults({ ...BASE_FAULTS, ...rates });
  }

  /** Called by the run's loop: starts whatever burst is due. */
  tick(now = Date.now()): void {
    if (now >= this.nextStorm) {
      this.nextStorm = now + this.random.int(20_000, 50_000);
      if (this.random.chance(0.5)) {
        const seconds = this.random.int(3, 6);
        this.fedex.storm(seconds);
        this.stormsFedex++;
        this.note(now, `${this.fedex.label} answers 429 to everything for ${seconds} s`);
      } else {
        const ms = this.random.int(3_000, 6_000);
        // Below what the connector sends, so calls are refused until the limit is back.
        this.plex.setLimits({ rateLimitPerMinute: 10 });
        this.burstsPlex++;
        this.note(now, `Plex limit drops to 10 calls a minute for ${ms / 1000} s (429 burst)`);
        this.later(ms, () => this.plex.setLimits({ rateLimitPerMinute: this.plexPerMinute }));
      }
    }
    if (now >= this.nextSpike) {
      this.nextSpike = now + this.random.int(15_000, 40_000);
      const ms = this.random.int(4_000, 10_000);
      const latencyMs = this.random.int(1_500, 4_000);
      const sim = this.random.chance(0.5) ? this.plex : this.fedex;
      sim.setFaults({ latencyMs, jitterMs: 1_000 });
      this.spikes++;
      this.note(
        now,
        `${sim === this.plex ? 'Plex' : this.fedex.label} latency spike: +${latencyMs} ms for ${ms / 1000} s`,
      );
      this.later(ms, () =>
        sim.setFaults({ latencyMs: BASE_FAULTS.latencyMs, jitterMs: BASE_FAULTS.jitterMs }),
      );
    }
  }

  /**
   * The carrier is down for `seconds`: every call answers 5xx, longer than an order's retry budget,
   * so orders at the carrier run out of retries and must wait on it by themselves (no retry signal).
   */
  outage(seconds: number, now = Date.now()): void {
    this.fedex.setFaults({ errorRate: 1 });
    this.outages++;
    this.note(now, `${this.fedex.label} is down (5xx to everything) for ${seconds} s`);
    this.later(seconds * 1000, () => {
      this.fedex.setFaults({ errorRate: this.base.errorRate });
      this.note(Date.now(), `${this.fedex.label} is back`);
    });
  }

  /** The one FedEx auth lockout: /oauth/token answers 403 until a token request has met it. */
  lockout(now = Date.now()): void {
    this.fedex.lockout?.({ seconds: LOCKOUT_MAX_SECONDS });
    this.lockouts++;
    this.lockoutStarted = now;
    this.note(now, 'FedEx locks the client out of /oauth/token');
  }

  /**
   * Called with the number of token requests FedEx refused so far: after the first, the lockout
   * ends LOCKOUT_AFTER_FIRST_REFUSAL_SECONDS later. True once the lockout is over.
   */
  lockoutSettled(refusals: number, now = Date.now()): boolean {
    if (this.lockoutStarted === undefined) return false;
    if (this.lockoutEnds === undefined) {
      if (refusals > 0) {
        this.fedex.lockout?.({ seconds: LOCKOUT_AFTER_FIRST_REFUSAL_SECONDS });
        this.lockoutEnds = now + LOCKOUT_AFTER_FIRST_REFUSAL_SECONDS * 1000;
        this.note(
          now,
          `a token request met the lockout; it ends in ${LOCKOUT_AFTER_FIRST_REFUSAL_SECONDS} s`,
        );
      } else if (now - this.lockoutStarted >= LOCKOUT_MAX_SECONDS * 1000) {
        this.lockoutEnds = now;
        this.note(now, 'the lockout ended without meeting a token request');
      }
    }
    return this.lockoutEnds !== undefined && now >= this.lockoutEnds;
  }

  /** Faults off (the checks read the simulators directly, through their handles). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.plex.setFaults({ errorRate: 0, timeoutRate: 0, latencyMs: 0, jitterMs: 0 });
    this.fedex.setFaults({ errorRate: 0, timeoutRate: 0, latencyMs: 0, jitterMs: 0 });
    this.plex.setLimits({ rateLimitPerMinute: this.plexPerMinute });
    if (this.lockoutStarted !== undefined) this.fedex.lockout?.({ seconds: 0 });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private note(now: number, what: string): void {
    this.events.push({ at: now - this.started, what });
  }
}
