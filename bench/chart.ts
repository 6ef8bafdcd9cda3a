/** A hand-written SVG bar chart of lido's advantage over the fastest peer (log scale). */
import { ratioOf, type Section } from './lib.js';

interface Bar {
  label: string;
  ratio: number;
  best: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function bars(sections: Section[]): Bar[] {
  const out: Bar[] = [];
  for (const sec of sections) {
    sec.columns.forEach((col, c) => {
      if (!col.chart) return;
      const r = ratioOf(sec, c);
      if (!r) return;
      const name = sec.title.replace(/\s*\(.*$/, '').replace(/:.*$/, '');
      out.push({ label: `${name}: ${col.label}`, ratio: r.ratio, best: r.best });
    });
  }
  return out;
}

export function ratiosSvg(sections: Section[]): string {
  const data = bars(sections);
  const W = 980;
  const left = 450;
  const right = W - 170;
  const rowH = 26;
  const top = 50;
  const H = top + Math.max(1, data.length) * rowH + 40;
  const maxRatio = Math.max(8, ...data.map((d) => d.ratio));
  const lo = -2; // log2(1/4)
  const hi = Math.ceil(Math.log2(maxRatio));
  const x = (r: number) =>
    left + ((Math.log2(Math.min(Math.max(r, 2 ** lo), 2 ** hi)) - lo) / (hi - lo)) * (right - left);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">lido vs the fastest peer (×, log scale; right of ×1 = lido better)</text>`,
  );
  for (let e = lo; e <= hi; e++) {
    const gx = x(2 ** e);
    const label = e < 0 ? `1/${2 ** -e}` : `${2 ** e}`;
    parts.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${H - 30}" stroke="${e === 0 ? '#333' : '#ddd'}"/>`);
    parts.push(`<text x="${gx}" y="${H - 14}" text-anchor="middle" fill="#555">×${label}</text>`);
  }
  data.forEach((d, i) => {
    const y = top + i * rowH;
    const x0 = x(1);
    const x1 = x(d.ratio);
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(d.label)}</text>`);
    parts.push(
      `<rect x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 8}" fill="#4a7ab5"/>`,
    );
    parts.push(
      `<text x="${Math.max(x0, x1) + 6}" y="${y + 15}" fill="#222">×${d.ratio.toFixed(2)} <tspan fill="#888">vs ${esc(d.best)}</tspan></text>`,
    );
  });
  if (data.length === 0)
    parts.push(
      `<text x="${W / 2}" y="${top + 15}" text-anchor="middle" fill="#888">no lido figures in this run</text>`,
    );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
