import type { BudgetStats } from '../budget/budget.js';
import { Histogram, type HistogramSummary } from './histogram.js';

export type { HistogramSummary } from './histogram.js';

/**
 * Resources destroyed, by reason (`stats().destroyedBy`); every destroy counts under exactly
 * one reason, so they add up to `destroyed`.
 */
export interface DestroyedBy {
  /** Idle longer than `idleTimeoutMs` while more than `min` were alive. */
  idle: number;
  /** Older than `maxLifetimeMs` (minus its jitter). */
  lifetime: number;
  /** Lent `maxUses` times. */
  maxUses: number;
  /** The caller said so: `lease.destroy()`, or `factory.isBroken()` after `use()` threw. */
  broken: number;
  /** Validation failed, threw or timed out (or, after a thaw, the factory had no `validate`). */
  validation: number;
  /** `factory.reset()` failed, threw or timed out. */
  reset: number;
  /** `pool.evictIdle()` made room (a keyed pool's key giving a resource to another). */
  evicted: number;
  /** The pool got smaller: `resize()`, the effective limit lowered, or a lease lost without release. */
  shrink: number;
  /** Pooling is switched off (`pooling: false`): every lease gets a fresh resource. */
  unpooled: number;
  /** The adapter reported it dead (`watch`), or its create was abandoned before it arrived. */
  error: number;
  /** The pool closed. */
  closed: number;
}

/** A reason a resource was destroyed: a key of {@link DestroyedBy}. */
export type DestroyReason = keyof DestroyedBy;

/** @internal No destroys yet: every reason at 0. */
export function noDestroys(): DestroyedBy {
  return {
    idle: 0,
    lifetime: 0,
    maxUses: 0,
    broken: 0,
    validation: 0,
    reset: 0,
    evicted: 0,
    shrink: 0,
    unpooled: 0,
    error: 0,
    closed: 0,
  };
}

/** A snapshot of a pool's state and counters, as returned by `pool.stats()`. */
export interface PoolStats {
  /** The pool's name (option `name`). */
  name: string;
  /** Live resources: creating + idle + borrowed + being checked. */
  size: number;
  /** Resources idle in the pool, ready to lend. */
  idle: number;
  /** Resources lent out (leases not yet released). */
  borrowed: number;
  /** Acquires waiting in the queue. */
  pending: number;
  /** Creates in flight. */
  creating: number;
  /** Resources out of the idle list being validated or reset. */
  checking: number;
  /**
   * Destroys not settled yet (and not past `destroyTimeoutMs`): their resources still count
   * against the limit, since the backend still sees them.
   */
  closing: number;
  /** Live resources above `min` (idle, borrowed or being checked). */
  overflow: number;
  /** Option `min`: resources kept alive even when idle. */
  min: number;
  /** Option `max`: most resources alive at once. */
  max: number;
  /** The effective maximum the pool keeps to now: `max`, unless lowered (by an auto-sizer or a budget). */
  limit: number;
  /**
   * The pool's budget (option `budget`): its name and cap, the permits this pool holds, the
   * permits held across the budget (every pool and process, as last seen), and this pool's
   * creates waiting for a permit. Null without a budget.
   */
  budget: BudgetStats | null;
  /** Most resources borrowed at once since the counters were reset. */
  peakBorrowed: number;
  /** Resources created. */
  created: number;
  /** Resources destroyed. */
  destroyed: number;
  /** Resources destroyed, by reason: the recycle rate, and why. */
  destroyedBy: DestroyedBy;
  /** Leases handed out. */
  acquired: number;
  /** Leases returned (released or destroyed). */
  released: number;
  /** Acquires that timed out waiting (`AcquireTimeoutError`). */
  timeouts: number;
  /** Creates that failed. */
  createErrors: number;
  /** Validations that failed or timed out (the resource was destroyed). */
  validationFailures: number;
  /** Resets that failed or timed out (the resource was destroyed). */
  resetFailures: number;
  /** Leases reported as leaked (held too long, returned late, or lost), each counted once. */
  leaks: number;
  /** Acquires rejected at once because the queue was full. */
  rejected: number;
  /** Acquires aborted through their signal. */
  aborted: number;
  /** Time from acquire to lease, ms. */
  waitTime: HistogramSummary;
  /** Time from lease to release, ms. */
  useTime: HistogramSummary;
  /** Time a successful create took, ms. */
  createTime: HistogramSummary;
  /** Milliseconds since the counters were last reset. */
  sinceMs: number;
}

/** The part of {@link PoolStats} that {@link Counters} keeps. */
export type CounterStats = Omit<
  PoolStats,
  | 'name'
  | 'size'
  | 'idle'
  | 'borrowed'
  | 'pending'
  | 'creating'
  | 'checking'
  | 'closing'
  | 'overflow'
  | 'min'
  | 'max'
  | 'limit'
  | 'budget'
>;

/** Counters and histograms the pool updates as it works. Reset by `resetStats()`. */
export class Counters {
  peakBorrowed = 0;
  created = 0;
  destroyed = 0;
  destroyedBy = noDestroys();
  acquired = 0;
  released = 0;
  timeouts = 0;
  createErrors = 0;
  validationFailures = 0;
  resetFailures = 0;
  leaks = 0;
  rejected = 0;
  aborted = 0;
  readonly waitTime = new Histogram();
  readonly useTime = new Histogram();
  readonly createTime = new Histogram();

  constructor(public since: number) {}

  /** The counters and histogram summaries now, in the order stats show them. */
  snapshot(now: number): CounterStats {
    return {
      peakBorrowed: this.peakBorrowed,
      created: this.created,
      destroyed: this.destroyed,
      destroyedBy: { ...this.destroyedBy },
      acquired: this.acquired,
      released: this.released,
      timeouts: this.timeouts,
      createErrors: this.createErrors,
      validationFailures: this.validationFailures,
      resetFailures: this.resetFailures,
      leaks: this.leaks,
      rejected: this.rejected,
      aborted: this.aborted,
      waitTime: this.waitTime.summary(),
      useTime: this.useTime.summary(),
      createTime: this.createTime.summary(),
      sinceMs: now - this.since,
    };
  }

  /** Counts one destroy, for `reason`. */
  destroyedFor(reason: DestroyReason): void {
    this.destroyed++;
    this.destroyedBy[reason]++;
  }

  /** Zeroes every counter and histogram; `peakBorrowed` restarts from `borrowedNow`. */
  reset(now: number, borrowedNow: number): void {
    this.peakBorrowed = borrowedNow;
    this.created = this.destroyed = this.acquired = this.released = 0;
    this.destroyedBy = noDestroys();
    this.timeouts = this.createErrors = this.validationFailures = this.resetFailures = 0;
    this.leaks = this.rejected = this.aborted = 0;
    this.waitTime.reset();
    this.useTime.reset();
    this.createTime.reset();
    this.since = now;
  }
}
