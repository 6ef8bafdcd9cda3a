import { PoolOptionsError } from '../core/errors.js';
import { checkInt, describe, rejectUnknown } from '../core/options.js';
import { Arbiter, type PermitSource } from './arbiter.js';
import type { Budget, BudgetAccount, BudgetMember, BudgetStats } from './budget.js';

/** Options of {@link localBudget}. */
export interface LocalBudgetOptions {
  /** Most resources alive at once across every pool sharing the budget. */
  max: number;
  /** Name shown in `stats().budget` and in messages. Default `'local'`. */
  name?: string;
}

const KNOWN = new Set(['max', 'name']);

/** Validates a budget's `name`: a non-empty string. */
export function checkBudgetName(name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name.length === 0)
    throw new PoolOptionsError(`name: expected a non-empty string, got ${describe(name)}`);
  return name;
}

/** A fixed cap: a permit given back is in hand again at once. */
class FixedSource implements PermitSource {
  constructor(readonly arbiter: () => Arbiter) {}
  want(): void {}
  returned(): boolean {
    return true;
  }
  spare(): boolean {
    return true;
  }
  fleetHeld(): number {
    return this.arbiter().used;
  }
  health(): string | null {
    return null;
  }
  thaw(): Promise<void> {
    return Promise.resolve();
  }
}

/** The budget {@link localBudget} returns. */
class LocalBudget implements Budget {
  readonly #arbiter: Arbiter;

  constructor(
    readonly name: string,
    readonly max: number,
  ) {
    this.#arbiter = new Arbiter(name, max, new FixedSource(() => this.#arbiter), max, true);
  }

  join(member: BudgetMember): BudgetAccount {
    return this.#arbiter.join(member);
  }

  stats(): BudgetStats {
    const a = this.#arbiter;
    return { name: this.name, max: this.max, held: a.used, fleetHeld: a.used, waiting: a.waiting };
  }

  close(): Promise<void> {
    this.#arbiter.close();
    return Promise.resolve();
  }
}

/**
 * One cap shared by pools of this process: `max` resources alive at once across them
 * all. A pool takes a permit before each create and gives it back once the resource's
 * destroy settled. Takes that find the cap reached wait first come, first served across
 * the pools; a pool waiting for one gets idle resources above `min` of the other pools
 * closed for it, and when none is idle, a pool that holds nothing gets one from the pool
 * holding the most, given back at that pool's next release.
 *
 * ```ts
 * const budget = localBudget({ max: 20 });
 * const orders = new PgPool({ database: 'orders', max: 15, budget });
 * const users = new PgPool({ database: 'users', max: 15, budget });  // together at most 20
 * ```
 */
export function localBudget(options: LocalBudgetOptions): Budget {
  if (options === null || typeof options !== 'object')
    throw new PoolOptionsError(`localBudget options: expected an object { max, name? }, got ${describe(options)}`);
  rejectUnknown('localBudget options', options, KNOWN);
  const max = checkInt('max', options.max, 1);
  return new LocalBudget(checkBudgetName(options.name, 'local'), max);
}
