import type { Clock } from '@gatehouse/lifecycle';

/** A value and the instant (ms since the epoch) from which it must be replaced. */
export interface Refreshable<T> {
  readonly value: T;
  readonly refreshAt: number;
}

/**
 * Wraps a loader so callers share one cached value until its `refreshAt`, and concurrent callers
 * share one load (single flight): a burst of requests after expiry costs one STS call or one exec
 * plugin run, not one each. A failed load is not cached; the next call tries again.
 */
export function refreshing<T>(load: () => Promise<Refreshable<T>>, clock: Clock): () => Promise<T> {
  let current: Refreshable<T> | undefined;
  let inFlight: Promise<T> | undefined;
  return () => {
    if (current && clock.now() < current.refreshAt) return Promise.resolve(current.value);
    inFlight ??= load()
      .then((next) => {
        current = next;
        return next.value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
