// `ml-connector connections test <name>`: ask the real system whether the configured credentials
// work, and say precisely why not. One tester per system; FedEx's is here, others plug into the map.

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import {
  defaultBaseUrl,
  type Config,
  type ConnectionConfig,
  type ConnectionOf,
  type System,
} from '../../lib/config';
import { AuditRepo } from '../../lib/db/repos';
import type { Database } from '../../lib/db/types';
import { PostgresSlidingLimiter, type RateLimiter } from '../../lib/ratelimit';
import { resolveCredential, type Vault } from '../../lib/vault';
import { fedexRateLimits, type FedexConnectionSettings } from '../../connectors/fedex/activities';
import { FedexClient } from '../../connectors/fedex/client';
import { DbTokenStore } from '../../connectors/kit/tokens';
import { PlexClient, plexRateLimit } from '../../connectors/plex/client';
import { ShipStationClient, shipStationLimitFor } from '../../connectors/shipstation/client';

export interface TesterContext {
  name: string;
  connection: ConnectionConfig;
  config: Config;
  db: Kysely<Database>;
  vault: Vault;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /**
   * Where the running app actually talks to this connection (its LiveConnection: a simulator's URL
   * and credentials, or the demo's FEDEX_* override); when absent, the config and vault are used.
   */
  live?: { baseUrl: string; credentials: Record<string, string>; accountNumber?: string };
  /** The running app's shared limiter for this connection's system, so a test counts against the same budget. */
  limiter?: RateLimiter;
}

/** A connection test's outcome; `reason` is the system's own word for what is wrong (bad_credentials, bad_key, ...). */
export interface TestOutcome {
  ok: boolean;
  reason: string;
  message: string;
}

/** Checks one connection against its system; never throws for an expected failure. */
export type ConnectionTester = (ctx: TesterContext) => Promise<TestOutcome>;

/** Resolve the credential fields a connection names; a missing one is reported, never its value. */
async function credentials(
  ctx: TesterContext,
  fields: readonly string[],
  optional: readonly string[],
): Promise<{ values: Record<string, string> } | { problem: string }> {
  const refs = ctx.connection.credentials as Record<string, string | undefined>;
  const values: Record<string, string> = {};
  for (const field of [...fields, ...optional]) {
    const ref = refs[field];
    if (!ref) {
      if (fields.includes(field)) return { problem: `credentials.${field} is not configured` };
      continue;
    }
    try {
      values[field] = await resolveCredential(ref, { vault: ctx.vault, env: ctx.env });
    } catch (err) {
      return { problem: `credentials.${field}: ${(err as Error).message}` };
    }
  }
  return { values };
}

/** FedEx: a fresh token, then an account-bound rate request (FedexClient.testConnection). */
export function fedexTester(opts: { timeoutMs?: number } = {}): ConnectionTester {
  return async (ctx) => {
    const conn = ctx.connection as ConnectionOf<'fedex'>;
    const creds = ctx.live
      ? { values: ctx.live.credentials }
      : await credentials(ctx, ['clientId', 'clientSecret'], ['childKey', 'childSecret']);
    if ('problem' in creds) return { ok: false, reason: 'bad_credentials', message: creds.problem };
    if (!creds.values.clientId || !creds.values.clientSecret) {
      return { ok: false, reason: 'bad_credentials', message: 'clientId and clientSecret are required' };
    }
    const settings: FedexConnectionSettings = {
      baseUrl: ctx.live?.baseUrl ?? conn.baseUrl ?? defaultBaseUrl(conn)!,
      clientId: creds.values.clientId,
      clientSecret: creds.values.clientSecret,
      childKey: creds.values.childKey,
      childSecret: creds.values.childSecret,
      accountNumber: ctx.live?.accountNumber ?? conn.settings.accountNumber,
    };
    const tokenStore = new DbTokenStore({ db: ctx.db, vault: ctx.vault, log: ctx.log });
    // A lockout recorded by a worker (or an earlier test) holds for the CLI too: no request is sent.
    const locked = await tokenStore.lockedUntil(ctx.name);
    if (locked && locked.getTime() > Date.now()) {
      return {
        ok: false,
        reason: 'locked_out',
        message: `FedEx's token endpoint locked this connection out until ${locked.toISOString()}; try again after that`,
      };
    }
    const limitFor = fedexRateLimits(ctx.config.limits.fedex);
    const audit = new AuditRepo(ctx.db);
    const client = new FedexClient({
      connection: ctx.name,
      ...settings,
      tokenStore,
      limiter: new PostgresSlidingLimiter(ctx.db, (key) => limitFor(key) ?? { limit: 1, windowMs: 1000 }),
      timeoutMs: opts.timeoutMs ?? 10_000,
      authLockoutMs: ctx.config.limits.fedex.lockoutMinutes * 60_000,
      log: ctx.log,
      audit: async (entry) => void (await audit.append({ ...entry, actor: 'cli:connections-test' })),
    });
    return client.testConnection();
  };
}

