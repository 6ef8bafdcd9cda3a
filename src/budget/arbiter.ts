import { Account, type PermitSource } from './account.js';
import type { BudgetMember } from './budget.js';
import { BudgetError, ERR_BUDGET_CLOSED } from './errors.js';
import { type Request, TakeQueue } from './take-queue.js';

export { Account, type PermitSource } from './account.js';

/**
 * @internal The permits of one budget in one process: who holds how many, and a queue of
 * takes served first come, first served across pools. A take that finds no permit in
 * hand waits; the source is asked for the permits the queue lacks. With `reclaim` (a
 * local budget) a wanted take also makes room: other pools close idle resources above
 * `min`, and when none is idle the pool holding the most gives one back at its next
 * release for a pool that holds none. With a `limit` below what is held (a fleet lease
 * lost, a fleet share), pools holding the most shed the difference.
 */
export class Arbiter {
  /** Permits in hand, lent to nobody. */
  available: number;
  /** Permits lent to pools. */
  used = 0;
  /** Most permits the pools may hold together now. */
  #limit = Infinity;
  readonly #queue = new TakeQueue();
  readonly accounts = new Set<Account>();
  #owedTotal = 0;
  /** Permits on their way back from closes asked of pools. */
  #incoming = 0;
  #wanted = 0;
  #busy = false;
  #again = false;
  #closed = false;

  constructor(
    readonly name: string,
    readonly max: number,
    readonly source: PermitSource,
    available: number,
    readonly reclaim: boolean,
  ) {
    this.available = available;
  }

