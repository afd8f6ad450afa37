// FedEx REST client: what FedEx's API is (its paths, headers, answers and error envelope) and what
// its limits are. The call itself (the shared rate-limit slot, cancellation in every wait, resends of
// a Track after an outage, the late-write guard, the 401 renewal, one audit entry per request, the
// answer read through the zod schemas in wire.ts) is the connector kit's HttpCaller. Tokens come
// from the kit's client-credentials provider and its shared store.
// Plain TypeScript (no Temporal): activities wrap it, and the CLI's `connections test` uses it.

import type { Logger } from 'pino';
import type { z } from 'zod';
import type {
  Address,
  AddressCheck,
  CarrierShipment,
  RateQuote,
  RateQuoteRequest,
  ShipmentRequest,
  TrackingError,
  TrackingUpdate,
} from '../../domain/model';
import { registerSecret } from '../../lib/logger';
import { auditRow, writeAuditRow, type AuditRow } from '../kit/audit';
import { defaultLease, type RateLimit, type RateLimiter } from '../../lib/ratelimit';
import {
  HttpCaller,
  tokenAuth,
  type CallAttempt,
  type HttpCallerOptions,
  type RefineError,
  type RequestAuth,
} from '../kit/http';
import {
  ClientCredentialsProvider,
  type AccessToken,
  type AccessTokenStore,
  type TokenGrant,
} from '../kit/tokens';
import {
  FedexAuthError,
  FedexBusinessError,
  FedexError,
  FedexRateLimitError,
  FedexUnavailableError,
  fedexErrorFromResponse,
  inFedexWords,
  parseFedexErrorBody,
} from './errors';
import {
  ADDRESS_BATCH_SIZE,
  parseAddressValidationResponse,
  parseCancelResponse,
  parseRateResponse,
  parseShipResponse,
  parseTrackByReferenceResponse,
  parseTrackResponse,
  toFedexAddressValidationRequest,
  toFedexCancelRequest,
  toFedexRateRequest,
  toFedexShipRequest,
  toFedexTokenForm,
  toFedexTrackByReferenceRequest,
  toFedexTrackRequests,
  type FoundShipment,
} from './mapping';
import {
  fedexAddressValidationAnswer,
  fedexCancelAnswer,
  fedexRateAnswer,
  fedexShipAnswer,
  fedexTokenAnswer,
  fedexTrackAnswer,
  fedexTrackByReferenceAnswer,
  type FedexGrantType,
} from './wire';

/** One row for the audit log: what was called and how it went. Never bodies, never headers. */
export type FedexAuditEntry = AuditRow<'fedex'>;

export interface FedexClientOptions {
  /** Connection name from the config; keys the shared token and the lockout. */
  connection: string;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  accountNumber: string;
  childKey?: string;
  childSecret?: string;
  /** Defaults to client_credentials, or csp_credentials when child credentials are given. */
  grantType?: FedexGrantType;
  /** The shared token store (the kit's DbTokenStore; tests keep one in memory). */
  tokenStore: AccessTokenStore;
  limiter: RateLimiter;
  timeoutMs: number;
  log: Logger;
  audit?: (entry: FedexAuditEntry) => Promise<void>;
  /** How long to stay away from the token endpoint after it answers 403 (default 10 minutes). */
  authLockoutMs?: number;
  /**
   * Inside an activity: the time its attempt has left, less a margin (lib/temporal/attempt.ts). Once
   * it is used up, no create or cancel is sent (reads still are): Temporal is about to retry the
   * attempt, and the retry acts instead.
   */
  waitBudgetMs?: () => number;
  /** Inside an activity: called every few seconds of a long wait (another process's token fetch). */
  heartbeat?: () => void;
  /** How often a long wait calls `heartbeat` (default 5 s; the SDK throttles what it sends). */
  waitHeartbeatMs?: number;
  /** Inside an activity: its cancellation; a long wait stops when it fires. */
  signal?: AbortSignal;
  now?: () => Date;
  random?: () => number;
}

export type ConnectionTestReason =
  'ok' | 'bad_credentials' | 'unknown_account' | 'unreachable' | 'locked_out' | 'rate_limited' | 'error';

