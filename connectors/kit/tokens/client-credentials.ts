// OAuth2 client credentials as a token provider (FedEx, IFS Cloud): one access token per connection
// in the shared store, renewed once its life left falls under a safety margin (capped at half the
// token's life), single-flight across processes, and never requested while the token endpoint has
// locked the connection out. The token call itself is the connector's (`requestToken`, through its
// own HTTP client and limits); this file knows no system. Temporal-free.

import { usableStored } from './store';
import { TokenEndpointLockedError } from './errors';
import { accessTokenFrom } from './grant';
import type { AccessToken, AccessTokenStore, TokenGrant, TokenProvider } from './types';
import { untilAborted } from './wait';

export interface ClientCredentialsOptions {
  store: AccessTokenStore;
  connection: string;
  /** The token call (the connector's HTTP); refusals are ConnectorErrors. */
  requestToken: () => Promise<TokenGrant>;
  /**
   * Renew a token with less life left than this (default 60 s). FedEx tokens live an hour; IFS
   * tokens 180 s, where a margin above half the life is capped at half (90 s).
   */
  marginMs?: number;
  now?: () => Date;
  /** The error to throw while the token endpoint has the connection locked out (default TokenEndpointLockedError). */
  lockedOutError?: (until: Date, now: Date) => Error;
}

export class ClientCredentialsProvider implements TokenProvider {
  private readonly marginMs: number;
  private readonly now: () => Date;
  /** The token the system last refused; the next getToken brings another one. */
  private rejected: string | undefined;

  constructor(private readonly opts: ClientCredentialsOptions) {
    this.marginMs = opts.marginMs ?? 60_000;
    this.now = opts.now ?? (() => new Date());
  }

  async getToken(signal?: AbortSignal): Promise<AccessToken> {
    signal?.throwIfAborted();
    const { store, connection } = this.opts;
    const rejected = this.rejected;
    const current = await usableStored(store, connection, this.marginMs, this.now(), rejected);
    if (current) return this.served(current, rejected);
    // A lockout closes the token endpoint only (calls with a valid token still go through), so it is
    // looked up only when a new token is needed.
    const now = this.now();
    const locked = await store.lockedUntil(connection);
    if (locked && locked.getTime() > now.getTime()) throw this.lockedOut(locked, now);
    try {
      const token = await untilAborted(
        store.refresh(connection, () => this.request(), rejected, { marginMs: this.marginMs }),
        signal,
      );
      return this.served(token, rejected);
    } catch (err) {
      // Another process was locked out while this one waited for its token.
      if (err instanceof TokenEndpointLockedError) throw this.lockedOut(err.until, this.now());
      throw err;
    }
  }

  invalidate(token: string): void {
    this.rejected = token;
  }

  /** The token endpoint locked this connection out until `until`: no process asks it before then. */
  async lockOut(until: Date): Promise<void> {
    await this.opts.store.lockUntil(this.opts.connection, until);
  }

  lockedUntil(): Promise<Date | null> {
    return this.opts.store.lockedUntil(this.opts.connection);
  }

  private served(token: AccessToken, rejected: string | undefined): AccessToken {
    if (this.rejected === rejected && token.value !== rejected) this.rejected = undefined;
    return token;
  }

  private async request(): Promise<AccessToken> {
    const grant = await this.opts.requestToken();
    return accessTokenFrom(grant, this.now(), `connection ${this.opts.connection}`);
  }

  private lockedOut(until: Date, now: Date): Error {
    return (
      this.opts.lockedOutError?.(until, now) ?? new TokenEndpointLockedError(this.opts.connection, until, now)
    );
  }
}
