// The one HTTP call path of every connector: a connector's client configures an HttpCaller once per
// connection (its system, base URL, credentials, rate limit, audit sink, error classes) and sends
// each request through it. Everything the three hand-written call loops did, and disagreed on, is
// done once here: the shared rate-limit slot, cancellation in every wait, 429 waits within the
// activity attempt's time, bounded resends of requests that are safe to repeat, the late-write
// guard, one audit entry per request sent, and answers read through a zod schema. Temporal-free: an
// activity hands in its attempt (lib/temporal/attempt.ts) as plain functions and a signal.

import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  httpRequest,
  HttpTransportError,
  parseJson,
  parseRetryAfter,
  pathOf,
  type HttpRequest,
  type ResponseHeaders,
} from '../../lib/http';
import { eitherSignal, sleepUnlessAborted } from '../../lib/concurrency';
import { systemClock, type LimiterClock, type RateLimiter } from '../../lib/ratelimit';
import {
  KIT_ERRORS,
  parseRateLimitReset,
  readAnswer,
  statusMeaning,
  type ErrorClass,
  type HttpErrorKind,
} from './answers';
import type { ConnectorError, ConnectorErrorInit, ErrorKind } from './errors';
import type { TokenProvider } from './tokens';

export type Method = HttpRequest['method'];

/** How a request is authenticated. `tokenAuth` builds one from a TokenProvider. */
export interface RequestAuth {
  /** Headers for one request, asked for before every send (a renewed token is picked up). */
  headers(signal?: AbortSignal): Promise<Record<string, string>> | Record<string, string>;
  /** The system answered 401 to `sent`: forget that credential. Sent once more if `headers` changes. */
  invalidate?(sent: Record<string, string>): void;
  /** The credential in words, for messages ("the API key"). */
  what?: string;
}

/** Bearer (or another header) auth from a token provider; a 401 invalidates the token that was sent. */
export function tokenAuth(
  provider: TokenProvider,
  header: (token: string) => Record<string, string> = (t) => ({ authorization: `Bearer ${t}` }),
  what = 'the access token',
): RequestAuth {
  const sentTokens = new WeakMap<Record<string, string>, string>();
  return {
    what,
    async headers(signal) {
      const token = await provider.getToken(signal);
      const headers = header(token.value);
      sentTokens.set(headers, token.value);
      return headers;
    },
    invalidate(sent) {
      const token = sentTokens.get(sent);
      if (token !== undefined) provider.invalidate(token);
    },
  };
}

/** One row of the audit trail per request sent. Never bodies, never headers. */
export interface CallAuditEntry {
  system: string;
  operation: string;
  method: Method;
  /** The path template where the caller gave one, else the path without its query. */
  path: string;
  outcome: 'ok' | 'error' | 'cancelled';
  status?: number;
  /** Set when no usable answer came. */
  transport?: 'timeout' | 'network' | 'too_large';
  durationMs: number;
  /** 1 for the first request of a call, 2 for its first resend, ... */
  attempt: number;
  errorType?: string;
  errorKind?: ErrorKind;
  code?: string;
  retryInMs?: number;
  correlationId?: string;
}

export type CallAuditSink = (entry: CallAuditEntry) => Promise<void> | void;

/** The activity attempt as a call sees it (lib/temporal/attempt.ts's ActivityAttempt fits). */
export interface CallAttempt {
  /** Time the attempt has left, less a margin; 0 once used up. Absent: no limit. */
  waitBudgetMs?: () => number;
  signal?: AbortSignal;
  heartbeat?: () => void;
}

/** A non-2xx answer as the connector's `refine` hook reads it. */
export interface ErrorAnswer {
  status: number;
  headers: ResponseHeaders;
  text: string;
  /** The body parsed as JSON, undefined when it is not JSON. */
  json: unknown;
}

export interface RefineContext {
  operation: string;
  method: Method;
  path: string;
  subject?: string;
  /** What the default table made of it, with `retryAfterMs` already computed for a 429. */
  error: ConnectorError;
}

/** A connector's reading of its own error bodies: its own error, or undefined to keep the default. */
export type RefineError = (answer: ErrorAnswer, ctx: RefineContext) => ConnectorError | undefined;

