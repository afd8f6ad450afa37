// FedEx's error envelope turned into typed errors: the kit's HttpCaller hands every non-2xx answer to
// fedexErrorFromResponse (its `refine` hook), and builds its own errors (no answer, an unreadable
// one, no rate-limit slot) from these classes too. Each carries a stable `type` string and the kind
// the activity layer turns into a Temporal ApplicationFailure, so this module stays free of Temporal
// and the client stays usable from the CLI.

import { HttpTransportError, parseJson, parseRetryAfter } from '../../lib/http';
import { redactSecrets } from '../../lib/logger';
import { ConnectorError, type ConnectorErrorInit } from '../kit/errors';

export interface FedexErrorDetail {
  code: string;
  message: string;
  /** The field of an answer a schema problem concerns (the kit's reading of a 2xx body). */
  field?: string;
  parameterList?: Array<{ key?: string; value?: string }>;
}

export interface FedexErrorEnvelope {
  transactionId?: string;
  customerTransactionId?: string;
  errors: FedexErrorDetail[];
}

interface FedexErrorInit extends ConnectorErrorInit {
  details?: readonly FedexErrorDetail[];
}

/**
 * Any error from a FedEx answer (or its absence). `code` is FedEx's own (e.g.
 * ACCOUNTNUMBER.REGISTRATION.REQUIRED), `transactionId` its transaction id for FedEx support.
 */
export abstract class FedexError extends ConnectorError {
  declare readonly details: readonly FedexErrorDetail[];
}

/** FedEx refused the request itself (4xx): retrying the same data cannot succeed. */
export class FedexBusinessError extends FedexError {
  readonly kind = 'business';
}

/**
 * Credentials refused (401 after one token refresh, bad client id/secret, missing permission).
 * Not retryable: an operator must fix the credentials.
 */
export class FedexAuthError extends FedexError {
  readonly kind = 'auth';
}

export type RateLimitScope = 'window' | 'daily_quota' | 'auth_lockout';

interface FedexRateLimitInit extends FedexErrorInit {
  /** Which limit: FedEx's 10-second window (the default), its daily quota, or the token lockout. */
  scope?: RateLimitScope;
}

/**
 * 429, the daily quota, the token endpoint's lockout, or no request slot under the API limit in
 * time: retry after `retryAfterMs`. The constructor has the kit's shape (message, init), so the
 * HttpCaller builds its own rate-limit errors from this class too.
 */
export class FedexRateLimitError extends FedexError {
  readonly kind = 'rate_limited';
  declare readonly retryAfterMs: number;
  readonly scope: RateLimitScope;
  constructor(message: string, init: FedexRateLimitInit = {}) {
    const { scope = 'window', ...rest } = init;
    super(message, rest);
    this.scope = scope;
  }
}

/** 5xx, timeouts, connection failures, unreadable answers: retry with jittered backoff. */
export class FedexUnavailableError extends FedexError {
  readonly kind = 'unavailable';
}

/** The stable type names, for retry policies' nonRetryableErrorTypes and for tests. */
export const FEDEX_ERROR_TYPES = {
  business: 'FedexBusinessError',
  auth: 'FedexAuthError',
  rateLimit: 'FedexRateLimitError',
  unavailable: 'FedexUnavailableError',
} as const;

/** Read FedEx's error envelope; tolerant of non-JSON bodies and missing fields. */
export function parseFedexErrorBody(text: string): FedexErrorEnvelope {
  const body = parseJson<Record<string, unknown>>(text);
  if (!body || typeof body !== 'object') return { errors: [] };
  // One ship endpoint documents a flat variant: {"error": "NOT.FOUND.ERROR", "error_detail": "..."}.
  if (!Array.isArray(body.errors) && typeof body.error === 'string') {
    const message = typeof body.error_detail === 'string' ? body.error_detail : '';
    return { errors: [{ code: body.error, message }] };
  }
  const errors = Array.isArray(body.errors)
    ? body.errors
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
        .map((e) => ({
          code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
          message: typeof e.message === 'string' ? e.message : '',
          ...(Array.isArray(e.parameterList)
            ? { parameterList: e.parameterList as FedexErrorDetail['parameterList'] }
            : {}),
        }))
    : [];
  return {
    transactionId: typeof body.transactionId === 'string' ? body.transactionId : undefined,
    customerTransactionId:
      typeof body.customerTransactionId === 'string' ? body.customerTransactionId : undefined,
    errors,
  };
}

export const RATE_WINDOW_MS = 10_000;
const MAX_JITTER_MS = 1_000;

/** Milliseconds from `nowMs` to the next 00:00 GMT, when FedEx's daily quota resets. */
export function msUntilMidnightGmt(nowMs: number): number {
  const d = new Date(nowMs);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return next - nowMs;
}

/** FedEx says the daily quota message is "Daily transaction quota exceeded. Retry after 12:00AM GMT". */
export function isDailyQuotaMessage(text: string): boolean {
  return /quota/i.test(text);
}

