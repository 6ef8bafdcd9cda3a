/**
 * The embedded PostgreSQL of the demo (PGlite behind pglite-socket): PgPool queries it
 * like any server. Needs no external service.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../examples/pg-demo/pglite-server.js';
import { PgPool } from '../../src/adapters/pg/index.js';

// PGlite builds its database in memory at start: several seconds.
describe('embedded PostgreSQL (pglite-socket) for the demo', { timeout: 60_000 }, () => {
  let pgl: EmbeddedPostgres;
  beforeAll(async () => {
    pgl = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await pgl?.stop();
  });

  it('listens on a free local port and gives a connection string', () => {
    expect(pgl.host).toBe('127.0.0.1');
    expect(pgl.port).toBeGreaterThan(0);
    expect(pgl.connectionString).toBe(`postgres://postgres@127.0.0.1:${pgl.port}/postgres`);
  });

  it('PgPool queries it: concurrently, with pre-ping, transactions rolled back on release', async () => {
    const pool = new PgPool({ connectionString: pgl.connectionString, max: 4, validateAfterIdleMs: 0 }, pg.Client);
    try {
      const { rows } = await pool.query<{ v: string }>('SELECT version() AS v');
      expect(rows[0]!.v).toMatch(/PostgreSQL/);
      const many = await Promise.all(
        Array.from({ length: 20 }, (_, i) => pool.query<{ n: number }>('SELECT $1::int AS n', [i])),
      );
      expect(many.map((r) => r.rows[0]!.n)).toEqual([...Array(20).keys()]);
      await pool.query('CREATE TABLE IF NOT EXISTS demo_items (id serial PRIMARY KEY, name text)');
      const c = await pool.connect();
      await c.query('BEGIN');
      await c.query("INSERT INTO demo_items (name) VALUES ('left open')");
      c.release(); // rolled back by lido before reuse
      const count = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM demo_items');
      expect(count.rows[0]!.n).toBe(0);
      expect(pool.stats().validationFailures).toBe(0);
      expect(pool.health().status).toBe('ok');
    } finally {
      await pool.end();
    }
  });

  it('stop() is idempotent and the port stops answering', async () => {
    await pgl.stop();
    await pgl.stop();
    const pool = new PgPool({ connectionString: pgl.connectionString, connectionTimeoutMillis: 2_000 }, pg.Client);
    await expect(pool.query('SELECT 1')).rejects.toThrow(/ECONNREFUSED|timeout/);
    await pool.end();
  });
});
