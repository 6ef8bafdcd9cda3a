import type { Waiter } from './containers/waiters.js';
import type { Slot } from './containers/slot.js';
import type { Lease } from './lease.js';

/**
 * A queued acquire, as {@link PoolInternals.acquireQueued} records it: a handle to give
 * back to {@link PoolInternals.withdraw}, nothing to read.
 */
export type QueuedAcquire<T> = Waiter<T>;

/** Where {@link PoolInternals.acquireQueued} records the acquire it queued (null when it lent at once). */
export interface WaitHandle<T> {
  waiter: QueuedAcquire<T> | null;
}

/**
 * The one internal interface between the core and what builds on it (the adapters,
 * `KeyedPool`): what they need of a {@link Pool} beyond its public API, typed, and
 * reached through `poolInternals(pool)` (in `pool.ts`). Nothing here is exported from a
 * package entry point; a new need of an adapter becomes a method here, never a symbol on
 * the pool.
 *
 * It exists so an adapter that borrows per request (a `pool.query()`, an HTTP request)
 * pays for one promise only when it has to wait, and can fail a waiting borrow the way
 * an abort would without an `AbortController` per borrow.
 */
export interface PoolInternals<T> {
  /**
   * A lease of an idle resource fit to lend now, synchronously, or null (someone waits,
   * nothing idle, closed, or a tracer listens on `lido:pool:acquire`): then call
   * {@link acquireQueued}. A resource found unfit is sent to its check, as `acquire()` would.
   */
  tryAcquire(): Lease<T> | null;
  /**
   * `acquire()` without options; when it has to wait, its queued acquire goes into
   * `handle.waiter` before this returns (else `handle.waiter` is left as it was).
   */
  acquireQueued(handle: WaitHandle<T>): Promise<Lease<T>>;
  /**
   * Rejects a still-queued acquire with `reason`, as an abort would (counted as aborted);
   * false when it already left the queue (served, timed out, aborted).
   */
  withdraw(waiter: QueuedAcquire<T>, reason: unknown): boolean;
  /**
   * The adapter handed the last create failure to a caller waiting for that create (with
   * {@link withdraw}), as pg.Pool gives each `connect()` the error of the attempt made for
   * it: no backoff before the next create, and the acquires still waiting get theirs now.
   * A failure nobody was told of still backs off, so creates never spin. Call it from the
   * pool's `error` listener (phase `create`).
   */
  createFailureHandled(): void;
}

/** Module-private method key of the core: a lease gives its slot back through it. */
export const kRelease = Symbol('lido.release');

/** What a lease needs from its pool. */
export interface LeaseOwner<T> {
  readonly name: string;
  /** Returns (or, with `destroy`, discards) a slot; false when this lease no longer holds it. */
  [kRelease](slot: Slot<T>, gen: number, destroy: boolean, reason: unknown): boolean;
}
