// The one token store: every connection's tokens in oauth_tokens, sealed with the vault and shared by
// all worker processes, with a single-flight refresh across processes. One row per (connection,
// credential) holds the access token and, where the scheme has one, the refresh token (both in one
// ciphertext, so a single write stores both and the vault's key rotation re-seals both), the refresh
// token's issue time and expiry, and a state: ok, or needs_reauthorization with the reason.
//
// Single flight without holding a transaction during the HTTP call: under TokenRepo.withLock (a
// PostgreSQL advisory lock, which PGlite has too) a process either finds a usable token (another
// process refreshed meanwhile), or records a short-lived claim in oauth_token_control and calls the
// token endpoint outside the lock, while the others poll until the new tokens are stored. Holding the
// lock across the call would pin a database connection for the whole request, and on the embedded
// database (one connection) the client's limiter and audit writes during the call could never run.
// New tokens are written in one transaction, and only then handed out: a rotated refresh token is
// stored before anyone uses the access token that came with it.
//
// The providers (client-credentials.ts, rotating.ts) bring the policy; the store brings the lock,
// the claim, the lockout and the encryption. Temporal-free.

import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { TokenRepo, type TokenRow } from '../../../lib/db/repos/tokens';
import type { Database } from '../../../lib/db/types';
import { registerSecret } from '../../../lib/logger';
import { tokenAad, type Vault } from '../../../lib/vault';
import { TokenEndpointLockedError } from './errors';
import type { AccessToken, AccessTokenStore, RefreshToken, StoredTokens, TokenStatus } from './types';

export interface DbTokenStoreOptions {
  db: Kysely<Database>;
  vault: Pick<Vault, 'encrypt' | 'decrypt'>;
  /** Which of a connection's credentials this store keeps (oauth_tokens.kind; default "access"). */
  credential?: string;
  /** A token with less life left than this is not handed out (default 60 s; capped at half its life). */
  marginMs?: number;
  /** How long a fetching process keeps its claim before others may take over (default 2 min). */
  claimTtlMs?: number;
  /** How often a waiting process looks for the new token (default 100 ms). */
  pollMs?: number;
  /** Clock for token ages, expiry and lockouts; claims always use real time. */
  now?: () => Date;
  log?: Logger;
}

/** What a provider decides under the lock, seeing the stored tokens. */
export type RenewPlan =
  /** Hand this token out (fresh enough, or the only one allowed now). */
  | { use: AccessToken }
  /** Refuse with this error; nothing is stored, the endpoint is not called. */
  | { fail: Error }
  /** The chain is broken for good: store needs_reauthorization with `reason`, then throw `error`. */
  | { breakChain: string; error: Error }
  /** Call the token endpoint (unless it is locked out or another process is already calling it). */
  | { fetch: true };

/** What a successful token call brings, ready to store. */
export interface FetchedTokens {
  access: AccessToken;
  /** Absent: the slot keeps no refresh token. */
  refresh?: RefreshToken;
}

/** What a provider decides under the lock when its token call failed. */
export type FailurePlan =
  /** Throw the call's error (the default). */
  | { rethrow: true }
  /** Another process stored newer tokens meanwhile: decide again. */
  | { retry: true }
  /** Keep using this token; optionally keep away from the endpoint until `lockUntil`. */
  | { use: AccessToken; lockUntil?: Date }
  /** The chain is broken for good: store needs_reauthorization with `reason`, then throw `error`. */
  | { breakChain: string; error: Error };

export interface RenewSpec {
  plan(stored: StoredTokens | null, at: { now: Date; lockedUntil: Date | null }): RenewPlan;
  /** The token call, outside any transaction. `signal` fires before the claim runs out. */
  fetch(stored: StoredTokens | null, signal: AbortSignal): Promise<FetchedTokens>;
  onFailure?(
    err: unknown,
    at: { claimed: StoredTokens | null; current: StoredTokens | null; now: Date },
  ): FailurePlan;
}

type Step =
  | { token: AccessToken }
  | { error: Error }
  | { locked: Date }
  | { wait: true }
  | { claimed: string; stored: StoredTokens | null };

/** The sealed text of rows this store writes; rows written before it hold the access token alone. */
const PAYLOAD_PREFIX = '{"v":1,';

export class DbTokenStore implements AccessTokenStore {
  private readonly db: Kysely<Database>;
  private readonly tokens: TokenRepo;
  readonly credential: string;
  private readonly marginMs: number;
  private readonly claimTtlMs: number;
  private readonly pollMs: number;
  private readonly now: () => Date;
  /** Callers in this process share one renewal per connection instead of polling the database. */
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  /**
   * The last access token this process read or stored per connection, served without a query (and
   * without decrypting) while it is fresh. A token another process renewed after a 401 reaches this
   * process through a renewal with `rejected` when the system refuses the copy here: one refused
   * call, no token request.
   */
  private readonly known = new Map<string, AccessToken>();

