/**
 * @internal What the global budget knows of one key. The key's pool is capped at
 * `cap` live resources; `owed` counts resources it must give back to other keys.
 */
export interface BudgetEntry {
  /** Slots this key holds: resources being created, idle, borrowed or checked. */
  live: number;
  /** Most slots this key may hold now (its pool's `max`, lowered while it owes). */
  cap: number;
  /** Slots this key gives back at its next destroys, for keys waiting for the budget. */
  owed: number;
  /** Acquires of this key still waiting. */
  pending: number;
  /** Slots granted whose create has not finished yet (the factory decrements it). */
  creating: number;
  /** Scratch for the budget's queue scans: the scan that last counted this key, and its count. */
  scan: number;
  seen: number;
  /** Its creates waiting in the budget queue. */
  queued: number;
}

/** @internal How the budget makes room: the keyed pool knows the keys and their pools. */
export interface Reclaimer<E extends BudgetEntry> {
  /** Frees a slot for `e` now by evicting an idle resource of another key; false if none. */
  evictFor(e: E): boolean;
  /** A busy key (not `e`) that can give a slot back at its next release, or null. */
  donorFor(e: E): E | null;
  /** `e.owed` changed: its pool's `max` follows (`live - owed` while it owes, else its own max). */
  capChanged(e: E): void;
}

interface Request<E> {
  e: E;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

/**
 * @internal The global cap of a keyed pool: a counter of live slots and a FIFO of creates
 * waiting for one. A waiting create is served first come, first served among keys that
 * still have a waiting acquire; when none is free, the reclaimer evicts an idle
 * resource of another key or makes the busiest key give one back at its next release.
 */
export class Budget<E extends BudgetEntry> {
  /** Slots held across all keys. */
  used = 0;
  /** Slots that donors will give back. */
  owedTotal = 0;
  /** Keys holding at least one slot, least recently used first. */
  readonly holders = new Set<E>();
  readonly #queue = new Set<Request<E>>();
  readonly #owing = new Set<E>();
  /** The key last in `holders` (most recently used), or null when unknown. */
  #newest: E | null = null;
  #scan = 0;
  #busy = false;
  #again = false;

  constructor(
    readonly max: number,
    readonly reclaimer: Reclaimer<E>,
  ) {}

  /** Creates waiting for a slot. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** Reserves one slot for `e`; waits (FIFO) while the budget is full; rejects with `signal.reason` on abort. */
  reserve(e: E, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    // Nobody queued: take a free slot at once. Otherwise queue up, so nobody jumps the line.
    if (this.used < this.max && e.live < e.cap && this.#queue.size === 0) {
      this.#grant(e);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const r: Request<E> = {
        e,
        resolve,
        reject,
        signal,
        onAbort: () => {
          if (!this.#queue.delete(r)) return;
          e.queued--;
          reject(signal.reason);
          this.rebalance();
        },
      };
      signal.addEventListener('abort', r.onAbort, { once: true });
      this.#queue.add(r);
      e.queued++;
      this.rebalance();
    });
  }

