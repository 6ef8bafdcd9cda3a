import type { Budget, BudgetAccount, BudgetMember, BudgetStats } from '../budget/budget.js';
import type { Creator } from './creator.js';
import type { Retirement } from './retirement.js';
import type { PoolState } from './state.js';
import { fail } from './util/check.js';

/**
 * @internal The permits a pool's creates take, as the creator and retirement see them: a
 * {@link BudgetLink} with option `budget`, else {@link noPermits} (a null object: every
 * take succeeds at once, nothing is counted). Never called on the acquire/release path.
 */
export interface Permits {
  /** Takes a permit now if one is free; true when taken (always, without a budget). */
  tryTake(): boolean;
  /** Waits for a permit; rejects with `signal.reason` on abort, or a `BudgetError`. */
  take(signal: AbortSignal): Promise<void>;
  /** Gives one back: its resource's destroy settled or timed out, or its create brought no resource. */
  give(): void;
  /** `factory.create()` returned `result`: its permit goes back if it brings no resource (fails, or null). */
  watchCreate(result: unknown): void;
  /** The process was frozen: the budget re-checks what it holds; resolves when it did (never rejects). */
  thaw(): void;
  /** While a thaw re-check runs, the promise to wait for before lending an idle resource; else null. */
  readonly thawing: Promise<void> | null;
}

/** The permits of a pool without a budget: nothing to take, nothing to give. */
export const noPermits: Permits = {
  tryTake: () => true,
  take: () => Promise.resolve(),
  give: () => {},
  watchCreate: () => {},
  thaw: () => {},
  thawing: null,
};

/** Option `budget`, checked: a {@link Budget} (an object with `name`, `max` and `join`), or undefined. */
export function checkBudget(v: unknown): Budget | null {
  if (v === undefined || v === null) return null;
  const b = v as Partial<Budget>;
  if (
    typeof v !== 'object' ||
    typeof b.join !== 'function' ||
    typeof b.name !== 'string' ||
    typeof b.max !== 'number' ||
    typeof b.stats !== 'function'
  )
    fail('budget', 'a Budget from localBudget() or redisBudget() (an object with name, max, join() and stats())', v);
  return v as Budget;
}

/** What a {@link BudgetLink} reads of its pool and calls on it. */
export interface BudgetLinkParts<T> {
  state: PoolState<T>;
  creator: () => Creator<T>;
  retirement: Retirement<T>;
  /** Sets the most the budget lets the pool hold (`EffectiveLimit.cap`). */
  setCap: (cap: number) => void;
}

/**
 * @internal A pool's place in its budget: the {@link BudgetMember} the budget asks for
 * room, and the {@link Permits} its creator and retirement take and give. Made by the
 * assembly only when option `budget` is set.
 */
export class BudgetLink<T> implements BudgetMember, Permits {
  readonly name: string;
  readonly account: BudgetAccount;
  readonly #parts: BudgetLinkParts<T>;
  readonly #budgetMax: number;
  thawing: Promise<void> | null = null;

  constructor(budget: Budget, parts: BudgetLinkParts<T>) {
    this.#parts = parts;
    this.#budgetMax = budget.max;
    this.name = parts.state.options.name;
    this.account = budget.join(this);
  }

  // BudgetMember: what the budget asks of the pool.

  /** Acquires waiting that no create holding a permit and no check will serve. */
  demand(): number {
    const { state } = this.#parts;
    return Math.max(0, state.waiters.length - state.checking - this.#parts.creator().withPermit);
  }

  /** Closes up to `n` idle resources above `min` (reason `shrink`); returns how many. */
  giveBack(n: number): number {
    const { state, retirement } = this.#parts;
    if (state.closed) return 0;
    const above = Math.min(n, state.idle.length, state.live - state.options.min);
    if (above <= 0) return 0;
    return retirement.destroyIdle('shrink', 'budget give-back', (d) => d >= above);
  }

  /** The pool's limit follows the budget: never above its `max`, nor the cap it sets this pool (give-back, a lost lease). */
  capChanged(): void {
    this.#parts.setCap(Math.min(this.account.cap, this.#budgetMax));
  }

  // Permits: what the creator and retirement call.

  tryTake(): boolean {
    return this.account.tryTake();
  }

  take(signal: AbortSignal): Promise<void> {
    return this.account.take(signal);
  }

  give(): void {
    this.account.give();
  }

  watchCreate(result: unknown): void {
    const back = (r: unknown): void => {
      if (r === undefined || r === null) this.account.give();
    };
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function')
      Promise.resolve(result).then(back, () => this.account.give());
    else back(result);
  }

  thaw(): void {
    const p = this.account.thaw().then(
      () => {
        if (this.thawing === p) this.thawing = null;
      },
      () => {
        if (this.thawing === p) this.thawing = null;
      },
    );
    this.thawing = p;
  }

  /** `stats().budget`. */
  stats(): BudgetStats {
    return this.account.stats();
  }

  /** Why the budget degrades the pool, or null. */
  health(): string | null {
    return this.account.health();
  }
}