  constructor(private readonly opts: DbTokenStoreOptions) {
    this.db = opts.db;
    this.tokens = new TokenRepo(opts.db);
    this.credential = opts.credential ?? 'access';
    this.marginMs = opts.marginMs ?? 60_000;
    this.claimTtlMs = opts.claimTtlMs ?? 120_000;
    this.pollMs = opts.pollMs ?? 100;
    this.now = opts.now ?? (() => new Date());
  }

  // ------------------------------------------------------------ the client-credentials contract

  async getValid(connection: string, marginMs = this.marginMs): Promise<AccessToken | null> {
    const known = this.known.get(connection);
    if (known && isFresh(known, this.now(), marginMs)) return known;
    const stored = this.open(connection, await this.tokens.get(connection, this.credential));
    const token = stored?.access;
    if (!token || !isFresh(token, this.now(), marginMs)) return null;
    this.known.set(connection, token);
    return token;
  }

  refresh(
    connection: string,
    fetchToken: () => Promise<AccessToken>,
    rejected?: string,
    options: { marginMs?: number } = {},
  ): Promise<AccessToken> {
    const marginMs = options.marginMs ?? this.marginMs;
    if (rejected !== undefined) this.forget(connection, rejected);
    return this.renew(connection, {
      plan: (stored, { now }) =>
        stored?.access && isFresh(stored.access, now, marginMs) && stored.access.value !== rejected
          ? { use: stored.access }
          : { fetch: true },
      fetch: async () => ({ access: await fetchToken() }),
    });
  }

  async lockedUntil(connection: string): Promise<Date | null> {
    const row = await this.db
      .selectFrom('oauth_token_control')
      .select('locked_until')
      .where('connection', '=', connection)
      .where('kind', '=', this.credential)
      .executeTakeFirst();
    return row?.locked_until ?? null;
  }

  async lockUntil(connection: string, until: Date, db: Kysely<Database> = this.db): Promise<void> {
    await db
      .insertInto('oauth_token_control')
      .values({ connection, kind: this.credential, locked_until: until })
      .onConflict((oc) => oc.columns(['connection', 'kind']).doUpdateSet({ locked_until: until }))
      .execute();
    this.opts.log?.warn(
      { connection, credential: this.credential, until: until.toISOString() },
      'token requests locked out',
    );
  }

  // ------------------------------------------------------------ what the other providers need

  /**
   * The single-flight renewal every provider builds on: under the lock `spec.plan` looks at the
   * stored tokens and decides; when it asks for a token call and nobody else is making one, this
   * process claims it, calls `spec.fetch` outside the lock, and stores the result in one transaction
   * before returning it. A failed call goes to `spec.onFailure` under the lock.
   */
  renew(connection: string, spec: RenewSpec): Promise<AccessToken> {
    const running = this.inflight.get(connection);
    if (running) return running;
    const run = this.renewShared(connection, spec)
      .then((token) => {
        this.known.set(connection, token);
        return token;
      })
      .finally(() => this.inflight.delete(connection));
    this.inflight.set(connection, run);
    return run;
  }

  /** Everything stored for the connection, decrypted; null when nothing is. */
  async read(connection: string): Promise<StoredTokens | null> {
    return this.open(connection, await this.tokens.get(connection, this.credential));
  }

  /**
   * Store tokens a person's authorization produced (an authorization-code exchange): the slot is ok
   * again, any lockout lifted, whatever was stored before replaced.
   */
  async saveAuthorization(connection: string, tokens: FetchedTokens): Promise<void> {
    await this.tokens.withLock(connection, this.credential, async (tx) => {
      await this.save(tx, connection, tokens);
      await tx
        .updateTable('oauth_token_control')
        .set({ locked_until: null })
        .where('connection', '=', connection)
        .where('kind', '=', this.credential)
        .execute();
    });
    this.known.set(connection, tokens.access);
    this.opts.log?.info({ connection, credential: this.credential }, 'authorized tokens stored');
  }

  /** The slot as doctor and the CLI show it, without decrypting anything; null when nothing is stored. */
  async status(connection: string): Promise<TokenStatus | null> {
    const row = await this.tokens.get(connection, this.credential);
    if (!row) return null;
    return {
      state: row.state,
      reason: row.state_reason,
      stateChangedAt: row.state_changed_at,
      accessExpiresAt: row.expires_at,
      obtainedAt: row.obtained_at,
      refreshIssuedAt: row.refresh_issued_at,
      refreshExpiresAt: row.refresh_expires_at,
      lockedUntil: await this.lockedUntil(connection),
    };
  }

  // ------------------------------------------------------------ plumbing

