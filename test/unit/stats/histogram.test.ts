import { describe, expect, it } from 'vitest';
import { Histogram } from '../../../src/stats/histogram.js';

describe('Histogram', () => {
  it("puts each value in the bucket whose upper edge is at most 12.5 % above it (record's inlined index agrees with the edges)", () => {
    // Log-spaced from 1 µs to ~30 minutes, plus values right at powers of two and just below.
    const values: number[] = [];
    for (let us = 1; us < 1.8e9; us *= 1.37) values.push(Math.round(us) / 1000);
    for (let e = 3; e < 31; e++) values.push(2 ** e / 1000, (2 ** e - 1) / 1000);
    for (const ms of values) {
      const h = new Histogram();
      h.record(ms);
      h.record(1_900_000); // a larger value, so the quantile is the bucket's edge, not the max
      const p50 = h.quantile(0.5);
      const us = Math.floor(ms * 1000) / 1000;
      expect(p50, `${ms} ms`).toBeGreaterThanOrEqual(us);
      expect(p50, `${ms} ms`).toBeLessThanOrEqual(us * 1.125 + 0.001);
    }
  });

  it('counts zero and negative durations in the first bucket', () => {
    const h = new Histogram();
    h.record(-5);
    h.recordZero();
    h.record(0);
    expect(h.summary()).toEqual({ count: 3, mean: 0, p50: 0, p99: 0, max: 0 });
  });
});
