// ShipStation's HTTP transport on the kit's call path (connectors/kit/http.ts): one HttpCaller per
// API, V1 (ssapi.shipstation.com, Basic apiKey:apiSecret, 40/min per key pair) and V2
// (api.shipstation.com/v2, `api-key` header, 200/min per key). The kit does the limiter slot, the
// 429 waits, cancellation, the late-write guard and the audit entry; this file only says what is
// ShipStation's: credentials, limiter keys, error bodies (errors.ts, the `refine` hook), the audit
// row's shape, and the wording of the few errors the kit words for itself (see `reworded`).
// Nothing here knows an operation; client.ts does.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { HttpTransportError } from '../../lib/http';
import { registerSecret } from '../../lib/logger';
import type { RateLimit, RateLimiter } from '../../lib/ratelimit';
import {
  HttpCaller,
  type CallAttempt,
  type CallAuditEntry,
  type Method,
  type RequestAuth,
} from '../kit/http';
import { eitherSignal } from '../../lib/concurrency';
import { auditRow, type AuditRow } from '../kit/audit';
import {
  SHIPSTATION_RATE_WINDOW_MS,
  ShipStationAuthError,
  ShipStationError,
  ShipStationNotFoundError,
  ShipStationRateLimitError,
  ShipStationUnavailableError,
  ShipStationValidationError,
  shipStationRefine,
  type ShipStationApi,
} from './errors';

/** One row for the audit log: what was called and how it went. Never bodies, never headers. */
export type ShipStationAuditEntry = AuditRow<'shipstation'>;

export type ShipStationAuditSink = (entry: ShipStationAuditEntry) => Promise<void>;

export interface ShipStationTransportOptions {
  /** Connection name from the config. */
  connection: string;
  /** https://ssapi.shipstation.com or a simulator. */
  v1BaseUrl: string;
  /** https://api.shipstation.com (paths carry /v2) or a simulator. */
  v2BaseUrl: string;
  /** V1 API key and secret (HTTP Basic). */
  apiKey: string;
  apiSecret: string;
  /** V2 API key; the V2 calls (inventory) refuse to run without it. */
  v2ApiKey?: string;
  limiter: RateLimiter;
  timeoutMs: number;
  log: Logger;
  audit?: ShipStationAuditSink;
  /** 429s answered by waiting and sending again before the error surfaces (default 2). */
  rateLimitRetries?: number;
  /** A 429 asking for a longer wait than this surfaces at once (default 65 s). */
  maxInlineWaitMs?: number;
  now?: () => Date;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * A signal that aborts `ms` from now, bounding the wait for a request slot as well as the kit's
   * own timer does (tests pass one they fire by hand).
   */
  timeoutSignal?: (ms: number) => AbortSignal;
  /**
   * Inside an activity (lib/temporal/attempt.ts): the time its attempt has left. The wait for a
   * request slot under the rate limit ends there (a retryable rate-limit error, nothing sent), and a
   * write is not sent once it is 0: Temporal is about to retry the attempt, and the retry sends it.
   */
  waitBudgetMs?: () => number;
  /** Inside an activity: called at every request and every few seconds of a wait. */
  heartbeat?: () => void;
  /** Inside an activity: its cancellation; every wait stops when it fires. */
  signal?: AbortSignal;
}

/** Documented defaults: 40 requests/minute per V1 key pair, 200/minute for V2. */
export interface ShipStationLimits {
  v1PerMinute: number;
  v2PerMinute: number;
}

export const SHIPSTATION_DEFAULT_LIMITS: ShipStationLimits = { v1PerMinute: 40, v2PerMinute: 200 };

/** Limiter key per API and credential (hashed), so connections sharing a key pair share its limit. */
export function shipStationLimitKey(api: ShipStationApi, credential: string): string {
  return `shipstation:${api}:${createHash('sha256').update(credential).digest('hex').slice(0, 16)}`;
}

/**
 * The limit for a limiter key made by shipStationLimitKey: the documented figures, for a
 * PostgresSlidingLimiter (lib/ratelimit.ts), which holds them whatever ShipStation's window alignment.
 */
export function shipStationLimitFor(limits: ShipStationLimits = SHIPSTATION_DEFAULT_LIMITS) {
  return (key: string): RateLimit => ({
    limit: key.startsWith('shipstation:v2:') ? limits.v2PerMinute : limits.v1PerMinute,
    windowMs: 60_000,
  });
}

