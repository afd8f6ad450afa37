// ShipStation answers turned into typed errors with a stable `type`, a `retryable` flag and
// ShipStation's own message where it gave one. V1 error bodies are ASP.NET shaped
// (`{Message, ModelState}` / `{Message, ExceptionMessage}` / `{message}`); V2 uses
// `{request_id, errors:[{error_source, error_type, error_code, message}]}`. The kit's HttpCaller
// reads every non-2xx answer through `shipStationRefine` (its `refine` hook). Temporal-free: the
// activities turn these into ApplicationFailures, the CLI reads them as they are.

import { parseJson, parseRetryAfter } from '../../lib/http';
import { redactSecrets } from '../../lib/logger';
import { ConnectorError, type ConnectorErrorInit } from '../kit/errors';
import type { RefineError } from '../kit/http';

export type ShipStationApi = 'v1' | 'v2';

/** Without a header, wait out a whole minute: both APIs count per minute. */
export const SHIPSTATION_RATE_WINDOW_MS = 60_000;

export interface ShipStationErrorInit extends ConnectorErrorInit {
  api?: ShipStationApi;
  /** What ShipStation said, as it said it. */
  shipStationMessage?: string;
}

/** Any error from a ShipStation answer (or its absence); `code` is V2's error_code, absent on V1. */
export abstract class ShipStationError extends ConnectorError {
  readonly api?: ShipStationApi;
  readonly shipStationMessage?: string;

  constructor(message: string, init: ShipStationErrorInit = {}, transport?: 'timeout' | 'network') {
    super(message, init, transport);
    this.api = init.api;
    this.shipStationMessage =
      init.shipStationMessage === undefined ? undefined : redactSecrets(init.shipStationMessage);
  }
}

/** 401/403: wrong key pair or V2 key, an expired key, or a plan without the API. Not retryable. */
export class ShipStationAuthError extends ShipStationError {
  readonly kind = 'auth';
}

/** 404 on a record asked for by id. */
export class ShipStationNotFoundError extends ShipStationError {
  readonly kind = 'not_found';
}

/** 400/409/422 and other 4xx: ShipStation refused the data; its message says why. */
export class ShipStationValidationError extends ShipStationError {
  readonly kind = 'validation';
}

/** The order is shipped or cancelled in ShipStation: it is locked and must never be updated. */
export class ShipStationImmutableOrderError extends ShipStationError {
  readonly kind = 'business';
  constructor(
    message: string,
    /** The order's status, when ShipStation's answer or a read of the order gave it. */
    readonly orderStatus: string | undefined,
    init: ShipStationErrorInit = {},
    /** ShipStation's orderId of the locked order, when known. */
    readonly orderId?: number,
  ) {
    super(message, init);
  }
}

/**
 * 429 that outlasted the client's own waits, or no request slot in time: retry after
 * `retryAfterMs` (a whole rate window when the maker gave none). Built as `(message, init)` like
 * every kit error class, so the HttpCaller can make it too.
 */
export class ShipStationRateLimitError extends ShipStationError {
  readonly kind = 'rate_limited';
  declare readonly retryAfterMs: number;
  constructor(message: string, init: ShipStationErrorInit = {}) {
    super(message, { ...init, retryAfterMs: init.retryAfterMs ?? SHIPSTATION_RATE_WINDOW_MS });
  }
}

/** 5xx, 408, timeouts, connection failures, unreadable answers. */
export class ShipStationUnavailableError extends ShipStationError {
  readonly kind = 'unavailable';
}

/** A webhook's resource_url points somewhere the connection's credentials must never go. */
export class ShipStationForeignUrlError extends ShipStationError {
  readonly kind = 'validation';
}

/** The stable type names, for retry policies' nonRetryableErrorTypes and for tests. */
export const SHIPSTATION_ERROR_TYPES = {
  auth: 'ShipStationAuthError',
  notFound: 'ShipStationNotFoundError',
  validation: 'ShipStationValidationError',
  immutableOrder: 'ShipStationImmutableOrderError',
  rateLimit: 'ShipStationRateLimitError',
  unavailable: 'ShipStationUnavailableError',
  foreignUrl: 'ShipStationForeignUrlError',
} as const;

/** Statuses V1 locks against any update through createorder(s): orders there are final. */
export const LOCKED_ORDER_STATUSES: readonly string[] = ['shipped', 'cancelled'];

export function isLockedOrderStatus(status: string | null | undefined): boolean {
  return typeof status === 'string' && LOCKED_ORDER_STATUSES.includes(status.toLowerCase());
}

/**
 * Whether ShipStation's text says the order is locked. The exact wording is undocumented, so this
 * looks for a locked status together with a refusal, and nothing narrower.
 */