/**
 * How long to wait after a 429. A Retry-After header wins when present (FedEx does not document
 * one). Otherwise: the daily quota waits for 00:00 GMT; the 10-second window waits a whole window,
 * because FedEx does not say where its windows start and a full window is certain to have reset.
 * Jitter spreads the workers that all hit the limit at once.
 */
export function rateLimitWaitMs(
  opts: { bodyText: string; retryAfter?: string | null; nowMs: number },
  random: () => number = Math.random,
): { scope: RateLimitScope; waitMs: number } {
  const jitter = Math.floor(random() * MAX_JITTER_MS);
  const scope: RateLimitScope = isDailyQuotaMessage(opts.bodyText) ? 'daily_quota' : 'window';
  const header = parseRetryAfter(opts.retryAfter, opts.nowMs);
  if (header !== undefined) return { scope, waitMs: header + jitter };
  if (scope === 'daily_quota') return { scope, waitMs: msUntilMidnightGmt(opts.nowMs) + jitter };
  return { scope, waitMs: RATE_WINDOW_MS + jitter };
}

/**
 * Full-jitter exponential backoff for retryable failures when no Temporal retry policy does it
 * (the CLI, connection tests): a random delay in [0, min(max, base * 2^attempt)].
 */
export function backoffMs(
  attempt: number,
  opts: { baseMs?: number; maxMs?: number } = {},
  random: () => number = Math.random,
): number {
  const cap = Math.min(opts.maxMs ?? 60_000, (opts.baseMs ?? 500) * 2 ** Math.max(0, attempt));
  return Math.floor(random() * cap);
}

/** Codes FedEx uses for a token that must be renewed (it sends them with a 401, which the kit renews on). */
const TOKEN_CODES = new Set(['NOT.AUTHORIZED.ERROR', 'LOGIN.REAUTHENTICATE.ERROR']);

function summary(envelope: FedexErrorEnvelope): string {
  return redactSecrets(envelope.errors.map((e) => `${e.code}: ${e.message}`).join('; '));
}

/** Map a non-2xx FedEx answer to the typed error the caller throws. */
export function fedexErrorFromResponse(
  res: { status: number; text: string; headers?: { get(name: string): string | null } },
  opts: { operation: string; nowMs: number; random?: () => number },
): FedexError {
  const envelope = parseFedexErrorBody(res.text);
  const first = envelope.errors[0];
  const init: FedexErrorInit = {
    status: res.status,
    code: first?.code,
    transactionId: envelope.transactionId,
    details: envelope.errors,
  };
  const what = summary(envelope) || `HTTP ${res.status}`;
  const prefix = `FedEx ${opts.operation}`;

  if (res.status === 429) {
    const { scope, waitMs } = rateLimitWaitMs(
      { bodyText: res.text, retryAfter: res.headers?.get('retry-after'), nowMs: opts.nowMs },
      opts.random,
    );
    const reason =
      scope === 'daily_quota' ? 'daily transaction quota exceeded' : 'rate limit (10-second window) exceeded';
    return new FedexRateLimitError(`${prefix}: ${reason}; retry in ${Math.ceil(waitMs / 1000)} s`, {
      ...init,
      scope,
      retryAfterMs: waitMs,
    });
  }
  if (res.status >= 500) return new FedexUnavailableError(`${prefix}: FedEx unavailable (${what})`, init);
  if (res.status === 401 || (first && TOKEN_CODES.has(first.code))) {
    return new FedexAuthError(`${prefix}: credentials refused (${what})`, init);
  }
  if (res.status === 403) return new FedexAuthError(`${prefix}: not permitted (${what})`, init);
  if (res.status === 408) return new FedexUnavailableError(`${prefix}: FedEx timed out (${what})`, init);
  return new FedexBusinessError(`${prefix}: rejected (${what})`, init);
}

/**
 * The kit's errors about the wire and the answer, in FedEx's words: `FedEx <operation>: POST /path
 * failed (timeout): ...` and `FedEx <operation>: unreadable answer (<field>: <problem>)`, the form
 * the connector has always given operators (and test/bad-input pins). Everything else passes as it
 * is: FedEx's own errors from the refine hook and the token step, the kit's "not JSON" reading.
 * A restated error keeps the kit's as its cause, so it is never restated twice.
 */
export function inFedexWords(operation: string, err: unknown): unknown {
  if (!(err instanceof FedexUnavailableError)) return err;
  if (err.cause instanceof HttpTransportError) {
    return new FedexUnavailableError(
      `FedEx ${operation}: ${err.cause.message}`,
      { cause: err },
      err.cause.unanswered,
    );
  }
  const status = err.status ?? 0;
  const [first, ...more] = err.details;
  if (status < 200 || status > 299 || !first || err.cause !== undefined) return err;
  const where = first.field ? `${first.field}: ` : 'the answer ';
  const others = more.length > 0 ? `; and ${more.length} more` : '';
  return new FedexUnavailableError(
    `FedEx ${operation}: unreadable answer (${where}${first.message}${others})`,
    {
      status,
      details: err.details.map((d) => ({
        code: d.code,
        message: d.field ? `${d.field}: ${d.message}` : d.message,
      })),
      cause: err,
    },
  );
}