export interface ConnectionTestResult {
  ok: boolean;
  reason: ConnectionTestReason;
  message: string;
}

export const DEFAULT_AUTH_LOCKOUT_MS = 10 * 60 * 1000;
/** A stored token with less life left than this is renewed first. */
const TOKEN_MARGIN_MS = 60_000;

/** Limiter keys: API calls share FedEx's per-project window; token requests are throttled per credential. */
export function fedexApiLimitKey(clientId: string): string {
  return `fedex:api:${clientId}`;
}
export function fedexOAuthLimitKey(clientId: string): string {
  return `fedex:oauth:${clientId}`;
}

/**
 * FedEx's documented limit is 1,400 transactions per 10 s per project. The token endpoint's
 * thresholds are not published; a token lives an hour, so one request per 5 s is plenty.
 */
export function fedexRateLimit(key: string): RateLimit {
  if (key.startsWith('fedex:oauth:')) return { limit: 1, windowMs: 5_000 };
  return { limit: 1400, windowMs: 10_000, lease: defaultLease(1400) };
}

/** The kit builds its own errors (no answer, an unreadable one, no slot in time) from FedEx's classes. */
const FEDEX_ERROR_CLASSES: HttpCallerOptions['errors'] = {
  auth: FedexAuthError,
  permission: FedexAuthError,
  not_found: FedexBusinessError,
  validation: FedexBusinessError,
  conflict: FedexBusinessError,
  rate_limited: FedexRateLimitError,
  unavailable: FedexUnavailableError,
};

/** A request that changes something at FedEx, and what happens when it is not sent late. */
interface Write {
  what: 'create' | 'cancel';
  retry: string;
}

/** One FedEx request as the operations describe it. */
interface FedexCall<S extends z.ZodType> {
  operation: string;
  method?: 'POST' | 'PUT';
  path: string;
  body: unknown;
  /** The answer's zod schema (wire.ts). */
  answer: S;
  /**
   * Set for a create or cancel: not sent once the activity attempt's time is used up, and never sent
   * again here after a 5xx or no answer (the activity's retry looks the shipment up first). Every
   * other request is a read, though FedEx takes them as POST: the kit sends it again, twice (a sweep
   * makes a Track call per 30 shipments, and one failed call must not cost the whole sweep), and
   * sends it however late (nothing changes at FedEx).
   */
  write?: Write;
  /** `x-customer-transaction-id`, also the audit entry's correlation id. */
  customerTransactionId?: string;
  /** Use this token as is: no token store, no renewal (connection tests). */
  token?: AccessToken;
}

export class FedexClient {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly tokens: ClientCredentialsProvider;
  /** Reads, with the shared token. A write or a connection test gets a caller of its own (see `call`). */
  private readonly http: HttpCaller;
  /** The token endpoint: its own limiter key, FedEx's reading of a refused client. */
  private readonly tokenHttp: HttpCaller;

  constructor(private readonly opts: FedexClientOptions) {
    this.log = opts.log.child({ component: 'fedex-client', connection: opts.connection });
    this.now = opts.now ?? (() => new Date());
    registerSecret(opts.clientSecret);
    registerSecret(opts.childSecret);
    this.tokens = new ClientCredentialsProvider({
      store: opts.tokenStore,
      connection: opts.connection,
      requestToken: () => this.requestToken(),
      marginMs: TOKEN_MARGIN_MS,
      now: this.now,
      lockedOutError: (until, now) => this.lockoutError(until, now),
    });
    this.http = this.caller(this.bearer());
    this.tokenHttp = new HttpCaller({
      ...this.callerOptions(),
      limitKey: fedexOAuthLimitKey(opts.clientId),
      refine: (answer, ctx) =>
        answer.status === 401 ? refusedClient(answer.text) : this.refine(answer, ctx),
    });
  }

  /**
   * The same client inside one activity attempt: its time budget, heartbeat and cancellation (see
   * lib/temporal/attempt.ts). Token and limiter state stay shared with this client.
   */
  withAttempt(attempt: Pick<FedexClientOptions, 'waitBudgetMs' | 'heartbeat' | 'signal'>): FedexClient {
    return new FedexClient({ ...this.opts, ...attempt });
  }

