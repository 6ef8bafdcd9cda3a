import { Ewma } from './smoothing.js';

/**
 * The hold time's spread assumed before it was seen, the least assumed, and the mean change
 * from one window to the next → a window's standard deviation (1 / (2 / √π)).
 */
const FIRST_NOISE = 0.3;
const MIN_NOISE = 0.02;
const SPREAD_TO_SD = 0.89;
/** The spread learns faster than the baseline: about the last five windows. */
const SPREAD_ALPHA = 0.2;

/**
 * @internal How noisy a window's mean hold time is: learned from the change from one window
 * to the next at the same limit (so whatever the level), as a share of it. Noisy until
 * shown otherwise, so that early trial verdicts wait for more windows.
 */
export class HoldNoise {
  readonly #spread = new Ewma(SPREAD_ALPHA);
  #last = Number.NaN;
  /** Windows with a hold time seen at the current limit. */
  seen = 0;

  constructor() {
    this.#spread.reset(FIRST_NOISE / SPREAD_TO_SD);
  }

  /** A window's mean hold time at the current limit. */
  add(holdMs: number): void {
    this.seen++;
    if (!Number.isNaN(this.#last)) this.#spread.add(Math.abs(holdMs / this.#last - 1));
    this.#last = holdMs;
  }

  /** The limit moved: the next window starts a new run. */
  moved(): void {
    this.#last = Number.NaN;
    this.seen = 0;
  }

  /** A window's spread, as a standard deviation (a share of the hold time). */
  get sd(): number {
    return Math.max(MIN_NOISE, SPREAD_TO_SD * this.#spread.value);
  }
}
