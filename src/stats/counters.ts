import { Histogram, type HistogramSummary } from './histogram.js';

export type { HistogramSummary } from './histogram.js';

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
  /** Option `min`: resources kept alive even when idle. */
  min: number;
  /** Option `max`: most resources alive at once. */
  max: number;
  /** Most resources borrowed at once since the counters were reset. */
  peakBorrowed: number;
  /** Resources created. */
  created: number;
  /** Resources destroyed. */
  destroyed: number;
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
  'name' | 'size' | 'idle' | 'borrowed' | 'pending' | 'creating' | 'checking' | 'min' | 'max'
>;

/** Counters and histograms the pool updates as it works. Reset by `resetStats()`. */
export class Counters {
  peakBorrowed = 0;
  created = 0;
  destroyed = 0;
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

  /** Zeroes every counter and histogram; `peakBorrowed` restarts from `borrowedNow`. */
  reset(now: number, borrowedNow: number): void {
    this.peakBorrowed = borrowedNow;
    this.created = this.destroyed = this.acquired = this.released = 0;
    this.timeouts = this.createErrors = this.validationFailures = this.resetFailures = 0;
    this.leaks = this.rejected = this.aborted = 0;
    this.waitTime.reset();
    this.useTime.reset();
    this.createTime.reset();
    this.since = now;
  }
}
