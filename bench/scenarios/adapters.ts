/**
 * 7. Adapters against the real thing: PgPool vs pg.Pool (SELECT 1 on Postgres) and
 * HttpPool vs undici's Agent (GET on a local server in a child process). Each part is
 * skipped, with a note, while its adapter does not exist yet.
 */
import pg from 'pg';
import { Agent, request, type Dispatcher } from 'undici';
import { lidoBuild } from '../build.js';
import { startServer } from '../http-server.js';
import { median, now, pairedRatios, rounds, size, VERBOSE, type Column, type Section } from '../lib.js';

const CALLERS = 64;
const MAX = 10;
const SECONDS = size(1.5, 0.3);
/** Rounds after the warm-up round: even, so each contender goes first in half of them. */
const ROUNDS = size(8, 1);

/** The built adapter (see build.ts), or null while src/adapters/<name> does not exist. */
async function adapterEntry(name: 'pg' | 'http'): Promise<string | null> {
  return (await lidoBuild()).get(name) ?? null;
}

/** CALLERS concurrent callers running `op` for SECONDS: [ops per second, p99 ms]. */
async function load(op: () => Promise<unknown>): Promise<number[]> {
  const lat: number[] = [];
  const stop = now() + SECONDS * 1000;
  const caller = async () => {
    while (now() < stop) {
      const t = now();
      await op();
      lat.push(now() - t);
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: CALLERS }, caller));
  const secs = (now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return [lat.length / secs, lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))], median(lat)];
}

interface Contender {
  name: string;
  peer: boolean;
  headline: boolean;
  op(): Promise<unknown>;
  close(): Promise<void>;
  destroy?(): Promise<void>;
}

/** Resolves true when `p` settles within `ms`, false otherwise (p keeps running). */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes the contenders; one whose close() hangs is destroyed after 3 s, and a note says so. */
async function closeAll(cs: Contender[]): Promise<string[]> {
  const notes: string[] = [];
  for (const c of cs) {
    const t = now();
    if (!(await settlesWithin(c.close(), 3_000))) {
      const destroyed = c.destroy ? await settlesWithin(c.destroy(), 1_000) : false;
      notes.push(`${c.name}: close() had not resolved after 3 s${destroyed ? '; destroy() did' : ' and destroy() not after 1 s more'}.`);
    }
    if (VERBOSE) console.error(`  ${c.name}: closed in ${((now() - t) / 1000).toFixed(2)} s`);
  }
  return notes;
}

async function compare(id: string, title: string, unit: 'q/s' | 'req/s', target: number, cs: Contender[], notes: string[]): Promise<Section> {
  const columns: Column[] = [
    { label: 'throughput', unit, higherIsBetter: true, target },
    { label: 'p99 latency', unit: 'ms p99', target: 1 },
    { label: 'median latency', unit: 'ms' },
  ];
  let figures: Map<string, number[] | null>;
  // Every round's figures, warm-up round first, for the round-by-round ratios.
  const perRound = new Map<string, number[][]>(cs.map((c) => [c.name, []]));
  try {
    for (const c of cs) {
      const t = now();
      for (let i = 0; i < 200; i++) await c.op(); // connect + warm
      if (VERBOSE) console.error(`  ${c.name}: warmed in ${((now() - t) / 1000).toFixed(2)} s`);
    }
    // A warm-up round under the full load first: the first contender to run would otherwise
    // warm the shared driver code (pg, undici's Client) for both, on its own time.
    figures = await rounds(
      cs,
      async (c) => {
        const f = await load(() => c.op());
        perRound.get(c.name)!.push(f);
        return f;
      },
      { warmup: true, count: ROUNDS },
    );
  } finally {
    notes.push(...(await closeAll(cs)));
  }
  const lido = cs.find((c) => c.headline)!;
  const peer = cs.find((c) => c.peer)!;
  const skip = (rounds: number[][]) => (rounds.length > ROUNDS ? rounds.slice(rounds.length - ROUNDS) : rounds);
  return {
    id,
    title,
    columns,
    rows: cs.map((c) => ({ subject: c.name, peer: c.peer, headline: c.headline, values: figures.get(c.name) ?? [null, null, null] })),
    paired: pairedRatios(skip(perRound.get(lido.name)!), skip(perRound.get(peer.name)!), columns),
    notes: [
      `${CALLERS} concurrent callers, max ${MAX} connections, ${SECONDS} s per round, ${ROUNDS} rounds after a warm-up round; each figure is the median of the rounds.`,
      '"lido advantage" is the median of the rounds\' ratios: the two run back to back in each round (taking turns at going first), so the load of this shared machine, which varies from second to second, weighs on both sides of each ratio.',
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
  const { PgPool } = (await import(entry)) as { PgPool?: new (o: pg.PoolConfig) => pg.Pool };
  if (typeof PgPool !== 'function') return skipped(id, title, 'src/adapters/pg exports no PgPool yet');
  const config: pg.PoolConfig = {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE ?? 'test',
    max: MAX,
  };
  const wrap = (name: string, pool: pg.Pool, lido: boolean): Contender => ({
    name,
    peer: !lido,
    headline: lido,
    op: () => pool.query('SELECT 1'),
    close: () => pool.end(),
  });
  return compare(id, title, 'q/s', 1, [wrap('lido PgPool', new PgPool(config), true), wrap('pg.Pool', new pg.Pool(config), false)], [
    `Postgres at ${config.host}:${config.port}, database ${config.database}.`,
  ]);
}


async function http(): Promise<Section> {
  const id = 'http';
  const title = '7b. HTTP: GET through HttpPool vs undici Agent';
  const entry = await adapterEntry('http');
  if (!entry) return skipped(id, title, 'src/adapters/http does not exist yet');
  const { HttpPool } = (await import(entry)) as { HttpPool?: new (o: Record<string, unknown>) => Dispatcher };
  if (typeof HttpPool !== 'function') return skipped(id, title, 'src/adapters/http exports no HttpPool yet');
  const server = await startServer();
  const wrap = (name: string, dispatcher: Dispatcher, lido: boolean): Contender => ({
    name,
    peer: !lido,
    headline: lido,
    op: async () => (await request(server.url, { dispatcher })).body.text(),
    close: () => dispatcher.close(),
    destroy: () => dispatcher.destroy(),
  });
  try {
    return await compare(
      id,
      title,
      'req/s',
      0.95,
      [wrap('lido HttpPool', new HttpPool({ max: MAX }), true), wrap('undici Agent', new Agent({ connections: MAX }), false)],
      ['Server: node:http in a child process on 127.0.0.1, body "ok".'],
    );
  } finally {
    server.stop();
  }
}

export async function adapters(): Promise<Section[]> {
  return [await postgres(), await http()];
}
