import { Histogram, type HistogramSummary } from './histogram.js';

export type { HistogramSummary } from './histogram.js';

/** A snapshot of a pool's state and counters, as returned by `pool.stats()`. */
export interface PoolStats {
  name: string;
  /** Live resources: creating + idle + borrowed + being checked. */
  size: number;
  idle: number;
  borrowed: number;
  /** Acquires waiting in the queue. */
  pending: number;
  creating: number;
  /** Resources out of the idle list being validated or reset. */
  checking: number;
  min: number;
  max: number;
  peakBorrowed: number;
  created: number;
  destroyed: number;
  acquired: number;
  released: number;
  timeouts: number;
  createErrors: number;
  validationFailures: number;
  resetFailures: number;
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
