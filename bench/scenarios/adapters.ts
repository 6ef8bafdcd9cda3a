/**
 * 7. Adapters against the real thing: PgPool vs pg.Pool (SELECT 1 on Postgres) and
 * HttpPool vs undici's Agent (GET on a local server in a child process). Each part is
 * skipped, with a note, while its adapter does not exist yet.
 *
 * Every measured run is a child process of its own (this file in child mode): one
 * contender, warmed up, then measured. Run in one process, the two contenders share the
 * driver's code (pg's Client, undici's Client) and its optimised state, and whichever
 * ran just before changed the figures of the other (a round's second run lost 10–25 %).
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Agent, request, type Dispatcher } from 'undici';
import { lidoBuild } from '../build.js';
import { startServer } from '../http-server.js';
import { childFigures, closedLoop, gc, isMain, median, now, pairedRatios, quantile, size, SMOKE, VERBOSE, type Column, type Section } from '../lib.js';

const CALLERS = 64;
const MAX = 10;
const SECONDS = size(1.5, 0.3);
/** Full-load warm-up of each child before its measured run (the JIT starts cold in each). */
const WARM_SECONDS = size(1, 0.1);
/** Measured runs per contender: even, so each goes first in half of the rounds. */
const ROUNDS = size(6, 1);

// The children inherit the environment: a smoke run's children measure with tiny counts too.
if (SMOKE) process.env.BENCH_SMOKE = '1';

type Kind = 'pg' | 'http';
type Who = 'lido' | 'peer';

/** The built adapter (see build.ts), or null while src/adapters/<name> does not exist. */
async function adapterEntry(name: Kind): Promise<string | null> {
  return (await lidoBuild()).get(name) ?? null;
}

/** CALLERS concurrent callers running `op` for `seconds`: [ops per second, p99 ms, median ms]. */
async function load(op: () => Promise<unknown>, seconds: number): Promise<number[]> {
  const { lat, secs } = await closedLoop(op, CALLERS, seconds);
  lat.sort((a, b) => a - b);
  return [lat.length / secs, quantile(lat, 0.99), median(lat)];
}

interface Contender {
  op(): Promise<unknown>;
  close(): Promise<void>;
}

function pgConfig(): pg.PoolConfig {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE ?? 'test',
    max: MAX,
  };
}

/** One contender, made in the child: `entry` is lido's built adapter, `url` the HTTP server. */
async function contender(kind: Kind, who: Who, entry: string, url: string): Promise<Contender> {
  if (kind === 'pg') {
    const { PgPool } = (await import(entry)) as { PgPool: new (o: pg.PoolConfig) => pg.Pool };
    const pool = who === 'lido' ? new PgPool(pgConfig()) : new pg.Pool(pgConfig());
    return { op: () => pool.query('SELECT 1'), close: () => pool.end() };
  }
  const { HttpPool } = (await import(entry)) as { HttpPool: new (o: Record<string, unknown>) => Dispatcher };
  const dispatcher = who === 'lido' ? new HttpPool({ max: MAX }) : new Agent({ connections: MAX });
  return { op: async () => (await request(url, { dispatcher })).body.text(), close: () => dispatcher.close() };
}

/** Child mode: warms one contender up, measures it once, prints its figures, exits. */
async function child(kind: Kind, who: Who, entry: string, url: string): Promise<void> {
  const c = await contender(kind, who, entry, url);
  for (let i = 0; i < 200; i++) await c.op(); // connect + warm
  await load(() => c.op(), WARM_SECONDS);
  gc();
  const figures = await load(() => c.op(), SECONDS);
  process.stdout.write(JSON.stringify(figures) + '\n');
  const closed = await Promise.race([c.close().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3_000).unref())]);
  if (!closed) console.error(`bench adapters: ${kind} ${who}: close() had not resolved after 3 s`);
  process.exit(closed ? 0 : 2);
}

