import type { Slot } from './containers/slot.js';

/** Module-private method keys: reachable from lido's own files, not part of the API. */
export const kRelease = Symbol('lido.release');
/**
 * `pool[kTryAcquire]()`: a lease of an idle resource fit to lend now, synchronously, or
 * null (someone waits, nothing idle, closed, or a tracer listens): then call `acquire()`.
 * For adapters (PgPool) whose checkout needs no promise of its own when a client is idle.
 */
export const kTryAcquire = Symbol('lido.tryAcquire');
/**
 * `pool[kAcquireQueued](handle)`: `acquire()` without options that, when it has to wait,
 * puts its waiter in `handle.waiter`; `pool[kWithdraw](handle.waiter, reason)` then rejects
 * it (if still queued) the way an abort would. What an adapter uses instead of an
 * AbortController per waiting checkout (PgPool: a failed connection fails the oldest one).
 */
export const kAcquireQueued = Symbol('lido.acquireQueued');
export const kWithdraw = Symbol('lido.withdraw');

/** Filled in by `kAcquireQueued` when the acquire waits. */
export interface WaitHandle {
  waiter: unknown;
}

/** What a lease needs from its pool. */
export interface LeaseOwner<T> {
  readonly name: string;
  /** Returns (or, with `destroy`, discards) a slot; false when this lease no longer holds it. */
  [kRelease](slot: Slot<T>, gen: number, destroy: boolean, reason: unknown): boolean;
}
