/**
 * The sweep of bench/auto-size: every contender (fixed `max` 8, 16, 32, 64, and
 * `autoSize` under `max` 64) on each workload with CALLERS callers, each run in a child
 * process of its own, RUNS runs interleaved (the order rotated from run to run); each
 * figure is the median of the runs.
 */
import { median, VERBOSE, type Column, type Section } from '../lib.js';
import { CALLERS, CPU_SERIES, type Contender, MEASURE_SECONDS, ROWS, RUNS, SAMPLE_MS, WARM_SECONDS } from './config.js';
import { type RunResult, runChild, serverConnections, serverPeak } from './parent.js';
import { movesText, variation } from './settling.js';
import type { Workload } from './spec.js';
import type pg from 'pg';

/** Per run: throughput, p50, p99, mean and max server connections, mean limit. */
export type Figures = [number, number, number, number, number, number];

/** What the sweep keeps of one run besides its figures. */
interface Extra {
  errors: number;
  refusals: number;
  /** Most client connections on the whole server during the window. */
  peakAll: number;
  /** The limit's largest deviation from its median in the window (fraction). */
  variation: number;
  /** autoSize's moves during the warm-up and during the measured window, by reason. */
  moves: [string, string];
}

export const COLUMNS: Column[] = [
  { label: 'throughput', unit: 'tx/s', higherIsBetter: true, compare: false },
  { label: 'p50 latency', unit: 'ms', compare: false },
  { label: 'p99 latency', unit: 'ms p99', compare: false },
  { label: 'server connections, mean', unit: 'conns', compare: false },
  { label: 'server connections, max', unit: 'conns', compare: false },
  { label: 'limit, mean', unit: 'conns', compare: false },
];

export const WORKLOADS: { id: Workload; title: string; what: string }[] = [
  {
    id: 'hot-row',
    title: `8a. autoSize, hot-row workload (PostgreSQL, ${CALLERS} callers)`,
    what: `each call is a transaction: BEGIN; UPDATE one of ${ROWS} rows (at random) of a table of its own; SELECT pg_sleep(0.001); COMMIT, four round trips on one connection`,
  },
  {
    id: 'cpu',
    title: `8b. autoSize, CPU-bound workload (PostgreSQL, ${CALLERS} callers)`,
    what: `each call is one query, SELECT sum(i) FROM generate_series(1, ${CPU_SERIES.toLocaleString('en')}), a few ms of CPU on the server`,
  },
];

/** Figures of one run's measured phase (the last one). */
function figuresOf({ report, server }: RunResult): { figures: Figures; extra: Extra } {
  const m = report.phases[report.phases.length - 1];
  const [mean, max] = serverConnections(server, m.from, m.to);
  return {
    figures: [m.throughput, m.p50, m.p99, mean, max, m.meanLimit],
    extra: {
      errors: m.errors,
      refusals: report.serverRefusals,
      peakAll: serverPeak(server, m.from, m.to),
      variation: variation(report.trace, m.from, m.to),
      moves: [movesText(report.resizes, -Infinity, m.from), movesText(report.resizes, m.from, m.to)],
    },
  };
}

export interface SweepContext {
  client: pg.Client;
  entry: string;
  table: string;
  contenders: Contender[];
}

/** All runs of all contenders on both workloads: per workload, per contender, its runs. */
export async function sweepRuns(ctx: SweepContext) {
  const out = new Map<Workload, Map<string, { figures: Figures; extra: Extra }[]>>(
    WORKLOADS.map((w) => [w.id, new Map(ctx.contenders.map((c) => [c.name, []]))]),
  );
  for (let r = 0; r < RUNS; r++) {
    const workloads = r % 2 ? [...WORKLOADS].reverse() : WORKLOADS;
    for (const w of workloads) {
      for (let i = 0; i < ctx.contenders.length; i++) {
        const c = ctx.contenders[(i + r) % ctx.contenders.length];
        const appName = `lido_as_${process.pid}_${r}_${w.id}_${c.autoSize ? 'auto' : 'fixed'}${c.max}`;
        const result = await runChild(ctx.client, {
          entry: ctx.entry,
          appName,
          table: ctx.table,
          rows: ROWS,
          cpuSeries: CPU_SERIES,
          max: c.max,
          autoSize: c.autoSize,
          sampleMs: SAMPLE_MS,
          phases: [
            { name: 'warm-up', workload: w.id, callers: CALLERS, seconds: WARM_SECONDS },
            { name: 'measured', workload: w.id, callers: CALLERS, seconds: MEASURE_SECONDS },
          ],
        });
        const got = figuresOf(result);
        out.get(w.id)!.get(c.name)!.push(got);
        if (VERBOSE) console.error(`  [run ${r}] ${w.id} ${c.name}: ${JSON.stringify(got)}`);
      }
    }
  }
  return out;
}

