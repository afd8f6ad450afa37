// A rotating refresh token as a token provider (Exact Online): every refresh returns a new refresh
// token and kills the old one, so the chain lives in the shared store and is handled with care:
//   - only one process refreshes at a time (the store's single flight), the others use its result;
//   - the new refresh token is stored in the same write as the new access token, before that access
//     token is handed to anyone;
//   - no refresh before the current access token's minimum age (Exact: 570 s of a 600-s token; an
//     earlier try is refused, "Rate limit exceeded: access_token not expired", and counts against the
//     200 token calls a day); a refusal of that kind keeps the current token;
//   - a broken chain (the system says the refresh token was already used, or it expired) puts the
//     connection into needs_reauthorization, stored so every worker sees it and stops refreshing;
//     calls then fail at once, without a token call, naming the command that authorizes it again.
// The token call is the connector's (`refresh`); it throws a ConnectorError of kind
// needs_reauthorization when the chain is broken and rate_limited when it was too early. `authorize`
// stores the first tokens of an authorization-code exchange. Temporal-free.

import type { Logger } from 'pino';
import { ConnectorError } from '../errors';
import { NeedsReauthorizationError, reauthorizeCommand, TokenRefreshTooEarlyError } from './errors';
import { accessTokenFrom, refreshTokenFrom } from './grant';
import {
  isFresh,
  usableStored,
  type DbTokenStore,
  type FailurePlan,
  type FetchedTokens,
  type RenewPlan,
} from './store';
import type { AccessToken, StoredTokens, TokenGrant, TokenProvider, TokenState } from './types';
import { untilAborted } from './wait';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RotatingRefreshOptions {
  store: DbTokenStore;
  connection: string;
  /** The system's name in messages people read ("Exact Online"). */
  system: string;
  /** The refresh call (the connector's HTTP, form grant_type=refresh_token). `signal` ends it before the claim runs out. */
  refresh: (refreshToken: string, signal: AbortSignal) => Promise<TokenGrant>;
  /** No refresh while the access token is younger than this (Exact Online: 570 s). */
  minAgeMs: number;
  /** Refresh once the access token has less life left than this (default 30 s). */
  marginMs?: number;
  /** A refresh token's life when the endpoint does not say it (default 30 days, Exact Online's). */
  refreshTokenLifetimeMs?: number;
  now?: () => Date;
  log?: Logger;
}

/** What `doctor` shows of a rotating connection. */
export interface ChainStatus {
  /** not_authorized: no tokens were ever stored. */
  state: TokenState | 'not_authorized';
  reason: string | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  /** Whole days left on the refresh token (0 once expired); null when unknown. */
  refreshDaysLeft: number | null;
  /** What a person runs when the state is not ok. */
  action: string | null;
}

export class RotatingRefreshTokenProvider implements TokenProvider {
  private readonly marginMs: number;
  private readonly refreshLifetimeMs: number;
  private readonly now: () => Date;
  private rejected: string | undefined;

  constructor(private readonly opts: RotatingRefreshOptions) {
    this.marginMs = opts.marginMs ?? 30_000;
    this.refreshLifetimeMs = opts.refreshTokenLifetimeMs ?? 30 * DAY_MS;
    this.now = opts.now ?? (() => new Date());
  }

  async getToken(signal?: AbortSignal): Promise<AccessToken> {
    signal?.throwIfAborted();
    const { store, connection } = this.opts;
    const rejected = this.rejected;
    const current = await usableStored(store, connection, this.marginMs, this.now(), rejected);
    if (current) return this.served(current, rejected);
    const token = await untilAborted(
      store.renew(connection, {
        plan: (stored, at) => this.plan(stored, at, rejected),
        fetch: (stored, sig) => this.fetch(stored, sig),
        onFailure: (err, at) => this.onFailure(err, at, rejected),
      }),
      signal,
    );
    return this.served(token, rejected);
  }

  invalidate(token: string): void {
    this.rejected = token;
  }

  /**
   * Store the tokens of an authorization-code exchange (the connector made it): the connection is ok
   * again and its chain starts from these.
   */
  async authorize(grant: TokenGrant): Promise<void> {
    const now = this.now();
    const what = `${this.opts.system} connection ${this.opts.connection}`;
    const access = accessTokenFrom(grant, now, what);
    const refresh = refreshTokenFrom(grant, now, this.refreshLifetimeMs);
    if (!refresh) {
      throw new NeedsReauthorizationError(
        this.opts.connection,
        'the authorization answer had no refresh token',
        this.opts.system,
      );
    }
    await this.opts.store.saveAuthorization(this.opts.connection, { access, refresh });
    this.rejected = undefined;
  }