  // ------------------------------------------------------------ operations

  /** Create a shipment and its label. `x-customer-transaction-id` carries the idempotency key. */
  async createShipment(req: ShipmentRequest): Promise<CarrierShipment> {
    const res = await this.call({
      operation: 'createShipment',
      path: '/ship/v1/shipments',
      body: toFedexShipRequest(req, { accountNumber: this.opts.accountNumber }),
      answer: fedexShipAnswer,
      customerTransactionId: req.idempotencyKey,
      write: { what: 'create', retry: 'the retry looks the shipment up first' },
    });
    try {
      return parseShipResponse(res, {
        labelFormat: req.label.format,
        labelDelivery: req.label.delivery,
        now: this.now(),
      });
    } catch (err) {
      // FedEx answered 200 but we cannot read the shipment: its fate is uncertain, so the retry
      // must look it up by reference before creating again.
      throw new FedexUnavailableError(`FedEx createShipment: unreadable answer (${(err as Error).message})`);
    }
  }

  /**
   * Find a live shipment created earlier with this CUSTOMER_REFERENCE (see fedexOrderReference), so a
   * retry after an uncertain failure reuses it instead of buying a second label. Null when none.
   */
  async findShipmentByReference(reference: string, shipDate?: string): Promise<FoundShipment | null> {
    let res;
    try {
      // The schema requires the result list: a missing or unreadable one must never read as "no
      // shipment, safe to create".
      res = await this.call({
        operation: 'findShipmentByReference',
        path: '/track/v1/referencenumbers',
        body: toFedexTrackByReferenceRequest(reference, {
          accountNumber: this.opts.accountNumber,
          shipDate,
          now: this.now(),
        }),
        answer: fedexTrackByReferenceAnswer,
      });
    } catch (err) {
      // Only an explicit "not found" means there is no shipment; any other failure must not be
      // read as "safe to create".
      if (err instanceof FedexBusinessError && /NOT\.?FOUND/.test(err.code ?? '')) return null;
      throw err;
    }
    const live = parseTrackByReferenceResponse(res).filter((s) => s.status !== 'cancelled');
    return live[0] ?? null;
  }

  async cancelShipment(
    trackingNumber: string,
    senderCountryCode?: string,
  ): Promise<{ cancelled: boolean; message: string }> {
    const res = await this.call({
      operation: 'cancelShipment',
      method: 'PUT',
      path: '/ship/v1/shipments/cancel',
      body: toFedexCancelRequest(trackingNumber, {
        accountNumber: this.opts.accountNumber,
        senderCountryCode,
      }),
      answer: fedexCancelAnswer,
      write: { what: 'cancel', retry: 'the retry sends it again' },
    });
    return parseCancelResponse(res);
  }

  /** Latest status per tracking number, in batches of 30; unknown numbers come back in `errors`. */
  async track(trackingNumbers: string[]): Promise<{ updates: TrackingUpdate[]; errors: TrackingError[] }> {
    const updates: TrackingUpdate[] = [];
    const errors: TrackingError[] = [];
    for (const batch of toFedexTrackRequests(trackingNumbers)) {
      const res = await this.call({
        operation: 'track',
        path: '/track/v1/trackingnumbers',
        body: batch,
        answer: fedexTrackAnswer,
      });
      const parsed = parseTrackResponse(res, { now: this.now() });
      if (parsed.updates.some((u) => !u.trackingNumber)) {
        throw new FedexUnavailableError('FedEx track: a track result has no tracking number');
      }
      updates.push(...parsed.updates);
      errors.push(...parsed.errors);
    }
    return { updates, errors };
  }

  async rateQuote(req: RateQuoteRequest): Promise<RateQuote[]> {
    const res = await this.call({
      operation: 'rateQuote',
      path: '/rate/v1/rates/quotes',
      body: toFedexRateRequest(req, { accountNumber: this.opts.accountNumber }),
      answer: fedexRateAnswer,
    });
    return parseRateResponse(res);
  }

