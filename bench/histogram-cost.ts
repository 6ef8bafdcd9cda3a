/**
 * What the pool's latency histograms cost on the hot path: the uncontended
 * acquire/release cycle with recording on, and with `Histogram.record` replaced by a
 * no-op, alternating in one process. `npx tsx bench/histogram-cost.ts` (or with
 * BENCH_SMOKE=1 for a tiny run). Prints ns per cycle for both and the difference.
 */
import { Histogram } from '../src/stats/histogram.js';
import { Pool } from '../src/index.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const CYCLES = SMOKE ? 2_000 : 300_000;
const ROUNDS = SMOKE ? 2 : 9;

async function cycle(pool: Pool<{ id: number }>, n: number): Promise<number> {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) (await pool.acquire()).release();
  const d = process.cpuUsage(t);
  return ((d.user + d.system) * 1000) / n;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pool = new Pool({ factory: { create: async () => ({ id: 1 }), destroy: () => {} }, max: 10 });
const record = Histogram.prototype.record;
const noop = function (this: Histogram): void {};
await cycle(pool, CYCLES); // warm-up
const on: number[] = [];
const off: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  Histogram.prototype.record = record;
  on.push(await cycle(pool, CYCLES));
  Histogram.prototype.record = noop;
  off.push(await cycle(pool, CYCLES));
}
Histogram.prototype.record = record;
await pool.close();
const a = median(on);
const b = median(off);
console.log(
  `uncontended cycle, histograms on:  ${a.toFixed(1)} ns (median of ${ROUNDS} rounds of ${CYCLES.toLocaleString('en')})`,
);
console.log(`uncontended cycle, histograms off: ${b.toFixed(1)} ns`);
console.log(`histogram recording: ${(a - b).toFixed(1)} ns per cycle (${(((a - b) / a) * 100).toFixed(1)} %)`);
