import type { Account } from './account.js';

/** @internal A take waiting for a permit. */
export interface Request {
  readonly account: Account;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/** Whether `a` may get a permit now: under its cap, still in the budget. */
export function eligible(a: Account): boolean {
  return a.held < a.cap && !a.left;
}

/**
 * @internal The takes waiting for a permit, first come first served, and the scans over
 * them: which are wanted (serve an acquire that waits), which to serve next. No policy.
 */
export class TakeQueue {
  readonly #items = new Set<Request>();
  #scan = 0;

  get size(): number {
    return this.#items.size;
  }

  add(r: Request): void {
    this.#items.add(r);
    r.account.queued++;
  }

  /** Takes `r` out of the queue (false if it was not there). */
  remove(r: Request): boolean {
    if (!this.#items.delete(r)) return false;
    r.account.queued--;
    r.signal.removeEventListener('abort', r.onAbort);
    return true;
  }

  /** The waiting takes, oldest first (a copy: safe to remove from while iterating). */
  list(): Request[] {
    return [...this.#items];
  }

  /** The take to serve next: the oldest wanted one, else the oldest eligible one, else null. */
  next(): Request | null {
    let pick: Request | null = null;
    this.#scan++;
    for (const r of this.#items) {
      if (this.#isWanted(r)) return r;
      if (pick === null && eligible(r.account)) pick = r;
    }
    return pick;
  }

  /** Takes whose pool may get a permit now. */
  eligible(): number {
    let n = 0;
    for (const r of this.#items) if (eligible(r.account)) n++;
    return n;
  }

  /** The wanted takes: how many, how many of pools holding nothing, and their pools. */
  survey(): { wanted: number; starving: number; waiting: Set<Account> } {
    let wanted = 0;
    let starving = 0;
    const waiting = new Set<Account>();
    this.#scan++;
    for (const r of this.#items) {
      if (!this.#isWanted(r)) continue;
      wanted++;
      waiting.add(r.account);
      if (r.account.held === 0) starving++;
    }
    return { wanted, starving, waiting };
  }

  /**
   * Whether `r` is wanted, in a scan of the queue in order (`#scan` bumped per scan): its
   * pool is under its cap and it is among the pool's oldest `demand()` takes.
   */
  #isWanted(r: Request): boolean {
    const a = r.account;
    if (a.scan !== this.#scan) {
      a.scan = this.#scan;
      a.seen = 0;
      a.demand = a.member.demand();
    }
    return ++a.seen <= a.demand && eligible(a);
  }
}
