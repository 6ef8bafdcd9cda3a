import { describe, expect, it } from 'vitest';
import { niceCeil, traceSvg } from '../../bench/auto-size/chart.js';
import { phaseFigures } from '../../bench/auto-size/child.js';
import { serverConnections, serverPeak } from '../../bench/auto-size/parent.js';
import { movesText, settling, variation } from '../../bench/auto-size/settling.js';
import type { TracePoint } from '../../bench/auto-size/spec.js';
import { medians, quotient, sweepSection, WORKLOADS, type Figures } from '../../bench/auto-size/sweep.js';
import { sectionMarkdown } from '../../bench/report.js';
import { replaceSections } from '../../bench/scenarios/auto-size.js';

/** A trace sampled every 250 ms from `limits`. */
const trace = (limits: number[]) => limits.map((limit, i) => ({ t: (i + 1) * 250, limit }));

/** bench/auto-size's arithmetic: settling, variation, server counts, quotients, and its report. */
describe('bench auto-size', () => {
  it('settling: the time from the step until the limit enters ±20 % of its final value for good', () => {
    // 4 samples out of the band, 1 in, 1 out again, then in to the end: the last entry counts.
    const t = trace([2, 4, 6, 8, 20, 30, 19, 20, 21, 20, 20, 20]);
    const s = settling(t, 0, 3_000, 1_000);
    expect(s.final).toBe(20);
    expect(s.settleMs).toBe(1_750);
  });

  it('settling: null when the phase ends outside the band, 1 sample in when it never left', () => {
    expect(settling(trace([10, 10, 10, 10, 10, 30]), 0, 1_500, 1_000).settleMs).toBeNull();
    expect(settling(trace([10, 10, 10, 10]), 0, 1_000, 500)).toEqual({ final: 10, settleMs: 250 });
    expect(settling(trace([10]), 2_000, 3_000, 500)).toEqual({ final: NaN, settleMs: null });
  });

  it('variation: the largest deviation from the median, as a fraction of it', () => {
    expect(variation(trace([10, 12, 10, 8, 10]), 0, 2_000)).toBeCloseTo(0.2);
    expect(variation(trace([10, 10, 40]), 0, 500)).toBe(0);
    expect(variation([], 0, 1_000)).toBeNaN();
  });

  it('counts the moves of the limit by reason within a window', () => {
    const moves = [
      { t: 100, reason: 'grow' },
      { t: 200, reason: 'grow' },
      { t: 300, reason: 'backoff' },
      { t: 900, reason: 'shrink' },
    ];
    expect(movesText(moves, 0, 500)).toBe('grow 2, backoff 1');
    expect(movesText(moves, 1_000, 2_000)).toBe('none');
  });

  it("phase figures count the calls that ended within the phase, and the limit's samples in it", () => {
    const calls = { ends: [100, 900, 1_100, 1_500, 2_100], lats: [5, 7, 9, 11, 13], errors: [1_200] };
    const points: TracePoint[] = [500, 1_000, 1_500, 2_000].map((t, i) => ({
      t,
      limit: [4, 8, 16, 32][i],
      live: 0,
      borrowed: 0,
      pending: 0,
      throughput: 0,
    }));
    const f = phaseFigures('p', 1_000, 2_000, calls, points);
    expect(f).toMatchObject({ calls: 2, errors: 1, throughput: 2, p50: 10, p99: 11, minLimit: 16, maxLimit: 32 });
    expect(f.meanLimit).toBe(24);
  });

  it("server connections: mean and max of the run's own, peak of the whole server's, within the window", () => {
    const server = [
      { t: 0, mine: 64, all: 70 },
      { t: 250, mine: 8, all: 12 },
      { t: 500, mine: 16, all: 90 },
      { t: 750, mine: 64, all: 64 },
    ];
    expect(serverConnections(server, 200, 600)).toEqual([12, 16]);
    expect(serverPeak(server, 200, 600)).toBe(90);
    expect(serverConnections(server, 1_000, 2_000)).toEqual([NaN, NaN]);
  });

  it('medians per figure over the runs, and quotients that skip missing figures', () => {
    const runs = [
      { figures: [100, 1, 10, 8, 8, 8] as Figures },
      { figures: [300, 3, 30, 8, 8, 8] as Figures },
      { figures: [200, 2, 20, 8, 8, 8] as Figures },
    ];
    expect(medians(runs)).toEqual([200, 2, 20, 8, 8, 8]);
    expect(quotient([100, NaN, 5], [200, 2, 0])).toEqual([0.5, null, null]);
  });

  it('the sweep table gives autoSize ÷ fixed 64 and ÷ the fixed size with the best throughput, no verdict', () => {
    const fig = (tput: number, conns: number) => ({
      figures: [tput, 5, 50, conns, conns, conns] as Figures,
      extra: { errors: 0, refusals: 0, peakAll: 70, variation: 0.1, moves: ['grow 2', 'none'] as [string, string] },
    });
    const contenders = [
      { name: 'fixed 16', max: 16, autoSize: false },
      { name: 'fixed 64', max: 64, autoSize: false },
      { name: 'autoSize (max 64)', max: 64, autoSize: true },
    ];
    const runs = new Map([
      ['fixed 16', [fig(1_400, 16)]],
      ['fixed 64', [fig(1_200, 64)]],
      ['autoSize (max 64)', [fig(1_260, 16)]],
    ]);
    const md = sectionMarkdown(sweepSection(WORKLOADS[0], contenders, runs, []));
    expect(md).toContain('| pool | throughput (tx/s) |');
    expect(md).toContain('| autoSize (max 64) | 1,260 | 5.00 | 50.0 | 16.0 | 16.0 | 16.0 |');
    expect(md).toContain('| *autoSize ÷ fixed 64* | ×1.05 | ×1.00 | ×1.00 | ×0.25 | ×0.25 | ×0.25 |');
    expect(md).toContain('| *autoSize ÷ best fixed (fixed 16)* | ×0.90 |');
    expect(md).toContain('grow 2 → none');
    expect(md).not.toContain('lido advantage');
    expect(md).not.toMatch(/✓|✗|target|pass/i);
  });

  it('replaces the sections from 8a on at the end of RESULTS.md, or appends them', () => {
    const section = { id: 'x', title: '8a. new', columns: [], rows: [], notes: ['fresh'] };
    const old = '# results\n\n### 7b. HTTP\n\n- http\n\n### 8a. old\n\n- stale\n\n### 8c. old\n\n- stale\n';
    const out = replaceSections(old, [section]);
    expect(out).toContain('### 7b. HTTP\n\n- http\n\n### 8a. new\n\n- fresh');
    expect(out).not.toContain('stale');
    expect(replaceSections('# results\n\n### 7b. HTTP\n', [section])).toBe(
      '# results\n\n### 7b. HTTP\n\n### 8a. new\n\n- fresh\n',
    );
  });

  it('draws the trace: phase labels, the three series and their legend', () => {
    const points: TracePoint[] = [250, 500, 750].map((t, i) => ({
      t,
      limit: [8, 16, 12][i],
      live: [4, 12, 12][i],
      borrowed: 0,
      pending: 0,
      throughput: [900, 1_500, 1_400][i],
    }));
    const svg = traceSvg('ramp <1>', points, [{ label: 'spike', from: 0, to: 750 }], 64);
    expect(svg).toMatch(/^<svg [^>]*>/);
    expect(svg).toContain('ramp &lt;1&gt;');
    expect(svg).toContain('>spike</text>');
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(svg).toContain('limit (stats().limit), left axis');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect([niceCeil(64), niceCeil(1_501), niceCeil(0)]).toEqual([100, 2_000, 1]);
  });
});
