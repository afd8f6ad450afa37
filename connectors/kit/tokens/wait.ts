// One caller's wait on work that others share (a token refresh): the caller's signal ends its own wait
// and leaves the work running for the rest.

export async function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  let stop: (() => void) | undefined;
  try {
    return await new Promise<T>((resolve, reject) => {
      work.then(resolve, reject);
      stop = () => reject(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
    });
  } finally {
    if (stop) signal.removeEventListener('abort', stop);
  }
}
