/**
 * @internal An exponentially weighted moving average: each value added moves it `alpha`
 * of the way towards that value (the first value sets it). With one value per window,
 * `alpha = 0.5` remembers about the last two windows and `alpha = 0.1` the last ten.
 */
export class Ewma {
  /** The average; NaN until a value is added. */
  value = Number.NaN;

  constructor(readonly alpha: number) {}

  /** True once a value was added (since the last {@link reset}). */
  get known(): boolean {
    return !Number.isNaN(this.value);
  }

  /** Moves the average towards `x`; returns the new average. */
  add(x: number): number {
    this.value = Number.isNaN(this.value) ? x : this.value + this.alpha * (x - this.value);
    return this.value;
  }

  /** Starts again from `x` (or from nothing). */
  reset(x = Number.NaN): void {
    this.value = x;
  }
}