export interface ShipStationRequest<S extends z.ZodType> {
  /** The operation's name, for messages and the audit row ("getOrder"). */
  operation: string;
  method: Method;
  /** Relative to the API's base URL, query included; or an absolute URL (a resource_url, a next link). */
  path: string;
  json?: unknown;
  /** The answer's schema (schemas.ts). */
  answer: S;
  /** What was asked for, for 404 messages ("order 123"). */
  subject?: string;
}

/** How long a request that found no slot within its activity attempt asks Temporal to wait (plus jitter). */
const NO_SLOT_RETRY_MS = 5_000;

export class ShipStationTransport {
  private readonly log: Logger;
  private readonly callers = new Map<string, HttpCaller>();
  private readonly basic: string;

  constructor(private readonly opts: ShipStationTransportOptions) {
    this.log = opts.log.child({ component: 'shipstation-client', connection: opts.connection });
    this.basic = Buffer.from(`${opts.apiKey}:${opts.apiSecret}`, 'utf8').toString('base64');
    for (const secret of [opts.apiKey, opts.apiSecret, opts.v2ApiKey, this.basic]) registerSecret(secret);
  }

  get hasV2Key(): boolean {
    return Boolean(this.opts.v2ApiKey);
  }

  /** Send one request and return its answer read through `req.answer`. */
  async call<S extends z.ZodType>(api: ShipStationApi, req: ShipStationRequest<S>): Promise<z.output<S>> {
    if (api === 'v2' && !this.opts.v2ApiKey) {
      throw new ShipStationAuthError(
        `ShipStation V2 ${req.operation}: the connection has no V2 API key; add one to use inventory`,
        { api },
      );
    }
    const { waitBudgetMs, signal, heartbeat } = this.opts;
    const attempt: CallAttempt = {
      ...(waitBudgetMs ? { waitBudgetMs } : {}),
      ...(signal ? { signal } : {}),
      ...(heartbeat ? { heartbeat } : {}),
    };
    try {
      return await this.caller(api, req.path).call({
        operation: req.operation,
        method: req.method,
        path: req.path,
        ...(req.json !== undefined ? { json: req.json } : {}),
        answer: req.answer,
        attempt,
        ...(req.subject !== undefined ? { subject: req.subject } : {}),
      });
    } catch (err) {
      throw this.reworded(err, api, req);
    }
  }

  /**
   * The caller for the API, on the origin of `path` when it is an absolute URL: a resource_url may
   * name a ShipStation shard host (ssapi11.shipstation.com) other than the configured base URL, and
   * the kit refuses absolute URLs off its base URL's origin. client.ts checks such a URL before.
   */
  private caller(api: ShipStationApi, path: string): HttpCaller {
    const configured = api === 'v1' ? this.opts.v1BaseUrl : this.opts.v2BaseUrl;
    const absolute = /^https?:\/\//i.test(path);
    const origin = absolute ? new URL(path).origin : undefined;
    const baseUrl = origin && origin !== new URL(configured).origin ? origin : configured;
    const key = `${api} ${baseUrl}`;
    let caller = this.callers.get(key);
    if (!caller) {
      caller = this.newCaller(api, baseUrl);
      this.callers.set(key, caller);
    }
    return caller;
  }

