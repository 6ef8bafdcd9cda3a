// Six processes, each with a pool of max 10 Postgres connections, under one redisBudget
// of 20: a live line of the connections Postgres sees and each process's throughput.
//   npx tsx examples/fleet/fleet.ts
// Uses DATABASE_URL (else postgres@127.0.0.1:5432/test) and REDIS_URL (else
// redis://127.0.0.1:6379); DURATION seconds (default 8). Every child is stopped at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';

const PROCESSES = 6;
const MAX = 10;
const BUDGET = 20;
const seconds = Number(process.env.DURATION ?? 8);
const tag = `lido-fleet-${process.pid}`;

const children: ChildProcess[] = [];
const stopAll = (): void => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
};
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

const done = new Array<number>(PROCESSES).fill(0);
const ended = Array.from({ length: PROCESSES }, (_, i) => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'worker.ts'),
      JSON.stringify({ app: `${tag}-${i + 1}`, max: MAX, budgetName: tag, budgetMax: BUDGET, seconds }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { done?: number; end?: number };
    done[i] = m.end ?? m.done ?? done[i];
  });
  return new Promise<void>((resolve) => child.on('exit', () => resolve()));
});

const watcher = new pg.Client(
  process.env.DATABASE_URL ?? { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' },
);
await watcher.connect();
const t0 = Date.now();
let most = 0;
let last = [...done];
let lastAt = t0;
let finished = false;
void Promise.all(ended).then(() => (finished = true));
while (!finished && Date.now() - t0 < (seconds + 30) * 1_000) {
  const { rows } = await watcher.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1',
    [`${tag}-%`],
  );
  most = Math.max(most, rows[0].n);
  const now = Date.now();
  if (now - lastAt >= 1_000) {
    const rates = done.map((d, i) => Math.round(((d - last[i]) * 1_000) / (now - lastAt)));
    console.log(
      `${((now - t0) / 1_000).toFixed(1).padStart(5)} s  Postgres sees ${String(rows[0].n).padStart(2)}/${BUDGET} connections  queries/s per process: ${rates.join(' ')}`,
    );
    last = [...done];
    lastAt = now;
  }
  await new Promise((r) => setTimeout(r, 50));
}
await watcher.end();
stopAll();
console.log(`${done.reduce((a, b) => a + b, 0)} queries by ${PROCESSES} processes (${done.join(', ')})`);
console.log(`most connections Postgres saw at once: ${most} (budget ${BUDGET}, ${PROCESSES} × max ${MAX})`);
