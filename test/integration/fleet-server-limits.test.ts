/**
 * PgPool at the server's limit: a role created by the test with a `CONNECTION LIMIT`
 * (dropped after). A refusal (53300 too_many_connections) is capacity, not failure:
 * while the pool has connections its waiters wait for them; stats count the refusals;
 * health says why. With no connection at all, connect() fails as pg.Pool's does.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgPool } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, pgQuery } from '../support/services.js';

describeWithPostgres('PgPool at the server connection limit', (postgres) => {
  const role = `lido_limited_${process.pid}`;
  const none = `lido_none_${process.pid}`;
  const pools: PgPool[] = [];
  const pool = (user: string, max: number): PgPool => {
    const p = new PgPool({
      host: postgres.host,
      port: postgres.port,
      database: postgres.database,
      user,
      max,
      connectionTimeoutMillis: 10_000,
    });
    p.on('error', () => {});
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    for (const [name, limit] of [
      [role, 2],
      [none, 0],
    ] as const) {
      await pgQuery(`DROP ROLE IF EXISTS ${name}`);
      await pgQuery(`CREATE ROLE ${name} LOGIN CONNECTION LIMIT ${limit}`);
    }
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
    for (const name of [role, none]) {
      await pgQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [name]);
      await pgQuery(`DROP ROLE IF EXISTS ${name}`);
    }
  });

  it('waits for its connections when the server refuses more, counts the refusals and says why', async () => {
    const p = pool(role, 5);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => p.query('SELECT $1::int AS i, pg_sleep(0.1)', [i])),
    );
    expect(results.map((r) => r.rows[0].i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Date.now() - started).toBeLessThan(10_000);
    const s = p.stats();
    expect(s.serverRefusals).toBeGreaterThan(0);
    expect(s.size).toBeLessThanOrEqual(2);
    const h = p.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons.join('\n')).toContain('53300 too_many_connections');
    expect(h.reasons.join('\n')).toContain(`too many connections for role "${role}"`);
  });

  it('with no connection at all, connect() fails with the refusal, as pg.Pool does', async () => {
    const p = pool(none, 2);
    const error = await p.connect().then(
      () => null,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error?.code).toBe('53300');
    expect(p.stats().serverRefusals).toBe(1);
  });
});
