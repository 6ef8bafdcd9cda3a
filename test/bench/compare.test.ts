import { describe, expect, it } from 'vitest';
import { COMPARE_SCENARIOS, DEFAULT_SCENARIOS, parseCompareArgs } from '../../bench/compare-options.js';
import { compareMarkdown, formatFigure, METRICS, pairRatios, summarize, toCosts } from '../../bench/compare-report.js';

/** bench/compare.ts: its command line, and the arithmetic of what it prints. */
describe('bench compare: parseCompareArgs()', () => {
  it('defaults to main against the working tree, 5 pairs, 3 adapter windows, the cycles, storm and adapters', () => {
    const o = parseCompareArgs([]);
    expect(o).toEqual({
      base: 'main',
      after: null,
      pairs: 5,
      windows: 3,
      scenarios: ['uncontended', 'contended', 'storm', 'pg', 'http'],
      smoke: false,
      help: false,
    });
    expect(DEFAULT_SCENARIOS.every((s) => COMPARE_SCENARIOS.includes(s))).toBe(true);
  });

  it('takes every option, and --smoke lowers the default counts but not given ones', () => {
    expect(parseCompareArgs(['--base=v0.1.0', '--after=HEAD~2', '--pairs=7', '--windows=2'])).toMatchObject({
      base: 'v0.1.0',
      after: 'HEAD~2',
      pairs: 7,
      windows: 2,
      smoke: false,
    });
    expect(parseCompareArgs(['--smoke'])).toMatchObject({ pairs: 1, windows: 1, smoke: true });
    expect(parseCompareArgs(['--pairs=3', '--smoke'])).toMatchObject({ pairs: 3, smoke: true });
    expect(parseCompareArgs(['--help']).help).toBe(true);
  });

  it('runs --only scenarios in the tool order, each once', () => {
    expect(parseCompareArgs(['--only=http,storm,uncontended,storm']).scenarios).toEqual([
      'uncontended',
      'storm',
      'http',
    ]);
    expect(parseCompareArgs(['--only=cancel']).scenarios).toEqual(['cancel']);
  });

  it('rejects bad input with an error naming the argument, what it expects and what came', () => {
    expect(() => parseCompareArgs(['--pairs=0'])).toThrow('--pairs: expected a positive integer, got "0"');
    expect(() => parseCompareArgs(['--pairs=2.5'])).toThrow('--pairs: expected a positive integer, got "2.5"');
    expect(() => parseCompareArgs(['--windows=x'])).toThrow('--windows: expected a positive integer, got "x"');
    expect(() => parseCompareArgs(['--only=storm,nope'])).toThrow(
      '--only: expected names from uncontended, contended, storm, cancel, pg, http, got "nope"',
    );
    expect(() => parseCompareArgs(['--base='])).toThrow('--base: expected --base=<value>, got "--base="');
    expect(() => parseCompareArgs(['--after'])).toThrow('--after: expected --after=<value>, got "--after"');
    expect(() => parseCompareArgs(['--smoke=1'])).toThrow('--smoke: takes no value, got "--smoke=1"');
    expect(() => parseCompareArgs(['--pair=5'])).toThrow('unknown argument "--pair=5"');
    expect(() => parseCompareArgs(['main'])).toThrow('unknown argument "main"');
  });
});

describe('bench compare: ratios and medians', () => {
  it("gives each pair's ratio after/before, NaN where a figure is not positive", () => {
    expect(pairRatios([100, 200, 50], [110, 180, 50])).toEqual([1.1, 0.9, 1]);
    expect(pairRatios([100, 0], [100, 100])).toEqual([1, Number.NaN]);
    expect(() => pairRatios([1, 2], [1])).toThrow('expected as many figures after as before, got 1 and 2');
  });

  it("takes the median of the pairs' ratios, not the ratio of the medians", () => {
    // A slow spell in pair 2 moves both sides: the pairs' ratios stay near 1.05.
    const s = summarize({ label: 'cycle', unit: 'ns' }, [100, 300, 110, 105, 400], [105, 315, 116, 110, 420]);
    expect(s.before).toBe(110);
    expect(s.after).toBe(116);
    expect(s.ratios.map((r) => r.toFixed(3))).toEqual(['1.050', '1.050', '1.055', '1.048', '1.050']);
    expect(s.ratio).toBeCloseTo(1.05, 10);
    // With an even count, the median is the mean of the middle two.
    expect(summarize({ label: 'x', unit: 'ms' }, [10, 10, 10, 10], [9, 10, 12, 20]).ratio).toBeCloseTo(1.1, 10);
  });

  it('leaves out pairs without a ratio, and has none when no pair has one', () => {
    expect(summarize({ label: 'x', unit: 'ms' }, [0, 10, 10], [5, 12, 14]).ratio).toBeCloseTo(1.3, 10);
    expect(summarize({ label: 'x', unit: 'ms' }, [0], [5]).ratio).toBeNaN();
  });

  it("turns an adapter's throughput into a time per operation, so every ratio above 1 means slower", () => {
    expect(toCosts('pg', [50_000, 3.5, 1.2])).toEqual([20, 3.5, 1.2]);
    expect(toCosts('http', [40_000, 4, 2])).toEqual([25, 4, 2]);
    expect(toCosts('contended', [290, 460])).toEqual([290, 460]);
    for (const s of COMPARE_SCENARIOS) expect(METRICS[s].length).toBeGreaterThan(0);
  });

  it('rejects a run whose figures are missing or of the wrong count', () => {
    expect(() => toCosts('uncontended', [null])).toThrow('uncontended: expected 1 finite figures, got [null]');
    expect(() => toCosts('storm', [1, 2])).toThrow('storm: expected 3 finite figures, got [1,2]');
    expect(() => toCosts('pg', [Number.NaN, 1, 1])).toThrow('pg: expected 3 finite figures');
  });
});

describe('bench compare: compareMarkdown()', () => {
  it('prints the machine, one row per figure with both medians, the median ratio and every pair, and what is missing', () => {
    const md = compareMarkdown({
      about: [
        ['CPU', 'Test CPU'],
        ['cores', '2'],
        ['before', 'main'],
      ],
      summaries: [summarize({ label: 'uncontended cycle', unit: 'ns' }, [200, 220], [210, 209])],
      missing: [['pg', 'not measured: no pg entry in the before build']],
    });
    expect(md).toContain('| CPU | Test CPU |');
    expect(md).toContain('| before | main |');
    expect(md).toContain('| uncontended cycle (ns) | 210 | 210 | 1.00 | 1.05, 0.95 |');
    expect(md).toContain('- pg: not measured: no pg entry in the before build');
    expect(md).not.toMatch(/✓|✗|target/);
  });

  it('formats figures to about three significant digits', () => {
    expect(formatFigure(1234.4)).toBe('1,234');
    expect(formatFigure(98.44)).toBe('98.4');
    expect(formatFigure(3.641)).toBe('3.64');
    expect(formatFigure(Number.NaN)).toBe('n/a');
  });
});
