// FedEx REST client: OAuth client credentials through the connector kit's token provider and shared
// store, rate limiting, typed errors, audit entries.
// Plain TypeScript (no Temporal): activities wrap it, and the CLI's `connections test` uses it.

import type { Logger } from 'pino';
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
import { httpRequest, HttpTransportError, parseJson, type HttpResponse } from '../../lib/http';
import { registerSecret } from '../../lib/logger';
import { defaultLease, type RateLimit, type RateLimiter } from '../../lib/ratelimit';
import {
  FedexAuthError,
  FedexBusinessError,
  FedexError,
  FedexRateLimitError,
  FedexUnavailableError,
  fedexErrorFromResponse,
  isTokenRejection,
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
  ClientCredentialsProvider,
  type AccessToken,
  type AccessTokenStore,
  type TokenGrant,
} from '../kit/tokens';
import type { FedexGrantType } from './wire';
import type {
  FedexAddressValidationResponse,
  FedexCancelResponse,
  FedexRateResponse,
  FedexShipResponse,
  FedexTokenResponse,
  FedexTrackResponse,
} from './wire';

/** One row for the audit log: what was called and how it went. Never bodies, never headers. */
export interface FedexAuditEntry {
  actor: string;
  action: string;
  outcome: 'ok' | 'error';
  connection: string;
  system: 'fedex';
  correlationId?: string;
  httpMethod: string;
  httpPath: string;
  httpStatus?: number;
  durationMs: number;
  details: Record<string, unknown>;
}

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
  fetch?: typeof fetch;
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

/** A request that changes something at FedEx, and what happens when it is not sent late. */
interface Write {
  what: string;
  retry: string;
}

interface CallOptions {
  customerTransactionId?: string;
  /** Use this token as is: no token store, no refresh (connection tests). */
  token?: AccessToken;
  /** Set for a create or cancel: not sent once the activity attempt's time is used up. */
  write?: Write;
}

/** Re-sends of a Track call that met a 5xx or no answer (see readAgainAfterOutage). */
const TRACK_RESENDS = 2;

