// Why an order stopped, in words an operator can act on: decided from the kind of failure the
// connector reported (the ApplicationFailure's first detail), never from type names.
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/workflow';
import type { AttentionReason, OrderStep } from '../../domain/lifecycle';
import type { ValidationProblem } from '../../domain/validate';
import { ACCESS_KINDS, TRANSIENT_KINDS, isErrorKind, type ErrorKind } from '../../domain/error-kinds';

/** Turn an activity failure into an operator-facing reason. Field problems come as `problems`. */
export function attentionFor(step: OrderStep, err: unknown): AttentionReason {
  const atCarrier = step === 'create_shipment' || step === 'submit_order';
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const facts = cause.details?.[0] as
      { kind?: unknown; problems?: AttentionReason['problems'] } | undefined;
    const kind: ErrorKind = isErrorKind(facts?.kind)
      ? facts.kind
      : cause.nonRetryable
        ? 'business'
        : 'unavailable';
    const problems = Array.isArray(facts?.problems) ? facts.problems : undefined;
    const reason = problems
      ? 'validation'
      : ACCESS_KINDS.has(kind)
        ? 'permission'
        : TRANSIENT_KINDS.has(kind)
          ? atCarrier
            ? 'carrier_unavailable'
            : 'erp_unavailable'
          : atCarrier
            ? 'carrier_rejected'
            : 'erp_rejected';
    return { step, kind: reason, message: cause.message, problems };
  }
  if (cause instanceof TimeoutFailure || cause instanceof CancelledFailure) {
    return {
      step,
      kind: atCarrier ? 'carrier_unavailable' : 'erp_unavailable',
      message: cause.message,
    };
  }
  return { step, kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

/** A failure that passes by itself: the ERP or the carrier was away or busy. */
export function isTransientAttention(a: AttentionReason): boolean {
  return a.kind === 'carrier_unavailable' || a.kind === 'erp_unavailable';
}

/** "1 min", "2 min", "1 h": how long until the next try, as a person reads it. */
export function untilNextTry(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

/**
 * What an order's data lacks (a validation problem list) as the failure that parks it: not
 * retried, kind validation, each problem with its field. Both paths park invalid orders this way.
 */
export function invalidOrder(problems: ValidationProblem[]): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    problems.map((p) => `${p.field}: ${p.message}`).join('; '),
    'OrderValidationError',
    { kind: 'validation', problems },
  );
}