export interface HttpCallerOptions {
  /** The system's product name, for messages ("Plex"). */
  system: string;
  baseUrl: string;
  auth?: RequestAuth;
  limiter: RateLimiter;
  limitKey: string;
  audit?: CallAuditSink;
  log: Logger;
  timeoutMs: number;
  /** Per-method timeouts that replace `timeoutMs` (reads often give up sooner than writes). */
  timeoutsMs?: Partial<Record<Method, number>>;
  /** The connector's classes per kind (their names are the errors' types); kit classes otherwise. */
  errors?: Partial<Record<HttpErrorKind, ErrorClass>>;
  refine?: RefineError;
  /** 429s waited out inline before the error goes to Temporal's retry (default 2). */
  maxRateLimitWaits?: number;
  /** A 429 wait longer than this is not waited inline (default 65 s). */
  maxInlineWaitMs?: number;
  /** The wait after a 429 that says nothing of when (default 60 s, a typical window). */
  defaultRateLimitWaitMs?: number;
  /** Up to this much random delay is added to every 429 wait, so workers do not return together (default 1 s). */
  jitterMs?: number;
  /** Resends of a repeatable request after a 5xx, a timeout or a dropped connection (default 2). */
  transientResends?: number;
  /** The first pause before such a resend; it doubles, plus up to as much again at random (default 250 ms). */
  backoffMs?: number;
  maxResponseBytes?: number;
  /** How often a long wait heartbeats (default 5 s). */
  heartbeatEveryMs?: number;
  clock?: LimiterClock;
  random?: () => number;
  /** Replaces the wire transport (lib/http's `fetch` seam: tests that record what is sent). */
  fetch?: typeof fetch;
}

export interface CallRequest<S extends z.ZodType> {
  /** The operation's name, for messages and audit ("getOrder"). */
  operation: string;
  method: Method;
  /** Relative to the base URL, or an absolute URL on the base URL's origin (a next-page link). */
  path: string;
  /** For messages and audit instead of the path ("/orders/{id}"), so ids and data stay out. */
  pathTemplate?: string;
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  /** Extra request headers (an idempotency key); validated like the credentials. */
  headers?: Record<string, string>;
  /** The zod wire schema of a 2xx answer's body; an empty body is read as undefined. */
  answer: S;
  /** Safe to send again after a 5xx or no answer (default: GET only). Mark idempotent writes. */
  repeatable?: boolean;
  attempt?: CallAttempt;
  /** What was asked for, for the refine hook's messages ("sales order 1234"). */
  subject?: string;
  correlationId?: string;
}

export interface CallAnswer<T> {
  data: T;
  status: number;
  headers: ResponseHeaders;
}

/** What one send came to: an answer, no usable answer (as the connector's error), or a cancellation. */
type Sent = { res: Omit<ErrorAnswer, 'json'> } | { failed: ConnectorError } | { cancelled: unknown };

export class HttpCaller {
  private readonly clock: LimiterClock;
  private readonly random: () => number;

  constructor(private readonly opts: HttpCallerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
  }

  /** Send the request and return the answer's body read through `req.answer`. */
  async call<S extends z.ZodType>(req: CallRequest<S>): Promise<z.output<S>> {
    return (await this.request(req)).data;
  }

