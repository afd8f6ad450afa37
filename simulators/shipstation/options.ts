import { DEFAULT_SEED } from '../shared/random';

/** A V1 key pair the simulator accepts (Basic auth, username = key, password = secret). */
export interface V1KeyPair {
  apiKey: string;
  apiSecret: string;
}

export interface ShipStationSimOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Accepted V1 key pairs (default [DEMO_V1_KEY]). */
  v1Keys?: V1KeyPair[];
  /** Accepted V2 `api-key` values (default [DEMO_V2_KEY]). */
  v2Keys?: string[];
  /** V1 requests per key pair per fixed 60-s window (default 40). */
  v1RateLimitPerMinute?: number;
  /** V2 requests per key per fixed 60-s window (default 200). */
  v2RateLimitPerMinute?: number;
  /** Simulated seconds per real second for the warehouse (default 60). */
  clockSpeed?: number;
  /** Simulated seconds from an order becoming awaiting_shipment to the warehouse shipping it (default 3600). */
  shipAfterSeconds?: number;
  /** Seed for tracking numbers, costs and fault decisions (default DEFAULT_SEED: the same every run). */
  seed?: number;
  /** Request body limit in bytes (default 1 MB). */
  bodyLimitBytes?: number;
  /** SKU -> on-hand quantity seeded into the default inventory location (default none). */
  inventory?: Record<string, number>;
}

export const DEMO_V1_KEY: V1KeyPair = {
  apiKey: 'demo-shipstation-key',
  apiSecret: 'demo-shipstation-secret',
};
export const DEMO_V2_KEY = 'demo-shipstation-v2-key';

export interface ResolvedOptions {
  port: number;
  host: string;
  v1Keys: V1KeyPair[];
  v2Keys: string[];
  v1RateLimitPerMinute: number;
  v2RateLimitPerMinute: number;
  clockSpeed: number;
  shipAfterSeconds: number;
  seed: number;
  bodyLimitBytes: number;
  inventory: Record<string, number>;
}

export function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number >= 0`);
  return value;
}

export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a number > 0`);
  return value;
}

export function share(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new RangeError(`${name} must be between 0 and 1`);
  return value;
}

export function resolveOptions(opts: ShipStationSimOptions = {}): ResolvedOptions {
  const v1Keys = opts.v1Keys ?? [DEMO_V1_KEY];
  const v2Keys = opts.v2Keys ?? [DEMO_V2_KEY];
  if (v1Keys.some((k) => !k.apiKey || !k.apiSecret || k.apiKey.includes(':'))) {
    throw new RangeError('v1Keys need a non-empty apiKey without ":" and a non-empty apiSecret');
  }
  if (v2Keys.some((k) => !k)) throw new RangeError('v2Keys must be non-empty strings');
  const inventory = opts.inventory ?? {};
  for (const [sku, qty] of Object.entries(inventory)) {
    if (!Number.isInteger(qty) || qty < 0) throw new RangeError(`inventory ${sku} must be an integer >= 0`);
  }
  return {
    port: opts.port ?? 0,
    host: opts.host ?? '127.0.0.1',
    v1Keys,
    v2Keys,
    v1RateLimitPerMinute: positive('v1RateLimitPerMinute', opts.v1RateLimitPerMinute ?? 40),
    v2RateLimitPerMinute: positive('v2RateLimitPerMinute', opts.v2RateLimitPerMinute ?? 200),
    clockSpeed: nonNegative('clockSpeed', opts.clockSpeed ?? 60),
    shipAfterSeconds: nonNegative('shipAfterSeconds', opts.shipAfterSeconds ?? 3600),
    seed: opts.seed ?? DEFAULT_SEED,
    bodyLimitBytes: positive('bodyLimitBytes', opts.bodyLimitBytes ?? 1_000_000),
    inventory: { ...inventory },
  };
}
