import type { Budget, BudgetAccount, BudgetMember } from '../../src/budget/budget.js';
import type { Clock } from '../../src/core/util/clock.js';

/**
 * A pool as a budget sees it, with nothing else: counts of idle and borrowed resources,
 * waiting acquires, `min`; closing a resource gives its permit back when its destroy
 * settles, `destroyMs` later on the clock. Records what the budget asked of it.
 */
export class FakeMember implements BudgetMember {
  readonly account: BudgetAccount;
  idle = 0;
  borrowed = 0;
  /** Acquires waiting (what `demand()` reports). */
  waiters = 0;
  closing = 0;
  /** Every `giveBack(n)` the budget called, with n. */
  readonly asked: number[] = [];
  capChanges = 0;

  constructor(
    readonly name: string,
    budget: Budget,
    readonly clock: Clock,
    readonly min = 0,
    readonly destroyMs = 5,
  ) {
    this.account = budget.join(this);
  }

  get live(): number {
    return this.idle + this.borrowed;
  }

  demand(): number {
    return this.waiters;
  }

  giveBack(n: number): number {
    this.asked.push(n);
    const above = Math.max(0, Math.min(this.idle, this.live - this.min));
    const k = Math.min(n, above);
    for (let i = 0; i < k; i++) this.#close();
    return k;
  }

  capChanged(): void {
    this.capChanges++;
    while (this.idle > 0 && this.live > this.account.cap) this.#close();
  }

  /** Takes a permit synchronously and makes an idle resource; false when none was free. */
  createNow(): boolean {
    if (!this.account.tryTake()) return false;
    this.idle++;
    return true;
  }

  /** Waits for a permit, then makes a borrowed resource (as a create for a waiting acquire would). */
  async createFor(signal = new AbortController().signal): Promise<void> {
    await this.account.take(signal);
    this.borrowed++;
  }

  /** A lease comes back: above the cap the resource is closed, else it goes idle. */
  release(): void {
    this.borrowed--;
    if (this.live + 1 > this.account.cap) {
      this.closing++;
      this.clock.setTimer(() => this.#settled(), this.destroyMs, true);
    } else this.idle++;
  }

  #close(): void {
    this.idle--;
    this.closing++;
    this.clock.setTimer(() => this.#settled(), this.destroyMs, true);
  }

  #settled(): void {
    this.closing--;
    this.account.give();
  }
}