/** Plex: the API key against one record of each collection the connector reads (PlexClient.testConnection). */
export function plexTester(opts: { timeoutMs?: number } = {}): ConnectionTester {
  return async (ctx) => {
    const conn = ctx.connection as ConnectionOf<'plex'>;
    const creds = ctx.live ? { values: ctx.live.credentials } : await credentials(ctx, ['apiKey'], []);
    if ('problem' in creds) return { ok: false, reason: 'bad_key', message: creds.problem };
    const audit = new AuditRepo(ctx.db);
    const client = new PlexClient({
      connection: ctx.name,
      baseUrl: ctx.live?.baseUrl ?? conn.baseUrl ?? defaultBaseUrl(conn)!,
      apiKey: creds.values.apiKey!,
      tenantId: conn.settings.tenantId,
      customerId: conn.settings.pcn,
      limiter:
        ctx.limiter ??
        new PostgresSlidingLimiter(ctx.db, () => plexRateLimit(ctx.config.limits.plex.callsPerMinute)),
      timeoutMs: opts.timeoutMs ?? 10_000,
      log: ctx.log,
      audit: async (entry) => void (await audit.append({ ...entry, actor: 'cli:connections-test' })),
    });
    return client.testConnection();
  };
}

/** ShipStation: the V1 key pair on one order read and, with a V2 key, one inventory read. */
export function shipStationTester(opts: { timeoutMs?: number } = {}): ConnectionTester {
  return async (ctx) => {
    const conn = ctx.connection as ConnectionOf<'shipstation'>;
    const creds = ctx.live
      ? { values: ctx.live.credentials }
      : await credentials(ctx, ['apiKey', 'apiSecret'], ['v2ApiKey']);
    if ('problem' in creds) return { ok: false, reason: 'bad_credentials', message: creds.problem };
    const v1BaseUrl = ctx.live?.baseUrl ?? conn.baseUrl ?? defaultBaseUrl(conn)!;
    const client = new ShipStationClient({
      connection: ctx.name,
      v1BaseUrl,
      v2BaseUrl: ctx.live?.baseUrl ?? conn.settings.v2BaseUrl ?? 'https://api.shipstation.com',
      apiKey: creds.values.apiKey!,
      apiSecret: creds.values.apiSecret ?? '',
      ...(creds.values.v2ApiKey ? { v2ApiKey: creds.values.v2ApiKey } : {}),
      limiter:
        ctx.limiter ?? new PostgresSlidingLimiter(ctx.db, shipStationLimitFor(ctx.config.limits.shipstation)),
      timeoutMs: opts.timeoutMs ?? 10_000,
      log: ctx.log,
    });
    return client.testConnection();
  };
}

export const CONNECTION_TESTERS: Partial<Record<System, ConnectionTester>> = {
  fedex: fedexTester(),
  plex: plexTester(),
  shipstation: shipStationTester(),
};

export interface ConnectionTestDeps {
  config: Config;
  db: Kysely<Database>;
  vault: Vault;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** System -> tester; defaults to CONNECTION_TESTERS. */
  testers?: Partial<Record<System, ConnectionTester>>;
  /** Per-request timeout for the FedEx tester (default 10 s). */
  timeoutMs?: number;
  /** The running app's view of a connection (simulated or overridden), by name. */
  live?: (name: string) => TesterContext['live'];
  /** The running app's shared limiters by system. */
  limiters?: Partial<Record<System, RateLimiter>>;
}

/** The `reason` of a test of a name the configuration does not have (the operator API answers it with 404). */
export const UNKNOWN_CONNECTION = 'unknown_connection';

/** Test one configured connection; expected failures come back as results, never as throws. */
export async function testConnection(name: string, deps: ConnectionTestDeps): Promise<TestOutcome> {
  const connection = deps.config.connections[name];
  if (!connection) {
    const known = Object.keys(deps.config.connections);
    return {
      ok: false,
      reason: UNKNOWN_CONNECTION,
      message: `no connection with that name (configured: ${known.join(', ') || 'none'})`,
    };
  }
  const testers =
    deps.testers ??
    (deps.timeoutMs
      ? {
          ...CONNECTION_TESTERS,
          fedex: fedexTester({ timeoutMs: deps.timeoutMs }),
          plex: plexTester({ timeoutMs: deps.timeoutMs }),
          shipstation: shipStationTester({ timeoutMs: deps.timeoutMs }),
        }
      : CONNECTION_TESTERS);
  const tester = testers[connection.system];
  if (!tester) {
    return {
      ok: false,
      reason: 'error',
      message: `no connection test exists for ${connection.system} yet`,
    };
  }
  try {
    return await tester({
      name,
      connection,
      config: deps.config,
      db: deps.db,
      vault: deps.vault,
      log: deps.log,
      env: deps.env ?? process.env,
      live: deps.live?.(name),
      limiter: deps.limiters?.[connection.system],
    });
  } catch (err) {
    return { ok: false, reason: 'error', message: (err as Error).message };
  }
}

/** Prints one line per result; exit code 0 when the connection works, 1 otherwise. */
export async function connectionsTestCommand(
  name: string,
  deps: ConnectionTestDeps & { out: (line: string) => void },
): Promise<number> {
  const result = await testConnection(name, deps);
  const system = deps.config.connections[name]?.system;
  const label = system ? `${name} (${system})` : name;
  deps.out(
    result.ok ? `ok    ${label}: ${result.message}` : `FAIL  ${label}: ${result.reason}: ${result.message}`,
  );
  return result.ok ? 0 : 1;
}
