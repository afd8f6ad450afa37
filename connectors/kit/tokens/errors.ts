// The token kit's own errors: each fixes a kind of the kit's one error type (ConnectorError), so the
// activity layer and the workflow treat them like any connector's. Messages name the connection and
// what to do; ConnectorError redacts every registered secret from them.

import { ConnectorError, type ConnectorErrorInit } from '../errors';

/** The command that authorizes a connection again (prints the authorize URL and stores new tokens). */
export function reauthorizeCommand(connection: string): string {
  return `ml-connector connections authorize ${connection}`;
}

/**
 * The connection's authorization is gone for good (a broken refresh-token chain, an expired refresh
 * token, no tokens stored yet): only a person can fix it, by authorizing the connection again.
 */
export class NeedsReauthorizationError extends ConnectorError {
  readonly kind = 'needs_reauthorization';
  constructor(
    readonly connection: string,
    /** What broke, in words (stored as the connection's reason). */
    readonly reason: string,
    system: string,
    init: ConnectorErrorInit = {},
  ) {
    const command = reauthorizeCommand(connection);
    super(`${system} connection ${connection} needs to be authorized again: ${reason}. Run: ${command}`, {
      action: command,
      ...init,
    });
  }
}

/** The token endpoint locked this connection out (recorded by any process): no token request before `until`. */
export class TokenEndpointLockedError extends ConnectorError {
  readonly kind = 'rate_limited';
  constructor(
    readonly connection: string,
    readonly until: Date,
    now: Date,
  ) {
    super(
      `token requests for connection ${connection} are locked out until ${until.toISOString()}; ` +
        'none is sent before then',
      { retryAfterMs: until.getTime() - now.getTime() },
    );
  }
}

/**
 * A new access token is needed (the system refused the current one) but the current one is younger
 * than the minimum age at which the system allows a refresh (Exact Online: 570 s). Retry after
 * `retryAfterMs`; asking earlier would only be refused and count against the token-call budget.
 */
export class TokenRefreshTooEarlyError extends ConnectorError {
  readonly kind = 'rate_limited';
}

/** A credential that cannot be used as configured (an empty key or secret): a person fixes the configuration. */
export class TokenCredentialError extends ConnectorError {
  readonly kind = 'auth';
}

/** The token endpoint answered, but not with a usable token: passes with a later try. */
export class TokenAnswerError extends ConnectorError {
  readonly kind = 'unavailable';
}