  /** As `call`, with the status and headers (an ETag, a Location). */
  async request<S extends z.ZodType>(req: CallRequest<S>): Promise<CallAnswer<z.output<S>>> {
    const { system, maxRateLimitWaits = 2, transientResends = 2 } = this.opts;
    const attempt = req.attempt ?? {};
    const url = this.url(req.path, req.query);
    const path = req.pathTemplate ?? pathOf(url);
    const at = `${system} ${req.operation} (${req.method} ${path})`;
    const repeatable = req.repeatable ?? req.method === 'GET';
    let rateWaits = 0;
    let resends = 0;
    let reauthorized = false;
    let renewed: Record<string, string> | undefined;
    for (let n = 1; ; n++) {
      const auth = await this.prepare(req, at, attempt, renewed);
      renewed = undefined;
      this.guardLateWrite(req, at, repeatable, attempt);
      const started = this.clock.now();
      const sent = await this.send(req, url, at, { ...req.headers, ...auth }, attempt.signal, n);
      const audit = (outcome: CallAuditEntry['outcome'], extra: Partial<CallAuditEntry> = {}) =>
        this.audit(
          { operation: req.operation, method: req.method, path, outcome, attempt: n, ...extra },
          started,
          req,
        );

      if ('cancelled' in sent) {
        await audit('cancelled');
        throw sent.cancelled;
      }
      if ('failed' in sent) {
        const err = sent.failed;
        await audit('error', auditFacts(err));
        if (err.transport && repeatable && resends < transientResends) {
          resends++;
          if (await this.pause(this.backoff(resends), at, attempt, `${err.message}; sending it again`))
            continue;
        }
        throw err;
      }

      const { res } = sent;
      if (res.status >= 200 && res.status < 300) {
        const read = readAnswer(req.answer, res.text, res.headers.get('content-type'));
        if (read.ok) {
          await audit('ok', { status: res.status });
          return { data: read.data, status: res.status, headers: res.headers };
        }
        const err = this.error(
          'unavailable',
          `${at} answered HTTP ${res.status}, but the answer ${read.problem}`,
          {
            status: res.status,
            details: read.details,
            action:
              "Check that the connection's base URL points at the API (not a login or maintenance page) and that the system runs the API version this connector reads.",
          },
        );
        await audit('error', { status: res.status, ...auditFacts(err) });
        throw err;
      }

      const err = this.classify(res, req, at, path);
      const retryInMs = err.kind === 'rate_limited' ? err.retryAfterMs : undefined;
      await audit('error', {
        status: res.status,
        ...auditFacts(err),
        ...(retryInMs !== undefined ? { retryInMs } : {}),
      });

      // A 401 to a token that can be renewed (expired early, revoked): renew it and send once more.
      if (res.status === 401 && !reauthorized && this.opts.auth?.invalidate) {
        reauthorized = true;
        this.opts.auth.invalidate(auth);
        const fresh = await this.authHeaders(at, attempt.signal);
        if (!sameHeaders(fresh, auth)) {
          renewed = fresh;
          continue;
        }
      }
      if (err.kind === 'rate_limited' && retryInMs !== undefined && rateWaits < maxRateLimitWaits) {
        rateWaits++;
        const cap = this.opts.maxInlineWaitMs ?? 65_000;
        if (retryInMs <= cap && (await this.pause(retryInMs, at, attempt, `HTTP ${res.status}; waiting`)))
          continue;
      }
      if (err.kind === 'unavailable' && repeatable && resends < transientResends) {
        resends++;
        if (await this.pause(this.backoff(resends), at, attempt, `HTTP ${res.status}; sending it again`))
          continue;
      }
      throw err;
    }
  }

  /** The rate-limit slot, then the credentials (checked to be sendable) and the caller's headers checked. */
  private async prepare(
    req: CallRequest<z.ZodType>,
    at: string,
    attempt: CallAttempt,
    /** Credentials a 401 renewal has just fetched. */
    renewed?: Record<string, string>,
  ) {
    await this.slot(at, attempt);
    const auth = renewed ?? (await this.authHeaders(at, attempt.signal));
    checkHeaders(req.headers ?? {}, (name) =>
      this.error(
        'validation',
        `${at}: the request header ${name} holds a character that cannot be sent in a header; not sent`,
      ),
    );
    return auth;
  }

  /**
   * A write that is not safe to repeat is never sent once the attempt's time is used up: Temporal is
   * about to time the attempt out and retry it, and the retry's write would follow this one (a
   * second label). Checked right before the send, after every wait. Also the last look at the signal.
   */
  private guardLateWrite(req: CallRequest<z.ZodType>, at: string, repeatable: boolean, attempt: CallAttempt) {
    attempt.signal?.throwIfAborted();
    if (repeatable || (attempt.waitBudgetMs?.() ?? Infinity) > 0) return;
    this.opts.log.warn(
      { operation: req.operation, method: req.method },
      'activity attempt used up; write not sent',
    );
    throw this.error(
      'unavailable',
      `${at}: not sent: the activity attempt's time is used up and Temporal is about to retry it; a write ` +
        "sent now could land next to the retry's (a second label, a double booking)",
    );
  }

