import type { Sample } from './signals.js';

/**
 * A growth is kept when the mean hold time rose by at most this share of the rise in
 * leases in use: 0 would keep only growth that leaves hold times flat (work that runs in
 * parallel), 1 would keep growth that buys no throughput at all (Little's law:
 * throughput = in use / hold time). Above it, the database is the bottleneck.
 */
export const ELASTICITY = 0.8;
/** Hold times may rise this much (a share) after any growth: noise, new connections warming up. */
export const NOISE = 0.05;
/** Releases a trial wants before it judges, and the most windows it waits for them. */
const MIN_RELEASES = 16;
const MAX_WINDOWS = 5;

/** How a trial ended. */
export type Verdict =
  /** Too few windows or releases yet. */
  | { kind: 'pending' }
  /** No lease came back: nothing learned. */
  | { kind: 'unknown' }
  /** Hold time stayed near where it was (`flat`), or rose less than the leases in use did. */
  | { kind: 'kept'; holdMs: number; flat: boolean }
  /** Hold time rose with the leases in use: go back to `from`, where it was `baseHoldMs`. */
  | { kind: 'failed'; from: number; baseHoldMs: number };

/**
 * @internal One growth on trial: the limit went up from `from`, when the mean hold time
 * was `baseHoldMs` with `baseBusy` leases in use. The windows after it say whether the
 * extra leases bought throughput (hold time flat, or rising less than the leases in use)
 * or only made each lease slower.
 */
export class Trial {
  #released = 0;
  #holdSum = 0;
  #busyTime = 0;
  #time = 0;
  #windows = 0;

  constructor(
    readonly from: number,
    readonly baseHoldMs: number,
    readonly baseBusy: number,
  ) {}

  /**
   * Adds a window seen after the growth; judges once enough came back. The first window is
   * only watched: the leases released in it were mostly lent before the growth, at the
   * old number in use.
   */
  add(s: Sample): Verdict {
    if (++this.#windows === 1) return { kind: 'pending' };
    if (s.released > 0) {
      this.#released += s.released;
      this.#holdSum += s.released * s.holdMs;
    }
    this.#busyTime += s.busy * s.dtMs;
    this.#time += s.dtMs;
    if (this.#released < MIN_RELEASES && this.#windows < MAX_WINDOWS) return { kind: 'pending' };
    if (this.#released === 0) return { kind: 'unknown' };
    const holdMs = this.#holdSum / this.#released;
    const busy = this.#busyTime / this.#time;
    const rise = holdMs / this.baseHoldMs - 1;
    const more = Math.max(0, busy / Math.max(this.baseBusy, 1e-9) - 1);
    if (rise <= NOISE) return { kind: 'kept', holdMs, flat: true };
    if (rise <= ELASTICITY * more) return { kind: 'kept', holdMs, flat: false };
    return { kind: 'failed', from: this.from, baseHoldMs: this.baseHoldMs };
  }
}
