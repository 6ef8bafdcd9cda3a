import type { ResolvedAutoSize } from './options.js';
import type { Sample } from './signals.js';
import { Ewma } from './smoothing.js';
import { Trial } from './trial.js';

/** Why `autoSize` moved a pool's limit (event `resize`). */
export type ResizeReason =
  /** Callers waited and hold times stayed near their baseline: more leases were needed. */
  | 'grow'
  /** Hold times rose well above their baseline, or with the last growth: the database is the bottleneck. */
  | 'backoff'
  /** The load stayed below the limit for `shrinkAfterMs`. */
  | 'shrink'
  /** `resize({ min, max })` moved the bounds past the limit. */
  | 'bounds';

/** What the `resize` event says: the effective limit (`stats().limit`) went from `from` to `to`. */
export interface ResizeInfo {
  /** The limit before. */
  from: number;
  /** The limit now (`stats().limit`). */
  to: number;
  /** Why it moved. */
  reason: ResizeReason;
}

/** Short-term hold time: about the last two windows. */
const SHORT_ALPHA = 0.5;
/** Long-term hold time, the baseline: about the last ten windows at the current limit. */
const LONG_ALPHA = 0.1;
/** Growth waits while the short-term hold time is this far above the baseline ("near" ends here). */
const NEAR = 1.2;
/** The short-term hold time this far above the baseline is "well above": back off. */
const WELL_ABOVE = 1.5;
/** A back-off keeps this share of the limit. */
const BACKOFF = 0.75;
/** Growth at most doubles the limit per window (while hold times stay flat), else adds this share. */
const FAST_STEP = 2;
const SLOW_STEP = 1.2;
/** The load's need (with headroom) must stay under this share of the limit to count as below it. */
const BELOW = 0.85;
/** Windows without growth after a back-off or a failed trial: first, and at most (it doubles). */
const FIRST_PAUSE = 4;
const MAX_PAUSE = 64;

/**
 * @internal The `autoSize` controller: given one {@link Sample} per window, where the
 * pool's limit should be. Pure (no clock, no pool), so workloads can drive it directly.
 *
 * - The need is Little's law: arrival rate × hold time, times `headroom`.
 * - It grows only while callers wait and the short-term hold time stays near its
 *   long-term baseline: to the need when the need is above the limit, else (callers
 *   queue while arrivals keep pace with the leases in use: a closed loop) by a step,
 *   doubling while hold times stay flat. Each growth is a {@link Trial}: if hold times
 *   rose with the leases in use, the growth bought nothing and is undone, and growth
 *   pauses (longer after each failure).
 * - It backs off multiplicatively when the short-term hold time rises well above its
 *   baseline (the database is slowing down), then takes the new hold time as baseline.
 * - It shrinks only after the need stayed clearly below the limit for `shrinkAfterMs`,
 *   by half the gap at a time, never below what the busiest window of that stretch needed.
 */
export class SizingController {
  #limit: number;
  #lo: number;
  #hi: number;
  readonly #headroom: number;
  readonly #shrinkWindows: number;
  readonly #short = new Ewma(SHORT_ALPHA);
  readonly #long = new Ewma(LONG_ALPHA);
  #trial: Trial | null = null;
  #window = 0;
  #pausedUntil = 0;
  #pause = FIRST_PAUSE;
  #fast = true;
  /** The highest limit known to pay: a growth from it did not (Infinity until one fails). */
  #knee = Number.POSITIVE_INFINITY;
  /** The next trial while callers queue: a cut, after a growth from here did not pay (or a cut did). */
  #cutNext = false;
  #below = 0;
  #peakNeed = 0;
  /** The limit just moved without a trial: the next window is skipped. */
  #settling = false;

  /** Starts at `lo`: the pool grows into its load. */
  constructor(tuning: ResolvedAutoSize, lo: number, hi: number) {
    this.#headroom = tuning.headroom;
    this.#shrinkWindows = Math.max(1, Math.round(tuning.shrinkAfterMs / tuning.intervalMs));
    this.#lo = lo;
    this.#hi = hi;
    this.#limit = lo;
  }

  /** The limit now. */
  get limit(): number {
    return this.#limit;
  }

