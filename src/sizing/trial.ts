import type { Sample } from './signals.js';

/**
 * A growth is kept when the mean hold time rose by at most this share of the rise in
 * leases in use: 0 would keep only growth that leaves hold times flat (work that runs in
 * parallel), 1 would keep growth that buys no throughput at all (Little's law:
 * throughput = in use / hold time). Above it, the database is the bottleneck.
 */
export const ELASTICITY = 0.5;
/**
 * A cut is kept when throughput fell by at most `1 - CUT_ELASTICITY` of the cut: a
 * stricter line than growth's, so that noise leaves the limit above the knee rather
 * than below it (a few connections too many cost less than too few).
 */
export const CUT_ELASTICITY = 0.95;
/**
 * A growth whose hold time rose by no more than this share of what its line allows paid
 * well: a doubling that did grows again (the knee is further up).
 */
export const WELL_PAID = 0.8;
/** A cut after which hold times rose this many times over: the database slows down, the cut stays. */
const SLOWER = 1.5;
/** A growth by less than this share is small. */
const SMALL = 0.5;
/** Hold times may rise this much (a share) after any growth: noise, new connections warming up. */
export const NOISE = 0.05;
/** Windows a trial judges on (after the first), releases it wants, and the most windows it waits for them. */
const MIN_WINDOWS = 2;
const MIN_RELEASES = 16;
const MAX_WINDOWS = 6;
/**
 * A verdict is clear when the trial's mean hold time is this many standard errors from
 * its line (the error from the hold time's spread between windows); until then, and
 * while there is time, the trial waits for more windows.
 */
const CLEAR = 2;
/** The most windows a base hold time counts as seen over (the baseline remembers about ten). */
const BASE_WINDOWS = 10;

/** How a trial ended. */
export type Verdict =
  /** Too few windows or releases yet. */
  | { kind: 'pending' }
  /** No lease came back: nothing learned. */
  | { kind: 'unknown' }
  /**
   * The new limit stays: `flat` when hold times did not move; `wellPaid` when a growth's
   * hold time rose by no more than {@link WELL_PAID} of what its line allows.
   */
  | { kind: 'kept'; holdMs: number; flat: boolean; wellPaid: boolean }
  /**
   * Did not pay: `from` had the hold time `baseHoldMs`, the trial `holdMs`. `flat`: a
   * growth bought no throughput at all (hold time rose at least as much as the leases in
   * use); `gained`: it bought throughput by more than the noise, only less than its line.
   */
  | { kind: 'failed'; from: number; baseHoldMs: number; holdMs: number; flat: boolean; gained: boolean };

/**
 * @internal One move of the limit on trial, from `from` to `to`, made when the mean hold
 * time was `baseHoldMs` with `baseBusy` leases in use. The windows after it say whether
 * it paid. A growth pays when the extra leases bought throughput (hold time flat, or
 * rising less than the leases in use); a cut (tried while callers queue at a limit where
 * growth did not pay) pays when it cost next to no throughput: past the knee, fewer
 * leases each run faster and get as much done.
 */
export class Trial {
  #released = 0;
  #holdSum = 0;
  #busyTime = 0;
  #time = 0;
  #windows = 0;

  constructor(
    readonly from: number,
    readonly to: number,
    readonly baseHoldMs: number,
    readonly baseBusy: number,
    /** The hold time's spread between windows (a share of it: a standard deviation). */
    readonly noise = 0,
    /**
     * Kept only when it clearly paid, else undone: a small step from a setpoint (the knee),
     * or a growth right after one that raised hold times.
     */
    readonly probe = false,
    /** Windows the base hold time was seen over (its own error: fewer, larger). */
    readonly baseWindows = BASE_WINDOWS,
  ) {}

  /**
   * Adds a window seen after the move; judges once enough came back. The first window is
   * only watched: the leases released in it were mostly lent before the move.
   */
  add(s: Sample): Verdict {
    if (++this.#windows === 1) return { kind: 'pending' };
    if (s.released > 0) {
      this.#released += s.released;
      this.#holdSum += s.released * s.holdMs;
    }
    this.#busyTime += s.busy * s.dtMs;
    this.#time += s.dtMs;
    if ((this.#released < MIN_RELEASES || this.#windows <= MIN_WINDOWS) && this.#windows < MAX_WINDOWS)
      return { kind: 'pending' };
    if (this.#released === 0) return { kind: 'unknown' };
    const holdMs = this.#holdSum / this.#released;
    const busy = this.#busyTime / this.#time;
    const base = Math.max(this.baseBusy, 1e-9);
    const failed = (flat: boolean, gained = false): Verdict => ({
      kind: 'failed',
      from: this.from,
      baseHoldMs: this.baseHoldMs,
      holdMs,
      flat,
      gained,
    });
    // How far from its line (a share) a verdict must be to be clear, with the windows seen.
    const margin =
      CLEAR *
      this.noise *
      Math.sqrt(1 / (this.#windows - 1) + 1 / Math.min(BASE_WINDOWS, Math.max(1, this.baseWindows)));
    const more = this.#windows < MAX_WINDOWS;
    if (this.to < this.from) {
      // Hold times rose well even with fewer leases: the database is slowing down; no going back up.
      if (holdMs > this.baseHoldMs * SLOWER) return { kind: 'kept', holdMs, flat: false, wellPaid: true };
      // Throughput kept (Little's law: in use / hold time) against leases given up.
      const kept = busy / holdMs / (base / this.baseHoldMs);
      const less = Math.max(0, 1 - busy / base);
      const line = 1 - (1 - CUT_ELASTICITY) * less;
      // A cut stays only on clear evidence: near the line, more windows first, then back.
      if (kept >= line * (1 + margin)) return { kind: 'kept', holdMs, flat: false, wellPaid: true };
      return kept >= line * (1 - margin) && more ? { kind: 'pending' } : failed(false);
    }
    const ratio = holdMs / this.baseHoldMs;
    const grew = Math.max(0, busy / base - 1);
    // A small step moves hold times less than noise does: judged on every window it may take.
    if (grew < SMALL && more && this.noise > NOISE) return { kind: 'pending' };
    // Flat: hold times did not clearly rise (no more than half the growth: below the line).
    // A probe must clearly pay; any other growth is judged on its line.
    const probe = this.probe;
    if (ratio - 1 <= Math.max(NOISE, Math.min(margin, grew / 2)) && !probe)
      return { kind: 'kept', holdMs, flat: true, wellPaid: true };
    const line = 1 + ELASTICITY * grew;
    // Close to the line, noise decides: more windows, while there is time for them.
    if (Math.abs(ratio / line - 1) < margin && more) return { kind: 'pending' };
    const clear = ratio <= line * (1 - margin);
    const wellPaid = ratio - 1 <= WELL_PAID * ELASTICITY * grew;
    if (probe ? clear : ratio <= line) return { kind: 'kept', holdMs, flat: ratio - 1 <= NOISE, wellPaid };
    // Throughput (in use / hold time) rose by more than the noise: the knee lies between.
    return failed(ratio - 1 >= grew, ratio * (1 + Math.max(NOISE, margin / 2)) < 1 + grew);
  }
}