/** The median of each figure over the runs. */
export const medians = (runs: { figures: Figures }[]): number[] =>
  runs.length ? runs[0].figures.map((_, k) => median(runs.map((x) => x.figures[k]))) : [];

/** autoSize's figures divided by another row's, column by column. */
export const quotient = (a: readonly number[], b: readonly number[]): (number | null)[] =>
  a.map((v, k) => (b[k] > 0 && Number.isFinite(v) ? v / b[k] : null));

const fmt = (v: number, digits = 0) =>
  v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The section of one workload: a row per contender, then autoSize ÷ fixed 64 and ÷ the best fixed size. */
export function sweepSection(
  workload: (typeof WORKLOADS)[number],
  contenders: readonly Contender[],
  runs: Map<string, { figures: Figures; extra: Extra }[]>,
  notes: string[],
): Section {
  const rows = contenders.map((c) => ({ subject: c.name, peer: !c.autoSize, values: medians(runs.get(c.name)!) }));
  const fixed = rows.filter((r) => r.peer && r.values.length);
  const f64 = rows.find((r) => r.subject === 'fixed 64');
  const best = fixed.reduce<(typeof fixed)[number] | null>((b, r) => (b && b.values[0] >= r.values[0] ? b : r), null);
  const auto = rows.find((r) => !r.peer && r.values.length);
  const quotients: NonNullable<Section['quotients']> = [];
  if (auto && f64) quotients.push({ label: 'autoSize ÷ fixed 64', values: quotient(auto.values, f64.values) });
  if (auto && best)
    quotients.push({ label: `autoSize ÷ best fixed (${best.subject})`, values: quotient(auto.values, best.values) });
  const perRun = contenders
    .map(
      (c) =>
        `${c.name} ${runs
          .get(c.name)!
          .map((x) => fmt(x.figures[0]))
          .join(' / ')}`,
    )
    .join('; ');
  const all = [...runs.values()].flat();
  const errors = all.reduce((a, x) => a + x.extra.errors, 0);
  const refusals = all.reduce((a, x) => a + x.extra.refusals, 0);
  const peak = Math.max(...all.map((x) => x.extra.peakAll).filter(Number.isFinite));
  const autoRuns = contenders.filter((c) => c.autoSize).flatMap((c) => runs.get(c.name)!);
  return {
    id: `auto-size-${workload.id}`,
    title: workload.title,
    rowLabel: 'pool',
    columns: COLUMNS,
    rows: rows.map((r) => ({ subject: r.subject, peer: r.peer, headline: false, values: r.values })),
    quotients,
    notes: [
      `Workload: ${workload.what}. ${CALLERS} closed-loop callers on one PgPool; latency is wait + use (from asking for a connection to giving it back).`,
      `Each run is a child process of its own: ${WARM_SECONDS} s of untimed load, then ${MEASURE_SECONDS} s measured without a pause; ${RUNS} runs per pool, interleaved with the other pools' (the order rotates), each figure the median of the runs. "Server connections" counts the run's connections in pg_stat_activity (by a unique application_name) every ${SAMPLE_MS} ms of the measured window; "limit" is stats().limit sampled as often.`,
      `Quotient rows: autoSize's figure divided by the other pool's, for every column (throughput above ×1: more; latency and connections below ×1: fewer). "Best fixed" is the fixed size with the highest median throughput.`,
      `Throughput of each run (tx/s): ${perRun}.`,
      ...(autoRuns.length
        ? [
            `autoSize's limit in the measured windows strayed from its median by at most ${autoRuns.map((x) => `±${fmt(x.extra.variation * 100)} %`).join(' / ')} (per run); its moves (resize events by reason), warm-up → measured window, per run: ${autoRuns.map((x) => `${x.extra.moves[0]} → ${x.extra.moves[1]}`).join(' / ')}.`,
          ]
        : []),
      `Failed calls: ${errors}; server refusals (53300): ${refusals}; most client connections on the whole server during a measured window (other processes' included): ${Number.isFinite(peak) ? peak : 'n/a'}.`,
      ...notes,
    ],
  };
}
