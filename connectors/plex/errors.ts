// Plex Connect answers turned into typed errors. Each carries a stable `type`, a `retryable` flag
// and, for permission faults, what the Plex integration user / app must be granted, so an operator
// reading the parked order knows exactly whom to ask for what. Temporal-free: activities.ts turns
// these into ApplicationFailures, the CLI's `connections test` reads them as they are.

import { parseJson, parseRetryAfter } from '../../lib/http';
import { ConnectorError, type ConnectorErrorInit, type ErrorDetail } from '../kit/errors';

export type PlexErrorDetail = ErrorDetail;
type PlexErrorInit = ConnectorErrorInit;

/** Any error from a Plex answer (or its absence). */
export abstract class PlexError extends ConnectorError {}

/** 401 REQUEST_NOT_AUTHENTICATED: bad or expired key, no access to the tenant, or (reportedly) an unsubscribed product. */
export class PlexAuthError extends PlexError {
  readonly kind = 'auth';
}

/** 403: the key is valid but may not use this resource; re-authenticating changes nothing. */
export class PlexForbiddenError extends PlexError {
  readonly kind = 'permission';
}

/** 404 on a record the caller asked for by id (or an unknown route). */
export class PlexNotFoundError extends PlexError {
  readonly kind = 'not_found';
}

/** 429: too many calls; retry after `retryAfterMs`. */
export class PlexRateLimitError extends PlexError {
  readonly kind = 'rate_limited';
  declare readonly retryAfterMs: number;
  /** `retryAfterMs` as its own argument, or inside `init` (how the kit's call path builds it). */
  constructor(message: string, retryAfterMs: number | PlexErrorInit = {}, init: PlexErrorInit = {}) {
    const own = typeof retryAfterMs === 'number' ? { ...init, retryAfterMs } : retryAfterMs;
    super(message, { ...own, retryAfterMs: own.retryAfterMs ?? PLEX_RATE_WINDOW_MS });
  }
}

/** 5xx, timeouts, connection failures, unreadable answers. */
export class PlexUnavailableError extends PlexError {
  readonly kind = 'unavailable';
}

/** 400: Plex rejected the request's data; `details` holds its errors list. */
export class PlexValidationError extends PlexError {
  readonly kind = 'validation';
}

/**
 * Plex answered, but with nothing where data must exist (an order with lines and no releases, a
 * customer the order names that 404s). Plex does not document hidden data as a permission signal,
 * yet a restricted integration user is the usual cause, so the message names the grant to check.
 */
export class PlexPermissionProblem extends PlexError {
  readonly kind = 'permission';
}

/** The stable type names, for retry policies' nonRetryableErrorTypes and for tests. */
export const PLEX_ERROR_TYPES = {
  auth: 'PlexAuthError',
  forbidden: 'PlexForbiddenError',
  notFound: 'PlexNotFoundError',
  rateLimit: 'PlexRateLimitError',
  unavailable: 'PlexUnavailableError',
  validation: 'PlexValidationError',
  permission: 'PlexPermissionProblem',
} as const;

/** The Developer Portal API product (and Connect collection) that serves a path. */
export interface PlexProduct {
  collection: string;
  product: string;
}

