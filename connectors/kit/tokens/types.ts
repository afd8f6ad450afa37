// The words of the token kit: what a client asks a provider for, what a token endpoint answered, and
// what the shared store holds. A client only sees TokenProvider (`getToken`, and `invalidate` when the
// system refused a token); how the token is made (a static key, a client-credentials grant, a rotating
// refresh token, a self-signed JWT) and where it is kept is the provider's business.

import type { TokenState } from '../../../lib/db/types';

export type { TokenState };

/** What a provider hands a client: the value to send, and until when it is good where that is known. */
export interface IssuedToken {
  value: string;
  /** Absent for a static key: it lasts until someone changes it. */
  expiresAt?: Date;
}

/**
 * One way of getting a credential to send. `getToken` may wait for another process's refresh: its
 * `signal` ends this caller's wait (rejecting with the signal's reason) while the shared refresh goes
 * on for the others.
 */
export interface TokenProvider {
  getToken(signal?: AbortSignal): Promise<IssuedToken>;
  /**
   * The system refused `token` (a 401): the next `getToken` brings a different one (another process's
   * newer token, or a new one) where the scheme can make one; a static key cannot, so there it is a
   * no-op and the client reports the refusal.
   */
  invalidate(token: string): void;
}

/** An access token as the store keeps it. */
export interface AccessToken {
  value: string;
  expiresAt: Date;
  /** When it was obtained, where known: the minimum-age rule and the margin cap read it. */
  obtainedAt?: Date;
}

/**
 * What a token endpoint answered, as the connector read it (the connector does the HTTP and throws a
 * ConnectorError when the answer is a refusal). Lifetimes are in seconds, as endpoints give them.
 */
export interface TokenGrant {
  accessToken: string;
  expiresInS: number;
  /** A refresh token, where the grant gives one (Exact Online: a new one at every refresh). */
  refreshToken?: string;
  /** The refresh token's life where the endpoint says it (IFS `refresh_expires_in`); else the provider's default. */
  refreshExpiresInS?: number;
}

/**
 * The store a client-credentials provider needs: one access token per connection shared by every
 * process, a single-flight refresh, and a lockout of the token endpoint. DbTokenStore is the one
 * implementation; tests keep an in-memory one with the same contract.
 */
export interface AccessTokenStore {
  /** The stored token if it has more than `marginMs` of life left (the store's default margin when absent), else null. */
  getValid(connection: string, marginMs?: number): Promise<AccessToken | null>;
  /**
   * Single-flight refresh: under the connection's lock, the stored token if it is fresh and is not
   * `rejected` (another process refreshed meanwhile), else `fetchToken`'s result, stored, then returned.
   */
  refresh(
    connection: string,
    fetchToken: () => Promise<AccessToken>,
    rejected?: string,
    options?: { marginMs?: number },
  ): Promise<AccessToken>;
  /** When the token endpoint locked this connection out, the time the lockout ends (else null). */
  lockedUntil(connection: string): Promise<Date | null>;
  lockUntil(connection: string, until: Date): Promise<void>;
}

/** A refresh token as the store keeps it. */
export interface RefreshToken {
  value: string;
  issuedAt: Date;
  /** Null when neither the endpoint nor the configuration says how long it lives. */
  expiresAt: Date | null;
}

/** Everything stored for one (connection, credential), decrypted. */
export interface StoredTokens {
  access: AccessToken | null;
  refresh: RefreshToken | null;
  state: TokenState;
  /** Why the state is needs_reauthorization (an operator reads it). */
  reason: string | null;
  /** Bumped at every write of new tokens: tells whether another process stored a newer chain. */
  version: number;
}

/** What `doctor` and the CLI show of a token slot; no secret, nothing decrypted. */
export interface TokenStatus {
  state: TokenState;
  reason: string | null;
  stateChangedAt: Date | null;
  accessExpiresAt: Date | null;
  obtainedAt: Date;
  refreshIssuedAt: Date | null;
  refreshExpiresAt: Date | null;
  lockedUntil: Date | null;
}
