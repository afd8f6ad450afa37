// What a connector may know about the activity attempt it runs in, so that it does not act after
// Temporal has given up on the attempt. Temporal retries an attempt that overran its start-to-close
// timeout while the old one may still be running in the worker: an old attempt that waited (for a
// token another process claimed, for a 429) and then wrote would write next to its own retry, and
// for a shipment that is a second label. The connectors' clients stay Temporal-free: they receive
// these as plain functions and a signal, built here when an activity builds its client.

import { Context, type Info } from '@temporalio/activity';

/** Margin kept between an inline wait or a write and the end of the activity attempt. */
export const ATTEMPT_MARGIN_MS = 5_000;

/** What a client gets from the activity attempt it runs in (nothing of it outside an activity). */
export interface ActivityAttempt {
  /**
   * The time the attempt has left, less ATTEMPT_MARGIN_MS; 0 once it is used up, Infinity outside
   * an activity. A wait that would outlast it is not taken, and a write is not sent once it is 0.
   */
  waitBudgetMs: () => number;
  /**
   * A sign of life during a long wait. It keeps an activity with a heartbeat timeout alive, and it
   * is the only way any activity hears that it was cancelled or that the server has already timed
   * this attempt out (the answer to a heartbeat says so): without it `signal` fires only on worker
   * shutdown.
   */
  heartbeat?: () => void;
  /** Aborted when the activity is cancelled (by the workflow, the server or worker shutdown). */
  signal?: AbortSignal;
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * The time the current activity attempt has left before Temporal times it out: start-to-close from
 * `startedAt` (when the activity began: a task that queued behind a busy worker has its whole
 * start-to-close still ahead), or the heartbeat timeout when there is one (nothing heartbeats during
 * a wait). Outside an activity (the CLI): no limit.
 */
export function attemptTimeLeft(startedAt: number, info: Info | undefined = currentContext()?.info) {
  return (): number => {
    if (!info) return Infinity;
    const end = info.startToCloseTimeoutMs ? startedAt + info.startToCloseTimeoutMs : Infinity;
    const left = Math.min(end - Date.now(), info.heartbeatTimeoutMs || Infinity);
    return Math.max(0, left - ATTEMPT_MARGIN_MS);
  };
}

/** The current activity attempt as a client needs it; `startedAt` as for attemptTimeLeft. */
export function activityAttempt(startedAt: number): ActivityAttempt {
  const ctx = currentContext();
  if (!ctx) return { waitBudgetMs: () => Infinity };
  return {
    waitBudgetMs: attemptTimeLeft(startedAt, ctx.info),
    heartbeat: () => ctx.heartbeat(),
    signal: ctx.cancellationSignal,
  };
}

const attemptStarts = new WeakMap<Context, { startedAt: number; lastBeat: number }>();

/**
 * The current activity attempt, timed from the first time the attempt asked (one Context per
 * attempt), for code that is handed a client per call rather than at the activity's start. Its
 * heartbeats count: with a heartbeat timeout, the budget runs from the last heartbeat sent through
 * it, so a long paging read that heartbeats while it waits for its rate limit is not cut short.
 */
export function currentAttempt(): ActivityAttempt {
  const ctx = currentContext();
  if (!ctx) return { waitBudgetMs: () => Infinity };
  let times = attemptStarts.get(ctx);
  if (!times) {
    times = { startedAt: Date.now(), lastBeat: Date.now() };
    attemptStarts.set(ctx, times);
  }
  const { info } = ctx;
  const t = times;
  return {
    waitBudgetMs: () => {
      const end = info.startToCloseTimeoutMs ? t.startedAt + info.startToCloseTimeoutMs : Infinity;
      const beatEnd = info.heartbeatTimeoutMs ? t.lastBeat + info.heartbeatTimeoutMs : Infinity;
      return Math.max(0, Math.min(end, beatEnd) - Date.now() - ATTEMPT_MARGIN_MS);
    },
    heartbeat: () => {
      ctx.heartbeat();
      t.lastBeat = Date.now();
    },
    signal: ctx.cancellationSignal,
  };
}
