// A self-signed HS256 JWT as a token provider (Sage X3 connected applications): there is no token
// endpoint, the client signs `{iss: client id, sub: the app's allowed user, aud, iat, exp}` with the
// app's secret (shared/reference/erps.md D.2; Sage's sample uses exp = iat + 60 and an empty aud, and
// X3 caps the lifetime at the app's "Tokens validity"). Signed with node:crypto, kept in memory until
// near its expiry; nothing to share between processes, so no store. Temporal-free.

import { createHmac } from 'node:crypto';
import { registerSecret } from '../../../lib/logger';
import { TokenCredentialError } from './errors';
import type { AccessToken, TokenProvider } from './types';

export interface Hs256JwtOptions {
  /** `iss`: the connected application's client id. */
  issuer: string;
  /** `sub`: the application's allowed user. */
  subject: string;
  /** `aud` (default ""): Sage's sample leaves it empty; some set the GraphQL endpoint URL. */
  audience?: string;
  /** The connected application's secret (HS256 key, its UTF-8 bytes). */
  secret: string;
  /** Seconds from `iat` to `exp` (default 60, Sage's sample); at most the app's "Tokens validity". */
  lifetimeS?: number;
  /** Sign a new token once the cached one has less life than this (default 10 s, capped at half the lifetime). */
  marginS?: number;
  /** Further claims, merged under the standard ones (which they cannot replace). */
  claims?: Record<string, unknown>;
  now?: () => Date;
}

/** A compact JWS: base64url(header).base64url(payload).base64url(HMAC-SHA256 over the first two). */
export function signHs256Jwt(payload: Record<string, unknown>, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify(payload));
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${header}.${body}`).digest();
  return `${header}.${body}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export class Hs256JwtProvider implements TokenProvider {
  private readonly lifetimeS: number;
  private readonly marginMs: number;
  private readonly now: () => Date;
  private cached: AccessToken | undefined;

  constructor(private readonly opts: Hs256JwtOptions) {
    if (opts.secret === '')
      throw new TokenCredentialError('the connected application secret is empty; set it');
    if (opts.issuer === '' || opts.subject === '') {
      throw new TokenCredentialError(
        'the connected application needs a client id (iss) and an allowed user (sub)',
      );
    }
    const lifetimeS = opts.lifetimeS ?? 60;
    if (!Number.isInteger(lifetimeS) || lifetimeS < 2) {
      throw new TokenCredentialError(
        `a JWT lifetime must be a whole number of seconds, at least 2 (got ${lifetimeS})`,
      );
    }
    registerSecret(opts.secret);
    this.lifetimeS = lifetimeS;
    this.marginMs = Math.min((opts.marginS ?? 10) * 1000, (lifetimeS * 1000) / 2);
    this.now = opts.now ?? (() => new Date());
  }

  async getToken(signal?: AbortSignal): Promise<AccessToken> {
    signal?.throwIfAborted();
    const nowMs = this.now().getTime();
    if (this.cached && this.cached.expiresAt.getTime() - nowMs > this.marginMs) return this.cached;
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.lifetimeS;
    const value = signHs256Jwt(
      {
        ...this.opts.claims,
        iss: this.opts.issuer,
        sub: this.opts.subject,
        aud: this.opts.audience ?? '',
        iat,
        exp,
      },
      this.opts.secret,
    );
    registerSecret(value);
    this.cached = { value, expiresAt: new Date(exp * 1000), obtainedAt: new Date(iat * 1000) };
    return this.cached;
  }

  /** A refused token (clock skew, a changed secret) is not reused: the next call signs a new one. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }
}