const PRODUCTS: Array<[RegExp, string]> = [
  [/^\/sales\/v1\/orders/, 'Sales Orders API'],
  [/^\/sales\/v1\/releases/, 'Sales Releases API'],
  [/^\/mdm\/v1\/customers/, 'Customers API'],
  [/^\/mdm\/v1\/parts/, 'Parts API'],
  [/^\/mdm\/v1\/tenants/, 'Tenant Directory API'],
  [/^\/shipping\/v1(-beta1)?\/customer-shippers/, 'Customer Shippers API'],
  [/^\/shipping\/v1(-beta1)?\/inventory/, 'Shipping Inventory API'],
  [/^\/inventory\/v1(-beta1)?\//, 'Inventory Operations Management API'],
];

export function plexProductFor(path: string): PlexProduct {
  const collection = path.split('/')[1] ?? 'unknown';
  const hit = PRODUCTS.find(([re]) => re.test(path));
  return { collection, product: hit ? hit[1] : `the "${collection}" collection's API` };
}

/** Who the request acted as: the default tenant of the key, a tenant id, or a PCN. */
export interface PlexScope {
  tenantId?: string;
  customerId?: string;
}

function scopeText(scope: PlexScope): string {
  if (scope.tenantId) return `tenant ${scope.tenantId}`;
  if (scope.customerId) return `PCN ${scope.customerId}`;
  return "the key's default tenant";
}

/** Read Plex's `{code, message, errors:[{code, message}]}` body; tolerant of anything else. */
export function parsePlexErrorBody(text: string): {
  code?: string;
  message?: string;
  errors: PlexErrorDetail[];
} {
  const body = parseJson<Record<string, unknown>>(text);
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { errors: [] };
  const errors = Array.isArray(body.errors)
    ? body.errors
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
        .map((e) => ({
          code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
          message: typeof e.message === 'string' ? e.message : '',
        }))
    : [];
  return {
    code: typeof body.code === 'string' ? body.code : undefined,
    message: typeof body.message === 'string' ? body.message : undefined,
    errors,
  };
}

/** Plex documents no rate-limit headers: without Retry-After, wait out a whole minute window. */
export const PLEX_RATE_WINDOW_MS = 60_000;
const MAX_JITTER_MS = 2_000;

/** Retry-After when Plex sends it, else a full window; jitter spreads workers that hit it together. */
export function plexRateLimitWaitMs(
  retryAfter: string | null | undefined,
  nowMs: number,
  random: () => number = Math.random,
): number {
  const jitter = Math.floor(random() * MAX_JITTER_MS);
  return (parseRetryAfter(retryAfter, nowMs) ?? PLEX_RATE_WINDOW_MS) + jitter;
}

export interface PlexErrorContext {
  operation: string;
  method: string;
  /** Path without the query string. */
  path: string;
  scope: PlexScope;
  nowMs: number;
  random?: () => number;
  /** What the caller asked for, for 404 messages ("sales order 1234"). */
  subject?: string;
}

/** Map a non-2xx Plex answer to the typed error the client throws. */
export function plexErrorFromResponse(
  res: { status: number; text: string; headers?: { get(name: string): string | null } },
  ctx: PlexErrorContext,
): PlexError {
  const body = parsePlexErrorBody(res.text);
  const init: PlexErrorInit = { status: res.status, code: body.code, details: body.errors };
  const { product, collection } = plexProductFor(ctx.path);
  const prefix = `Plex ${ctx.operation} (${ctx.method} ${ctx.path})`;
  const said = [body.code, body.message].filter(Boolean).join(': ') || `HTTP ${res.status}`;

  if (res.status === 429) {
    const waitMs = plexRateLimitWaitMs(res.headers?.get('retry-after'), ctx.nowMs, ctx.random);
    return new PlexRateLimitError(
      `${prefix}: rate limit exceeded (Plex allows about 200 calls per minute per key); retry in ${Math.ceil(waitMs / 1000)} s`,
      waitMs,
      init,
    );
  }
  if (res.status >= 500 || res.status === 408) {
    return new PlexUnavailableError(`${prefix}: Plex unavailable (${said})`, init);
  }
  if (res.status === 401) {
    const tenant = ctx.scope.tenantId || ctx.scope.customerId;
    return new PlexAuthError(
      `${prefix}: Plex did not authenticate the request (${said}). Check the connection's Consumer Key ` +
        '(X-Plex-Connect-Api-Key) in the Plex Developer Portal (keys can expire)' +
        (tenant ? `; grant the app's key access to ${scopeText(ctx.scope)}` : '') +
        `; and subscribe the app to the "${product}" API product (collection "${collection}"), ` +
        'since Plex answers 401 for those cases too',
      init,
    );
  }
  if (res.status === 403) {
    return new PlexForbiddenError(
      `${prefix}: Plex refused access (${said}). Grant the Plex integration user / app access to the ` +
        `"${product}" API product (collection "${collection}") for ${scopeText(ctx.scope)}; ` +
        're-authenticating does not help',
      init,
    );
  }
  if (res.status === 404) {
    const what = ctx.subject ?? ctx.path;
    return new PlexNotFoundError(
      `${prefix}: ${what} not found (${said}). If it exists in Plex, the app may not be subscribed to the ` +
        `"${product}" API product, or the record belongs to another tenant than ${scopeText(ctx.scope)}`,
      init,
    );
  }
  if (res.status === 400 || res.status === 422) {
    const list = body.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
    return new PlexValidationError(
      `${prefix}: Plex rejected the request (${said}${list ? `; ${list}` : ''})`,
      init,
    );
  }
  return new PlexValidationError(`${prefix}: unexpected answer (${said})`, init);
}

/** An empty answer where data was expected, with the grant that usually explains it. */
export function plexPermissionProblem(opts: {
  operation: string;
  path: string;
  scope: PlexScope;
  /** What was missing, e.g. "sales order SO-1001 has 2 lines but no releases". */
  finding: string;
}): PlexPermissionProblem {
  const { product, collection } = plexProductFor(opts.path);
  return new PlexPermissionProblem(
    `Plex ${opts.operation}: ${opts.finding}. Plex answered without error, so the integration user / app ` +
      `probably cannot see these records: subscribe the app to the "${product}" API product ` +
      `(collection "${collection}") and grant it access to ${scopeText(opts.scope)}; if the data really is ` +
      'missing, complete it in Plex, then retry the order',
  );
}
