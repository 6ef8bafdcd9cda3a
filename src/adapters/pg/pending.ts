/**
 * One checkout through the cluster, waiting on one pool of a PgPool, with the
 * AbortController it passed. Its own list node, so joining and leaving the list
 * allocates nothing.
 */
export class PendingCheckout {
  prev: PendingCheckout | null = null;
  next: PendingCheckout | null = null;
  /** The list it is in, or null. */
  list: PendingList | null = null;

  constructor(
    /** PgPool's sequence number when the checkout started (see `#connectFailed`). */
    readonly ticket: number,
    /** Aborted to fail the checkout. */
    readonly ac: AbortController,
  ) {}
}

/**
 * The checkouts waiting on one pool, in the order they joined (oldest first).
 *
 * An intrusive list (and {@link WaitRing} for the primary alone), not a `Map`: a Map whose entries come and go at the rate of
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

/**
 * The primary's waiting checkouts (no replicas), oldest first: each the core's waiter and
 * its ticket, in two ring arrays, so a waiting `pool.query()` allocates no node of its own.
 * An entry is known by a sequence number (`push` returns it); removed entries are holes
 * until the head passes them.
 */
export class WaitRing<W> {
  #waiters: (W | null)[] = new Array<W | null>(64).fill(null);
  #tickets = new Float64Array(64);
  #mask = 63;
  /** Sequence number of the oldest entry (or hole) kept, and one past the newest. */
  #head = 0;
  #tail = 0;

  /** Adds a waiter (never null) and its ticket; returns the entry's sequence number. */
  push(waiter: W, ticket: number): number {
    if (this.#tail - this.#head > this.#mask) this.#grow();
    const id = this.#tail++;
    this.#waiters[id & this.#mask] = waiter;
    this.#tickets[id & this.#mask] = ticket;
    return id;
  }

  /** Removes entry `id`; a no-op if it is already gone. */
  remove(id: number): void {
    if (id < this.#head || id >= this.#tail) return;
    this.#waiters[id & this.#mask] = null;
    while (this.#head < this.#tail && this.#waiters[this.#head & this.#mask] === null) this.#head++;
  }

  /** The entries still there, oldest first: calls `visit(waiter, ticket, id)` until it returns false. */
  forEach(visit: (waiter: W, ticket: number, id: number) => boolean): void {
    for (let id = this.#head; id < this.#tail; id++) {
      const w = this.#waiters[id & this.#mask];
      if (w !== null && !visit(w, this.#tickets[id & this.#mask]!, id)) return;
    }
  }

  #grow(): void {
    const size = (this.#mask + 1) * 2;
    const waiters = new Array<W | null>(size).fill(null);
    const tickets = new Float64Array(size);
    for (let id = this.#head; id < this.#tail; id++) {
      waiters[id & (size - 1)] = this.#waiters[id & this.#mask];
      tickets[id & (size - 1)] = this.#tickets[id & this.#mask]!;
    }
    this.#waiters = waiters;
    this.#tickets = tickets;
    this.#mask = size - 1;
  }
}