  /**
   * The shared rate-limit slot, waited for no longer than the attempt has left: a read that got its
   * slot after Temporal gave up on the attempt would run next to the retry's, and hold a worker slot.
   */
  private async slot(at: string, attempt: CallAttempt): Promise<void> {
    const budget = attempt.waitBudgetMs?.() ?? Infinity;
    const outOfTime = Number.isFinite(budget) ? AbortSignal.timeout(Math.max(1, budget)) : undefined;
    const { signal, dispose } = eitherSignal(attempt.signal, outOfTime);
    try {
      await this.beating(attempt, () =>
        this.opts.limiter.acquire(this.opts.limitKey, 1, signal ? { signal } : {}),
      );
    } catch (err) {
      if (!outOfTime?.aborted || attempt.signal?.aborted) throw err;
      const retryAfterMs = Math.round(5_000 * (1 + this.random()));
      throw this.error(
        'rate_limited',
        `${at}: no request slot under the rate limit within the activity attempt's time; not sent`,
        {
          retryAfterMs,
        },
      );
    } finally {
      dispose();
    }
  }

  private async authHeaders(at: string, signal: AbortSignal | undefined): Promise<Record<string, string>> {
    const { auth } = this.opts;
    if (!auth) return {};
    const headers = await auth.headers(signal);
    // Node refuses such a value when it builds the request, and lib/http reports that as a network
    // error, which would be retried for ever; it is a credential a person has to fix.
    checkHeaders(headers, (name) =>
      this.error(
        'auth',
        `${at}: ${auth.what ?? `the credential sent in ${name}`} contains a character that cannot be sent in a ` +
          'header (a line break, a control character or a character outside Latin-1); not sent',
        { action: 'Check the stored credential: it was probably pasted with extra characters.' },
      ),
    );
    return headers;
  }