if (isMain(import.meta.url)) {
  const [kind, who, entry, url] = process.argv.slice(2);
  child(kind as Kind, who as Who, entry, url ?? '').catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

const COLUMNS = (unit: 'q/s' | 'req/s', target: number): Column[] => [
  { label: 'throughput', unit, higherIsBetter: true, target },
  { label: 'p99 latency', unit: 'ms p99', target: 1 },
  { label: 'median latency', unit: 'ms' },
];

/** ROUNDS rounds of one child run per contender, back to back, taking turns at going first. */
function compare(id: string, title: string, kind: Kind, names: Record<Who, string>, entry: string, url: string, target: number, notes: string[]): Section {
  const self = fileURLToPath(import.meta.url);
  const perRound: Record<Who, number[][]> = { lido: [], peer: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const who of (r % 2 ? ['peer', 'lido'] : ['lido', 'peer']) as Who[]) {
      const t = now();
      const f = childFigures(self, [kind, who, entry, url], 60_000);
      perRound[who].push(f);
      if (VERBOSE) console.error(`  [round ${r}] ${names[who]}: ${JSON.stringify(f)} (${((now() - t) / 1000).toFixed(2)} s)`);
    }
  }
  const columns = COLUMNS(kind === 'pg' ? 'q/s' : 'req/s', target);
  const medians = (who: Who) => columns.map((_, k) => median(perRound[who].map((f) => f[k])));
  return {
    id,
    title,
    columns,
    rows: [
      { subject: names.lido, peer: false, headline: true, values: medians('lido') },
      { subject: names.peer, peer: true, headline: false, values: medians('peer') },
    ],
    paired: pairedRatios(perRound.lido, perRound.peer, columns),
    notes: [
      `${CALLERS} concurrent callers, max ${MAX} connections. Each run is a child process of its own: 200 calls one after another, ${WARM_SECONDS} s under the full load, then ${SECONDS} s measured; ${ROUNDS} runs per contender, each figure the median of its runs.`,
      '"lido advantage" is measured round by round: each round runs the two back to back, so the load of this shared machine, which varies from second to second, weighs on both sides of its ratio; two consecutive rounds, one with each going first, make a pair (the geometric mean of their ratios), and the figure is the median of the pairs.',
      ...notes,
    ],
  };
}

const skipped = (id: string, title: string, why: string): Section => ({ id, title, columns: [], rows: [], notes: [`Skipped: ${why}.`] });

async function postgres(): Promise<Section> {
  const id = 'pg';
  const title = '7a. Postgres: SELECT 1 through PgPool vs pg.Pool';
  const entry = await adapterEntry('pg');
  if (!entry) return skipped(id, title, 'src/adapters/pg does not exist yet');
  if (typeof ((await import(entry)) as { PgPool?: unknown }).PgPool !== 'function') return skipped(id, title, 'src/adapters/pg exports no PgPool yet');
  const config = pgConfig();
  return compare(id, title, 'pg', { lido: 'lido PgPool', peer: 'pg.Pool' }, entry, '', 1, [`Postgres at ${config.host}:${config.port}, database ${config.database}.`]);
}

async function http(): Promise<Section> {
  const id = 'http';
  const title = '7b. HTTP: GET through HttpPool vs undici Agent';
  const entry = await adapterEntry('http');
  if (!entry) return skipped(id, title, 'src/adapters/http does not exist yet');
  if (typeof ((await import(entry)) as { HttpPool?: unknown }).HttpPool !== 'function') return skipped(id, title, 'src/adapters/http exports no HttpPool yet');
  const server = await startServer();
  try {
    return compare(id, title, 'http', { lido: 'lido HttpPool', peer: 'undici Agent' }, entry, server.url, 0.95, ['Server: node:http in a child process on 127.0.0.1, body "ok".']);
  } finally {
    server.stop();
  }
}

export async function adapters(): Promise<Section[]> {
  return [await postgres(), await http()];
}
