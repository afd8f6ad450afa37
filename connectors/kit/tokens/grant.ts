// A token endpoint's answer (as the connector read it) checked and turned into what the store keeps.
// The connector validates its own wire format; this is the last check before a value is stored and
// shared with every worker, so a missing token or a nonsense lifetime never reaches the table.

import { registerSecret } from '../../../lib/logger';
import { TokenAnswerError } from './errors';
import type { AccessToken, RefreshToken, TokenGrant } from './types';

/** Longer than any access token a system here gives (FedEx: 1 h); a bigger figure is a misread answer. */
const MAX_ACCESS_LIFETIME_S = 24 * 60 * 60;

export function accessTokenFrom(grant: TokenGrant, now: Date, what: string): AccessToken {
  if (typeof grant.accessToken !== 'string' || grant.accessToken === '') {
    throw new TokenAnswerError(`${what}: the token endpoint's answer has no access token`);
  }
  registerSecret(grant.accessToken);
  registerSecret(grant.refreshToken);
  const ttl = grant.expiresInS;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_ACCESS_LIFETIME_S) {
    throw new TokenAnswerError(
      `${what}: the token endpoint's expires_in is not a number of seconds from 1 to ${MAX_ACCESS_LIFETIME_S}`,
    );
  }
  return { value: grant.accessToken, expiresAt: new Date(now.getTime() + ttl * 1000), obtainedAt: now };
}

/**
 * The refresh token a grant brings, issued now; its life is what the endpoint said, else
 * `defaultLifetimeMs` (null: unknown). Undefined when the grant has none.
 */
export function refreshTokenFrom(
  grant: TokenGrant,
  now: Date,
  defaultLifetimeMs: number | null,
): RefreshToken | undefined {
  if (grant.refreshToken === undefined || grant.refreshToken === '') return undefined;
  const lifeMs =
    typeof grant.refreshExpiresInS === 'number' && grant.refreshExpiresInS > 0
      ? grant.refreshExpiresInS * 1000
      : defaultLifetimeMs;
  return {
    value: grant.refreshToken,
    issuedAt: now,
    expiresAt: lifeMs === null ? null : new Date(now.getTime() + lifeMs),
  };
}