  private newCaller(api: ShipStationApi, baseUrl: string): HttpCaller {
    const { opts } = this;
    const now = () => (opts.now ? opts.now().getTime() : Date.now());
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const limitKey =
      api === 'v1'
        ? shipStationLimitKey('v1', `${opts.apiKey}:${opts.apiSecret}`)
        : shipStationLimitKey('v2', opts.v2ApiKey ?? '');
    const auth: RequestAuth =
      api === 'v1'
        ? { headers: () => ({ authorization: `Basic ${this.basic}` }), what: 'the V1 API key and secret' }
        : { headers: () => ({ 'api-key': opts.v2ApiKey ?? '' }), what: 'the V2 API key' };
    return new HttpCaller({
      system: `ShipStation ${api.toUpperCase()}`,
      baseUrl,
      auth,
      limiter: this.limiter(),
      limitKey,
      ...(opts.audit ? { audit: (e: CallAuditEntry) => this.audit(e) } : {}),
      log: this.log,
      timeoutMs: opts.timeoutMs,
      errors: {
        auth: ShipStationAuthError,
        permission: ShipStationAuthError,
        not_found: ShipStationNotFoundError,
        validation: ShipStationValidationError,
        conflict: ShipStationValidationError,
        rate_limited: ShipStationRateLimitError,
        unavailable: ShipStationUnavailableError,
      },
      refine: shipStationRefine(api, now, opts.random),
      maxRateLimitWaits: opts.rateLimitRetries ?? 2,
      maxInlineWaitMs: opts.maxInlineWaitMs ?? 65_000,
      defaultRateLimitWaitMs: SHIPSTATION_RATE_WINDOW_MS,
      // No resends of 5xx or lost answers here: at 40 calls a minute Temporal's retry spends the
      // budget better, and it has always been so for ShipStation (see the README).
      transientResends: 0,
      clock: { now, sleep },
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  /**
   * The shared limiter; with `timeoutSignal`, its wait also ends when that signal fires within the
   * attempt's budget (the kit bounds it with its own timer as well). Ending so, it is a no-slot
   * rate-limit error like the kit's.
   */
  private limiter(): RateLimiter {
    const { limiter, timeoutSignal, waitBudgetMs, random = Math.random } = this.opts;
    if (!timeoutSignal || !waitBudgetMs) return limiter;
    return {
      acquire: async (key, cost, acquireOpts) => {
        const budget = waitBudgetMs();
        if (!Number.isFinite(budget)) return limiter.acquire(key, cost, acquireOpts);
        const outOfTime = timeoutSignal(Math.max(1, budget));
        const { signal, dispose } = eitherSignal(acquireOpts?.signal, outOfTime);
        try {
          await limiter.acquire(key, cost, signal ? { signal } : {});
        } catch (err) {
          if (!outOfTime.aborted || acquireOpts?.signal?.aborted) throw err;
          throw new ShipStationRateLimitError('no request slot', {
            retryAfterMs: NO_SLOT_RETRY_MS + Math.floor(random() * NO_SLOT_RETRY_MS),
          });
        } finally {
          dispose();
        }
      },
    };
  }

  /**
   * The kit words a few errors itself, without ShipStation's terms; this puts them as this client
   * always has (operators' runbooks and the bad-input corpus read them): a request that got no
   * answer names the transport's own words (`failed (timeout)`), a missing request slot names the
   * API's limit, the late-write guard says the retry sends it, an empty answer is "not JSON".
   * Everything else (ShipStation's error bodies, schema misfits) passes as it is.
   */
  private reworded(err: unknown, api: ShipStationApi, req: ShipStationRequest<z.ZodType>): unknown {
    if (!(err instanceof ShipStationError)) return err;
    const API = api.toUpperCase();
    const at = `ShipStation ${API} ${req.operation}`;
    if (err.cause instanceof HttpTransportError) {
      const transport = err.cause.unanswered;
      return new ShipStationUnavailableError(`${at}: ${err.cause.message}`, {
        api,
        ...(transport ? { transport } : {}),
        cause: err.cause,
      });
    }
    if (err.status !== undefined) {
      if (err.kind !== 'unavailable' || !err.message.endsWith('is empty where a JSON answer was expected'))
        return err;
      return new ShipStationUnavailableError(
        `${at}: answer is not JSON (an empty body with HTTP ${err.status})`,
        { api, status: err.status },
      );
    }
    if (err instanceof ShipStationRateLimitError) {
      return new ShipStationRateLimitError(
        `${at}: no request slot under the ${API} rate limit within the activity attempt's time; not sent, ` +
          `retry in ${Math.ceil(err.retryAfterMs / 1000)} s`,
        { api, retryAfterMs: err.retryAfterMs },
      );
    }
    if (
      err instanceof ShipStationUnavailableError &&
      !err.transport &&
      (this.opts.waitBudgetMs?.() ?? 1) <= 0
    ) {
      return new ShipStationUnavailableError(
        `${at}: the activity attempt's time is used up; not sent (the retry sends it)`,
        { api },
      );
    }
    return err;
  }

  private async audit(e: CallAuditEntry): Promise<void> {
    // The kit logs and swallows a failing sink.
    await this.opts.audit?.(
      auditRow(e, { system: 'shipstation', connection: this.opts.connection, actor: 'shipstation-client' }),
    );
  }
}
