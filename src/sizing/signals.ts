import type { PoolState } from '../core/state.js';

/**
 * @internal What a pool observed over one window of the controller, from its counters:
 * nothing is recorded on the hot path for it. Hold times come from leases (acquire →
 * release), so validations, keepalive pings and resets never count.
 */
export interface Sample {
  /** Length of the window, ms. */
  dtMs: number;
  /** Leases returned in the window. */
  released: number;
  /** Mean hold time of the leases returned in the window (acquire → release), ms; NaN when none came back. */
  holdMs: number;
  /** Leases in use, on average over the window (Little's law: releases per ms × mean hold time). */
  busy: number;
  /** Acquires waiting, on average over the window (time spent waiting per ms), or the waiters now if more. */
  queued: number;
  /** Acquires that arrived per ms: lent, timed out, aborted, rejected, or still waiting. */
  arrivalRate: number;
  /** Some caller waited: a wait ended, timed out, or is still going. */
  waited: boolean;
}

/**
 * @internal Reads a pool's counters once per window and turns the differences into a
 * {@link Sample}. `resetStats()` zeroes the counters: the window it happened in is skipped.
 */
export class Sampler<T> {
  readonly #state: PoolState<T>;
  #at: number;
  #since: number;
  #released = 0;
  #holdSum = 0;
  #acquired = 0;
  #waitSum = 0;
  #others = 0;
  #pending = 0;

  constructor(state: PoolState<T>) {
    this.#state = state;
    this.#at = state.clock.now();
    this.#since = state.counters.since;
    this.#read();
  }

  /** The window since the last call (or since construction); null when there is nothing to compare. */
  take(now: number): Sample | null {
    const c = this.#state.counters;
    const before = {
      released: this.#released,
      holdSum: this.#holdSum,
      acquired: this.#acquired,
      waitSum: this.#waitSum,
      others: this.#others,
      pending: this.#pending,
    };
    const dtMs = now - this.#at;
    const reset = c.since !== this.#since;
    this.#at = now;
    this.#since = c.since;
    this.#read();
    if (reset || dtMs <= 0) return null;
    const released = this.#released - before.released;
    const holdMs = released > 0 ? (this.#holdSum - before.holdSum) / released : Number.NaN;
    const pendingNow = this.#pending;
    const arrivals = this.#acquired - before.acquired + (this.#others - before.others) + (pendingNow - before.pending);
    const waitedMs = this.#waitSum - before.waitSum;
    const busy = released > 0 ? (released / dtMs) * holdMs : this.#state.leasesOut;
    return {
      dtMs,
      released,
      holdMs,
      busy: Math.max(busy, 0),
      queued: Math.max(waitedMs / dtMs, pendingNow),
      arrivalRate: Math.max(arrivals, 0) / dtMs,
      waited: pendingNow > 0 || waitedMs > 0 || this.#others > before.others,
    };
  }

  #read(): void {
    const { counters: c, waiters } = this.#state;
    this.#released = c.released;
    this.#holdSum = c.useTime.sum;
    this.#acquired = c.acquired;
    this.#waitSum = c.waitTime.sum;
    // Acquires that left the queue without a lease.
    this.#others = c.timeouts + c.aborted + c.rejected;
    this.#pending = waiters.length;
  }
}