export function mentionsLockedOrder(text: string | null | undefined): boolean {
  if (!text) return false;
  return (
    /\b(shipped|cancell?ed)\b/i.test(text) &&
    /(cannot|can't|can not|may not|not allowed|locked|not be (updated|modified))/i.test(text)
  );
}

/** ShipStation's own message from either API's error body; undefined when there is none. */
export function shipStationMessageOf(text: string): { message?: string; code?: string } {
  const body = parseJson<Record<string, unknown>>(text);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    const plain = text.trim();
    return plain && plain.length <= 300 && !plain.startsWith('<') ? { message: plain } : {};
  }
  if (Array.isArray(body.errors)) {
    const errs = body.errors.filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null);
    const messages = errs.map((e) => e.message).filter((m): m is string => typeof m === 'string' && m !== '');
    const code = errs.map((e) => e.error_code).find((c): c is string => typeof c === 'string');
    return { message: messages.join('; ') || undefined, code };
  }
  const modelState = body.ModelState;
  if (modelState && typeof modelState === 'object' && !Array.isArray(modelState)) {
    const messages = Object.values(modelState as Record<string, unknown>)
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .filter((m): m is string => typeof m === 'string' && m !== '');
    if (messages.length > 0) return { message: messages.join('; ') };
  }
  for (const key of ['ExceptionMessage', 'Message', 'message', 'error']) {
    const v = body[key];
    if (typeof v === 'string' && v !== '') return { message: v };
  }
  return {};
}

const MAX_JITTER_MS = 1_000;

/**
 * How long a 429 asks us to wait: V1's `X-Rate-Limit-Reset` (seconds until the window resets),
 * else `Retry-After` (V2), else a whole window; plus jitter so workers do not return together.
 */
export function rateLimitWaitMs(
  headers: { get(name: string): string | null } | undefined,
  nowMs: number,
  random: () => number = Math.random,
): number {
  const jitter = Math.floor(random() * MAX_JITTER_MS);
  const reset = headers?.get('x-rate-limit-reset')?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) return Math.round(Number(reset) * 1000) + jitter;
  return (parseRetryAfter(headers?.get('retry-after'), nowMs) ?? SHIPSTATION_RATE_WINDOW_MS) + jitter;
}

export interface ShipStationErrorContext {
  api: ShipStationApi;
  operation: string;
  method: string;
  /** Path without the query string. */
  path: string;
  nowMs: number;
  random?: () => number;
  /** What the caller asked for, for 404 messages ("order 123"). */
  subject?: string;
}

/** Map a non-2xx ShipStation answer to the typed error the client throws. */
export function shipStationErrorFromResponse(
  res: { status: number; text: string; headers?: { get(name: string): string | null } },
  ctx: ShipStationErrorContext,
): ShipStationError {
  const said = shipStationMessageOf(res.text);
  const init: ShipStationErrorInit = {
    status: res.status,
    api: ctx.api,
    code: said.code,
    shipStationMessage: said.message,
  };
  const prefix = `ShipStation ${ctx.api.toUpperCase()} ${ctx.operation} (${ctx.method} ${ctx.path})`;
  const text = said.message ? `${said.message} (HTTP ${res.status})` : `HTTP ${res.status}`;

  if (res.status === 429) {
    const waitMs = rateLimitWaitMs(res.headers, ctx.nowMs, ctx.random);
    const limit = ctx.api === 'v1' ? '40 requests per minute per key pair' : '200 requests per minute';
    return new ShipStationRateLimitError(
      `${prefix}: rate limit exceeded (ShipStation allows ${limit}); retry in ${Math.ceil(waitMs / 1000)} s`,
      { ...init, retryAfterMs: waitMs },
    );
  }
  if (res.status >= 500 || res.status === 408) {
    return new ShipStationUnavailableError(`${prefix}: ShipStation unavailable (${text})`, init);
  }
  if (res.status === 401 || res.status === 403) {
    const creds =
      ctx.api === 'v1'
        ? 'the V1 API key and secret (Settings > Account > API Settings, "V1 API"; key pairs can expire)'
        : 'the V2 API key (Settings > Account > API Settings, "V2 API"; the plan must include the V2 API)';
    return new ShipStationAuthError(
      `${prefix}: ShipStation refused the credentials (${text}); check ${creds}`,
      init,
    );
  }
  if (res.status === 404) {
    return new ShipStationNotFoundError(`${prefix}: ${ctx.subject ?? ctx.path} not found (${text})`, init);
  }
  if (mentionsLockedOrder(said.message)) {
    return new ShipStationImmutableOrderError(
      `${prefix}: the order is shipped or cancelled in ShipStation and cannot be changed (${text})`,
      undefined,
      init,
    );
  }
  return new ShipStationValidationError(`${prefix}: ShipStation rejected the request (${text})`, init);
}

/**
 * The HttpCaller's `refine` hook for one API: every non-2xx answer becomes the ShipStation error
 * above (the kit's default reading is replaced, not refined: ShipStation's 429 header on V1 is
 * `X-Rate-Limit-Reset`, which the kit does not read, and 403 is an auth problem here).
 */
export function shipStationRefine(
  api: ShipStationApi,
  nowMs: () => number,
  random?: () => number,
): RefineError {
  return (answer, ctx) =>
    shipStationErrorFromResponse(answer, {
      api,
      operation: ctx.operation,
      method: ctx.method,
      path: ctx.path,
      nowMs: nowMs(),
      ...(random ? { random } : {}),
      ...(ctx.subject !== undefined ? { subject: ctx.subject } : {}),
    });
}
