import { traceAcquire, tracingAcquire, type PoolRef } from '../stats/diagnostics.js';
import type { PoolParts } from './assembly.js';
import type { Waiter } from './containers/waiters.js';
import { checkInt } from './util/check.js';
import type { Slot } from './containers/slot.js';
import type { Lease } from './lease.js';
import type { DestroyReason } from '../stats/counters.js';

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
   * Sets the effective limit (`stats().limit`): the most resources live, being created and
   * closing at once, between 1 and `max` (clamped). Lowering it destroys idle resources
   * above it at once (reason `shrink`) and borrowed ones as they come back; raising it lets
   * waiters get new creates. For an auto-sizer; `resize({ max })` resets it to the new
   * `max`. A budget's cap (option `budget`) applies on top: the lower of the two wins.
   */
  setLimit(limit: number): void;
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
  /**
   * Returns a slot, or with `destroy` discards it for that reason (`detail`: what the
   * `destroy` event says); false when this lease no longer holds it.
   */
  [kRelease](slot: Slot<T>, gen: number, destroy: DestroyReason | null, detail: unknown): boolean;
}

/** @internal The {@link PoolInternals} of `pool`, made of `parts` (see `poolInternals` in pool.ts). */
export function internalsFor<T>(pool: PoolRef, parts: PoolParts<T>): PoolInternals<T> {
  const { supply, waiting, state } = parts;
  const queued = (handle: WaitHandle<T>): Promise<Lease<T>> => {
    const s = supply.lendIdle();
    return s === null ? waiting.enqueue(undefined, handle) : Promise.resolve(supply.lease(s));
  };
  return {
    tryAcquire: () => {
      // While a tracer listens on lido:pool:acquire, every borrow goes through acquire().
      if (tracingAcquire()) return null;
      const s = supply.lendIdle();
      return s === null ? null : supply.lease(s);
    },
    acquireQueued: (handle) =>
      tracingAcquire() ? traceAcquire(pool, undefined, state.clock, () => queued(handle)) : queued(handle),
    withdraw: (waiter, reason) => waiting.withdraw(waiter, reason),
    setLimit: (limit) => supply.limit.ask(checkInt('setLimit limit', limit, 1)),
    createFailureHandled: () => supply.createFailureHandled(),
  };
}
