// What the FedEx client needs from the shared token storage. The production implementation keeps
// tokens encrypted in the database (oauth_tokens) so every worker shares one token, and refreshes
// under a row lock so only one process asks FedEx for a new token at a time.

export interface AccessToken {
  value: string;
  expiresAt: Date;
}

export interface TokenStore {
  /** The stored token for `connection` if it is still valid for a while, else null. */
  getValid(connection: string): Promise<AccessToken | null>;
  /**
   * Single-flight refresh: under the connection's lock, return the stored token if it is valid and
   * is not `rejected` (another process refreshed meanwhile), else call `fetchToken`, store and return
   * its result. `rejected` is the token FedEx has just answered 401 to.
   */
  refresh(
    connection: string,
    fetchToken: () => Promise<AccessToken>,
    rejected?: string,
  ): Promise<AccessToken>;
  /** When the token endpoint locked this connection out, the time the lockout ends (else null). */
  lockedUntil(connection: string): Promise<Date | null>;
  lockUntil(connection: string, until: Date): Promise<void>;
}

/**
 * Thrown by `refresh` when the token endpoint has locked the connection out (recorded with
 * `lockUntil`, possibly by another process): no token request may be sent before `until`.
 */
export class TokenLockedOutError extends Error {
  override readonly name = 'TokenLockedOutError';
  constructor(
    readonly connection: string,
    readonly until: Date,
  ) {
    super(`token requests for connection ${connection} are locked out until ${until.toISOString()}`);
  }
}
