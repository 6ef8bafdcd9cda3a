/**
 * What the parent of bench/auto-size tells a child to run, and what the child reports
 * back: shared by both sides (parent.ts, child.ts).
 */

/** The two database workloads. */
export type Workload = 'hot-row' | 'cpu';

/** One stretch of constant load: `callers` closed-loop callers of `workload` for `seconds`. */
export interface Phase {
  name: string;
  workload: Workload;
  /** 0: idle (no calls at all). */
  callers: number;
  seconds: number;
}

/** One child's job: a pool, and the phases it runs back to back without a gap. */
export interface ChildSpec {
  /** URL of lido's built `pg` entry (bench/build.ts). */
  entry: string;
  /** The pool's `application_name`: the parent counts the server's connections by it. */
  appName: string;
  /** The hot-row workload's table (made by the parent). */
  table: string;
  /** Rows of that table (ids 1..rows). */
  rows: number;
  /** The CPU-bound workload sums generate_series(1, cpuSeries). */
  cpuSeries: number;
  /** `max`, and `autoSize: true` or not. */
  max: number;
  autoSize: boolean;
  phases: Phase[];
  /** How often the child samples the pool (stats().limit and friends) and counts throughput. */
  sampleMs: number;
}

/** Figures of one phase, from the calls that ended within it. */
export interface PhaseFigures {
  name: string;
  /** Phase boundaries in ms since the child's `start` line. */
  from: number;
  to: number;
  calls: number;
  errors: number;
  /** Calls per second that ended within the phase. */
  throughput: number;
  /** Latency (wait + use) in ms; NaN without calls. */
  p50: number;
  p99: number;
  /** stats().limit over the phase's samples: mean, min, max. */
  meanLimit: number;
  minLimit: number;
  maxLimit: number;
}

/** One sample of the pool, every `sampleMs`. */
export interface TracePoint {
  /** ms since the child's `start` line. */
  t: number;
  limit: number;
  /** Connections the pool holds open (idle + borrowed + checking). */
  live: number;
  borrowed: number;
  pending: number;
  /** Calls per second that ended since the previous sample. */
  throughput: number;
}

/** The child's last stdout line (JSON). */
export interface ChildReport {
  phases: PhaseFigures[];
  trace: TracePoint[];
  /** stats().serverRefusals at the end (53300 too_many_connections). */
  serverRefusals: number;
  /** Every `resize` event of the pool (autoSize's moves), in order. */
  resizes: ResizeRecord[];
}

/** One `resize` event: when (ms since the child's `start` line), from, to, and why. */
export interface ResizeRecord {
  t: number;
  from: number;
  to: number;
  reason: string;
}

/** A connection sample taken by the parent from pg_stat_activity. */
export interface ServerSample {
  /** ms since the child's `start` line (as the parent saw it). */
  t: number;
  /** Connections with the run's application_name. */
  mine: number;
  /** Every client connection on the server (other processes included). */
  all: number;
}
