import type { WaitHandle } from '../core/internal.js';
import type { Lease } from '../core/lease.js';
import type { Pool } from '../core/pool.js';

/** @internal A checkout that may wait (see {@link KeyedInternals.checkout}). */
export interface Checkout<T> extends WaitHandle<T> {
  /** The pool whose queue the checkout waits in, once it waits. */
  queuedIn: Pool<T> | null;
  got(lease: Lease<T>, n: number): void;
  lost(error: unknown, n: number): void;
}

/**
 * @internal What an adapter that borrows per request (`lido/http`) needs of a keyed pool
 * beyond its API, reached through `keyedInternals(keyed)`; the keyed side of the core's
 * `PoolInternals`.
 */
export interface KeyedInternals<K, T> {
  /**
   * `acquire(key)` without its promises: a lease of an idle resource now, or null: the
   * checkout waits in the key's pool (`checkout.queuedIn`, its queued acquire in
   * `checkout.waiter`, which `PoolInternals.withdraw` takes out) and gets `got(lease, n)`
   * or `lost(error, n)` later. Throws what `acquire` would reject with at once.
   */
  checkout(key: K, checkout: Checkout<T>, n: number): Lease<T> | null;
}
