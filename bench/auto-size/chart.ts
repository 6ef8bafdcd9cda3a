/**
 * A hand-written SVG line chart of one auto-size trace (bench/chart.ts's style): the
 * pool's limit and its open connections on the left axis, throughput on the right, the
 * load's phases as labelled bands.
 */
import type { TracePoint } from './spec.js';

/** A phase band: its label and its bounds in ms since the start. */
export interface Band {
  label: string;
  from: number;
  to: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis top at or above `v`: 1, 2 or 5 times a power of ten. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** The chart: `max` is the pool's `max` (the top of the left axis). */
export function traceSvg(title: string, trace: readonly TracePoint[], bands: readonly Band[], max: number): string {
  const W = 980;
  const H = 380;
  const left = 60;
  const right = W - 70;
  const top = 56;
  const bottom = H - 56;
  const end = Math.max(1, ...bands.map((b) => b.to), ...trace.map((p) => p.t));
  const yMax = max;
  const tMax = niceCeil(Math.max(1, ...trace.map((p) => p.throughput)));
  const x = (ms: number) => left + (ms / end) * (right - left);
  const yl = (v: number) => bottom - (Math.min(v, yMax) / yMax) * (bottom - top);
  const yr = (v: number) => bottom - (Math.min(v, tMax) / tMax) * (bottom - top);
  const f = (n: number) => n.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
  ];
  bands.forEach((b, i) => {
    const x0 = x(b.from);
    const x1 = x(b.to);
    if (i % 2)
      parts.push(`<rect x="${f(x0)}" y="${top}" width="${f(x1 - x0)}" height="${bottom - top}" fill="#f4f4f4"/>`);
    parts.push(`<text x="${f((x0 + x1) / 2)}" y="${top - 8}" text-anchor="middle" fill="#555">${esc(b.label)}</text>`);
  });
  for (let k = 0; k <= 4; k++) {
    const y = bottom - (k / 4) * (bottom - top);
    parts.push(`<line x1="${left}" y1="${f(y)}" x2="${right}" y2="${f(y)}" stroke="#e4e4e4"/>`);
    parts.push(
      `<text x="${left - 6}" y="${f(y + 4)}" text-anchor="end" fill="#4a7ab5">${Math.round((yMax * k) / 4)}</text>`,
    );
    parts.push(`<text x="${right + 6}" y="${f(y + 4)}" fill="#d0792b">${((tMax * k) / 4).toLocaleString('en')}</text>`);
  }
  const step = niceCeil(end / 1000 / 10);
  for (let s = 0; s * 1000 <= end; s += step) {
    parts.push(`<text x="${f(x(s * 1000))}" y="${bottom + 16}" text-anchor="middle" fill="#555">${s} s</text>`);
  }
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333"/>`);
  const line = (pts: string[], color: string, width: number, dash = '') =>
    pts.length
      ? `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`
      : '';
  // The limit as steps (it holds its value until the next sample), the others as lines.
  const limit: string[] = [];
  trace.forEach((p, i) => {
    if (i > 0) limit.push(`${f(x(p.t))},${f(yl(trace[i - 1].limit))}`);
    limit.push(`${f(x(p.t))},${f(yl(p.limit))}`);
  });
  parts.push(
    line(
      trace.map((p) => `${f(x(p.t))},${f(yr(p.throughput))}`),
      '#d0792b',
      1.2,
    ),
  );
  parts.push(
    line(
      trace.map((p) => `${f(x(p.t))},${f(yl(p.live))}`),
      '#8a8a8a',
      1.2,
      '4 3',
    ),
  );
  parts.push(line(limit, '#4a7ab5', 2));
  const legend: [string, string, string][] = [
    ['#4a7ab5', '', 'limit (stats().limit), left axis'],
    ['#8a8a8a', '4 3', 'connections open, left axis'],
    ['#d0792b', '', 'throughput (tx/s), right axis'],
  ];
  legend.forEach(([color, dash, label], i) => {
    const lx = left + i * 290;
    const ly = H - 18;
    parts.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    parts.push(`<text x="${lx + 30}" y="${ly}" fill="#222">${esc(label)}</text>`);
  });
  parts.push('</svg>');
  return parts.filter(Boolean).join('\n') + '\n';
}