  /** Takes waiting. */
  get waiting(): number {
    return this.#queue.size;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Sets the most permits the pools may hold together; above it they shed the difference. */
  setLimit(limit: number): void {
    if (limit === this.#limit) return;
    this.#limit = limit;
    this.settle();
  }

  join(member: BudgetMember): Account {
    const a = new Account(this, member);
    this.accounts.add(a);
    return a;
  }

  tryTake(a: Account): boolean {
    if (
      this.#queue.size > 0 ||
      this.available === 0 ||
      this.used >= this.#limit ||
      a.held >= a.cap ||
      a.left ||
      this.#closed
    )
      return false;
    this.#grant(a);
    return true;
  }

  take(a: Account, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (a.left || this.#closed) return Promise.reject(this.#closedError(a));
    if (this.tryTake(a)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const r: Request = {
        account: a,
        resolve,
        reject,
        signal,
        onAbort: () => {
          if (!this.#queue.remove(r)) return;
          reject(signal.reason);
          this.settle();
        },
      };
      signal.addEventListener('abort', r.onAbort, { once: true });
      this.#queue.add(r);
      this.settle();
    });
  }

  give(a: Account): void {
    // A give without a take would free a permit nobody holds: the cap would no longer hold.
    if (a.held === 0) return;
    a.held--;
    this.used--;
    if (a.owed > 0) {
      a.owed--;
      this.#owedTotal--;
    }
    if (this.#incoming > 0) this.#incoming--;
    if (this.source.returned()) this.available++;
    if (a.left && a.held === 0) this.accounts.delete(a);
    this.settle();
  }

  /** Permits arrived from the source. */
  supply(n: number): void {
    this.available += n;
    this.settle();
  }

  /** Asks every pool to close its idle resources above `min` (another process waits). */
  giveBackAll(): void {
    for (const a of [...this.accounts]) if (!a.left) this.#ask(a, Infinity);
  }

  leave(a: Account): void {
    if (a.left) return;
    a.left = true;
    for (const r of this.#queue.list()) if (r.account === a) this.#drop(r, this.#closedError(a));
    if (a.held === 0) this.accounts.delete(a);
    this.settle();
  }

  /** Rejects every waiting take; later takes reject at once. */
  close(): void {
    this.#closed = true;
    for (const r of this.#queue.list()) this.#drop(r, this.#closedError(r.account));
    this.settle();
  }

  /** Hands permits in hand to waiting takes, sheds above the limit, makes room; until nothing changes. */
  settle(): void {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        this.#pump();
        // A cap that rose (the limit went up) makes its pool's waiting takes servable: pumped next round.
        if (this.#rebalance()) this.#again = true;
        if (this.reclaim && this.#reclaim()) this.#again = true;
        // A source may supply at once (a fleet budget sharing while Redis is away): pumped next round.
        this.#askSource();
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
  }

  #grant(a: Account): void {
    this.available--;
    this.used++;
    a.held++;
  }

  #drop(r: Request, reason: unknown): void {
    this.#queue.remove(r);
    r.reject(reason);
  }

  #pump(): void {
    while (this.#queue.size > 0 && this.available > 0 && this.used < this.#limit) {
      const pick = this.#queue.next();
      if (pick === null) return;
      this.#queue.remove(pick);
      this.#grant(pick.account);
      pick.resolve();
    }
  }

  /** Tells the source how many permits the eligible waiting takes lack; gives up permits nobody can use. */
  #askSource(): void {
    const eligible = this.#queue.eligible();
    const room = Math.max(0, this.#limit - this.used - this.available);
    const want = Math.min(Math.max(0, eligible - this.available), room);
    if (want !== this.#wanted) {
      this.#wanted = want;
      this.source.want(want);
    }
    const usable = Math.min(eligible, Math.max(0, this.#limit - this.used));
    const spare = this.available - usable;
    if (spare > 0 && !this.source.spare(spare)) this.available -= spare;
  }

  /**
   * Above the limit: the pools holding the most shed the difference (their cap drops to
   * what they keep). True if a cap rose.
   */
  #rebalance(): boolean {
    let rose = false;
    let need = Math.max(0, this.used - this.#limit);
    for (const a of this.accounts) a.shed = 0;
    while (need > 0) {
      let top: Account | null = null;
      for (const a of this.accounts) {
        if (a.held - a.owed - a.shed > 0 && (top === null || a.held - a.owed - a.shed > top.held - top.owed - top.shed))
          top = a;
      }
      if (top === null) break;
      top.shed++;
      need--;
    }
    for (const a of this.accounts) {
      const cap = a.owed + a.shed > 0 ? Math.max(0, a.held - a.owed - a.shed) : Infinity;
      if (cap !== a.cap) {
        if (cap > a.cap) rose = true;
        a.cap = cap;
        a.member.capChanged();
      }
    }
    return rose;
  }

  /**
   * Makes room for wanted takes that permits in hand and on their way do not cover: other
   * pools close idle resources above `min`; when that is not enough, for each pool that
   * holds nothing, the pool holding the most gives one back at its next release. True if
   * anything changed.
   */
  #reclaim(): boolean {
    if (this.#queue.size === 0 && this.#owedTotal === 0) return false;
    const { wanted, starving, waiting } = this.#queue.survey();
    if (this.#owedTotal > starving) return this.#forgive(this.#owedTotal - starving);
    let need = wanted - this.available - this.#incoming - this.#owedTotal;
    if (need <= 0) return false;
    for (const a of this.accounts) {
      if (waiting.has(a) || a.left) continue;
      need -= this.#ask(a, need);
      if (need <= 0) return false;
    }
    if (starving <= this.#owedTotal) return false;
    for (const s of waiting) {
      if (s.held > 0) continue;
      let donor: Account | null = null;
      for (const a of this.accounts) {
        if (a !== s && a.held - a.owed - a.shed > 1 && (donor === null || a.held - a.owed > donor.held - donor.owed))
          donor = a;
      }
      if (donor === null) return false;
      donor.owed++;
      this.#owedTotal++;
      return true;
    }
    return false;
  }

  /** Asks `a` to close up to `n` idle resources above `min`; returns how many closes it started. */
  #ask(a: Account, n: number): number {
    // Counted before the call: a destroy that settles at once gives its permit back inside it.
    const counted = n === Infinity ? a.held : n;
    this.#incoming += counted;
    let started = 0;
    try {
      started = a.member.giveBack(n);
    } finally {
      this.#incoming = Math.max(0, this.#incoming - Math.max(0, counted - started));
    }
    return started;
  }

  /** Fewer permits are wanted than are owed (takes gave up): owing pools owe less. */
  #forgive(n: number): boolean {
    for (const a of this.accounts) {
      if (n === 0) break;
      const k = Math.min(n, a.owed);
      a.owed -= k;
      this.#owedTotal -= k;
      n -= k;
    }
    return true;
  }

  #closedError(a: Account): BudgetError {
    return new BudgetError(
      this.#closed
        ? `budget "${this.name}" is closed`
        : `pool "${a.member.name}" left budget "${this.name}" while a create waited for a permit`,
      ERR_BUDGET_CLOSED,
      this.name,
      { pool: a.member.name },
    );
  }
}
