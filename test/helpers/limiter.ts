import type { RateLimiter } from '../../lib/ratelimit';

/**
 * A rate limiter with no room: it grants nothing, and rejects with the signal's reason when the
 * caller gives up. `gaveUp()` counts the callers that did (a shared limiter then takes nothing).
 */
export function fullLimiter(): { limiter: RateLimiter; gaveUp: () => number } {
  let count = 0;
  const limiter: RateLimiter = {
    acquire: (_key, _cost, opts) =>
      new Promise<void>((_, reject) => {
        opts?.signal?.addEventListener('abort', () => {
          count++;
          reject(opts.signal!.reason);
        });
      }),
  };
  return { limiter, gaveUp: () => count };
}