  async status(): Promise<ChainStatus> {
    const s = await this.opts.store.status(this.opts.connection);
    const action = reauthorizeCommand(this.opts.connection);
    if (!s) {
      return {
        state: 'not_authorized',
        reason: 'no tokens are stored',
        accessExpiresAt: null,
        refreshExpiresAt: null,
        refreshDaysLeft: null,
        action,
      };
    }
    const left = s.refreshExpiresAt ? s.refreshExpiresAt.getTime() - this.now().getTime() : null;
    return {
      state: s.state,
      reason: s.reason,
      accessExpiresAt: s.accessExpiresAt,
      refreshExpiresAt: s.refreshExpiresAt,
      refreshDaysLeft: left === null ? null : Math.max(0, Math.floor(left / DAY_MS)),
      action: s.state === 'ok' ? null : action,
    };
  }

  // ------------------------------------------------------------ decisions under the store's lock

  private plan(
    stored: StoredTokens | null,
    at: { now: Date; lockedUntil: Date | null },
    rejected: string | undefined,
  ): RenewPlan {
    const { now } = at;
    if (!stored) return { fail: this.reauthorization('no tokens are stored for it') };
    if (stored.state === 'needs_reauthorization') {
      return { fail: this.reauthorization(stored.reason ?? 'its refresh-token chain is broken') };
    }
    const access = stored.access;
    if (access && isFresh(access, now, this.marginMs) && access.value !== rejected) return { use: access };
    // Still valid and not refused: usable while a refresh is not allowed yet.
    const usable = access && access.expiresAt.getTime() > now.getTime() && access.value !== rejected;
    const refresh = stored.refresh;
    if (!refresh) return this.broken('no refresh token is stored');
    if (refresh.expiresAt && refresh.expiresAt.getTime() <= now.getTime()) {
      return this.broken(`its refresh token expired at ${refresh.expiresAt.toISOString()}`);
    }
    const age = access?.obtainedAt ? now.getTime() - access.obtainedAt.getTime() : Infinity;
    if (access && access.expiresAt.getTime() > now.getTime() && age < this.opts.minAgeMs) {
      if (usable) return { use: access };
      const waitMs = this.opts.minAgeMs - age;
      return {
        fail: new TokenRefreshTooEarlyError(
          `${this.opts.system} connection ${this.opts.connection}: the access token was refused but is ` +
            `${Math.floor(age / 1000)} s old, and ${this.opts.system} allows a refresh only after ` +
            `${Math.ceil(this.opts.minAgeMs / 1000)} s; retry in ${Math.ceil(waitMs / 1000)} s`,
          { retryAfterMs: waitMs },
        ),
      };
    }
    if (usable && at.lockedUntil && at.lockedUntil.getTime() > now.getTime()) return { use: access };
    return { fetch: true };
  }

  private async fetch(stored: StoredTokens | null, signal: AbortSignal): Promise<FetchedTokens> {
    const old = stored?.refresh;
    if (!old) throw this.reauthorization('no refresh token is stored');
    const grant = await this.opts.refresh(old.value, signal);
    const now = this.now();
    const what = `${this.opts.system} connection ${this.opts.connection}`;
    const access = accessTokenFrom(grant, now, what);
    // Where the endpoint did not rotate the refresh token, the one used stays the chain's.
    const refresh = refreshTokenFrom(grant, now, this.refreshLifetimeMs) ?? old;
    return { access, refresh };
  }

  private onFailure(
    err: unknown,
    at: { claimed: StoredTokens | null; current: StoredTokens | null; now: Date },
    rejected: string | undefined,
  ): FailurePlan {
    if (!(err instanceof ConnectorError)) return { rethrow: true };
    if (err.kind === 'needs_reauthorization') {
      // Another process stored a newer chain meanwhile (this one's claim ran out): that chain is fine.
      if (at.current && at.claimed && at.current.version !== at.claimed.version) return { retry: true };
      const reason = err.message;
      return {
        breakChain: reason,
        error: this.reauthorization(reason, err),
      };
    }
    if (err.kind === 'rate_limited') {
      // "Too early" (or the token budget): keep the current token while it lasts, and stay away
      // from the endpoint until it expires or the system's Retry-After, whichever comes first.
      const access = at.claimed?.access;
      if (access && access.expiresAt.getTime() > at.now.getTime() && access.value !== rejected) {
        const retryAt =
          err.retryAfterMs !== undefined ? at.now.getTime() + err.retryAfterMs : access.expiresAt.getTime();
        this.opts.log?.warn(
          { connection: this.opts.connection, error: err.message },
          'token refresh refused for now; the current access token stays in use',
        );
        return { use: access, lockUntil: new Date(Math.min(retryAt, access.expiresAt.getTime())) };
      }
    }
    return { rethrow: true };
  }

  private broken(reason: string): RenewPlan {
    return { breakChain: reason, error: this.reauthorization(reason) };
  }

  private reauthorization(reason: string, cause?: unknown): NeedsReauthorizationError {
    return new NeedsReauthorizationError(
      this.opts.connection,
      reason,
      this.opts.system,
      cause === undefined ? {} : { cause },
    );
  }

  private served(token: AccessToken, rejected: string | undefined): AccessToken {
    if (this.rejected === rejected && token.value !== rejected) this.rejected = undefined;
    return token;
  }
}