  async validateAddress(addresses: Address[]): Promise<AddressCheck[]> {
    const checks: AddressCheck[] = [];
    for (let i = 0; i < addresses.length; i += ADDRESS_BATCH_SIZE) {
      const batch = addresses.slice(i, i + ADDRESS_BATCH_SIZE);
      const res = await this.call({
        operation: 'validateAddress',
        path: '/address/v1/addresses/resolve',
        body: toFedexAddressValidationRequest(batch),
        answer: fedexAddressValidationAnswer,
      });
      checks.push(...parseAddressValidationResponse(res, batch));
    }
    return checks;
  }

  /**
   * Check the configured credentials and account: a fresh token (not the cached one, which could
   * outlive a changed secret), then an account-bound rate request for a domestic lane.
   */
  async testConnection(
    lane: { from: Address; to: Address } = {
      from: {
        lines: ['3875 Airways Blvd'],
        city: 'Memphis',
        stateOrProvince: 'TN',
        postalCode: '38116',
        countryCode: 'US',
      },
      to: {
        lines: ['1 Main St'],
        city: 'Collierville',
        stateOrProvince: 'TN',
        postalCode: '38017',
        countryCode: 'US',
      },
    },
  ): Promise<ConnectionTestResult> {
    let token: AccessToken;
    try {
      const grant = await this.requestToken();
      token = {
        value: grant.accessToken,
        expiresAt: new Date(this.now().getTime() + grant.expiresInS * 1000),
      };
    } catch (err) {
      return this.testFailure(err, 'token');
    }
    try {
      const body = toFedexRateRequest(
        { shipper: lane.from, recipient: lane.to, packages: [{ weight: { value: 1, unit: 'LB' } }] },
        { accountNumber: this.opts.accountNumber },
      );
      await this.call({
        operation: 'testConnection',
        path: '/rate/v1/rates/quotes',
        body,
        answer: fedexRateAnswer,
        token,
      });
    } catch (err) {
      if (err instanceof FedexError && /ACCOUNT/.test(err.code ?? '')) {
        return {
          ok: false,
          reason: 'unknown_account',
          message: `FedEx does not accept account ${this.maskedAccount()}: ${err.message}`,
        };
      }
      return this.testFailure(err, 'account');
    }
    return { ok: true, reason: 'ok', message: `credentials and account ${this.maskedAccount()} accepted` };
  }

  // ------------------------------------------------------------ plumbing

  private maskedAccount(): string {
    return `…${this.opts.accountNumber.slice(-4)}`;
  }

  private testFailure(err: unknown, step: 'token' | 'account'): ConnectionTestResult {
    if (err instanceof FedexUnavailableError && err.transport) {
      return {
        ok: false,
        reason: 'unreachable',
        message: `cannot reach ${this.opts.baseUrl}: ${err.message}`,
      };
    }
    if (err instanceof FedexRateLimitError) {
      return {
        ok: false,
        reason: err.scope === 'auth_lockout' ? 'locked_out' : 'rate_limited',
        message: err.message,
      };
    }
    if (err instanceof FedexAuthError && step === 'token') {
      return { ok: false, reason: 'bad_credentials', message: err.message };
    }
    if (err instanceof FedexAuthError) {
      return {
        ok: false,
        reason: 'unknown_account',
        message: `the credentials may not use this account: ${err.message}`,
      };
    }
    return { ok: false, reason: 'error', message: (err as Error).message };
  }

