/**
 * Shared helpers for the benchmark suite: run size, timing, medians, GC and heap
 * measurement, and the result model every scenario returns.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/**
 * The PostgreSQL server the pg benches use: from the PG* variables, else the shared test
 * server (127.0.0.1:5432, user postgres, database test).
 */
export function pgServer(): { host: string; port: number; user: string; password?: string; database: string } {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE ?? 'test',
  };
}

/** `--smoke` (or BENCH_SMOKE=1): every scenario with tiny counts, nothing written. */
export const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';

/** BENCH_VERBOSE=1: every single measurement and how long it took, on stderr. */
export const VERBOSE = process.env.BENCH_VERBOSE === '1';

/** Picks the full-size or the smoke-size value. */
export const size = <T>(full: T, smoke: T): T => (SMOKE ? smoke : full);

/** Measured rounds per scenario (after one warm-up round). */
export const ROUNDS = size(7, 1);

export const now = (): number => performance.now();

/**
 * Cycle costs (scenarios 1, 2, 6) are CPU time of the process (user + system, all
 * threads, so GC helper threads count) unless --wall (BENCH_WALL=1) asks for wall-clock
 * time. On an idle machine the two agree; on a shared one, time slices given to other
 * processes inflate wall-clock samples many times over, CPU time hardly at all.
 */
export const WALL = process.argv.includes('--wall') || process.env.BENCH_WALL === '1';

