import type { PoolInternals, QueuedAcquire } from '../../core/internal.js';
import type { Lease } from '../../core/lease.js';

/**
 * A checkout waiting for a client of one pool of a PgPool, with its ticket: PgPool's
 * sequence number when it started. pg.Pool makes one connection attempt per `connect()`
 * that finds no idle client and hands that attempt's error to that caller; lido's core
 * makes connections for its waiters without tying one to one, so a failed attempt fails
 * the oldest checkout that was already waiting when the attempt started (see
 * {@link PendingList.failOldest}), and never one that came after it (that one gets its
 * own attempt).
 *
 * It is its own list node, so joining and leaving the list allocates nothing more.
 */
export class PendingCheckout<C> {
  prev: PendingCheckout<C> | null = null;
  next: PendingCheckout<C> | null = null;
  /** The list it is in, or null. */
  list: PendingList<C> | null = null;

  /**
   * How to fail it: the core's queued acquire (a checkout of the primary alone, through
   * `PoolInternals.acquireQueued`), or the AbortController its acquire passed (a checkout
   * through the cluster). Null until it waits.
   */
  target: QueuedAcquire<C> | AbortController | null = null;
  /** The core's promise, for a checkout of the primary alone. */
  acquired: Promise<Lease<C>> | null = null;

  constructor(
    /** PgPool's sequence number when the checkout started. */
    readonly ticket: number,
  ) {}

  /** Leaves its list (once it is served, or failed). */
  leave(): void {
    this.list?.remove(this);
  }
}

/**
 * The checkouts waiting on one pool of a PgPool, in the order they joined (oldest first).
 *
 * An intrusive list, not a `Map`: a Map whose entries come and go at the rate of
 * checkouts is rehashed every few dozen of them, and V8 links each retired backing table
 * to its successor; once one of them is promoted, every checkout it lists survives each
 * scavenge until a full GC (docs/pg.md, "Under load"). A removed node here keeps no
 * pointer to its neighbours.
 */
export class PendingList<C> {
  head: PendingCheckout<C> | null = null;
  tail: PendingCheckout<C> | null = null;
  /** Called when the last checkout leaves (`end()` waits for it). */
  onEmpty: (() => void) | null = null;

  /** Appends `p` (taken out of the list it was in, if any). */
  push(p: PendingCheckout<C>): void {
    p.list?.remove(p);
    p.list = this;
    p.prev = this.tail;
    p.next = null;
    if (this.tail === null) this.head = p;
    else this.tail.next = p;
    this.tail = p;
  }

  /** Takes `p` out; a no-op if it is not in this list. */
  remove(p: PendingCheckout<C>): void {
    if (p.list !== this) return;
    if (p.prev === null) this.head = p.next;
    else p.prev.next = p.next;
    if (p.next === null) this.tail = p.prev;
    else p.next.prev = p.prev;
    p.prev = p.next = null;
    p.list = null;
    if (this.head === null) this.onEmpty?.();
  }

  /**
   * A connection attempt that started at `ticket` failed with `cause`: the oldest checkout
   * that was waiting by then, and is still waiting, fails with it. Checkouts already served
   * (their hand-over is on its way) are passed over. Returns whether one failed.
   */
  failOldest(ticket: number, cause: unknown, core: PoolInternals<C>): boolean {
    for (let p = this.head; p !== null && p.ticket <= ticket; ) {
      const next = p.next;
      const target = p.target;
      let failed: boolean;
      if (target instanceof AbortController) {
        failed = !target.signal.aborted;
        if (failed) target.abort(cause);
      } else {
        failed = target !== null && core.withdraw(target, cause);
      }
      this.remove(p);
      if (failed) return true;
      p = next;
    }
    return false;
  }
}
