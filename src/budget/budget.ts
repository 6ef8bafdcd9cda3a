/**
 * The budget interface: what a pool (the core) calls to keep the resources it creates
 * within a cap shared with other pools, of this process ({@link localBudget}) or of a
 * whole fleet (`redisBudget` in `lido/redis`). The core reaches a budget only through
 * these types.
 *
 * The contract, as the core uses it:
 *
 * - A pool joins once (`budget.join(member)`) and gets a {@link BudgetAccount}.
 * - Before each `factory.create()` it takes one permit: `account.tryTake()` (synchronous,
 *   true when a permit was free here and nobody queued for one), else
 *   `await account.take(signal)` (first come, first served across every pool of the
 *   budget; rejects with `signal.reason` when aborted, with a {@link BudgetError} when
 *   the budget closes).
 * - It gives the permit back with `account.give()` once the resource's destroy settled
 *   (or timed out), or at once when the create failed. Permits gate creates, never
 *   checkouts: acquire and release never call the budget.
 * - It lets the budget ask for room through its {@link BudgetMember}: `giveBack(n)` (close
 *   idle resources above `min` now, because another pool or process waits) and
 *   `capChanged()` (hold at most `account.cap` permits: close idle resources above it now
 *   and borrowed ones at release, with destroy reason `shrink`, and start no create).
 * - `account.stats()` is the pool's `stats().budget`; `account.health()` says why the
 *   budget degrades the pool, if it does; `account.thaw()` is called when the pool was
 *   frozen, before it lends again; `account.leave()` when the pool closes.
 */

/** The budget figures a pool shows in `stats().budget`. */
export interface BudgetStats {
  /** The budget's name. */
  name: string;
  /** The cap: most permits out at once across every pool (and process) sharing it. */
  max: number;
  /** Permits this pool holds (on `budget.stats()`: this process holds). */
  held: number;
  /** Permits held by every pool and process of the budget, as last seen. */
  fleetHeld: number;
  /** This pool's creates waiting for a permit (on `budget.stats()`: this process's). */
  waiting: number;
}

/** What a pool lets its budget see and ask for. The core implements it. */
export interface BudgetMember {
  /** The pool's name, for messages. */
  readonly name: string;
  /**
   * How many of this pool's waiting takes serve an acquire that waits (the others refill
   * `min`): only those make the budget look for room elsewhere.
   */
  demand(): number;
  /**
   * Closes up to `n` idle resources above `min` now (destroy reason `shrink`), because
   * another pool or process waits for a permit; returns how many closes it started. Each
   * gives its permit back when its destroy settles.
   */
  giveBack(n: number): number;
  /**
   * `account.cap` changed. While the pool holds more permits than the cap it closes idle
   * resources now and borrowed ones at release (reason `shrink`), and starts no create.
   */
  capChanged(): void;
}

/** One pool's place in a budget, returned by {@link Budget.join}. */
export interface BudgetAccount {
  /** Most permits this pool may hold now; `Infinity` when only its own `max` bounds it. */
  readonly cap: number;
  /** Permits this pool holds: for resources being created, alive, or being destroyed. */
  readonly held: number;
  /** Takes one permit now if one is free here and no take waits; true when taken. Never waits. */
  tryTake(): boolean;
  /**
   * Waits for a permit (first come, first served across the budget's pools and
   * processes). Rejects with `signal.reason` on abort, or a {@link BudgetError} when
   * the budget or the account is closed.
   */
  take(signal: AbortSignal): Promise<void>;
  /** Gives one permit back: its resource's destroy settled or timed out, or its create failed. */
  give(): void;
  /** This pool's `stats().budget`. */
  stats(): BudgetStats;
  /** Why the budget degrades this pool now (Redis unreachable, lease lost), or null. */
  health(): string | null;
  /** The pool was frozen (thaw): resolves once the budget re-checked what it holds. Never rejects. */
  thaw(): Promise<void>;
  /** The pool closed: its waiting takes reject; permits it still holds stay counted until given. */
  leave(): void;
}

/**
 * A cap on resources shared by pools: pass it as the `budget` option of each pool that
 * shares it. {@link localBudget} shares one cap between the pools of a process;
 * `redisBudget` (`lido/redis`) between every process of a fleet.
 */
export interface Budget {
  /** The budget's name (stats, messages, the Redis keys of a fleet budget). */
  readonly name: string;
  /** The cap. */
  readonly max: number;
  /** Registers a pool; the core calls it once per pool. */
  join(member: BudgetMember): BudgetAccount;
  /** The budget's figures for this process: `held` and `waiting` summed over its pools. */
  stats(): BudgetStats;
  /** Releases what the budget holds outside the process (a fleet lease) and its connections. Idempotent. */
  close(): Promise<void>;
}
