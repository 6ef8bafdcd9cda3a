import { describe, expect, it } from 'vitest';
import { bars, ratiosSvg } from '../../bench/chart.js';
import type { Section } from '../../bench/lib.js';
import { ratioText, sectionMarkdown } from '../../bench/report.js';

/** RESULTS.md and ratios.svg state results and ratios: lido against the best peer, no verdict. */
describe('bench report', () => {
  const section = (): Section => ({
    id: 'cycle',
    title: '1. Uncontended acquire + release',
    columns: [
      { label: 'one borrower', unit: 'ns/cycle', chart: true },
      { label: 'throughput', unit: 'q/s', higherIsBetter: true },
    ],
    rows: [
      { subject: 'lido', peer: false, headline: true, values: [250, 40_000] },
      { subject: 'lido use()', peer: false, headline: false, values: [100, 90_000] },
      { subject: 'generic-pool', peer: true, headline: false, values: [1_000, 30_000] },
      { subject: 'tarn', peer: true, headline: false, values: [2_000, 35_000] },
    ],
    notes: ['A note.'],
  });

  it('gives lido advantage over the best peer, lower or higher being better per column', () => {
    expect(ratioText(section(), 0)).toBe('×4.00 vs generic-pool');
    expect(ratioText(section(), 1)).toBe('×1.14 vs tarn');
  });

  it('prints the advantage row as a plain ratio, with no verdict mark', () => {
    const md = sectionMarkdown(section());
    expect(md).toContain('| *lido advantage* | ×4.00 vs generic-pool | ×1.14 vs tarn |');
    expect(md).toContain('| **lido** | 250 | 40,000 |');
    expect(md).not.toMatch(/✓|✗|target/);
  });

  it('charts the columns marked for it, with no target line', () => {
    expect(bars([section()])).toEqual([
      { label: '1. Uncontended acquire + release: one borrower', ratio: 4, best: 'generic-pool' },
    ]);
    const svg = ratiosSvg([section()]);
    expect(svg).toContain('×4.00');
    expect(svg).not.toMatch(/target|#c00/);
  });
});
