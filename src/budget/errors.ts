import { PoolError, type PoolErrorOptions } from '../core/errors.js';

/** The budget was closed, or the pool left it, while a create waited for a permit. */
export const ERR_BUDGET_CLOSED = 'ERR_BUDGET_CLOSED';
/** A fleet budget cannot reach its store (Redis): the `onUnavailable` policy applies. */
export const ERR_BUDGET_UNAVAILABLE = 'ERR_BUDGET_UNAVAILABLE';
/** A fleet budget found its lease gone (expired while the process was frozen or cut off, or the store restarted empty). */
export const ERR_BUDGET_LEASE_LOST = 'ERR_BUDGET_LEASE_LOST';

/** The codes a {@link BudgetError} carries. */
export type BudgetErrorCode = typeof ERR_BUDGET_CLOSED | typeof ERR_BUDGET_UNAVAILABLE | typeof ERR_BUDGET_LEASE_LOST;

/**
 * An error of a budget: `code` says which ({@link ERR_BUDGET_CLOSED},
 * {@link ERR_BUDGET_UNAVAILABLE}, {@link ERR_BUDGET_LEASE_LOST}), `budget` names it,
 * `cause` is the underlying error with any secret removed. Phase `create`: budgets gate creates.
 */
export class BudgetError extends PoolError {
  /** The budget's name. */
  readonly budget: string;

  constructor(message: string, code: BudgetErrorCode, budget: string, options: PoolErrorOptions = {}) {
    super(message, code, options, options.phase ?? 'create');
    this.budget = budget;
  }
}

Object.defineProperty(BudgetError.prototype, 'name', {
  value: 'BudgetError',
  writable: true,
  configurable: true,
  enumerable: false,
});