  /** Gives back one slot of `e` (its resource is destroyed, or its create failed). */
  release(e: E): void {
    this.used--;
    if (--e.live === 0) {
      this.holders.delete(e);
      if (this.#newest === e) this.#newest = null;
    }
    if (e.owed > 0) this.#repay(e, 1);
    this.rebalance();
  }

  /** Records that `e` owes one more slot; the reclaimer lowers its cap. */
  owe(e: E): void {
    e.owed++;
    this.owedTotal++;
    this.#owing.add(e);
    this.reclaimer.capChanged(e);
  }

  /** Hands free slots to waiting creates, then asks the reclaimer for more if some still wait. */
  rebalance(): void {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        this.#pump();
        if (this.#reclaim()) this.#again = true;
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
  }

  /** Marks `e` as just used: it becomes the last to lose an idle resource to another key. */
  touch(e: E): void {
    // Already the most recently used (one key used over and over): nothing moves.
    if (this.#newest === e || e.live === 0) return;
    if (this.holders.delete(e)) {
      this.holders.add(e);
      this.#newest = e;
    }
  }

  #grant(e: E): void {
    this.used++;
    e.creating++;
    if (e.live++ === 0) {
      this.holders.add(e);
      this.#newest = e;
    }
  }

  #pump(): void {
    while (this.used < this.max && this.#queue.size > 0) {
      let pick: Request<E> | null = null;
      this.#scan++;
      for (const r of this.#queue) {
        if (this.#wanted(r)) {
          pick = r;
          break;
        }
        if (pick === null && r.e.live < r.e.cap) pick = r;
      }
      if (pick === null) return;
      this.#queue.delete(pick);
      pick.e.queued--;
      pick.signal.removeEventListener('abort', pick.onAbort);
      this.#grant(pick.e);
      pick.resolve();
    }
  }

  /**
   * Makes room for the wanted creates that free slots do not cover, first by evicting
   * idle resources of other keys (now). A key that holds nothing cannot make progress on
   * its own: for those "starving" keys, not covered by owed slots yet, a busy key is made
   * to owe one. Keys that hold resources are served by their own releases. True if
   * anything changed.
   */
  #reclaim(): boolean {
    if (this.#queue.size === 0 && this.owedTotal === 0) return false;
    let wanted = 0;
    let starving = 0;
    this.#scan++;
    for (const r of this.#queue) {
      if (this.#wanted(r)) {
        wanted++;
        if (r.e.live === 0) starving++;
      }
    }
    if (this.owedTotal > starving) return this.#forgive(this.owedTotal - starving);
    const need = Math.max(0, wanted - (this.max - this.used));
    if (need === 0) return false;
    if (this.#each(wanted - need, false, (e) => this.reclaimer.evictFor(e))) return true;
    if (starving <= this.owedTotal) return false;
    return this.#each(this.owedTotal, true, (e) => {
      const donor = this.reclaimer.donorFor(e);
      if (donor !== null) this.owe(donor);
      return donor !== null;
    });
  }

  /** Tries `fn` for each wanted request (of a starving key, if `starving`) after the first `skip`, until one succeeds. */
  #each(skip: number, starving: boolean, fn: (e: E) => boolean): boolean {
    let failed: E | null = null;
    this.#scan++;
    for (const r of this.#queue) {
      if (!this.#wanted(r) || (starving && r.e.live > 0) || skip-- > 0 || r.e === failed) continue;
      if (fn(r.e)) return true;
      // Two different keys found nothing: what excludes one key helps the other, so stop.
      if (failed !== null) return false;
      failed = r.e;
    }
    return false;
  }

  /**
   * Whether `r` is wanted, in a scan of the queue in order (`#scan` bumped per scan): its
   * key is under its cap, and it is among the key's oldest `pending - creating` requests
   * (acquires that no create in flight will serve). Refills towards `min` and creates of
   * acquires that gave up are not wanted: they take free slots but never make room.
   */
  #wanted(r: Request<E>): boolean {
    const e = r.e;
    if (e.scan !== this.#scan) {
      e.scan = this.#scan;
      e.seen = 0;
    }
    return ++e.seen <= e.pending - e.creating && e.live < e.cap;
  }

  /** Fewer slots are wanted than are owed (acquires gave up): donors owe less. */
  #forgive(n: number): boolean {
    for (const e of this.#owing) {
      if (n === 0) break;
      const k = Math.min(n, e.owed);
      n -= k;
      this.#repay(e, k);
    }
    return true;
  }

  #repay(e: E, k: number): void {
    e.owed -= k;
    this.owedTotal -= k;
    if (e.owed === 0) {
      this.#owing.delete(e);
      // Its waiting creates go to the back of the queue: it yields to those who waited.
      for (const r of [...this.#queue]) if (r.e === e) this.#queue.delete(r), this.#queue.add(r);
    }
    this.reclaimer.capChanged(e);
  }
}
