// How the conformance suite reads the end of a port call: a value, or a connector error with a kind.
// Ports throw either the ConnectorError itself or, where they run as activities, the
// ApplicationFailure that activities/failure.ts makes of it, whose first detail holds the facts
// (`kind` first). One reader for both, so no test needs to know which a system's port throws.

import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { ConnectorError, isErrorKind, type ErrorKind } from '../../connectors/kit/errors';

/** What a failed call says of itself, whichever form it took. */
export interface FailureFacts {
  kind: ErrorKind | undefined;
  /** Every text the error carries (message, details, causes), to search for secrets. */
  text: string;
  describe: string;
}

/** The kind of a connector error, or of the ApplicationFailure made of one (its first detail's `kind`). */
export function kindOf(err: unknown): ErrorKind | undefined {
  if (err instanceof ConnectorError) return err.kind;
  if (err instanceof ApplicationFailure) {
    const facts = err.details?.[0] as { kind?: unknown } | undefined;
    if (facts && isErrorKind(facts.kind)) return facts.kind;
  }
  return undefined;
}

export function factsOf(err: unknown): FailureFacts {
  const texts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      texts.push(e.message);
      if (e instanceof ApplicationFailure) texts.push(JSON.stringify(e.details ?? []));
      if (e instanceof ConnectorError) {
        texts.push(JSON.stringify(e.details), e.action ?? '');
      }
      e = e.cause;
    } else {
      texts.push(String(e));
      break;
    }
  }
  const kind = kindOf(err);
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  return { kind, text: texts.join('\n'), describe: `${name} (kind ${kind ?? 'none'}): ${message}` };
}

/** How a call ended, and how long it took. */
export type Settled<T> = { ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number };

/** The value or the error of a call, and how long it took. */
export async function settle<T>(call: () => Promise<T>): Promise<Settled<T>> {
  const started = Date.now();
  try {
    const value = await call();
    return { ok: true, value, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, error, ms: Date.now() - started };
  }
}

/**
 * The wait a rate-limit error asks for before the same call: the ConnectorError's `retryAfterMs`,
 * or the ApplicationFailure's next retry delay that activities/failure.ts makes of it.
 */
export function retryDelayOf(err: unknown): number | undefined {
  if (err instanceof ConnectorError) return err.retryAfterMs;
  if (err instanceof ApplicationFailure && err.nextRetryDelay !== undefined && err.nextRetryDelay !== null) {
    return msToNumber(err.nextRetryDelay);
  }
  return undefined;
}

export interface FailureExpectation {
  kind: ErrorKind;
  /** The call must have ended within this long. */
  withinMs: number;
  /** Values that must not appear in anything the error carries. */
  secrets: readonly string[];
  /** What the failure message adds on a mismatch (the case, the seed). */
  context: string;
}

/** Asserts that the call failed with a connector error of the kind, in time, without a secret. */
export function assertFailed(result: Settled<unknown>, want: FailureExpectation): FailureFacts {
  assert.ok(!result.ok, `${want.context}: expected a ${want.kind} error, but the call succeeded`);
  const facts = factsOf(result.error);
  assert.equal(
    facts.kind,
    want.kind,
    `${want.context}: expected a connector error of kind ${want.kind}, got ${facts.describe}`,
  );
  assert.ok(
    result.ms <= want.withinMs,
    `${want.context}: ended after ${result.ms} ms (at most ${want.withinMs} ms)`,
  );
  for (const secret of want.secrets) {
    assert.ok(!facts.text.includes(secret), `${want.context}: a credential appears in the error`);
  }
  return facts;
}

/** Asserts that the call succeeded in time and hands back its value. */
export function assertSucceeded<T>(result: Settled<T>, want: { withinMs: number; context: string }): T {
  if (!result.ok) assert.fail(`${want.context}: expected success, got ${factsOf(result.error).describe}`);
  assert.ok(
    result.ms <= want.withinMs,
    `${want.context}: ended after ${result.ms} ms (at most ${want.withinMs} ms)`,
  );
  return result.value;
}

/** Runs the call and asserts as assertFailed. */
export async function expectFailure(
  call: () => Promise<unknown>,
  want: FailureExpectation,
): Promise<FailureFacts> {
  return assertFailed(await settle(call), want);
}

/** Runs the call and asserts as assertSucceeded. */
export async function expectSuccess<T>(
  call: () => Promise<T>,
  want: { withinMs: number; context: string },
): Promise<T> {
  return assertSucceeded(await settle(call), want);
}
