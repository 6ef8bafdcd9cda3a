/**
 * `password` as a function (rotating credentials, IAM tokens that expire): called at each
 * new connection, string or promise; with `maxLifetimeSeconds` shorter than a token's
 * life no connection outlives its token; every value it returns is a secret.
 */
import { describe, expect, it } from 'vitest';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { fakePg, settle } from './fake-client.js';

const MINUTE = 60_000;

describe('PgPool: password as a function', () => {
  it('is called at each new connection; a string or a promise of one', async () => {
    for (const make of [(n: number) => `tok-${n}`, (n: number) => Promise.resolve(`tok-${n}`)]) {
      const { Client, server } = fakePg();
      let n = 0;
      const pool = new PgPool({ Client, max: 2, password: () => make(++n) });
      const a = await pool.connect();
      const b = await pool.connect();
      a.release();
      b.release();
      await pool.query('SELECT 1'); // an idle client: no new connection, no call
      expect(server.clients.map((c) => c.config.password)).toEqual(['tok-1', 'tok-2']);
      expect(Object.keys(server.clients[0]!.config)).not.toContain('password');
      await pool.end();
    }
  });

  it('with maxLifetimeSeconds under the token life, no connection outlives its token (2 h of steady traffic)', async () => {
    const clock = new ManualClock();
    const { Client, server } = fakePg();
    const TOKEN_LIFE = 15 * MINUTE; // an AWS RDS IAM token
    const issued = new Map<string, number>();
    const pool = new PgPool({
      Client,
      clock,
      max: 3,
      idleTimeoutMillis: 0, // never idle out: only the lifetime retires clients
      maxLifetimeSeconds: 14 * 60,
      password: async () => {
        const token = `iam-${issued.size + 1}`;
        issued.set(token, clock.now());
        return token;
      },
    });
    let oldest = 0;
    for (let minute = 0; minute < 120; minute++) {
      await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 2'), pool.query('SELECT 3')]);
      for (const client of pool._clients as unknown as { config: { password: string } }[]) {
        const age = clock.now() - issued.get(client.config.password)!;
        expect(age).toBeLessThan(TOKEN_LIFE);
        oldest = Math.max(oldest, age);
      }
      await clock.advance(MINUTE);
      await settle();
    }
    expect(oldest).toBeGreaterThanOrEqual(12 * MINUTE); // clients did live long: the check above had work to do
    expect(server.clients.length).toBeGreaterThan(3 * 7); // and were replaced along the way, each with a new token
    expect(new Set(server.clients.map((c) => c.config.password)).size).toBe(server.clients.length);
    await pool.end();
  });

  it("its values are secrets: redacted from errors, log lines and config(); the function's own failure fails that connect", async () => {
    const { Client, server } = fakePg();
    const lines: string[] = [];
    let calls = 0;
    const pool = new PgPool({
      Client,
      log: (...m: unknown[]) =>
        lines.push(m.map((x) => (x instanceof Error ? `${x.message} ${x.stack}` : String(x))).join(' ')),
      password: async () => {
        calls++;
        if (calls === 1) return 'rotated-s3cret-1';
        if (calls === 2) throw new Error('vault unreachable');
        return 'rotated-s3cret-3';
      },
    });
    server.connectError = new Error('password authentication failed for token rotated-s3cret-1');
    const err = (await pool.connect().then(
      () => null,
      (e: Error) => e,
    )) as Error;
    expect(err.message).toBe('password authentication failed for token [redacted]');
    expect(String(err.stack)).not.toContain('rotated-s3cret-1');
    server.connectError = null;
    await expect(pool.connect()).rejects.toThrow('vault unreachable');
    const c = await pool.connect();
    expect((c as unknown as { config: { password: string } }).config.password).toBe('rotated-s3cret-3');
    c.release();
    const shown = JSON.stringify({ config: pool.config(), stats: pool.stats(), health: pool.health(), lines });
    expect(shown).not.toMatch(/rotated-s3cret/);
    expect((pool.config().connection as Record<string, unknown>).password).toBe('[redacted]');
    await pool.end();
  });
});
