/**
 * PgPool's defaults: pg.Pool's where pg-pool's own test suite pins them (a connection per
 * waiting call, the log lines, `onConnect`, `_clients`), and lido's protections that the
 * suite does not contradict (bounded waiting), against a fake client (no server).
 */
import { describe, expect, it, vi } from 'vitest';
import { AcquireTimeoutError, PgPool } from '../../../src/adapters/pg/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { fakePg, settle } from './fake-client.js';

function setup(options: Record<string, unknown> = {}) {
  const { Client, server } = fakePg();
  const pool = new PgPool({ max: 2, ...options }, Client);
  return { pool, server, Client };
}

const outcome = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (e: Error) => e,
  );

describe('PgPool: waiting is bounded unless asked otherwise', () => {
  it('without connectionTimeoutMillis a call waits at most 30 s (lido), not forever (pg.Pool)', async () => {
    const clock = new ManualClock();
    const { pool } = setup({ max: 1, clock });
    const a = await pool.connect();
    let settled: unknown = null;
    void outcome(pool.connect()).then((o) => (settled = o));
    await clock.advance(29_999);
    expect(settled).toBe(null);
    await clock.advance(1);
    expect(settled).toBeInstanceOf(AcquireTimeoutError);
    expect((settled as Error).message).toMatch(/^timeout exceeded when trying to connect/);
    a.release();
    await pool.end();
  });

  it('connectionTimeoutMillis: 0 is pg.Pool\'s "no limit"', async () => {
    const clock = new ManualClock();
    const { pool } = setup({ max: 1, clock, connectionTimeoutMillis: 0 });
    const a = await pool.connect();
    let settled: unknown = null;
    const waiting = pool.connect();
    void outcome(waiting).then((o) => (settled = o));
    await clock.advance(120_000);
    expect(settled).toBe(null);
    a.release();
    await settle();
    expect(settled).toBe('resolved');
    (await waiting).release();
    await pool.end();
  });
});

describe("PgPool: pg.Pool behaviour pinned by pg-pool's suite", () => {
  it('calls that find no idle client each start a connection at once, up to max (pg-pool "properly pools clients")', async () => {
    const { pool, server } = setup({ max: 5 });
    server.hang = true; // connections never complete: every attempt started is still there
    const calls = Array.from({ length: 7 }, () => outcome(pool.connect()));
    await settle();
    expect(server.clients).toHaveLength(5);
    expect(pool.totalCount).toBe(5);
    await pool.close({ timeoutMs: 0 });
    await Promise.all(calls);
  });

  it('maxConcurrentCreates (a core option) still limits them when given', async () => {
    const { pool, server } = setup({ max: 5, maxConcurrentCreates: 2 });
    server.hang = true;
    const calls = Array.from({ length: 5 }, () => outcome(pool.connect()));
    await settle();
    expect(server.clients).toHaveLength(2);
    await pool.close({ timeoutMs: 0 });
    await Promise.all(calls);
  });

  it("logs pg-pool's line when a client is removed for maxUses, as release() returns", async () => {
    const log = vi.fn();
    const { pool } = setup({ maxUses: 1, log });
    const client = await pool.connect();
    client.release();
    expect(log.mock.calls.map((c) => c[0])).toContain('remove expended client');
    await pool.end();
  });

  it("_clients lists the clients open, as pg-pool's does", async () => {
    const { pool, server } = setup();
    const a = await pool.connect();
    const b = await pool.connect();
    expect(pool._clients).toEqual([server.clients[0], server.clients[1]]);
    expect(pool._clients).toContain(a);
    b.release(new Error('broken'));
    expect(pool._clients).toEqual([a]);
    a.release();
    await pool.end();
    expect(pool._clients).toEqual([]);
  });
});

describe('PgPool: onConnect(client), as pg.Pool calls it', () => {
  it('a hook that throws fails that connect with its error; the client is ended and not counted', async () => {
    const { pool, server } = setup({
      onConnect: () => {
        throw new Error('connect hook error');
      },
    });
    await expect(pool.connect()).rejects.toThrow(/^connect hook error$/);
    await settle();
    expect(server.clients[0]!.ended).toBe(true);
    expect([pool.totalCount, pool.idleCount]).toEqual([0, 0]);
    await pool.end();
  });

  it('an async hook runs before the client is handed out, once per client; a rejection fails that connect', async () => {
    const seen: unknown[] = [];
    const { pool } = setup({
      onConnect: async (client: { query(sql: string): Promise<unknown> }) => {
        seen.push(client);
        await client.query('SET application_name = hooked');
        if (seen.length === 2) throw new Error('refused by the hook');
      },
    });
    const a = await pool.connect();
    expect(seen).toEqual([a]);
    expect((a as unknown as { queries: string[] }).queries).toEqual(['SET application_name = hooked']);
    await expect(pool.connect()).rejects.toThrow('refused by the hook');
    a.release();
    const again = await pool.connect();
    expect(again).toBe(a); // an idle client: no hook
    expect(seen).toHaveLength(2);
    again.release();
    await pool.end();
  });
});