export class FedexClient {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly tokens: ClientCredentialsProvider;

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
    const body = toFedexShipRequest(req, { accountNumber: this.opts.accountNumber });
    const res = await this.call<FedexShipResponse>('createShipment', 'POST', '/ship/v1/shipments', body, {
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
    const body = toFedexTrackByReferenceRequest(reference, {
      accountNumber: this.opts.accountNumber,
      shipDate,
      now: this.now(),
    });
    let res: FedexTrackResponse;
    try {
      res = await this.call<FedexTrackResponse>(
        'findShipmentByReference',
        'POST',
        '/track/v1/referencenumbers',
        body,
      );
    } catch (err) {
      // Only an explicit "not found" means there is no shipment; any other failure must not be
      // read as "safe to create".
      if (err instanceof FedexBusinessError && /NOT\.?FOUND/.test(err.code ?? '')) return null;
      throw err;
    }
    // A list that is missing or unreadable must never read as "no shipment, safe to create".
    checkTrackAnswer('findShipmentByReference', res, { listRequired: true });
    const found = readAnswer('findShipmentByReference', () => parseTrackByReferenceResponse(res));
    if (found.some((s) => typeof s.trackingNumber !== 'string')) {
      throw new FedexUnavailableError(
        'FedEx findShipmentByReference: a track result has no tracking number as text',
      );
    }
    const live = found.filter((s) => s.status !== 'cancelled');
    return live[0] ?? null;
  }

  async cancelShipment(
    trackingNumber: string,
    senderCountryCode?: string,
  ): Promise<{ cancelled: boolean; message: string }> {
    const body = toFedexCancelRequest(trackingNumber, {
      accountNumber: this.opts.accountNumber,
      senderCountryCode,
    });
    const res = await this.call<FedexCancelResponse>(
      'cancelShipment',
      'PUT',
      '/ship/v1/shipments/cancel',
      body,
      { write: { what: 'cancel', retry: 'the retry sends it again' } },
    );
    const flag = (res.output as { cancelledShipment?: unknown } | null | undefined)?.cancelledShipment;
    if (typeof flag !== 'boolean') {
      throw new FedexUnavailableError(
        'FedEx cancelShipment: the answer has no output.cancelledShipment flag (true or false)',
      );
    }
    return readAnswer('cancelShipment', () => parseCancelResponse(res));
  }

  /** Latest status per tracking number, in batches of 30; unknown numbers come back in `errors`. */
  async track(trackingNumbers: string[]): Promise<{ updates: TrackingUpdate[]; errors: TrackingError[] }> {
    const updates: TrackingUpdate[] = [];
    const errors: TrackingError[] = [];
    for (const batch of toFedexTrackRequests(trackingNumbers)) {
      const res = await this.readAgainAfterOutage(() =>
        this.call<FedexTrackResponse>('track', 'POST', '/track/v1/trackingnumbers', batch),
      );
      checkTrackAnswer('track', res, { listRequired: false });
      const parsed = readAnswer('track', () => parseTrackResponse(res, { now: this.now() }));
      if (parsed.updates.some((u) => typeof u.trackingNumber !== 'string' || !u.trackingNumber)) {
        throw new FedexUnavailableError('FedEx track: a track result has no tracking number as text');
      }
      updates.push(...parsed.updates);
      errors.push(...parsed.errors);
    }
    return { updates, errors };
  }

  /**
   * Track is a read sent as POST: one that met a 5xx or got no answer is sent again, twice, before
   * the error surfaces. A sweep makes a Track call per 30 shipments, and one failed call must not
   * cost the whole sweep. Creates and cancels are never sent again here (the activity's retry looks
   * up first).
   */
  private async readAgainAfterOutage<T>(read: () => Promise<T>): Promise<T> {
    for (let resent = 0; ; resent++) {
      try {
        return await read();
      } catch (err) {
        const outage =
          err instanceof FedexUnavailableError && (err.transport !== undefined || (err.status ?? 0) >= 500);
        if (!outage || resent >= TRACK_RESENDS) throw err;
        this.log.warn(
          { action: 'fedex.track', retry: resent + 1, why: err.message },
          'FedEx read failed; sending it again',
        );
        await new Promise((resolve) =>
          setTimeout(resolve, 150 * (resent + 1) + Math.floor((this.opts.random ?? Math.random)() * 100)),
        );
      }
    }
  }

  async rateQuote(req: RateQuoteRequest): Promise<RateQuote[]> {
    const body = toFedexRateRequest(req, { accountNumber: this.opts.accountNumber });
    const res = await this.call<FedexRateResponse>('rateQuote', 'POST', '/rate/v1/rates/quotes', body);
    return readAnswer('rateQuote', () => parseRateResponse(res));
  }

  async validateAddress(addresses: Address[]): Promise<AddressCheck[]> {
    const checks: AddressCheck[] = [];
    for (let i = 0; i < addresses.length; i += ADDRESS_BATCH_SIZE) {
      const batch = addresses.slice(i, i + ADDRESS_BATCH_SIZE);
      const res = await this.call<FedexAddressValidationResponse>(
        'validateAddress',
        'POST',
        '/address/v1/addresses/resolve',
        toFedexAddressValidationRequest(batch),
      );
      checks.push(...readAnswer('validateAddress', () => parseAddressValidationResponse(res, batch)));
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
      await this.call<FedexRateResponse>('testConnection', 'POST', '/rate/v1/rates/quotes', body, { token });
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

  private url(path: string): string {
    return `${this.opts.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  private async audit(entry: Omit<FedexAuditEntry, 'actor' | 'system' | 'connection'>): Promise<void> {
    if (!this.opts.audit) return;
    try {
      await this.opts.audit({
        actor: 'fedex-client',
        system: 'fedex',
        connection: this.opts.connection,
        ...entry,
      });
    } catch (err) {
      // The call itself succeeded or failed on its own; a broken audit sink must not change that.
      this.log.warn({ err: (err as Error).message, action: entry.action }, 'audit write failed');
    }
  }

  private async send(
    method: 'POST' | 'PUT',
    path: string,
    json: unknown,
    token: string,
    customerTransactionId?: string,
  ): Promise<HttpResponse> {
    return httpRequest(
      {
        method,
        url: this.url(path),
        headers: {
          authorization: `Bearer ${token}`,
          'x-locale': 'en_US',
          ...(customerTransactionId ? { 'x-customer-transaction-id': customerTransactionId } : {}),
        },
        json,
        timeoutMs: this.opts.timeoutMs,
      },
      { log: this.log, fetch: this.opts.fetch },
    );
  }

  private async call<T>(
    operation: string,
    method: 'POST' | 'PUT',
    path: string,
    json: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    const action = `fedex.${operation}`;
    const started = this.now().getTime();
    let res: HttpResponse;
    try {
      await this.apiSlot();
      let token = options.token ?? (await this.token());
      this.refuseLateWrite(operation, options.write);
      res = await this.send(method, path, json, token.value, options.customerTransactionId);
      if (
        !options.token &&
        res.status >= 400 &&
        isTokenRejection(res.status, parseFedexErrorBody(res.text))
      ) {
        // The token expired or was revoked early: renew it once and try once more.
        this.log.info({ action }, 'FedEx refused the access token; renewing it once');
        this.tokens.invalidate(token.value);
        token = await this.token();
        await this.apiSlot();
        this.refuseLateWrite(operation, options.write);
        res = await this.send(method, path, json, token.value, options.customerTransactionId);
      }
    } catch (err) {
      const error =
        err instanceof HttpTransportError
          ? new FedexUnavailableError(`FedEx ${operation}: ${err.message}`, {}, err.unanswered)
          : err;
      await this.audit({
        action,
        outcome: 'error',
        correlationId: options.customerTransactionId,
        httpMethod: method,
        httpPath: path,
        durationMs: this.now().getTime() - started,
        details: { error: (error as Error).message },
      });
      throw error;
    }

    const ok = res.status >= 200 && res.status < 300;
    const error = ok
      ? undefined
      : fedexErrorFromResponse(res, { operation, nowMs: this.now().getTime(), random: this.opts.random });
    const body = ok ? parseJson<T>(res.text) : undefined;
    const unreadable = !ok
      ? undefined
      : body === undefined
        ? 'answer is not JSON'
        : !isJsonObject(body)
          ? 'answer is not a JSON object'
          : undefined;
    await this.audit({
      action,
      outcome: ok && !unreadable ? 'ok' : 'error',
      correlationId: options.customerTransactionId,
      httpMethod: method,
      httpPath: path,
      httpStatus: res.status,
      durationMs: res.durationMs,
      details: {
        ...(error?.transactionId ? { transactionId: error.transactionId } : {}),
        ...(error?.code ? { code: error.code } : {}),
      },
    });
    if (error) {
      this.log.warn({ action, status: res.status, code: error.code, type: error.type }, 'FedEx call failed');
      throw error;
    }
    if (unreadable || body === undefined)
      throw new FedexUnavailableError(`FedEx ${operation}: ${unreadable}`, { status: res.status });
    return body;
  }

  /**
   * A usable token from the kit's client-credentials provider: the shared one, or a single-flight
   * refresh (a new one after `tokens.invalidate`). Another process may be fetching the token: the
   * wait for it can last the store's claim (two minutes for DbTokenStore), longer than an activity
   * attempt, so it heartbeats and stops when the activity is cancelled.
   */
  private token(): Promise<AccessToken> {
    return this.waitInActivity(this.tokens.getToken());
  }

  /**
   * A create or cancel is not sent once the activity attempt's time is used up (checked after the
   * token and limiter waits, right before the request): Temporal is about to time the attempt out
   * and retry it, and a retried create looks the shipment up by reference before creating. An old
   * attempt released from a long token wait together with its retry would otherwise create a second
   * label. Checking and then sending still leaves a small window: a request sent just before the
   * margin runs out that FedEx completes only after the retry has looked.
   */
  private refuseLateWrite(operation: string, write: Write | undefined): void {
    if (!write || (this.opts.waitBudgetMs?.() ?? Infinity) > 0) return;
    this.log.warn({ action: `fedex.${operation}` }, `activity attempt used up; ${write.what} not sent`);
    throw new FedexUnavailableError(
      `FedEx ${operation}: the activity attempt's start-to-close timeout is used up; not sending the ` +
        `${write.what}: ${write.retry}`,
    );
  }

  /**
   * A request slot under the API limit. Inside an activity the wait stops when the activity is
   * cancelled (nothing is sent then). The token fetch's slot is not tied to one activity: the fetch
   * serves every caller waiting for the token.
   */
  private async apiSlot(): Promise<void> {
    const { signal } = this.opts;
    signal?.throwIfAborted();
    await this.opts.limiter.acquire(fedexApiLimitKey(this.opts.clientId), 1, signal ? { signal } : {});
  }

  /**
   * Inside an activity, a long wait heartbeats (an activity with a heartbeat timeout stays alive, and
   * the heartbeat's answer is how a cancelled or timed-out attempt hears of it) and stops when the
   * activity is cancelled. The wait itself goes on for the other callers that share it.
   */
  private async waitInActivity<T>(work: Promise<T>): Promise<T> {
    const { heartbeat, signal } = this.opts;
    if (!heartbeat && !signal) return work;
    let beat: ReturnType<typeof setInterval> | undefined;
    let stop: (() => void) | undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        work.then(resolve, reject);
        if (heartbeat) beat = setInterval(() => this.beat(heartbeat), this.opts.waitHeartbeatMs ?? 5_000);
        if (!signal) return;
        stop = () => reject(signal.reason);
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
    } finally {
      clearInterval(beat);
      if (stop) signal?.removeEventListener('abort', stop);
    }
  }

  /** A heartbeat that fails must not end the wait, nor the process (it runs from a timer). */
  private beat(heartbeat: () => void): void {
    try {
      heartbeat();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat during a wait failed');
    }
  }

  private lockoutError(until: Date, now: Date): FedexRateLimitError {
    return new FedexRateLimitError(
      `FedEx token endpoint locked connection ${this.opts.connection} out until ${until.toISOString()}; ` +
        'no token requests are sent before then',
      'auth_lockout',
      until.getTime() - now.getTime(),
    );
  }

  /** Ask FedEx for a new token (throttled per credential); the provider stores and shares it. */
  private async requestToken(): Promise<TokenGrant> {
    await this.opts.limiter.acquire(fedexOAuthLimitKey(this.opts.clientId));
    const path = '/oauth/token';
    const form = Object.fromEntries(
      Object.entries(toFedexTokenForm(this.opts)).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
    let res: HttpResponse;
    try {
      res = await httpRequest(
        { method: 'POST', url: this.url(path), form, timeoutMs: this.opts.timeoutMs },
        { log: this.log, fetch: this.opts.fetch },
      );
    } catch (err) {
      if (!(err instanceof HttpTransportError)) throw err;
      await this.audit({
        action: 'fedex.oauth',
        outcome: 'error',
        httpMethod: 'POST',
        httpPath: path,
        durationMs: 0,
        details: { error: err.message },
      });
      throw new FedexUnavailableError(`FedEx oauth: ${err.message}`, {}, err.unanswered);
    }
    const now = this.now();
    const body = res.status === 200 ? parseJson<FedexTokenResponse>(res.text) : undefined;
    const tokenProblem = res.status === 200 ? tokenAnswerProblem(body) : undefined;
    await this.audit({
      action: 'fedex.oauth',
      outcome: res.status === 200 && !tokenProblem ? 'ok' : 'error',
      httpMethod: 'POST',
      httpPath: path,
      httpStatus: res.status,
      durationMs: res.durationMs,
      details: {},
    });
    if (res.status === 403) {
      // FedEx throttles the token endpoint per IP and answers 403 while locked out: stay away for
      // the whole lockout, across all workers (the lockout is stored with the token).
      const until = new Date(now.getTime() + (this.opts.authLockoutMs ?? DEFAULT_AUTH_LOCKOUT_MS));
      await this.tokens.lockOut(until);
      this.log.warn(
        { until: until.toISOString() },
        'FedEx token endpoint answered 403; pausing token requests',
      );
      throw this.lockoutError(until, now);
    }
    if (res.status === 401) {
      const envelope = parseFedexErrorBody(res.text);
      throw new FedexAuthError('FedEx oauth: the client id/secret were refused (NOT.AUTHORIZED.ERROR)', {
        status: 401,
        code: envelope.errors[0]?.code,
        transactionId: envelope.transactionId,
      });
    }
    if (res.status !== 200)
      throw fedexErrorFromResponse(res, {
        operation: 'oauth',
        nowMs: now.getTime(),
        random: this.opts.random,
      });
    if (tokenProblem || !body) {
      throw new FedexUnavailableError(`FedEx oauth: ${tokenProblem}`, { status: res.status });
    }
    const { access_token: value, expires_in: ttl } = body as { access_token: string; expires_in: number };
    registerSecret(value);
    return { accessToken: value, expiresInS: ttl };
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** FedEx tokens live an hour; a lifetime beyond a day is not one FedEx gives. */
const MAX_TOKEN_LIFETIME_S = 24 * 60 * 60;

/** What is wrong with a 200 answer of the token endpoint, or undefined when it is usable. */
function tokenAnswerProblem(body: FedexTokenResponse | undefined): string | undefined {
  if (body === undefined) return 'answer is not JSON';
  if (!isJsonObject(body)) return 'answer is not a JSON object';
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    return 'answer has no access_token (text)';
  }
  const ttl: unknown = body.expires_in;
  if (typeof ttl !== 'number' || !(ttl > 0 && ttl <= MAX_TOKEN_LIFETIME_S)) {
    return `answer's expires_in is not a number of seconds from 1 to ${MAX_TOKEN_LIFETIME_S}`;
  }
  return undefined;
}

/**
 * The Track answer's frame: `output` must be an object; `output.completeTrackResults` a list (a
 * missing one reads as "no results" unless `listRequired`).
 */
function checkTrackAnswer(operation: string, res: FedexTrackResponse, opts: { listRequired: boolean }): void {
  const output: unknown = res.output;
  if (!isJsonObject(output))
    throw new FedexUnavailableError(`FedEx ${operation}: the answer has no output object`);
  const list = output.completeTrackResults;
  if (list === undefined && !opts.listRequired) return;
  if (!Array.isArray(list)) {
    throw new FedexUnavailableError(
      `FedEx ${operation}: output.completeTrackResults is missing or not a list`,
    );
  }
  for (const [i, entry] of list.entries()) {
    const results: unknown = isJsonObject(entry) ? (entry.trackResults ?? []) : undefined;
    if (!Array.isArray(results) || !results.every(isJsonObject)) {
      throw new FedexUnavailableError(
        `FedEx ${operation}: output.completeTrackResults[${i}] is not an object with a trackResults list of objects`,
      );
    }
  }
}

/** Run a pure parser over an answer; a field of the wrong type deep inside becomes a typed error. */
function readAnswer<T>(operation: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof FedexError) throw err;
    throw new FedexUnavailableError(`FedEx ${operation}: unreadable answer (${(err as Error).message})`);
  }
}
