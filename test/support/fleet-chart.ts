/**
 * Draws docs/fleet-chart.svg from a run of the fleet on the real Postgres and Redis: six
 * processes (max 10 each) under one redisBudget of 20. Two start busy; four more join,
 * busy too, 2 s later. The server's connections per process (pg_stat_activity by
 * application_name, sampled in a loop with 20 ms pauses) are stacked, with the budget as a line.
 *
 *   npx tsx test/support/fleet-chart.ts [out.svg]
 *
 * Uses DATABASE_URL / PG* and REDIS_URL (defaults: postgres@127.0.0.1:5432/test,
 * redis://127.0.0.1:6379). Prints the figures docs/fleet.md quotes.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { reapAll, startScript } from './budget-fleet.js';

const out = process.argv[2] ?? 'docs/fleet-chart.svg';
const PROCS = 6;
const BUDGET = 20;
const DURATION_MS = 6_000;
const JOIN_AT_MS = 2_000;
const pgConfig = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD ?? '',
  database: process.env.PGDATABASE ?? 'test',
};
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const name = `fleet-chart-${process.pid}`;
const app = (i: number): string => `lido-chart-${process.pid}-${i}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const workers = await Promise.all(
    Array.from({ length: PROCS }, (_, i) =>
      startScript('fleet-worker.ts', {
        redis: redisUrl,
        name,
        budgetMax: BUDGET,
        leaseMs: 3_000,
        pg: pgConfig,
        app: app(i),
        max: 10,
        min: 0,
        mode: 'busy',
        concurrency: 10,
        durationMs: i < 2 ? DURATION_MS : DURATION_MS - JOIN_AT_MS,
        sleepMs: 50,
        idleEveryMs: 250,
      }),
    ),
  );
  const client = new pg.Client(pgConfig);
  await client.connect();
  const series: { t: number; n: number[] }[] = [];
  const t0 = Date.now();
  workers[0].send({ op: 'go' });
  workers[1].send({ op: 'go' });
  let joined = false;
  while (Date.now() - t0 < DURATION_MS + 300) {
    if (!joined && Date.now() - t0 >= JOIN_AT_MS) {
      for (const w of workers.slice(2)) w.send({ op: 'go' });
      joined = true;
    }
    const { rows } = await client.query<{ a: string; n: number }>(
      'SELECT application_name AS a, count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1 GROUP BY 1',
      [`lido-chart-${process.pid}-%`],
    );
    const n = Array.from({ length: PROCS }, (_, i) => rows.find((r) => r.a === app(i))?.n ?? 0);
    series.push({ t: Date.now() - t0, n });
    await sleep(20);
  }
  const done = await Promise.all(workers.map((w) => w.next((e) => e.ev === 'done', 30_000)));
  await client.end();
  await reapAll();
  const r = new Redis(redisUrl);
  const keys = await r.keys(`lido:budget:{${name}}:*`);
  if (keys.length > 0) await r.del(...keys);
  r.disconnect();

  const peak = Math.max(...series.map((s) => s.n.reduce((x, y) => x + y, 0)));
  const late = series.filter((s) => s.t > JOIN_AT_MS + 1_000 && s.t < DURATION_MS - 200);
  const meanLate = Array.from({ length: PROCS }, (_, i) => late.reduce((x, s) => x + s.n[i], 0) / late.length);
  console.log(`samples ${series.length}, most connections at once ${peak} (budget ${BUDGET})`);
  console.log(`queries per process: ${done.map((d) => d.done).join(', ')}`);
  console.log(`mean connections per process after the join: ${meanLate.map((m) => m.toFixed(1)).join(', ')}`);
  writeFileSync(out, svg(series));
  console.log(`wrote ${out}`);
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

function svg(series: { t: number; n: number[] }[]): string {
  const W = 720;
  const H = 320;
  const L = 48;
  const R = 120;
  const T = 20;
  const B = 40;
  const tMax = DURATION_MS;
  const yMax = 24;
  const x = (t: number): number => L + (Math.min(t, tMax) / tMax) * (W - L - R);
  const y = (v: number): number => H - B - (v / yMax) * (H - T - B);
  const layers: string[] = [];
  for (let i = PROCS - 1; i >= 0; i--) {
    const top = series.map(
      (s) => `${x(s.t).toFixed(1)},${y(s.n.slice(0, i + 1).reduce((a, b) => a + b, 0)).toFixed(1)}`,
    );
    const base = [...series]
      .reverse()
      .map((s) => `${x(s.t).toFixed(1)},${y(s.n.slice(0, i).reduce((a, b) => a + b, 0)).toFixed(1)}`);
    layers.push(`<polygon points="${[...top, ...base].join(' ')}" fill="${COLORS[i]}" fill-opacity="0.8"/>`);
  }
  const grid: string[] = [];
  for (let v = 0; v <= yMax; v += 4)
    grid.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
    );
  for (let t = 0; t <= tMax; t += 1_000)
    grid.push(`<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${t / 1_000} s</text>`);
  const legend = COLORS.map(
    (c, i) =>
      `<rect x="${W - R + 12}" y="${T + i * 18}" width="12" height="12" fill="${c}"/><text x="${W - R + 30}" y="${T + i * 18 + 10}">process ${i + 1}${i >= 2 ? ' (joins)' : ''}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/>
${grid.join('\n')}
${layers.join('\n')}
<line x1="${L}" x2="${W - R}" y1="${y(BUDGET)}" y2="${y(BUDGET)}" stroke="black" stroke-dasharray="6 4"/>
<text x="${W - R - 4}" y="${y(BUDGET) - 5}" text-anchor="end">budget ${BUDGET}</text>
<line x1="${x(JOIN_AT_MS)}" x2="${x(JOIN_AT_MS)}" y1="${T}" y2="${H - B}" stroke="#888" stroke-dasharray="2 3"/>
<text x="${L}" y="${H - 8}">connections Postgres sees, per process (pg_stat_activity, ${series.length} samples); 6 processes × max 10 under redisBudget max ${BUDGET}</text>
${legend.join('\n')}
</svg>
`;
}

main().catch(async (e) => {
  console.error(e);
  await reapAll();
  process.exit(1);
});