  /** New bounds (`resize()`): the limit is moved into them; a trial under way is dropped. */
  setBounds(lo: number, hi: number): ResizeInfo | null {
    this.#lo = lo;
    this.#hi = hi;
    this.#trial = null;
    const to = Math.min(hi, Math.max(lo, this.#limit));
    return this.#move(to, 'bounds');
  }

  /** One window's observations: the new limit and why, or null to keep it. */
  observe(s: Sample): ResizeInfo | null {
    this.#window++;
    const trial = this.#trial;
    if (trial !== null) {
      const v = trial.add(s);
      if (v.kind === 'pending') return null;
      this.#trial = null;
      this.#settling = false; // the trial watched the window after its move
      const cut = trial.to < trial.from;
      if (v.kind === 'failed') {
        this.#paused();
        // Back where it was: so is the hold time. A growth that bought no throughput at all
        // is followed by a cut, a cut that did not pay by a growth.
        this.#short.reset(v.baseHoldMs);
        this.#long.reset(v.baseHoldMs);
        this.#cutNext = !cut && v.flat;
        if (!cut) this.#knee = v.from;
        const to = Math.min(this.#hi, Math.max(this.#lo, v.from));
        return this.#move(to, cut ? 'grow' : 'backoff');
      }
      if (v.kind === 'kept') {
        this.#short.reset(v.holdMs);
        this.#long.reset(v.holdMs);
        if (v.flat || cut) this.#pause = FIRST_PAUSE;
        // A growth past the knee paid: what is known of it no longer holds.
        if (!cut && trial.from >= this.#knee) this.#knee = Number.POSITIVE_INFINITY;
        if (cut) this.#pausedUntil = this.#window + this.#pause;
        this.#cutNext = cut;
      }
    } else if (this.#settling) {
      // The window after a move mixes leases lent before it: watched, not learned from.
      this.#settling = false;
      return null;
    } else if (s.released > 0) {
      this.#short.add(s.holdMs);
      this.#long.add(s.holdMs);
    }
    const hold = this.#short.value;
    if (!Number.isNaN(hold) && hold > this.#long.value * WELL_ABOVE) {
      // The database slows down at this limit: fewer leases, and the new hold time as baseline.
      this.#long.reset(hold);
      this.#paused();
      const to = Math.max(this.#lo, Math.floor(this.#limit * BACKOFF));
      if (to < this.#limit) return this.#move(to, 'backoff');
    }
    // Little's law: the leases the arrivals need, at the hold time seen lately.
    const need = Number.isNaN(hold) ? 0 : s.arrivalRate * hold;
    const grown = this.#grow(s, need, hold);
    if (grown !== null) return grown;
    return this.#shrink(need);
  }

  #grow(s: Sample, need: number, hold: number): ResizeInfo | null {
    const limit = this.#limit;
    if (!s.waited || this.#window < this.#pausedUntil || Number.isNaN(hold)) return null;
    if (hold > this.#long.value * NEAR) return null;
    const target = Math.ceil(need * this.#headroom);
    // Callers queue while arrivals only keep pace with the leases in use: a closed loop,
    // whose arrivals show what the limit lets through, not what the callers want (an open
    // load's backlog draining has fewer arrivals; a growing one more, and a target above).
    const pressure = s.queued >= 1 && Math.abs(need - s.busy) <= 0.15 * s.busy;
    if (pressure && this.#cutNext) {
      // Past the knee, growth did not pay: would fewer leases get as much done?
      const to = Math.max(this.#lo, Math.floor(limit / SLOW_STEP));
      if (to >= limit) return null;
      this.#trial = new Trial(limit, to, hold, Math.max(s.busy, 1e-9));
      return this.#move(to, 'backoff');
    }
    if (limit >= this.#hi) return null;
    let to = pressure ? Math.ceil(limit * (this.#fast ? FAST_STEP : SLOW_STEP)) : target;
    // Below a knee found before (the load came back), straight back up to it.
    if (pressure && limit < this.#knee && this.#knee !== Number.POSITIVE_INFINITY) to = Math.max(to, this.#knee);
    to = Math.min(to, this.#hi, limit * FAST_STEP);
    if (to <= limit) return null;
    this.#trial = new Trial(limit, to, hold, Math.max(s.busy, 1e-9));
    this.#below = 0;
    return this.#move(to, 'grow');
  }

  #shrink(need: number): ResizeInfo | null {
    const limit = this.#limit;
    const want = Math.max(this.#lo, Math.ceil(need * this.#headroom));
    // Clearly below (hysteresis), or all the way down to the floor.
    if (limit <= this.#lo || (want > Math.floor(limit * BELOW) && want > this.#lo)) {
      this.#below = 0;
      this.#peakNeed = 0;
      return null;
    }
    this.#peakNeed = Math.max(this.#peakNeed, need);
    if (++this.#below < this.#shrinkWindows) return null;
    const floor = Math.max(this.#lo, Math.ceil(this.#peakNeed * this.#headroom));
    const to = Math.max(floor, limit - Math.ceil((limit - floor) / 2));
    // The next step after half the stretch again, judged on what it needs from now on.
    this.#below = this.#shrinkWindows - Math.max(1, Math.floor(this.#shrinkWindows / 2));
    this.#peakNeed = need;
    // Fewer leases in use: the hold time baseline is learned again, and when load comes
    // back, growth starts afresh (what is known of the knee stays).
    this.#long.reset(this.#short.value);
    this.#pause = FIRST_PAUSE;
    this.#pausedUntil = 0;
    this.#cutNext = false;
    return this.#move(to, 'shrink');
  }

  #paused(): void {
    this.#pausedUntil = this.#window + this.#pause;
    this.#pause = Math.min(this.#pause * 2, MAX_PAUSE);
    this.#fast = false;
  }

  #move(to: number, reason: ResizeReason): ResizeInfo | null {
    const from = this.#limit;
    if (to === from) return null;
    this.#limit = to;
    this.#settling = true;
    return { from, to, reason };
  }
}
