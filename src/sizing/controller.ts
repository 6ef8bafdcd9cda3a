import type { ResolvedAutoSize } from './options.js';
import type { Sample } from './signals.js';
import { HoldNoise } from './noise.js';
import { Ewma } from './smoothing.js';
import type { ResizeInfo, ResizeReason } from './resize.js';
import { Trial } from './trial.js';
import {
  SHORT_ALPHA,
  LONG_ALPHA,
  NEAR,
  WELL_ABOVE,
  FASTER,
  SUSTAINED,
  QUIET,
  SURGE,
  BACKOFF,
  FAST_STEP,
  SLOW_STEP,
  CONFIRMED,
  LARGE_STEP,
  BETWEEN,
  SMALL_LIMIT,
  BELOW,
  FIRST_PAUSE,
  MAX_PAUSE,
} from './tuning.js';

/**
 * @internal The `autoSize` controller: given one {@link Sample} per window, where the
 * pool's limit should be. Pure (no clock, no pool), so workloads can drive it directly.
 *
 * - The need is Little's law: arrival rate × hold time, times `headroom`.
 * - It grows only while callers wait and hold times stay near their baseline: to the need,
 *   or (a closed loop) doubling, by trials ({@link Trial}) judged against the hold time's
 *   noise; a failed one is undone and its start is the knee, a sticky setpoint: probes from
 *   it (+20 %) must clearly pay, and no trial runs for a hold-off that doubles each time,
 *   until the load steps up (waiters after quiet, or twice the leases wanted).
 * - It backs off multiplicatively when the hold time stays well above its baseline for two
 *   windows (the database is slowing down), then takes the new hold time as baseline.
 * - It shrinks after each window's own need stayed clearly below the limit for
 *   `shrinkAfterMs`, by half the gap at a time, never below what the busiest window needed.
 */
