/**
 * A core `Pool` inside a budget through public API only, until the core takes a `budget`
 * option: the factory is `budgeted()` (a permit per create, given back when the destroy
 * settles), and the pool is the budget's member: `demand()` from its stats, `giveBack(n)`
 * with `evictIdle` (idle above `min`), `capChanged()` with `resize` (as KeyedPool does
 * under `maxTotal`; the cap never goes below 1 there).
 */
import type { Budget, BudgetAccount, BudgetMember } from '../../src/budget/budget.js';
import { budgeted } from '../../src/budget/budgeted.js';
import { Pool, type PoolOptions } from '../../src/index.js';

export function budgetedPool<T>(
  budget: Budget,
  options: PoolOptions<T> & { name: string },
): { pool: Pool<T>; account: BudgetAccount } {
  const max = options.max ?? 10;
  const min = options.min ?? 0;
  let pool: Pool<T> | null = null;
  let account: BudgetAccount | null = null;
  const member: BudgetMember = {
    name: options.name,
    demand() {
      if (pool === null || account === null) return 0;
      const s = pool.stats();
      const withPermit = s.creating - account.stats().waiting;
      return Math.max(0, s.pending - s.checking - withPermit);
    },
    giveBack(n) {
      if (pool === null) return 0;
      const s = pool.stats();
      const above = Math.min(s.idle, s.size - s.creating - s.min);
      return above > 0 ? pool.evictIdle(Math.min(n, above)) : 0;
    },
    capChanged() {
      if (pool === null || account === null) return;
      const cap = account.cap;
      const limit = Number.isFinite(cap) ? Math.max(1, Math.min(max, cap)) : max;
      pool.resize({ min: Math.min(min, limit), max: limit });
    },
  };
  account = budget.join(member);
  pool = new Pool<T>({ ...options, factory: budgeted(options.factory, account) });
  return { pool, account };
}