  /**
   * One request through the kit's call path, in this client's activity attempt. The kit's wire and
   * answer errors are restated in FedEx's words (inFedexWords); an empty 2xx body is "not JSON".
   */
  private async call<S extends z.ZodType>(c: FedexCall<S>): Promise<z.output<S>> {
    const { waitBudgetMs, heartbeat, signal } = this.opts;
    // A limiter is not bound to look at a signal that fired before its wait began.
    signal?.throwIfAborted();
    const attempt: CallAttempt = {
      ...(waitBudgetMs ? { waitBudgetMs } : {}),
      ...(heartbeat ? { heartbeat } : {}),
      ...(signal ? { signal } : {}),
    };
    const id = c.customerTransactionId;
    const http = c.token
      ? this.caller(fixedToken(c.token))
      : c.write
        ? this.caller(this.bearer(c))
        : this.http;
    try {
      const data = await http.call({
        operation: c.operation,
        method: c.method ?? 'POST',
        path: c.path,
        json: c.body,
        headers: { 'x-locale': 'en_US', ...(id ? { 'x-customer-transaction-id': id } : {}) },
        answer: c.answer.optional(),
        repeatable: !c.write,
        attempt,
        ...(id ? { correlationId: id } : {}),
      });
      if (data === undefined) {
        throw new FedexUnavailableError(`FedEx ${c.operation}: answer is not JSON (an empty body)`);
      }
      return data;
    } catch (err) {
      throw inFedexWords(c.operation, err);
    }
  }

  /** What every FedEx caller shares: limiter, audit, timeouts, FedEx's error classes. */
  private callerOptions(): Omit<HttpCallerOptions, 'limitKey'> {
    return {
      system: 'FedEx',
      baseUrl: this.opts.baseUrl,
      limiter: this.opts.limiter,
      audit: (entry) => this.opts.audit?.(auditRow(entry, this.auditSource)),
      log: this.log,
      timeoutMs: this.opts.timeoutMs,
      errors: FEDEX_ERROR_CLASSES,
      // A 429 goes back to the activity at once, its retryAfterMs (the rest of FedEx's 10-second
      // window, or 00:00 GMT for the daily quota) becoming Temporal's next retry delay: FedEx does not
      // say where its windows start, so an inline wait is as long as a retry's and holds a worker slot.
      maxRateLimitWaits: 0,
      ...(this.opts.waitHeartbeatMs ? { heartbeatEveryMs: this.opts.waitHeartbeatMs } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
    };
  }

  /** A caller for FedEx's API: its shared per-project limit, FedEx's error envelope. */
  private caller(auth: RequestAuth): HttpCaller {
    return new HttpCaller({
      ...this.callerOptions(),
      auth,
      limitKey: fedexApiLimitKey(this.opts.clientId),
      refine: (answer, ctx) => this.refine(answer, ctx),
    });
  }

  /** FedEx's error envelope, status and 429 scope (window, daily quota) as FedEx's own error. */
  private readonly refine: RefineError = (answer, ctx) => {
    const error = fedexErrorFromResponse(answer, {
      operation: ctx.operation,
      nowMs: this.now().getTime(),
      random: this.opts.random,
    });
    this.log.warn(
      { action: `fedex.${ctx.operation}`, status: answer.status, code: error.code, type: error.type },
      'FedEx call failed',
    );
    return error;
  };

  /**
   * The shared token as a bearer header. Another process may be fetching the token: the wait can last
   * the store's claim (two minutes for DbTokenStore), longer than an activity attempt, so it
   * heartbeats (the provider ends it when the activity is cancelled). For a write, FedEx's late-write
   * guard runs right after the token wait, before the kit's own (which says the same in other words).
   */
  private bearer(call?: Pick<FedexCall<z.ZodType>, 'operation' | 'method' | 'path' | 'write'>): RequestAuth {
    const auth = tokenAuth(this.tokens, undefined, 'the FedEx access token');
    return {
      what: 'the FedEx access token',
      headers: async (signal) => {
        const headers = await this.heartbeating(Promise.resolve(auth.headers(signal)));
        if (call?.write) await this.refuseLateWrite(call, call.write);
        return headers;
      },
      invalidate: (sent) => {
        // The token expired or was revoked early: the kit sends the request once more with a new one.
        this.log.info('FedEx refused the access token; renewing it once');
        auth.invalidate?.(sent);
      },
    };
  }

  /**
   * A create or cancel is not sent once the activity attempt's time is used up (checked after the
   * token and limiter waits, right before the request): Temporal is about to time the attempt out
   * and retry it, and a retried create looks the shipment up by reference before creating. An old
   * attempt released from a long token wait together with its retry would otherwise create a second
   * label. Checking and then sending still leaves a small window: a request sent just before the
   * margin runs out that FedEx completes only after the retry has looked.
   */
  private async refuseLateWrite(
    call: Pick<FedexCall<z.ZodType>, 'operation' | 'method' | 'path'>,
    write: Write,
  ): Promise<void> {
    if ((this.opts.waitBudgetMs?.() ?? Infinity) > 0) return;
    const message =
      `FedEx ${call.operation}: the activity attempt's start-to-close timeout is used up; not sending the ` +
      `${write.what}: ${write.retry}`;
    this.log.warn({ action: `fedex.${call.operation}` }, `activity attempt used up; ${write.what} not sent`);
    await this.audit({
      action: `fedex.${call.operation}`,
      outcome: 'error',
      httpMethod: call.method ?? 'POST',
      httpPath: call.path,
      durationMs: 0,
      details: { error: message },
    });
    throw new FedexUnavailableError(message);
  }

  /** A long wait heartbeats every few seconds; a heartbeat that fails must not end it. */
  private async heartbeating<T>(work: Promise<T>): Promise<T> {
    const { heartbeat } = this.opts;
    if (!heartbeat) return work;
    const beat = setInterval(() => {
      try {
        heartbeat();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'heartbeat during a wait failed');
      }
    }, this.opts.waitHeartbeatMs ?? 5_000);
    try {
      return await work;
    } finally {
      clearInterval(beat);
    }
  }

