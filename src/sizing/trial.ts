import type { Sample } from './signals.js';

/**
 * A growth is kept when the mean hold time rose by at most this share of the rise in
 * leases in use: 0 would keep only growth that leaves hold times flat (work that runs in
 * parallel), 1 would keep growth that buys no throughput at all (Little's law:
 * throughput = in use / hold time). Above it, the database is the bottleneck.
 */
export const ELASTICITY = 0.9;
/**
 * A cut is kept when throughput fell by at most `1 - CUT_ELASTICITY` of the cut: a
 * stricter line than growth's, so that noise leaves the limit above the knee rather
 * than below it (a few connections too many cost less than too few).
 */
export const CUT_ELASTICITY = 0.95;
/** Hold times may rise this much (a share) after any growth: noise, new connections warming up. */
export const NOISE = 0.05;
/** Windows a trial judges on (after the first), releases it wants, and the most windows it waits for them. */
const MIN_WINDOWS = 2;
const MIN_RELEASES = 16;
const MAX_WINDOWS = 6;

/** How a trial ended. */
export type Verdict =
  /** Too few windows or releases yet. */
  | { kind: 'pending' }
  /** No lease came back: nothing learned. */
  | { kind: 'unknown' }
  /** The new limit stays: `flat` when hold times did not move. */
  | { kind: 'kept'; holdMs: number; flat: boolean }
  /**
   * Back to `from`, where the hold time was `baseHoldMs`. `flat`: a growth bought no
   * throughput at all (hold time rose at least as much as the leases in use).
   */
  | { kind: 'failed'; from: number; baseHoldMs: number; flat: boolean };

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
    const failed = (flat: boolean): Verdict => ({ kind: 'failed', from: this.from, baseHoldMs: this.baseHoldMs, flat });
    if (this.to < this.from) {
      // Hold times rose even with fewer leases: the database is slowing down; no going back up.
      if (holdMs > this.baseHoldMs * (1 + NOISE)) return { kind: 'kept', holdMs, flat: false };
      // Throughput kept (Little's law: in use / hold time) against leases given up.
      const kept = busy / holdMs / (base / this.baseHoldMs);
      const less = Math.max(0, 1 - busy / base);
      return kept >= 1 - (1 - CUT_ELASTICITY) * less ? { kind: 'kept', holdMs, flat: false } : failed(false);
    }
    const rise = holdMs / this.baseHoldMs - 1;
    const more = Math.max(0, busy / base - 1);
    if (rise <= NOISE) return { kind: 'kept', holdMs, flat: true };
    if (rise <= ELASTICITY * more) return { kind: 'kept', holdMs, flat: false };
    return failed(rise >= more);
  }
}