  /** One request over the wire; its failure already turned into the connector's error. */
  private async send(
    req: CallRequest<z.ZodType>,
    url: string,
    at: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    n: number,
  ): Promise<Sent> {
    const { timeoutMs, timeoutsMs, maxResponseBytes, log } = this.opts;
    const sending = httpRequest(
      {
        method: req.method,
        url,
        headers,
        ...(req.json !== undefined ? { json: req.json } : {}),
        ...(req.form ? { form: req.form } : {}),
        timeoutMs: timeoutsMs?.[req.method] ?? timeoutMs,
        ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
      },
      { log, ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}) },
    ).then(
      (res): Sent => ({ res }),
      (err: unknown): Sent => {
        if (!(err instanceof HttpTransportError)) throw err;
        const transport = err.unanswered;
        const detail = err.message.replace(/^.*? failed \(\w+\): /, '');
        const what =
          err.kind === 'timeout'
            ? detail
            : err.kind === 'network'
              ? `the connection failed (${detail})`
              : `${detail}; not sent again, it would only bring the same bytes`;
        const sends = n > 1 ? ` (sent ${n} times)` : '';
        return {
          failed: this.error('unavailable', `${at}: ${what}${sends}`, {
            ...(transport ? { transport } : {}),
            cause: err,
          }),
        };
      },
    );
    if (!signal) return sending;
    // lib/http takes no signal: stop waiting at once on cancellation and let the request end by itself.
    let stop: (() => void) | undefined;
    const cancelled = new Promise<Sent>((resolve) => {
      stop = () => resolve({ cancelled: signal.reason });
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    try {
      return await Promise.race([sending, cancelled]);
    } finally {
      if (stop) signal.removeEventListener('abort', stop);
    }
  }

  /** A non-2xx answer through the default table, then the connector's hook. */
  private classify(
    res: Omit<ErrorAnswer, 'json'>,
    req: CallRequest<z.ZodType>,
    at: string,
    path: string,
  ): ConnectorError {
    const { kind, said, action } = statusMeaning(res.status);
    const retryAfterMs = kind === 'rate_limited' ? this.rateLimitWait(res.headers) : undefined;
    const when = retryAfterMs !== undefined ? `; retry in ${Math.ceil(retryAfterMs / 1000)} s` : '';
    const error = this.error(kind, `${at}: ${this.opts.system} ${said} (HTTP ${res.status})${when}`, {
      status: res.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(action ? { action } : {}),
    });
    if (!this.opts.refine) return error;
    const { operation, method, subject } = req;
    const ctx = { operation, method, path, error, ...(subject !== undefined ? { subject } : {}) };
    return this.opts.refine({ ...res, json: parseJson(res.text) }, ctx) ?? error;
  }

  /** Retry-After (seconds or an HTTP date), else X-RateLimit-Reset, else a window; plus jitter. */
  private rateLimitWait(headers: ResponseHeaders): number {
    const now = this.clock.now();
    const base =
      parseRetryAfter(headers.get('retry-after'), now) ??
      parseRateLimitReset(headers.get('x-ratelimit-reset'), now) ??
      this.opts.defaultRateLimitWaitMs ??
      60_000;
    return base + Math.floor(this.random() * (this.opts.jitterMs ?? 1_000));
  }

  private backoff(resend: number): number {
    const base = (this.opts.backoffMs ?? 250) * 2 ** (resend - 1);
    return base + Math.floor(this.random() * base);
  }

  /**
   * Wait `ms` before sending again, if the attempt has that long: false when it has not (the caller
   * then throws its error, and Temporal's retry waits instead). Cancellation rejects at once.
   */
  private async pause(ms: number, at: string, attempt: CallAttempt, why: string): Promise<boolean> {
    if (ms > (attempt.waitBudgetMs?.() ?? Infinity)) return false;
    this.opts.log.warn({ call: at, waitMs: ms }, why);
    await this.beating(attempt, () => sleepUnlessAborted((t) => this.clock.sleep(t), ms, attempt.signal));
    return true;
  }

  /** Heartbeats at the start of a wait and every few seconds of it; a failing heartbeat is only logged. */
  private async beating<T>(attempt: CallAttempt, wait: () => Promise<T>): Promise<T> {
    const { heartbeat } = attempt;
    if (!heartbeat) return wait();
    const beat = () => {
      try {
        heartbeat();
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'heartbeat failed');
      }
    };
    beat();
    const timer = setInterval(beat, this.opts.heartbeatEveryMs ?? 5_000);
    try {
      return await wait();
    } finally {
      clearInterval(timer);
    }
  }

  private async audit(
    entry: Omit<CallAuditEntry, 'system' | 'durationMs'>,
    started: number,
    req: CallRequest<z.ZodType>,
  ): Promise<void> {
    if (!this.opts.audit) return;
    const full: CallAuditEntry = {
      system: this.opts.system,
      ...entry,
      durationMs: Math.max(0, this.clock.now() - started),
      ...(req.correlationId ? { correlationId: req.correlationId } : {}),
    };
    try {
      await this.opts.audit(full);
    } catch (err) {
      // The call succeeded or failed on its own; a broken audit sink must not change that.
      this.opts.log.warn({ err: (err as Error).message, operation: entry.operation }, 'audit write failed');
    }
  }

  private error(kind: HttpErrorKind, message: string, init: ConnectorErrorInit = {}): ConnectorError {
    const Class = this.opts.errors?.[kind] ?? KIT_ERRORS[kind];
    return new Class(message, init);
  }

  /** The base URL plus path and query; an absolute URL must stay on the base URL's origin. */
  private url(path: string, query: CallRequest<z.ZodType>['query']): string {
    const base = this.opts.baseUrl.replace(/\/+$/, '');
    let url = `${base}${path.startsWith('/') ? '' : '/'}${path}`;
    if (/^https?:\/\//i.test(path)) {
      if (new URL(path).origin !== new URL(base).origin) {
        throw this.error(
          'validation',
          `${this.opts.system}: refusing to send the connection's credentials to ${new URL(path).origin}`,
        );
      }
      url = path;
    }
    // Keys keep a literal `$` (OData's $filter); URLSearchParams would write %24 and + for spaces.
    const pairs = Object.entries(query ?? {}).filter(
      (e): e is [string, string | number | boolean] => e[1] !== undefined,
    );
    if (pairs.length === 0) return url;
    const qs = pairs.map(
      ([k, v]) => `${encodeURIComponent(k).replace(/%24/g, '$')}=${encodeURIComponent(String(v))}`,
    );
    return `${url}${url.includes('?') ? '&' : '?'}${qs.join('&')}`;
  }
}

/** Throws `fail(name)` for the first header Node would refuse to send; never quotes the value. */
function checkHeaders(headers: Record<string, string>, fail: (name: string) => ConnectorError): void {
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      throw fail(name);
    }
  }
}

function sameHeaders(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function auditFacts(err: ConnectorError): Partial<CallAuditEntry> {
  const transport =
    err.transport ??
    (err.cause instanceof HttpTransportError && err.cause.kind === 'too_large' ? 'too_large' : undefined);
  return {
    errorType: err.type,
    errorKind: err.kind,
    ...(err.code ? { code: err.code } : {}),
    ...(transport ? { transport } : {}),
  };
}