  private forget(connection: string, value: string): void {
    if (this.known.get(connection)?.value === value) this.known.delete(connection);
  }

  private async renewShared(connection: string, spec: RenewSpec): Promise<AccessToken> {
    for (;;) {
      const step = await this.tokens.withLock(connection, this.credential, (tx, row) =>
        this.decide(tx, connection, row, spec),
      );
      if ('token' in step) return step.token;
      if ('error' in step) throw step.error;
      if ('locked' in step) throw new TokenEndpointLockedError(connection, step.locked, this.now());
      if ('wait' in step) {
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
        continue;
      }
      const done = await this.fetchAndStore(connection, step.claimed, step.stored, spec);
      if (done) return done;
    }
  }

  /** Inside the lock: let the provider decide, then wait for a fetch under way or claim the fetch. */
  private async decide(
    tx: Kysely<Database>,
    connection: string,
    row: TokenRow | undefined,
    spec: RenewSpec,
  ): Promise<Step> {
    const now = this.now();
    const stored = this.open(connection, row);
    const ctl = await tx
      .selectFrom('oauth_token_control')
      .selectAll()
      .where('connection', '=', connection)
      .where('kind', '=', this.credential)
      .executeTakeFirst();
    const plan = spec.plan(stored, { now, lockedUntil: ctl?.locked_until ?? null });
    if ('use' in plan) return { token: plan.use };
    if ('fail' in plan) return { error: plan.fail };
    if ('breakChain' in plan) {
      await this.markBroken(tx, connection, plan.breakChain, now);
      return { error: plan.error };
    }
    if (ctl?.locked_until && ctl.locked_until.getTime() > now.getTime()) return { locked: ctl.locked_until };
    if (ctl?.refresh_claim && ctl.refresh_claimed_until && ctl.refresh_claimed_until.getTime() > Date.now()) {
      return { wait: true };
    }
    const claim = randomUUID();
    const claimedUntil = new Date(Date.now() + this.claimTtlMs);
    await tx
      .insertInto('oauth_token_control')
      .values({
        connection,
        kind: this.credential,
        refresh_claim: claim,
        refresh_claimed_until: claimedUntil,
      })
      .onConflict((oc) =>
        oc
          .columns(['connection', 'kind'])
          .doUpdateSet({ refresh_claim: claim, refresh_claimed_until: claimedUntil }),
      )
      .execute();
    return { claimed: claim, stored };
  }

  /** The token call and what follows it; undefined when the provider wants to decide again. */
  private async fetchAndStore(
    connection: string,
    claim: string,
    claimed: StoredTokens | null,
    spec: RenewSpec,
  ): Promise<AccessToken | undefined> {
    // The call must end before the claim does: past it, another process may take over and, with a
    // single-use refresh token, the two calls would break the chain.
    const signal = AbortSignal.timeout(
      Math.max(1_000, this.claimTtlMs - Math.min(10_000, this.claimTtlMs / 4)),
    );
    let fetched: FetchedTokens;
    try {
      fetched = await spec.fetch(claimed, signal);
    } catch (err) {
      const outcome = await this.tokens.withLock(connection, this.credential, async (tx, row) => {
        const now = this.now();
        const plan = spec.onFailure?.(err, { claimed, current: this.open(connection, row), now }) ?? {
          rethrow: true as const,
        };
        if ('breakChain' in plan) await this.markBroken(tx, connection, plan.breakChain, now);
        if ('use' in plan && plan.lockUntil) await this.lockUntil(connection, plan.lockUntil, tx);
        await this.releaseClaim(tx, connection, claim);
        return plan;
      });
      if ('use' in outcome) return outcome.use;
      if ('retry' in outcome) return undefined;
      if ('breakChain' in outcome) throw outcome.error;
      throw err;
    }
    try {
      await this.tokens.withLock(connection, this.credential, async (tx) => {
        await this.save(tx, connection, fetched);
        await this.releaseClaim(tx, connection, claim);
      });
    } catch (err) {
      // Not stored, so not handed out. A rotated refresh token is lost with it: the next refresh will
      // hear that the old one was used, and the connection will need to be authorized again.
      this.opts.log?.error(
        { connection, credential: this.credential, err: (err as Error).message },
        'new tokens could not be stored; they are not used',
      );
      await this.releaseClaim(this.db, connection, claim).catch(() => undefined);
      throw err;
    }
    this.opts.log?.info(
      {
        connection,
        credential: this.credential,
        expiresAt: fetched.access.expiresAt.toISOString(),
        refreshRotated: fetched.refresh ? fetched.refresh.value !== claimed?.refresh?.value : false,
      },
      'new access token stored',
    );
    return fetched.access;
  }

