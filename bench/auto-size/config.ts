/**
 * Sizes of bench/auto-size: full by default, tiny with `--smoke`; each can be set from
 * the environment (`AUTOSIZE_WARM_SECONDS=2 AUTOSIZE_RUNS=5 npm run bench -- --only=auto-size`).
 */
import { size } from '../lib.js';
import type { Phase } from './spec.js';

function num(name: string, full: number, smoke: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return size(full, smoke);
  const v = Number(raw);
  if (!(v > 0)) throw new Error(`${name}: expected a positive number, got ${JSON.stringify(raw)}`);
  return v;
}

/** Concurrent callers of the sweep (the 64). */
export const CALLERS = 64;
/**
 * Untimed load before each measured window, in the same child, without a gap: as long as
 * issue 23's bound on settling after a step up (10 s), so the window compares steady
 * states; 8c measures the settling itself.
 */
export const WARM_SECONDS = num('AUTOSIZE_WARM_SECONDS', 10, 0.2);
/** Length of each measured window. */
export const MEASURE_SECONDS = num('AUTOSIZE_MEASURE_SECONDS', 10, 0.4);
/** Runs of each contender on each workload, interleaved. */
export const RUNS = Math.round(num('AUTOSIZE_RUNS', 3, 1));
/** Multiplies the length of every phase of the ramp and the steps. */
export const TRACE_SCALE = num('AUTOSIZE_TRACE_SCALE', 1, 0.02);
/** How often the pool and the server are sampled. */
export const SAMPLE_MS = num('AUTOSIZE_SAMPLE_MS', 250, 50);
/** The CPU-bound query sums generate_series(1, CPU_SERIES): a few ms of CPU on the server. */
export const CPU_SERIES = Math.round(num('AUTOSIZE_CPU_SERIES', 15_000, 15_000));
/** Rows of the hot-row table: every transaction updates one of them. */
export const ROWS = 10;

/** A pool the sweep compares. */
export interface Contender {
  name: string;
  max: number;
  autoSize: boolean;
}

export const FIXED: Contender[] = [8, 16, 32, 64].map((max) => ({ name: `fixed ${max}`, max, autoSize: false }));
export const AUTO: Contender = { name: 'autoSize (max 64)', max: 64, autoSize: true };

const phase = (name: string, workload: Phase['workload'], callers: number, seconds: number): Phase => ({
  name,
  workload,
  callers,
  seconds: seconds * TRACE_SCALE,
});

/** The ramp of the chart: idle → spike → overload → idle. */
export const RAMP: Phase[] = [
  phase('idle', 'hot-row', 0, 5),
  phase('spike: 64 callers, hot-row', 'hot-row', 64, 20),
  phase('overload: 128 callers, CPU-bound', 'cpu', 128, 20),
  phase('idle', 'hot-row', 0, 60),
];

/** Steps for settling: light → heavy → light, on the hot-row workload. */
export const STEPS: Phase[] = [
  phase('8 callers', 'hot-row', 8, 20),
  phase('64 callers', 'hot-row', 64, 30),
  phase('8 callers', 'hot-row', 8, 75),
];
