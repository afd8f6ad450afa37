// What kind of failure a connector reports: the words the workflow decides on (retry, wait for the
// system, or ask a person) and operators read. Pure, so workflows can use it; the connector kit's
// error type (connectors/kit/errors.ts) carries one of these.

export const ERROR_KINDS = [
  /** The credentials were refused: wrong, expired or revoked. A person fixes them. */
  'auth',
  /** Authenticated, but not allowed to do this (a grant, a product subscription, a role). */
  'permission',
  /** What was asked for does not exist (or cannot be seen). */
  'not_found',
  /** The system refused the request's data; the same data will be refused again. */
  'validation',
  /** The record changed under us (taken by a concurrent call, a stale version): a fresh try re-reads. */
  'conflict',
  /** Too many calls; the same call later will do. `retryAfterMs` says when, where known. */
  'rate_limited',
  /** The system did not answer, answered 5xx, or answered something unreadable. Passes by itself. */
  'unavailable',
  /**
   * A business rule of the system refused it: an account not entitled to a service, an order the
   * system already shipped or cancelled, stock that cannot cover a shipment.
   */
  'business',
  /** The connection's authorization is gone for good (a broken refresh-token chain): re-authorize. */
  'needs_reauthorization',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * Kinds that pass by themselves: the system is away or busy. Retried with backoff, and when the
 * retries run out the order waits on the system (durable timers) rather than asking a person.
 */
export const TRANSIENT_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['rate_limited', 'unavailable']);

/** Kinds where the same call may succeed later with nobody changing anything: Temporal retries them. */
export const RETRYABLE_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([...TRANSIENT_KINDS, 'conflict']);

/** Kinds only a person can fix at the connection (credentials, grants, authorization). */
export const ACCESS_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'auth',
  'permission',
  'needs_reauthorization',
]);

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && (ERROR_KINDS as readonly string[]).includes(value);
}
