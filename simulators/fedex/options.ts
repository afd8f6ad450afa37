import { DEFAULT_SEED } from '../shared/random';

/** One API project (client_id / client_secret pair) the simulator accepts, with the accounts it may use. */
export interface FedexSimClient {
  clientId: string;
  clientSecret: string;
  /** FedEx account numbers this project may ship, rate and cancel with. */
  accounts: string[];
  /** For the child-key grants (csp_credentials, client_pc_credentials). */
  childKey?: string;
  childSecret?: string;
}

export interface FedexSimWebhook {
  /** Destination of AIV pushes. */
  url: string;
  /** AIV security token: the HMAC key for the `fdx-signature` header. */
  securityToken: string;
}

export interface FedexSimOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clients?: FedexSimClient[];
  /** Simulated seconds per real second for shipment progress (default 60). */
  clockSpeed?: number;
  /** Access token lifetime in seconds of `now` (default 3600). */
  tokenTtlSeconds?: number;
  /** API transactions per client per fixed 10-second window (default 1400). */
  rateLimitPer10s?: number;
  /** API transactions per client per GMT day; 0 = unlimited (default). */
  dailyQuota?: number;
  /** Token requests per client_id allowed per window before 429 (default 3 per 1 s). */
  authThrottle?: { limit: number; windowSeconds: number };
  /** Consecutive bad credentials that lock a client_id out, and for how long (default 5, 600 s). */
  authLockout?: { badAttempts: number; seconds: number };
  /** Share (0..1) of shipments that end in a DE delivery exception instead of DL (default 0). */
  exceptionShare?: number;
  webhook?: FedexSimWebhook;
  /** Seed for tracking numbers, exception picks and faults (default DEFAULT_SEED: the same every run). */
  seed?: number;
  /** Request body limit in bytes (default 1 MB). */
  bodyLimitBytes?: number;
  /**
   * The real-time clock, in epoch milliseconds (default `Date.now`). It times token lifetimes, the
   * auth throttle and lockouts, storms, the 10-second rate windows and the GMT day of the daily quota.
   * Tests pass a clock they move by hand. Shipment progress runs on the simulated clock
   * (`clockSpeed`, `advanceClock`) instead, which this does not drive.
   */
  now?: () => number;
}

export const DEMO_CLIENT: FedexSimClient = {
  clientId: 'demo-fedex-client',
  clientSecret: 'demo-fedex-secret',
  accounts: ['740561073', '510087020'],
  childKey: 'demo-fedex-child',
  childSecret: 'demo-fedex-child-secret',
};

export interface ResolvedOptions {
  port: number;
  host: string;
  clients: FedexSimClient[];
  clockSpeed: number;
  tokenTtlSeconds: number;
  rateLimitPer10s: number;
  dailyQuota: number;
  authThrottle: { limit: number; windowSeconds: number };
  authLockout: { badAttempts: number; seconds: number };
  exceptionShare: number;
  webhook: FedexSimWebhook | undefined;
  seed: number;
  bodyLimitBytes: number;
  now: () => number;
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

export function share(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new RangeError(`${name} must be between 0 and 1`);
  return value;
}

function clockFunction(now: (() => number) | undefined): () => number {
  if (now === undefined) return Date.now;
  if (typeof now !== 'function') throw new RangeError('now must be a function returning epoch milliseconds');
  return now;
}

export function resolveOptions(opts: FedexSimOptions = {}): ResolvedOptions {
  const throttle = opts.authThrottle ?? { limit: 3, windowSeconds: 1 };
  const lockout = opts.authLockout ?? { badAttempts: 5, seconds: 600 };
  return {
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    clients: opts.clients ?? [DEMO_CLIENT],
    clockSpeed: positive('clockSpeed', opts.clockSpeed ?? 60, true),
    tokenTtlSeconds: positive('tokenTtlSeconds', opts.tokenTtlSeconds ?? 3600),
    rateLimitPer10s: positive('rateLimitPer10s', opts.rateLimitPer10s ?? 1400),
    dailyQuota: positive('dailyQuota', opts.dailyQuota ?? 0, true),
    authThrottle: {
      limit: positive('authThrottle.limit', throttle.limit),
      windowSeconds: positive('authThrottle.windowSeconds', throttle.windowSeconds),
    },
    authLockout: {
      badAttempts: positive('authLockout.badAttempts', lockout.badAttempts),
      seconds: positive('authLockout.seconds', lockout.seconds),
    },
    exceptionShare: share('exceptionShare', opts.exceptionShare ?? 0),
    webhook: opts.webhook,
    seed: opts.seed ?? DEFAULT_SEED,
    bodyLimitBytes: positive('bodyLimitBytes', opts.bodyLimitBytes ?? 1_000_000),
    now: clockFunction(opts.now),
  };
}
