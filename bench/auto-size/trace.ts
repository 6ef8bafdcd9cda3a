/**
 * The traced runs of bench/auto-size: one child each, the limit and throughput sampled
 * every SAMPLE_MS. The ramp (idle → spike → overload → idle) is the chart in docs/; the
 * steps (light → heavy → light) measure how the limit settles after a step up and a step
 * down, and how much it moves while the load holds.
 */
import type pg from 'pg';
import type { Column, Section } from '../lib.js';
import { type Band, traceSvg } from './chart.js';
import { type Contender, CPU_SERIES, RAMP, ROWS, SAMPLE_MS, STEPS } from './config.js';
import { runChild, serverConnections } from './parent.js';
import { movesText, settling, variation } from './settling.js';
import type { ChildReport, Phase } from './spec.js';

/** One traced run: the child's report, and the mean server connections per phase. */
export interface Traced {
  label: string;
  phases: Phase[];
  report: ChildReport;
  server: number[];
}

export async function traceRun(
  client: pg.Client,
  o: { entry: string; table: string; contender: Contender; label: string; phases: Phase[] },
): Promise<Traced> {
  const { report, server } = await runChild(client, {
    entry: o.entry,
    appName: `lido_as_${process.pid}_trace_${o.label}`,
    table: o.table,
    rows: ROWS,
    cpuSeries: CPU_SERIES,
    max: o.contender.max,
    autoSize: o.contender.autoSize,
    sampleMs: SAMPLE_MS,
    phases: o.phases,
  });
  return {
    label: o.label,
    phases: o.phases,
    report,
    server: report.phases.map((p) => serverConnections(server, p.from, p.to)[0]),
  };
}

/** The chart of a traced run. */
export function tracedSvg(t: Traced, title: string, max: number): string {
  const bands: Band[] = t.report.phases.map((p) => ({ label: p.name, from: p.from, to: p.to }));
  return traceSvg(title, t.report.trace, bands, max);
}

const COLUMNS: Column[] = [
  { label: 'throughput', unit: 'tx/s', compare: false },
  { label: 'p99 latency', unit: 'ms p99', compare: false },
  { label: 'server connections, mean', unit: 'conns', compare: false },
  { label: 'limit at the end', unit: 'conns', compare: false },
  { label: 'time to within ±20 % of it, for good', unit: 's', compare: false },
  { label: 'limit range, second half', unit: '%', compare: false },
];

/** The final value of a phase is the median of its last quarter. */
const FINAL_SHARE = 0.25;

/** Figures of every phase of the traced runs (settling measured from each phase's start). */
export function traceSection(runs: readonly Traced[], who: string, notes: string[]): Section {
  const rows = runs.flatMap((t) =>
    t.report.phases.map((p, i) => {
      const len = p.to - p.from;
      const s = settling(t.report.trace, p.from, p.to, len * FINAL_SHARE);
      const v = variation(t.report.trace, p.from + len / 2, p.to);
      return {
        subject: `${t.label} ${i + 1}: ${p.name}`,
        peer: false,
        headline: false,
        values: [p.throughput, p.p99, t.server[i], s.final, s.settleMs === null ? NaN : s.settleMs / 1000, v * 100],
      };
    }),
  );
  return {
    id: 'auto-size-trace',
    title: `8c. ${who}: limit over a ramp and after steps in load (PostgreSQL)`,
    rowLabel: 'phase',
    columns: COLUMNS,
    rows,
    notes: [
      `One child process per run, one pool (${who}), the phases back to back; the limit (stats().limit) and throughput are sampled every ${SAMPLE_MS} ms. Hot-row and CPU-bound calls as in 8a and 8b (CPU-bound: generate_series(1, ${CPU_SERIES.toLocaleString('en')})).`,
      `"Limit at the end": the median of the phase's last ${FINAL_SHARE * 100} %. "Time to within ±20 %": from the phase's start (the step in load) until the limit is within ±20 % of that value and stays there to the end of the phase. "Limit range": the largest deviation of the limit from its median over the phase's second half.`,
      ...runs.map(
        (t) =>
          `${t.label}: ${t.phases.map((p) => `${p.name} for ${+p.seconds.toFixed(2)} s`).join(', then ')}; failed calls ${t.report.phases.reduce((a, p) => a + p.errors, 0)}, server refusals ${t.report.serverRefusals}; moves of the limit (resize events by reason) per phase: ${t.report.phases.map((p, i) => `${i + 1}: ${movesText(t.report.resizes, p.from, p.to)}`).join('; ')}.`,
      ),
      ...notes,
    ],
  };
}

export { RAMP, STEPS };
