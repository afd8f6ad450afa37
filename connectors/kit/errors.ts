// The one error type every connector throws. Its `kind` says what an operator or the workflow can
// do about it; the connector adds what only it knows (its system's own code, the grant to ask for,
// the field to fill) in the message and `action`. Temporal-free: the activity layer turns it into an
// ApplicationFailure (connectors/kit/failure.ts), the CLI's `connections test` reads it as it is.
//
// Connectors keep named subclasses (PlexAuthError, FedexRateLimitError, ...) where a caller or a
// test wants to tell them apart; each only fixes the kind, and its class name is the type.

import { RETRYABLE_KINDS, type ErrorKind } from '../../domain/error-kinds';
import { redactSecrets } from '../../lib/logger';

export {
  ERROR_KINDS,
  RETRYABLE_KINDS,
  TRANSIENT_KINDS,
  isErrorKind,
  type ErrorKind,
} from '../../domain/error-kinds';

/** One item of a system's own error list (a field problem, a coded message). */
export interface ErrorDetail {
  code: string;
  message: string;
  /** The field the system named, where it did. */
  field?: string;
}

export interface ConnectorErrorInit {
  /** HTTP status of the answer, where there was one. */
  status?: number;
  /** The system's own error code (REQUEST_NOT_AUTHENTICATED, ACCOUNTNUMBER.REGISTRATION.REQUIRED). */
  code?: string;
  details?: readonly ErrorDetail[];
  /** For rate_limited: how long to wait before the same call. */
  retryAfterMs?: number;
  /** Set when the system never answered. */
  transport?: 'timeout' | 'network';
  /** The system's transaction or request id, for its support desk. */
  transactionId?: string;
  /** What a person does next, when the message does not already say it. */
  action?: string;
  cause?: unknown;
}

/**
 * A connector's error. Subclasses fix the kind (`readonly kind = 'auth'`); their class name is the
 * stable `type` that retry policies, logs and tests match on.
 */
export abstract class ConnectorError extends Error {
  abstract readonly kind: ErrorKind;
  readonly status?: number;
  readonly code?: string;
  readonly details: readonly ErrorDetail[];
  readonly retryAfterMs?: number;
  readonly transport?: 'timeout' | 'network';
  readonly transactionId?: string;
  readonly action?: string;

  /** `transport` (also settable in `init`): the system never answered, by timeout or network. */
  constructor(message: string, init: ConnectorErrorInit = {}, transport?: 'timeout' | 'network') {
    if (transport) init = { ...init, transport };
    // Every message is redacted, whatever built it: a secret echoed in an answer never travels on.
    super(redactSecrets(message), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    if (init.status !== undefined) this.status = init.status;
    if (init.code !== undefined) this.code = init.code;
    this.details = (init.details ?? []).map((d) => ({ ...d, message: redactSecrets(d.message) }));
    if (init.retryAfterMs !== undefined) this.retryAfterMs = Math.max(0, init.retryAfterMs);
    if (init.transport !== undefined) this.transport = init.transport;
    if (init.transactionId !== undefined) this.transactionId = init.transactionId;
    if (init.action !== undefined) this.action = redactSecrets(init.action);
  }

  /** The stable name callers and retry policies match on ("PlexAuthError"). */
  get type(): string {
    return this.name;
  }

  /** Whether the same call may succeed later without anyone changing anything. */
  get retryable(): boolean {
    return RETRYABLE_KINDS.has(this.kind);
  }

  get nonRetryable(): boolean {
    return !this.retryable;
  }
}

/**
 * What the workflow and operators read of a connector error once it crossed into Temporal (the
 * ApplicationFailure's first detail): plain data, no class.
 */
export interface ConnectorErrorFacts {
  kind: ErrorKind;
  /** The system's product name, for reasons people read ("FedEx"). */
  system?: string;
  status: number | null;
  code: string | null;
  errors: Array<{ code: string; message: string; field?: string }>;
  action?: string;
  transactionId?: string;
}

export function errorFacts(err: ConnectorError, system?: string): ConnectorErrorFacts {
  return {
    kind: err.kind,
    ...(system ? { system } : {}),
    status: err.status ?? null,
    code: err.code ?? null,
    errors: err.details.map((d) => ({
      code: d.code,
      message: d.message,
      ...(d.field ? { field: d.field } : {}),
    })),
    ...(err.action ? { action: err.action } : {}),
    ...(err.transactionId ? { transactionId: err.transactionId } : {}),
  };
}
