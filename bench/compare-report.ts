/**
 * What bench/compare.ts prints: per figure, the median of each side's runs, the ratio
 * after/before of every pair, and the median of those ratios; plus the machine.
 */
import type { CompareScenario } from './compare-options.js';
import { keyValueMarkdown } from './report.js';
import { median } from './lib.js';

/** One figure of a scenario. Every figure is a cost: lower is better. */
export interface Metric {
  label: string;
  unit: string;
}

/** The figures each scenario yields, in the order {@link toCosts} returns them. */
export const METRICS: Record<CompareScenario, Metric[]> = {
  uncontended: [{ label: 'uncontended cycle', unit: 'ns' }],
  contended: [
    { label: 'contended cycle, 100 borrowers', unit: 'ns' },
    { label: 'contended cycle, 1,000 borrowers', unit: 'ns' },
  ],
  storm: [
    { label: 'timeout storm, first deadline → all rejected', unit: 'ms' },
    { label: 'timeout storm, last deadline → all rejected', unit: 'ms' },
    { label: 'timeout storm, enqueue', unit: 'ns/waiter' },
  ],
  cancel: [{ label: 'cancellation, first cancel → all rejected', unit: 'ms' }],
  pg: [
    { label: 'PgPool, time per query (1 / throughput)', unit: 'µs' },
    { label: 'PgPool, p99 latency', unit: 'ms' },
    { label: 'PgPool, median latency', unit: 'ms' },
  ],
  http: [
    { label: 'HttpPool, time per request (1 / throughput)', unit: 'µs' },
    { label: 'HttpPool, p99 latency', unit: 'ms' },
    { label: 'HttpPool, median latency', unit: 'ms' },
  ],
};

/**
 * A side's figures for one run of `scenario`, as costs in the order of {@link METRICS}.
 * The cycle scenarios' figures are costs already; an adapter's [ops per second, p99 ms,
 * median ms] becomes [µs per operation, p99 ms, median ms], so that above 1 a ratio
 * after/before always means the after side is slower.
 */
export function toCosts(scenario: CompareScenario, figures: readonly (number | null)[]): number[] {
  const want = METRICS[scenario].length;
  if (figures.length !== want || figures.some((f) => typeof f !== 'number' || !Number.isFinite(f))) {
    throw new Error(`${scenario}: expected ${want} finite figures, got ${JSON.stringify(figures)}`);
  }
  const values = figures as number[];
  if (scenario === 'pg' || scenario === 'http') return [1e6 / values[0], values[1], values[2]];
  return [...values];
}

/** Each pair's ratio after/before (NaN where a figure is not positive). */
export function pairRatios(before: readonly number[], after: readonly number[]): number[] {
  if (before.length !== after.length) {
    throw new Error(`pairRatios: expected as many figures after as before, got ${after.length} and ${before.length}`);
  }
  return before.map((b, i) => (b > 0 && after[i] > 0 ? after[i] / b : NaN));
}

export interface MetricSummary extends Metric {
  /** Median of the before side's runs. */
  before: number;
  /** Median of the after side's runs. */
  after: number;
  /** Median of the pairs' ratios after/before (NaN when no pair has one). */
  ratio: number;
  /** Each pair's ratio, in the order the pairs ran. */
  ratios: number[];
}

/** One figure summed up from each pair's before and after. */
export function summarize(metric: Metric, before: readonly number[], after: readonly number[]): MetricSummary {
  const ratios = pairRatios(before, after);
  const valid = ratios.filter((r) => !Number.isNaN(r));
  return {
    ...metric,
    before: median(before),
    after: median(after),
    ratio: valid.length ? median(valid) : NaN,
    ratios,
  };
}

/** A figure with about three significant digits. */
export function formatFigure(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const formatRatio = (r: number): string => (Number.isNaN(r) ? 'n/a' : r.toFixed(2));

export interface CompareReport {
  /** Machine and run description, label → value (see report.ts's machineRows). */
  about: [string, string][];
  summaries: MetricSummary[];
  /** Scenarios not measured or not finished, with why. */
  missing: [CompareScenario, string][];
}

/** The Markdown that bench/compare.ts prints on stdout. */
export function compareMarkdown(report: CompareReport): string {
  const out = [
    '# lido: after against before',
    '',
    keyValueMarkdown(report.about),
    'Every figure is a cost (lower is better): "before" and "after" are the medians of each',
    "side's runs; after/before is the median of the pairs' ratios (above 1: the after side is",
    'slower), followed by the ratio of each pair in the order they ran.',
    '',
    '| figure | before | after | after/before | pairs |',
    '|---|---:|---:|---:|---|',
  ];
  for (const s of report.summaries) {
    out.push(
      `| ${s.label} (${s.unit}) | ${formatFigure(s.before)} | ${formatFigure(s.after)} | ${formatRatio(s.ratio)} | ${s.ratios.map(formatRatio).join(', ')} |`,
    );
  }
  out.push('');
  for (const [scenario, why] of report.missing) out.push(`- ${scenario}: ${why}`);
  if (report.missing.length) out.push('');
  return out.join('\n');
}
