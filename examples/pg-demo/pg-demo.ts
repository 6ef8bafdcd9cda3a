/**
 * Postgres through lido: the same queries with and without a pool, then a burst with
 * live stats. Uses DATABASE_URL when set, else an embedded PostgreSQL (PGlite).
 *
 *   npx tsx examples/pg-demo/pg-demo.ts
 *
 * `runPgDemo()` is exported for the main demo (`npm run demo`).
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { PgPool, redactConnectionString } from '../../src/adapters/pg/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './pglite-server.js';

export interface PgDemoOptions {
  /** A postgres:// URL; default `process.env.DATABASE_URL`, else an embedded PostgreSQL. */
  connectionString?: string;
  /** Where lines go. Default console.log. */
  print?: (line: string) => void;
  /** Queries per phase. Default 200. */
  queries?: number;
}

const ms = (t0: number) => `${(performance.now() - t0).toFixed(0)} ms`;

export async function runPgDemo(options: PgDemoOptions = {}): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const n = options.queries ?? 200;
  let embedded: EmbeddedPostgres | null = null;
  let connectionString = options.connectionString ?? process.env.DATABASE_URL;
  if (!connectionString) {
    print('Postgres: no DATABASE_URL; starting an embedded PostgreSQL (PGlite over a local socket)…');
    const t0 = performance.now();
    embedded = await startEmbeddedPostgres();
    connectionString = embedded.connectionString;
    print(`Postgres: embedded server up in ${ms(t0)}`);
  }
  print(`Postgres: ${redactConnectionString(connectionString)}`);
  try {
    // 1. Without a pool: a connection per query.
    let t0 = performance.now();
    for (let i = 0; i < Math.min(n, 50); i++) {
      const client = new pg.Client({ connectionString });
      await client.connect();
      await client.query('SELECT $1::int AS i', [i]);
      await client.end();
    }
    print(`without a pool: ${Math.min(n, 50)} queries, one connection each: ${ms(t0)}`);

    // 2. With PgPool: the same code shape as pg.Pool.
    const pool = new PgPool({ connectionString, max: 4, name: 'demo-pg' }, pg.Client);
    try {
      t0 = performance.now();
      for (let i = 0; i < n; i++) await pool.query('SELECT $1::int AS i', [i]);
      print(`with PgPool:    ${n} queries on ${pool.totalCount} pooled connection(s): ${ms(t0)}`);

      // 3. A burst bigger than the pool, with live stats.
      const ticker = setInterval(() => {
        const s = pool.stats();
        print(
          `  live: ${s.borrowed}/${s.max} borrowed, ${s.idle} idle, ${s.pending} waiting, wait p99 ${s.waitTime.p99.toFixed(1)} ms`,
        );
      }, 100);
      t0 = performance.now();
      await Promise.all(Array.from({ length: n }, () => pool.query('SELECT pg_sleep(0.002)')));
      clearInterval(ticker);
      const s = pool.stats();
      print(
        `burst: ${n} concurrent queries through ${s.max} connections: ${ms(t0)}; peak borrowed ${s.peakBorrowed}, ` +
          `wait mean ${s.waitTime.mean.toFixed(1)} ms, use mean ${s.useTime.mean.toFixed(1)} ms`,
      );
      print(`health: ${pool.health().status}`);
      for (const a of pool.advise()) print(`advice [${a.severity}]: ${a.issue} — ${a.suggestion}`);
    } finally {
      await pool.end();
    }
  } finally {
    await embedded?.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runPgDemo().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
