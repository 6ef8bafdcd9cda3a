import type { PendingList } from './pending.js';
import type { ClientLike } from './types.js';

/**
 * `end()`'s first step, as in pg.Pool: the checkouts already waiting (and the
 * connections being opened for them) are served before the pools close, while new ones
 * are refused by PgPool (`ending`). Resolves once none of PgPool's checkouts waits on any
 * member (acquires of the cluster's own, its probes, do not count); closing the pools
 * then rejects nobody.
 */
export function checkoutsDrained<C extends ClientLike>(lists: PendingList<C>[]): Promise<void> {
  const drained = (): boolean => lists.every((l) => l.head === null);
  if (drained()) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const check = (): void => {
      if (!drained()) return;
      for (const l of lists) l.onEmpty = null;
      resolve();
    };
    for (const l of lists) l.onEmpty = check;
  });
}