export class SizingController {
  #limit: number;
  #lo: number;
  #hi: number;
  readonly #headroom: number;
  readonly #shrinkWindows: number;
  readonly #short = new Ewma(SHORT_ALPHA);
  readonly #long = new Ewma(LONG_ALPHA);
  /** How far a window's hold time strays from the baseline (a share), smoothed like it. */
  readonly #noise = new HoldNoise();
  /** Leases wanted (in use + waiting), smoothed like the baseline. */
  readonly #demand = new Ewma(LONG_ALPHA);
  #trial: Trial | null = null;
  #window = 0;
  #pausedUntil = 0;
  #pause = FIRST_PAUSE;
  #fast = true;
  /** The last growth raised hold times (though it paid well): the next one must clearly pay. */
  #strict = false;
  /** The highest limit known to pay: a growth from it did not (Infinity until one fails). */
  #knee = Number.POSITIVE_INFINITY;
  /** Growths from the knee that failed in a row. */
  #kneeFails = 0;
  /** The knee is a point between a failed growth's ends: a growth from it that fails goes back. */
  #kneeBetween = false;
  /** The next trial while callers queue: a cut, after a growth from here did not pay (or a cut did). */
  #cutNext = false;
  #below = 0;
  #peakNeed = 0;
  /** The limit just moved without a trial: the next window is skipped. */
  #settling = false;
  /** Windows in a row with the hold time well above its baseline, and well below it. */
  #high = 0;
  #low = 0;
  /** Windows in a row in which no caller waited. */
  #quiet = 0;

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
    const wanted = s.busy + s.queued;
    if (!s.waited) this.#quiet++;
    else if (this.#quiet >= QUIET || wanted > SURGE * this.#demand.value + 1) this.#stepUp();
    if (s.waited) this.#quiet = 0;
    this.#demand.add(wanted);
    if (s.released > 0) this.#noise.add(s.holdMs);
    const trial = this.#trial;
    if (trial !== null) {
      const v = trial.add(s);
      if (v.kind === 'pending') return null;
      this.#trial = null;
      this.#settling = false; // the trial watched the window after its move
      const cut = trial.to < trial.from;
      if (v.kind === 'failed') {
        this.#paused();
        // A large growth that bought throughput, only less than its line: the knee lies
        // between, and the limit goes there (its hold time too, by the same share); once:
        // from a point between, a growth that fails goes back, so noise cannot ratchet it up.
        const large = trial.to >= trial.from * LARGE_STEP && trial.to - trial.from >= 2;
        const between = !cut && v.gained && large && !this.#kneeBetween;
        if (!cut) this.#kneeBetween = between || (this.#kneeBetween && v.from === this.#knee);
        const back = between ? Math.round(trial.from + (trial.to - trial.from) * BETWEEN) : v.from;
        const hold = between ? v.baseHoldMs + (v.holdMs - v.baseHoldMs) * BETWEEN : v.baseHoldMs;
        this.#short.reset(hold);
        this.#long.reset(hold);
        // A growth that bought no throughput at all is followed by a cut, a cut that did
        // not pay by a growth.
        this.#cutNext = !cut && v.flat;
        if (!cut) {
          this.#kneeFails = back === this.#knee ? this.#kneeFails + 1 : 1;
          this.#knee = back;
        }
        const to = Math.min(this.#hi, Math.max(this.#lo, back));
        return this.#move(to, cut ? 'grow' : 'backoff');
      }
      if (v.kind === 'kept') {
        this.#short.reset(v.holdMs);
        this.#long.reset(v.holdMs);
        // A growth past the knee paid: what is known of it no longer holds.
        if (!cut && trial.from >= this.#knee) this.#knee = Number.POSITIVE_INFINITY;
        // A growth that raised hold times but paid well (not a probe) grows again, and that
        // growth must clearly pay; near the knee (a cut, any other growth that raised hold
        // times) it stays a while. After a kept cut, the next trial is a growth again.
        if (!cut && !v.flat && !trial.probe && v.wellPaid) this.#strict = true;
        else if (cut || !v.flat) this.#paused();
        this.#cutNext = false;
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
    this.#high = !Number.isNaN(hold) && hold > this.#long.value * WELL_ABOVE ? this.#high + 1 : 0;
    this.#low = !Number.isNaN(hold) && hold * FASTER < this.#long.value ? this.#low + 1 : 0;
    if (this.#low >= SUSTAINED) {
      // The database got much faster: a new baseline, and growth starts afresh.
      this.#low = 0;
      this.#long.reset(hold);
      this.#stepUp();
    }
    if (this.#high >= SUSTAINED) {
      // The database slows down at this limit: fewer leases, and the new hold time as baseline.
      this.#high = 0;
      this.#long.reset(hold);
      // A pause that does not grow: a back-off answers the database, not a failed trial.
      this.#pausedUntil = this.#window + FIRST_PAUSE;
      const to = Math.max(this.#lo, Math.floor(this.#limit * BACKOFF));
      if (to < this.#limit) return this.#move(to, 'backoff');
    }
    // Little's law: the leases the arrivals need, at the hold time seen lately.
    const need = Number.isNaN(hold) ? 0 : s.arrivalRate * hold;
    const grown = this.#grow(s, need, hold);
    if (grown !== null) return grown;
    // Shrinking judges the window's own need (its arrivals at its own hold time): the
    // smoothed hold time, against a window's arrivals, would add the noise of both.
    return this.#shrink(Number.isNaN(s.holdMs) ? need : s.arrivalRate * s.holdMs);
  }

  #grow(s: Sample, need: number, hold: number): ResizeInfo | null {
    const limit = this.#limit;
    if (!s.waited || this.#window < this.#pausedUntil || Number.isNaN(hold)) return null;
    // A knee so small that one connection is more than a fifth of it, confirmed: no more
    // probes (each would move the limit by more than ±20 %) until the load steps.
    if (!this.#fast && this.#kneeFails >= CONFIRMED && limit === this.#knee && limit * (SLOW_STEP - 1) < 1) return null;
    if (hold > this.#long.value * NEAR) return null;
    const target = Math.ceil(need * this.#headroom);
    // Callers queue while arrivals only keep pace with the leases in use: a closed loop,
    // whose arrivals show what the limit lets through, not what the callers want (an open
    // load's backlog draining has fewer arrivals; a growing one more, and a target above).
    // (Judged on the window's own hold time: the smoothed one lags and carries noise.)
    const own = Number.isNaN(s.holdMs) ? need : s.arrivalRate * s.holdMs;
    const pressure = s.queued >= 1 && Math.abs(own - s.busy) <= 0.15 * s.busy;
    if (pressure && this.#cutNext) {
      // Past the knee, growth did not pay: would fewer leases get as much done?
      const to = Math.max(this.#lo, Math.round(limit / SLOW_STEP));
      this.#cutNext = false; // at the floor there is no cut to try, and growth may be
      if (to < limit) return this.#try(s, to, hold, false, 'backoff');
    }
    if (limit >= this.#hi) return null;
    // A slow step stays within the steady band (a step of 1 at the least); below SMALL_LIMIT
    // it would be too small to judge through noisy hold times, and growth doubles still.
    const fast = this.#fast || limit < SMALL_LIMIT;
    const step = fast ? Math.ceil(limit * FAST_STEP) : Math.max(limit + 1, Math.floor(limit * SLOW_STEP));
    let to = pressure ? step : target;
    // Below a knee found before (the load came back), straight back up to it, not past it:
    // past it only a probe may go.
    if (pressure && limit < this.#knee && this.#knee !== Number.POSITIVE_INFINITY) to = this.#knee;
    to = Math.min(to, this.#hi, limit * FAST_STEP);
    if (to <= limit) return null;
    this.#below = 0;
    // A small step from a setpoint, or a growth right after one that raised hold times, must
    // clearly pay.
    const probe = this.#strict || (!this.#fast && to < limit * LARGE_STEP);
    return this.#try(s, to, hold, probe, 'grow');
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

  /** Moves the limit to `to` on trial (a `probe` from the knee must clearly pay). */
  #try(s: Sample, to: number, hold: number, probe: boolean, reason: ResizeReason): ResizeInfo | null {
    const base = this.#base(hold);
    this.#strict = false;
    this.#trial = new Trial(this.#limit, to, base, Math.max(s.busy, 1e-9), this.#noise.sd, probe, this.#noise.seen);
    return this.#move(to, reason);
  }

  /** The hold time a trial compares against: the baseline (steadier) when it is near the short-term one. */
  #base(hold: number): number {
    const long = this.#long.value;
    return Number.isNaN(long) || Math.abs(long / hold - 1) > 0.2 ? hold : long;
  }

  /** Callers wait again after quiet windows: a new load, so growth starts afresh, at once. */
  #stepUp(): void {
    this.#kneeFails = 0;
    this.#kneeBetween = false;
    this.#pause = FIRST_PAUSE;
    this.#pausedUntil = 0;
    this.#fast = true;
    this.#cutNext = false;
  }

  /** No trial for a while (longer each time); growth from here on by small steps. */
  #paused(): void {
    this.#pausedUntil = this.#window + this.#pause;
    this.#pause = Math.min(this.#pause * 2, MAX_PAUSE);
    this.#fast = false;
  }

  #move(to: number, reason: ResizeReason): ResizeInfo | null {
    const from = this.#limit;
    if (to === from) return null;
    // Fewer leases may leave callers waiting: that is no new load.
    if (to < from) this.#quiet = 0;
    this.#noise.moved();
    this.#limit = to;
    this.#settling = true;
    return { from, to, reason };
  }
}
