/** Summary of a latency histogram, in milliseconds. */
export interface HistogramSummary {
  /** Number of values recorded. */
  count: number;
  /** Mean value, ms (0 when empty). */
  mean: number;
  /** Median (50th percentile), ms. */
  p50: number;
  /** 99th percentile, ms. */
  p99: number;
  /** Largest value recorded, ms. */
  max: number;
}

const SUB = 3; // 8 sub-buckets per power of two: under 12.5 % relative error
const BUCKETS = (32 - SUB) * (1 << SUB) + (1 << SUB);

/**
 * A log-linear histogram of durations at microsecond resolution. Recording is a few
 * integer operations and one array increment: cheap enough for every acquire.
 */
export class Histogram {
  #counts = new Uint32Array(BUCKETS);
  count = 0;
  #sum = 0;
  #max = 0;

  /** Sum of the values recorded, ms (negative values counted as 0). */
  get sum(): number {
    return this.#sum;
  }

  /** Records a duration in ms (negative values count as 0). */
  record(ms: number): void {
    // Beyond ~33 minutes no bucket is kept: quantiles that fall there report the max.
    if (ms < 2_000_000) {
      // The bucket of `us`: itself below 2^SUB, else (e - SUB + 1) * 2^SUB plus the SUB bits
      // after the leading one (e = its highest bit), the inverse of #upper. SUB = 3 is spelled
      // out: a bundler turns the module constant into a mutable var, which the optimizer
      // cannot fold.
      const us = ms <= 0 ? 0 : (ms * 1000) | 0;
      if (us < 8) this.#counts[us]++;
      else {
        const e = 31 - Math.clz32(us);
        this.#counts[(e - 2) * 8 + ((us >>> (e - 3)) & 7)]++;
      }
    }
    this.count++;
    this.#sum += ms > 0 ? ms : 0;
    if (ms > this.#max) this.#max = ms;
  }

  /** Records a zero duration (an acquire served at once): the common case, without the arithmetic. */
  recordZero(): void {
    this.#counts[0]++;
    this.count++;
  }

  /** Upper edge of a bucket in microseconds. */
  static #upper(i: number): number {
    if (i < 1 << SUB) return i;
    const e = (i >> SUB) + SUB - 1;
    const sub = i & ((1 << SUB) - 1);
    return ((1 << SUB) | sub) * 2 ** (e - SUB) + 2 ** (e - SUB) - 1;
  }

  /** The value at quantile `q` (0..1), in ms, never above the observed max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen >= rank) return Math.min(Histogram.#upper(i) / 1000, this.#max);
    }
    return this.#max;
  }

  /** Count, mean, p50, p99 and max in ms. */
  summary(): HistogramSummary {
    return {
      count: this.count,
      mean: this.count === 0 ? 0 : this.#sum / this.count,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      max: this.#max,
    };
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.#counts.fill(0);
    this.count = 0;
    this.#sum = 0;
    this.#max = 0;
  }
}
