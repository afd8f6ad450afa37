import { randomBytes, timingSafeEqual } from 'node:crypto';
import { FedexError, MESSAGES, errors } from './errors';
import type { FedexSimClient, ResolvedOptions } from './options';

export interface TokenInfo {
  clientId: string;
  accounts: string[];
  expiresAt: number;
}

const GRANT_TYPES = ['client_credentials', 'csp_credentials', 'client_pc_credentials'] as const;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The OAuth side of the simulator: issues bearer tokens that expire after the TTL (real time, as
 * `now` tells it: `Date.now` unless a test injects its own clock),
 * throttles token requests per client_id and locks a client_id out after repeated bad credentials.
 * (FedEx applies its thresholds per IP; keying by client_id lets one test process play several callers.)
 */
export class AuthService {
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly recentRequests = new Map<string, number[]>();
  private readonly badStreak = new Map<string, number>();
  private readonly lockedUntil = new Map<string, number>();
  readonly tokenRequests = new Map<string, number>();

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Handle one `POST /oauth/token` form. Returns the 200 body or throws a FedexError. */
  issue(form: URLSearchParams): Record<string, unknown> {
    const clientId = form.get('client_id') ?? '';
    this.tokenRequests.set(clientId, (this.tokenRequests.get(clientId) ?? 0) + 1);
    const now = this.now();

    const locked = this.lockedUntil.get(clientId);
    if (locked !== undefined && locked > now) throw errors.forbidden();

    const windowMs = this.opts.authThrottle.windowSeconds * 1000;
    const recent = (this.recentRequests.get(clientId) ?? []).filter((t) => t > now - windowMs);
    recent.push(now);
    this.recentRequests.set(clientId, recent);
    if (recent.length > this.opts.authThrottle.limit) throw errors.tooManyRequests();

    const grantType = form.get('grant_type') ?? '';
    if (!(GRANT_TYPES as readonly string[]).includes(grantType)) {
      throw new FedexError(400, {
        code: 'INVALID.INPUT.EXCEPTION',
        message: `${MESSAGES.invalidInput}: grant_type must be one of ${GRANT_TYPES.join(', ')}.`,
      });
    }
    const client = this.check(clientId, form.get('client_secret') ?? '', grantType, form);
    if (!client) {
      const streak = (this.badStreak.get(clientId) ?? 0) + 1;
      this.badStreak.set(clientId, streak);
      if (streak >= this.opts.authLockout.badAttempts) this.lock(clientId, this.opts.authLockout.seconds);
      throw errors.notAuthorized(MESSAGES.badCredentials);
    }
    this.badStreak.delete(clientId);

    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, {
      clientId,
      accounts: client.accounts,
      expiresAt: now + this.opts.tokenTtlSeconds * 1000,
    });
    return {
      access_token: token,
      token_type: 'bearer',
      expires_in: this.opts.tokenTtlSeconds,
      scope: 'CXS',
    };
  }

  private check(clientId: string, secret: string, grantType: string, form: URLSearchParams) {
    const client = this.opts.clients.find((c) => same(c.clientId, clientId));
    if (!client || !same(client.clientSecret, secret)) return undefined;
    if (grantType === 'client_credentials') return client;
    return this.childMatches(client, form.get('child_Key') ?? '', form.get('child_secret') ?? '')
      ? client
      : undefined;
  }

  private childMatches(client: FedexSimClient, key: string, secret: string): boolean {
    return (
      client.childKey !== undefined &&
      client.childSecret !== undefined &&
      same(client.childKey, key) &&
      same(client.childSecret, secret)
    );
  }

  /** The token behind an `authorization` header, or a 401 in FedEx's envelope. */
  authenticate(header: string | undefined): TokenInfo {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    const info = match?.[1] ? this.tokens.get(match[1]) : undefined;
    if (!info || info.expiresAt <= this.now()) throw errors.notAuthorized();
    return info;
  }

  /** Lock one client_id (or every configured one) out of the token endpoint for `seconds`. */
  lock(clientId: string | undefined, seconds: number): void {
    const until = this.now() + seconds * 1000;
    const ids = clientId !== undefined ? [clientId] : this.opts.clients.map((c) => c.clientId);
    for (const id of ids) this.lockedUntil.set(id, until);
  }

  /** Make every issued token expired, as if the hour had passed. */
  expireAll(): void {
    this.tokens.clear();
  }

  reset(): void {
    this.tokens.clear();
    this.recentRequests.clear();
    this.badStreak.clear();
    this.lockedUntil.clear();
    this.tokenRequests.clear();
  }
}
