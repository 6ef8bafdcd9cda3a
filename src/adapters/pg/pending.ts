import type { WaitHandle } from '../../internal.js';

/**
 * One checkout waiting on one pool of a PgPool: the primary's core wait handle (its
 * `waiter`), or, through the cluster, the AbortController the checkout passed. Its own
 * list node, so joining and leaving the list allocates nothing.
 */
export class PendingCheckout implements WaitHandle {
  /** Filled in by the core (`kAcquireQueued`) when this checkout of the primary has to wait. */
  waiter: unknown = null;
  prev: PendingCheckout | null = null;
  next: PendingCheckout | null = null;
  /** The list it is in, or null. */
  list: PendingList | null = null;

  constructor(
    /** PgPool's sequence number when the checkout started (see `#connectFailed`). */
    readonly ticket: number,
    /** Through the cluster: aborted to fail the checkout. Null for a checkout of the primary alone. */
    readonly ac: AbortController | null,
  ) {}
}

/**
 * The checkouts waiting on one pool, in the order they joined (oldest first).
 *
 * An intrusive list, not a `Map`: a Map whose entries come and go at the rate of
 * checkouts is rehashed every few dozen of them, and V8 links each retired backing
 * table to its successor (for iterators still walking it). Once one retired table is
 * promoted to the old generation, that chain, with the checkouts each table still
 * lists and every promise and query they reach, survives each scavenge until a full
 * GC: at 64 callers that was ~270 bytes promoted per query, scavenges of 4–9 ms, twice
 * the full GCs, and the p99. A removed node here keeps no pointer to its neighbours.
 */
export class PendingList {
  head: PendingCheckout | null = null;
  tail: PendingCheckout | null = null;

  /** Appends `p` (taken out of the list it was in, if any). */
  push(p: PendingCheckout): void {
    p.list?.remove(p);
    p.list = this;
    p.prev = this.tail;
    p.next = null;
    if (this.tail === null) this.head = p;
    else this.tail.next = p;
    this.tail = p;
  }

  /** Takes `p` out; a no-op if it is not in this list. */
  remove(p: PendingCheckout): void {
    if (p.list !== this) return;
    if (p.prev === null) this.head = p.next;
    else p.prev.next = p.next;
    if (p.next === null) this.tail = p.prev;
    else p.next.prev = p.prev;
    p.prev = p.next = null;
    p.list = null;
  }
}
