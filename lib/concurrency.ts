/**
 * Runs `fn` over `items`, at most `limit` at a time, in the items' order of start. The first
 * failure stops further starts; the calls already running are waited for, then that failure is
 * thrown (so nothing keeps running behind the caller's back).
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
}

/**
 * `sleep(ms)`, ended early when `signal` aborts: it then rejects with the signal's reason (at once
 * if the signal has already aborted). Without a signal it is `sleep(ms)` itself.
 */
export async function sleepUnlessAborted(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (!signal) return sleep(ms);
  signal.throwIfAborted();
  let stop: (() => void) | undefined;
  try {
    await Promise.race([
      sleep(ms),
      new Promise<never>((_, reject) => {
        stop = () => reject(signal.reason);
        signal.addEventListener('abort', stop, { once: true });
      }),
    ]);
  } finally {
    if (stop) signal.removeEventListener('abort', stop);
  }
}

/**
 * A signal that aborts as soon as either of two does, whose listeners `dispose()` takes off both.
 * AbortSignal.any leaves a listener on each source until the combined signal is garbage-collected,
 * so an activity making hundreds of calls under one cancellation signal piles them up (Node warns
 * past ten). With one signal or none, that signal is returned as it is.
 */
export function eitherSignal(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): { signal: AbortSignal | undefined; dispose(): void } {
  if (!a || !b) return { signal: a ?? b, dispose: () => undefined };
  const controller = new AbortController();
  const fromA = () => controller.abort(a.reason);
  const fromB = () => controller.abort(b.reason);
  const dispose = () => {
    a.removeEventListener('abort', fromA);
    b.removeEventListener('abort', fromB);
  };
  if (a.aborted) fromA();
  else if (b.aborted) fromB();
  else {
    a.addEventListener('abort', fromA, { once: true });
    b.addEventListener('abort', fromB, { once: true });
  }
  return { signal: controller.signal, dispose };
}
