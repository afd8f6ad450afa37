// What a system's answer means, apart from how it was sent (http.ts): the default kind of each HTTP
// status, the rate-limit headers, and a 2xx body read through JSON.parse and the connector's zod
// wire schema, or a sentence that says what came instead (an HTML page, cut-off JSON, a field of the
// wrong type). Also the kit's error classes per kind, for connectors without names of their own.

import type { z } from 'zod';
import { ConnectorError, type ConnectorErrorInit, type ErrorDetail, type ErrorKind } from './errors';

/** The kinds the call path produces itself; a connector's `refine` hook may return any kind. */
export type HttpErrorKind = Extract<
  ErrorKind,
  'auth' | 'permission' | 'not_found' | 'validation' | 'conflict' | 'rate_limited' | 'unavailable'
>;

export type ErrorClass = new (message: string, init?: ConnectorErrorInit) => ConnectorError;

// A connector that wants its own names (PlexAuthError) passes its classes to the HttpCaller; the
// class name is the error's stable type.
export class ApiAuthError extends ConnectorError {
  readonly kind = 'auth';
}
export class ApiPermissionError extends ConnectorError {
  readonly kind = 'permission';
}
export class ApiNotFoundError extends ConnectorError {
  readonly kind = 'not_found';
}
export class ApiValidationError extends ConnectorError {
  readonly kind = 'validation';
}
export class ApiConflictError extends ConnectorError {
  readonly kind = 'conflict';
}
export class ApiRateLimitError extends ConnectorError {
  readonly kind = 'rate_limited';
}
export class ApiUnavailableError extends ConnectorError {
  readonly kind = 'unavailable';
}

export const KIT_ERRORS: Record<HttpErrorKind, ErrorClass> = {
  auth: ApiAuthError,
  permission: ApiPermissionError,
  not_found: ApiNotFoundError,
  validation: ApiValidationError,
  conflict: ApiConflictError,
  rate_limited: ApiRateLimitError,
  unavailable: ApiUnavailableError,
};

interface StatusMeaning {
  kind: HttpErrorKind;
  /** What the system did, after its name ("Plex refused access"). */
  said: string;
  action?: string;
}

const STATUSES: Record<number, StatusMeaning> = {
  400: { kind: 'validation', said: 'refused the request' },
  401: {
    kind: 'auth',
    said: 'did not accept the credentials',
    action: "Check the connection's stored credentials.",
  },
  403: {
    kind: 'permission',
    said: 'refused access',
    action: "Grant the connection's user access to this resource.",
  },
  404: { kind: 'not_found', said: 'found nothing there' },
  408: { kind: 'unavailable', said: 'timed out waiting for the request' },
  409: { kind: 'conflict', said: 'reports a conflicting change' },
  412: { kind: 'conflict', said: 'reports that the record changed since it was read' },
  422: { kind: 'validation', said: 'refused the request' },
  429: { kind: 'rate_limited', said: 'asks for fewer calls' },
};

/** The default reading of a status; a connector refines it from its error body. */
export function statusMeaning(status: number): StatusMeaning {
  const known = STATUSES[status];
  if (known) return known;
  if (status >= 500) return { kind: 'unavailable', said: 'is unavailable' };
  // Any other 4xx: the same request would be refused again, and a blind retry costs API budget
  // (Exact Online blocks a key after 10 errors per endpoint in an hour).
  if (status >= 400) return { kind: 'validation', said: 'refused the request' };
  return { kind: 'unavailable', said: 'answered with a status this connector does not read' };
}

/**
 * X-RateLimit-Reset as milliseconds to wait. Systems send one of three things, told apart by size:
 * below 1e9 it is seconds to wait (1e9 s is 31 years, longer than any window); from 1e9 up to 1e12
 * epoch seconds (1e9 is September 2001); from 1e12 epoch milliseconds (1e12 ms is also September
 * 2001, and epoch seconds reach 1e12 only in the year 33658). A time in the past is no wait.
 */
export function parseRateLimitReset(value: string | null | undefined, nowMs: number): number | undefined {
  const v = value?.trim();
  if (!v || !/^\d+(\.\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  if (n < 1e9) return Math.round(n * 1000);
  return Math.max(0, Math.round(n < 1e12 ? n * 1000 : n) - nowMs);
}

export type AnswerReading<T> =
  | { ok: true; data: T }
  | {
      ok: false;
      /** What was wrong, for the end of a message ("is not JSON (text/html, 1 KB): ..."). */
      problem: string;
      /** One item per schema issue, with the field it concerns. */
      details: ErrorDetail[];
    };

/**
 * The answer's body as the schema's output. An empty body is read as `undefined`, so a schema that
 * allows it (`z.undefined()`, `.optional()`, `z.unknown()`) accepts a 204, and any other says that
 * nothing came where JSON was expected.
 */
export function readAnswer<S extends z.ZodType>(
  schema: S,
  text: string,
  contentType: string | null,
): AnswerReading<z.output<S>> {
  let body: unknown;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch (err) {
      return { ok: false, problem: notJson(text, contentType, err), details: [] };
    }
  }
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, data: result.data };
  if (body === undefined) {
    return { ok: false, problem: 'is empty where a JSON answer was expected', details: [] };
  }
  const details = result.error.issues.map((issue) => ({
    code: issue.code,
    message: issue.message,
    ...(issue.path.length ? { field: fieldName(issue.path) } : {}),
  }));
  const first = details[0];
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  const problem = first ? `${first.field ?? 'the answer'}: ${first.message}${more}` : 'unreadable';
  return { ok: false, problem: `does not have the shape this connector reads: ${problem}`, details };
}

/**
 * Why the text is not JSON, without quoting it: an answer can carry personal data, and the error
 * travels into workflow history. The content type and size say most of it (a maintenance page is
 * text/html); JSON.parse's own reason tells cut-off JSON ("Unexpected end of JSON input").
 */
function notJson(text: string, contentType: string | null, err: unknown): string {
  const type = contentType?.split(';')[0]?.trim() || 'no content type';
  const size = text.length < 2048 ? `${text.length} characters` : `${Math.round(text.length / 1024)} KB`;
  const html = /^\s*</.test(text) ? '; an HTML page (a login, proxy or maintenance page?)' : '';
  const reason = err instanceof SyntaxError ? `: ${err.message.split('\n')[0]}` : '';
  // JSON.parse quotes the text around the fault in its message; keep only the first clause.
  return `is not JSON (${type}, ${size}${html})${reason.replace(/, "[\s\S]*$/, '').slice(0, 120)}`;
}

/** `lines[3].quantity` from zod's `['lines', 3, 'quantity']`. */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}