/** The cost clock in ms: CPU time, or wall-clock time with --wall. */
export function costNow(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * What one `performance.now()` costs on this machine, in ns of {@link costNow}: the median
 * of 3 runs of a million reads through a function, as lido's clock reads it. lido reads
 * the clock twice per cycle (docs/performance.md, "Clock reads"), so how far it is from
 * the peers depends on this figure: the cycle scenarios print it. Measured once per run.
 */
function clockReadNs(): number {
  if (clockNs !== null) return clockNs;
  const read = (): number => performance.now();
  const n = size(1_000_000, 10_000);
  const samples: number[] = [];
  let sink = 0;
  for (let r = 0; r < 3; r++) {
    const t = costNow();
    for (let i = 0; i < n; i++) sink += read();
    samples.push(((costNow() - t) * 1e6) / n);
  }
  // The sum is used, so the loop cannot be optimised away.
  if (sink < 0) throw new Error('clockReadNs: the clock went backwards');
  return (clockNs = median(samples));
}
let clockNs: number | null = null;

/** The note the cycle scenarios print about the clock (see {@link clockReadNs}). */
export function clockNote(): string {
  return `\`performance.now()\` costs ${clockReadNs().toFixed(0)} ns per read on this machine (${WALL ? 'wall-clock' : 'CPU'} time); lido reads it twice per cycle`;
}

/** How cycle costs were measured, for notes. */
export const COST_NOTE = WALL ? 'wall-clock time' : 'CPU time of the process (user + system; --wall for wall-clock)';

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The value at quantile `q` (0..1) of an ascending array (nearest rank, never past the end). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

/**
 * A closed loop: `callers` concurrent callers, each calling `op` again as soon as its last
 * call settled, until `seconds` have passed. Returns every call's latency in ms (in the
 * order the calls ended) and the seconds it all took; with `starts`, each call's start
 * time (performance.now()) is pushed there too, in the same order.
 */
export async function closedLoop(
  op: () => Promise<unknown>,
  callers: number,
  seconds: number,
  starts?: number[],
): Promise<{ lat: number[]; secs: number }> {
  const lat: number[] = [];
  const t0 = performance.now();
  const stop = t0 + seconds * 1000;
  const caller = async (): Promise<void> => {
    while (performance.now() < stop) {
      const t = performance.now();
      await op();
      lat.push(performance.now() - t);
      starts?.push(t);
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return { lat, secs: (performance.now() - t0) / 1000 };
}

/** Full GC, twice (weak callbacks and finalizers can free more on the second pass). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run node with --expose-gc (npm run bench does)');
  g();
  g();
}

/** Heap in use after a full GC, in bytes. */
export function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** Resolves after the current macrotask, so pending timers and I/O get a turn. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** In-place Fisher-Yates shuffle with a seeded generator, so every run removes in the same order. */
export function shuffle<T>(xs: T[], seed = 42): T[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** How long each round of a cycle scenario runs its loop untimed before measuring (see settle). */
export const SETTLE_MS = size(50, 1);

/**
 * Runs `step` untimed until `ms` have passed. rounds() starts every measurement with a full
 * GC, and a full GC also collects the hidden classes that no live object has: V8 then
 * throws away the optimized code that checks them, and the acquire path of a pool with
 * nothing borrowed or queued runs slower for the next tens of milliseconds (lido keeps its
 * classes alive, see Waiter's `#held`; the peers do not). A round measured after settling is the
 * warm cost of a cycle for every library, which is what the cycle rows compare.
 */
export async function settle(step: () => Promise<unknown>, ms = SETTLE_MS): Promise<void> {
  const until = now() + ms;
  do await step();
  while (now() < until);
}

/**
 * Time one subject may spend in one scenario's rounds: another round is run only if it would
 * stay within it (so a subject whose single measurement exceeds it, such as the O(n) cases
 * of some peers, is measured once). A budget rather than a per-measurement cut-off: a
 * subject whose measurement takes about as long as a cut-off would flip between five samples
 * and one from run to run (lido's cancellation rounds did, at 2.2–2.6 s each against 2.5).
 */
export const BUDGET_MS = 12_000;

/** Rounds of a row shown for information only (no peer, not the headline): a floor or a variant. */
export const INFO_ROUNDS = size(3, 1);

/**
 * Runs `measure` for every subject: a warm-up round (unless told otherwise), then
 * `count` rounds (INFO_ROUNDS for rows that are neither a peer nor the headline, unless
 * marked `full`: a floor that a note compares with the peers) with the
 * subject order rotated each round, so no library always runs first or right after a
 * GC-heavy neighbour. A measure returns one or more figures (or null: not applicable); the
 * result is the median of each figure. A subject stops once another round would take it
 * past BUDGET_MS; if that happens in the warm-up round, that measurement is kept (JIT
 * warm-up is noise at that scale). `clock` (ms) is for tests.
 */
export async function rounds<S extends { name: string; peer?: boolean; headline?: boolean; full?: boolean }>(
  subjects: readonly S[],
  measure: (s: S) => Promise<number | number[] | null>,
  { warmup = true, count = ROUNDS, clock = now }: { warmup?: boolean; count?: number; clock?: () => number } = {},
): Promise<Map<string, number[] | null>> {
  const samples = new Map<string, number[][]>(subjects.map((s) => [s.name, []]));
  const spent = new Map<string, number>(subjects.map((s) => [s.name, 0]));
  const done = new Set<string>();
  const skip = warmup && !SMOKE ? 1 : 0;
  for (let r = 0; r < count + skip; r++) {
    for (let i = 0; i < subjects.length; i++) {
      const s = subjects[(i + r) % subjects.length];
      if (done.has(s.name)) continue;
      gc();
      const t = clock();
      const v = await measure(s);
      const ms = clock() - t;
      const total = spent.get(s.name)! + ms;
      spent.set(s.name, total);
      if (VERBOSE) console.error(`  [round ${r}] ${s.name}: ${JSON.stringify(v)} (${(ms / 1000).toFixed(2)} s)`);
      if (v === null) continue;
      const last = total + ms > BUDGET_MS;
      const runs = samples.get(s.name)!;
      if (r >= skip || last) runs.push(typeof v === 'number' ? [v] : v);
      const info = s.peer === false && s.headline === false && s.full !== true;
      if (last || (info && runs.length >= Math.min(count, INFO_ROUNDS))) done.add(s.name);
    }
  }
  const out = new Map<string, number[] | null>();
  for (const [name, runs] of samples) {
    out.set(name, runs.length ? runs[0].map((_, k) => median(runs.map((run) => run[k]))) : null);
  }
  return out;
}

// ---- result model -------------------------------------------------------------

export interface Column {
  label: string;
  unit: 'ns/cycle' | 'ms' | 'bytes' | 'ns/waiter' | 'q/s' | 'req/s' | 'ms p99' | 'tx/s' | 'conns' | 's' | '%';
  /** true when a bigger value is better (throughput); default: smaller is better. */
  higherIsBetter?: boolean;
  /** Drawn in bench/ratios.svg as lido's ratio vs the best peer. */
  chart?: boolean;
  /** false: shown for information only, no lido-vs-peer ratio. */
  compare?: boolean;
}

export interface Row {
  subject: string;
  /** lido rows are compared with the best peer row; extra lido rows (e.g. use()) are informational. */
  peer: boolean;
  headline?: boolean;
  values: (number | null)[];
}

export interface Section {
  id: string;
  title: string;
  columns: Column[];
  rows: Row[];
  notes: string[];
  /**
   * Per column, lido's advantage measured round by round (see {@link pairedRatios}); when
   * set, it is the section's ratio instead of the ratio of the medians.
   */
  paired?: (number | null)[];
  /** Header of the first column (default `library`). */
  rowLabel?: string;
  /**
   * Rows of plain quotients printed after the table (`×0.97`), one figure per column:
   * for sections that compare variants of lido with each other rather than with peers.
   */
  quotients?: { label: string; values: (number | null)[] }[];
}

export interface Ratio {
  ratio: number; // >1: lido better than the best peer
  best: string;
}

/** lido's (headline row) advantage over the best peer in column `c`; null if either is missing. */
export function ratioOf(sec: Section, c: number): Ratio | null {
  const col = sec.columns[c];
  if (col.compare === false) return null;
  const lido = sec.rows.find((r) => r.headline)?.values[c];
  if (lido == null) return null;
  let best: Row | null = null;
  for (const r of sec.rows) {
    const v = r.values[c];
    if (!r.peer || v == null) continue;
    const b = best?.values[c];
    if (b == null || (col.higherIsBetter ? v > b : v < b)) best = r;
  }
  if (!best) return null;
  const paired = sec.paired?.[c];
  if (paired != null) return { ratio: paired, best: best.subject };
  const b = best.values[c]!;
  return { ratio: col.higherIsBetter ? lido / b : b / lido, best: best.subject };
}

/**
 * lido's advantage over one peer, column by column, from the rounds in which the two ran
 * back to back. Consecutive rounds form a pair in which each went first once, and a
 * pair's ratio is the geometric mean of its two rounds' ratios: that cancels what going
 * first or second does to a contender (on a shared machine, ±10–15 %), while a slow spell
 * of the machine, which moves both figures of a round together, cancels within each
 * round. The result is the median of the pairs (of the rounds, if there is only one).
 */
export function pairedRatios(lido: number[][], peer: number[][], columns: Column[]): (number | null)[] {
  const rounds = Math.min(lido.length, peer.length);
  return columns.map((col, k) => {
    const ratio = (r: number) => {
      const l = lido[r][k];
      const p = peer[r][k];
      return l > 0 && p > 0 ? (col.higherIsBetter ? l / p : p / l) : NaN;
    };
    const pairs: number[] = [];
    for (let r = 0; r + 1 < rounds; r += 2) pairs.push(Math.sqrt(ratio(r) * ratio(r + 1)));
    if (pairs.length === 0) for (let r = 0; r < rounds; r++) pairs.push(ratio(r));
    const valid = pairs.filter((x) => !Number.isNaN(x));
    return valid.length ? median(valid) : null;
  });
}

/** One row per subject from per-subject figures (missing figures become null). */
export function rowsOf(
  subjects: readonly { name: string; peer: boolean; headline: boolean }[],
  figures: Map<string, (number | null)[] | null>,
  width: number,
): Row[] {
  return subjects.map((s) => ({
    subject: s.name,
    peer: s.peer,
    headline: s.headline,
    values: Array.from({ length: width }, (_, k) => figures.get(s.name)?.[k] ?? null),
  }));
}

/** Rejects with a clear error when `p` takes longer than `ms`: a hung scenario must not hang CI. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `file` (a bench module) in a child process with this process's Node flags and
 * `args`; returns the JSON array its last stdout line holds. For measurements that
 * need a clean heap, or that leave pools too large to shut down within the budget, and
 * for bench/compare.ts (`env` then says which build of lido the child loads).
 */
export function childFigures(
  file: string,
  args: string[],
  { timeoutMs = 120_000, env = process.env }: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): number[] {
  const out = execFileSync(process.execPath, [...process.execArgv, file, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: timeoutMs,
    env,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as number[];
}

/** True when `moduleUrl` is the script node was started with (child mode). */
export const isMain = (moduleUrl: string): boolean =>
  !!process.argv[1] && pathToFileURL(process.argv[1]).href === moduleUrl;
