/**
 * One process of a Postgres fleet for the fleet tests: a core `Pool` of pg connections
 * (tagged with `app` as application_name), with option `budget` a `redisBudget` when
 * `redis` is given, else on its own `max`. Waits for `{ "op": "go" }` on stdin, then runs
 * its load for `durationMs` and exits. stdout: JSON lines `ready`, `tick` (every 250 ms),
 * `done`, with the queries done so far.
 *
 * Load: `busy`: `concurrency` loops of `SELECT pg_sleep(sleepMs)`; `idle`: one such
 * query every `idleEveryMs`.
 */
import { createInterface } from 'node:readline';
import { redisBudget } from '../../src/adapters/redis/index.js';
import { pgFactory } from '../../src/adapters/pg/index.js';
import { Pool } from '../../src/index.js';

interface WorkerArgs {
  redis: string | null;
  name: string;
  budgetMax: number;
  leaseMs: number;
  pg: { host: string; port: number; user: string; password: string; database: string };
  app: string;
  max: number;
  min: number;
  mode: 'busy' | 'idle';
  concurrency: number;
  durationMs: number;
  sleepMs: number;
  idleEveryMs: number;
}

const a = JSON.parse(process.argv[2]) as WorkerArgs;
const out = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...o, at: Date.now() })}\n`);
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const factory = pgFactory({ ...a.pg, application_name: a.app });
const budget =
  a.redis === null ? null : redisBudget({ redis: a.redis, name: a.name, max: a.budgetMax, leaseMs: a.leaseMs });
budget?.on('error', () => {});
const pool = new Pool({
  name: a.app,
  max: a.max,
  min: a.min,
  acquireTimeoutMs: 60_000,
  factory,
  ...(budget !== null && { budget }),
});
pool.on('error', () => {});

let done = 0;
let errors = 0;
const sql = `SELECT pg_sleep(${a.sleepMs / 1000})`;

async function loop(until: number, pauseMs: number): Promise<void> {
  while (Date.now() < until) {
    try {
      await pool.use((c) => (c as { query(q: string): Promise<unknown> }).query(sql));
      done++;
    } catch {
      errors++;
    }
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

function figures(): Record<string, unknown> {
  const s = pool.stats();
  const h = pool.health();
  return {
    done,
    errors,
    size: s.size,
    idle: s.idle,
    held: budget?.stats().held ?? s.size,
    poolHeld: s.budget?.held ?? null,
    health: h.status,
    budgetHealth: h.reasons.find((r) => r.startsWith('budget: ')) ?? null,
  };
}

async function run(): Promise<void> {
  const until = Date.now() + a.durationMs;
  const ticker = setInterval(() => out({ ev: 'tick', ...figures() }), 250);
  const loops =
    a.mode === 'busy' ? Array.from({ length: a.concurrency }, () => loop(until, 0)) : [loop(until, a.idleEveryMs)];
  await Promise.all(loops);
  clearInterval(ticker);
  out({ ev: 'done', ...figures() });
  await pool.close();
  await budget?.close();
  process.exit(0);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if ((JSON.parse(line) as { op: string }).op === 'go') void run();
});

void (async () => {
  if (budget !== null) {
    await budget.ready();
    for (let i = 0; i < 200 && budget.fence === 0; i++) await sleep(50);
  }
  out({ ev: 'ready' });
})();