  private get auditSource() {
    return { system: 'fedex' as const, connection: this.opts.connection, actor: 'fedex-client' };
  }

  private async audit(entry: Omit<FedexAuditEntry, 'actor' | 'system' | 'connection'>): Promise<void> {
    await writeAuditRow(this.opts.audit, this.auditSource, entry, this.log);
  }

  private lockoutError(until: Date, now: Date): FedexRateLimitError {
    return new FedexRateLimitError(
      `FedEx token endpoint locked connection ${this.opts.connection} out until ${until.toISOString()}; ` +
        'no token requests are sent before then',
      { scope: 'auth_lockout', retryAfterMs: until.getTime() - now.getTime() },
    );
  }

  /** Ask FedEx for a new token (throttled per credential); the provider stores and shares it. */
  private async requestToken(): Promise<TokenGrant> {
    const form = Object.fromEntries(
      Object.entries(toFedexTokenForm(this.opts)).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
    let body;
    try {
      // Not tied to one activity attempt: the token serves every caller waiting for it.
      body = await this.tokenHttp.call({
        operation: 'oauth',
        method: 'POST',
        path: '/oauth/token',
        form,
        answer: fedexTokenAnswer.optional(),
      });
    } catch (err) {
      if (err instanceof FedexError && err.status === 403) {
        // FedEx throttles the token endpoint per IP and answers 403 while locked out: stay away for
        // the whole lockout, across all workers (the lockout is stored with the token).
        const now = this.now();
        const until = new Date(now.getTime() + (this.opts.authLockoutMs ?? DEFAULT_AUTH_LOCKOUT_MS));
        await this.tokens.lockOut(until);
        this.log.warn(
          { until: until.toISOString() },
          'FedEx token endpoint answered 403; pausing token requests',
        );
        throw this.lockoutError(until, now);
      }
      throw inFedexWords('oauth', err);
    }
    if (!body) throw new FedexUnavailableError('FedEx oauth: answer is not JSON (an empty body)');
    registerSecret(body.access_token);
    return { accessToken: body.access_token, expiresInS: body.expires_in };
  }
}

/** The token endpoint's 401: the client id or secret is wrong (no token to renew). */
function refusedClient(text: string): FedexAuthError {
  const envelope = parseFedexErrorBody(text);
  return new FedexAuthError('FedEx oauth: the client id/secret were refused (NOT.AUTHORIZED.ERROR)', {
    status: 401,
    code: envelope.errors[0]?.code,
    transactionId: envelope.transactionId,
  });
}

/** A token used as it is: a connection test checks a fresh one, not the shared one. */
function fixedToken(token: AccessToken): RequestAuth {
  return { what: 'the FedEx access token', headers: () => ({ authorization: `Bearer ${token.value}` }) };
}
