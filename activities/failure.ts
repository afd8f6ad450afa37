// The one way a connector error crosses into Temporal: an ApplicationFailure whose type is the
// error's class name, retryable by its kind, with a rate limit's wait as the next retry's delay,
// and the facts the workflow decides on (the kind first) as its first detail. The workflow never
// reads type names to decide anything (workflows/attention.ts reads the kind).

import { ApplicationFailure } from '@temporalio/common';
import { ConnectorError, errorFacts } from '../connectors/kit/errors';

/** A connector error as Temporal should see it; anything else passes through unchanged. */
export function connectorFailure(err: unknown): unknown {
  if (!(err instanceof ConnectorError)) return err;
  return ApplicationFailure.create({
    message: err.message,
    type: err.type,
    nonRetryable: !err.retryable,
    details: [errorFacts(err)],
    ...(err.kind === 'rate_limited' && err.retryAfterMs !== undefined
      ? { nextRetryDelay: Math.max(1, Math.round(err.retryAfterMs)) }
      : {}),
    cause: err,
  });
}