  /** One statement writes the access token, the refresh token and the state: they change together. */
  private async save(tx: Kysely<Database>, connection: string, tokens: FetchedTokens): Promise<void> {
    const now = this.now();
    const sealed = this.opts.vault.encrypt(
      JSON.stringify({
        v: 1,
        access: tokens.access.value,
        ...(tokens.refresh ? { refresh: tokens.refresh.value } : {}),
      }),
      tokenAad(connection, this.credential),
    );
    const values = {
      key_id: sealed.keyId,
      iv: sealed.iv,
      ciphertext: sealed.ciphertext,
      auth_tag: sealed.authTag,
      expires_at: tokens.access.expiresAt,
      obtained_at: tokens.access.obtainedAt ?? now,
      locked_until: null,
      refresh_issued_at: tokens.refresh?.issuedAt ?? null,
      refresh_expires_at: tokens.refresh?.expiresAt ?? null,
      state: 'ok' as const,
      state_reason: null,
    };
    await tx
      .insertInto('oauth_tokens')
      .values({ connection, kind: this.credential, ...values })
      .onConflict((oc) =>
        oc.columns(['connection', 'kind']).doUpdateSet({
          ...values,
          version: sql`oauth_tokens.version + 1`,
          state_changed_at: sql`CASE WHEN oauth_tokens.state = 'ok' THEN oauth_tokens.state_changed_at ELSE ${now}::timestamptz END`,
        }),
      )
      .execute();
  }

  private async markBroken(
    tx: Kysely<Database>,
    connection: string,
    reason: string,
    now: Date,
  ): Promise<void> {
    await tx
      .updateTable('oauth_tokens')
      .set({ state: 'needs_reauthorization', state_reason: reason, state_changed_at: now })
      .where('connection', '=', connection)
      .where('kind', '=', this.credential)
      .execute();
    this.known.delete(connection);
    this.opts.log?.error(
      { connection, credential: this.credential, reason },
      'token chain broken: the connection needs to be authorized again',
    );
  }

  private async releaseClaim(db: Kysely<Database>, connection: string, claim: string): Promise<void> {
    await db
      .updateTable('oauth_token_control')
      .set({ refresh_claim: null, refresh_claimed_until: null })
      .where('connection', '=', connection)
      .where('kind', '=', this.credential)
      .where('refresh_claim', '=', claim)
      .execute();
  }

  private open(connection: string, row: TokenRow | undefined): StoredTokens | null {
    if (!row) return null;
    const text = this.opts.vault.decrypt(
      { keyId: row.key_id, iv: row.iv, ciphertext: row.ciphertext, authTag: row.auth_tag },
      tokenAad(connection, this.credential),
      `token ${connection}/${this.credential}`,
    );
    const payload = readPayload(text);
    registerSecret(payload.access);
    registerSecret(payload.refresh);
    return {
      access:
        row.expires_at && payload.access !== ''
          ? { value: payload.access, expiresAt: row.expires_at, obtainedAt: row.obtained_at }
          : null,
      refresh:
        payload.refresh !== undefined
          ? {
              value: payload.refresh,
              issuedAt: row.refresh_issued_at ?? row.obtained_at,
              expiresAt: row.refresh_expires_at,
            }
          : null,
      state: row.state,
      reason: row.state_reason,
      version: row.version,
    };
  }
}

/** The sealed text: this store's JSON, or (rows written before it) the access token alone. */
function readPayload(text: string): { access: string; refresh?: string } {
  if (!text.startsWith(PAYLOAD_PREFIX)) return { access: text };
  const parsed: unknown = JSON.parse(text);
  const p = parsed as { access?: unknown; refresh?: unknown };
  return {
    access: typeof p.access === 'string' ? p.access : '',
    ...(typeof p.refresh === 'string' ? { refresh: p.refresh } : {}),
  };
}

/**
 * Whether a token has more than the margin of life left. The margin is capped at half the token's
 * life where that is known, so a margin longer than a short-lived token (IFS: 180 s) does not turn
 * every call into a token request.
 */
/**
 * The stored token when it is fresh (see isFresh) and not the one the system just refused; null
 * when a new one is needed. Where every provider's getToken starts.
 */
export async function usableStored(
  store: Pick<AccessTokenStore, 'getValid'>,
  connection: string,
  marginMs: number,
  now: Date,
  rejected: string | undefined,
): Promise<AccessToken | null> {
  const current = await store.getValid(connection, marginMs);
  return current && isFresh(current, now, marginMs) && current.value !== rejected ? current : null;
}

export function isFresh(token: AccessToken, now: Date, marginMs: number): boolean {
  const left = token.expiresAt.getTime() - now.getTime();
  const life = token.obtainedAt ? token.expiresAt.getTime() - token.obtainedAt.getTime() : Infinity;
  return left > Math.min(marginMs, life / 2);
}
