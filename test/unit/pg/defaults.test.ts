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

  it('repeated hook failures leave nothing behind, each call gets its own attempt, and the pool recovers', async () => {
    let failures = 0;
    const { pool } = setup({
      onConnect: () => {
        if (failures < 10) {
          failures++;
          throw new Error('connect hook error');
        }
      },
    });
    for (let i = 0; i < 10; i++) await expect(pool.connect()).rejects.toThrow('connect hook error');
    expect(failures).toBe(10);
    expect([pool.totalCount, pool.idleCount]).toEqual([0, 0]);
    const a = await pool.connect();
    const b = await pool.connect();
    expect(pool.totalCount).toBe(2);
    a.release();
    b.release();
    await pool.end();
  });
});

describe('PgPool: min, ready(), keepMin and the idle timeout, as pg.Pool means them', () => {
  it('min is a floor for idle reaping: nothing is opened for it, and what goes is not replaced', async () => {
    const { pool, server } = setup({ min: 2, max: 3 });
    await settle();
    expect(server.clients).toHaveLength(0);
    const a = await pool.connect();
    a.release(new Error('broken'));
    await settle();
    expect([server.clients.length, pool.totalCount]).toEqual([1, 0]);
    expect(pool.stats().min).toBe(2);
    await pool.end();
  });

  it('ready() opens min once; keepMin: true opens it at start and keeps it open', async () => {
    const plain = setup({ min: 2, max: 3 });
    await plain.pool.ready();
    expect(plain.pool.totalCount).toBe(2);
    (await plain.pool.connect()).release(new Error('broken'));
    await settle();
    expect(plain.pool.totalCount).toBe(1);
    await plain.pool.end();

    const kept = setup({ min: 2, max: 3, keepMin: true });
    await settle();
    expect(kept.server.clients).toHaveLength(2);
    (await kept.pool.connect()).release(new Error('broken'));
    await settle();
    expect(kept.pool.totalCount).toBe(2);
    expect(kept.server.clients).toHaveLength(3);
    await kept.pool.end();
  });

  it('an idle client above min goes at its idleTimeoutMillis exactly, one at or below min stays', async () => {
    const clock = new ManualClock();
    const log = vi.fn();
    const { pool } = setup({ clock, min: 1, max: 3, idleTimeoutMillis: 10, log });
    const removed: unknown[] = [];
    pool.on('remove', (c) => removed.push(c));
    const a = await pool.connect();
    const b = await pool.connect();
    a.release();
    await clock.advance(5);
    b.release();
    await clock.advance(4);
    expect(pool.idleCount).toBe(2);
    await clock.advance(1); // a: idle 10 ms
    expect([pool.idleCount, pool.totalCount]).toEqual([1, 1]);
    await clock.advance(60_000); // b: at min now, kept
    expect([pool.idleCount, pool.totalCount]).toEqual([1, 1]);
    await settle();
    expect(removed).toEqual([a]);
    expect(log.mock.calls.map((c) => c[0])).toContain('remove idle client');
    await pool.end();
  });

  it('a client idle at its end of life goes then, even at min', async () => {
    const clock = new ManualClock();
    const log = vi.fn();
    const { pool } = setup({
      clock,
      min: 1,
      max: 1,
      idleTimeoutMillis: 10,
      maxLifetimeSeconds: 1,
      random: () => 0,
      log,
    });
    (await pool.connect()).release();
    await clock.advance(999);
    expect(pool.idleCount).toBe(1);
    await clock.advance(1);
    expect([pool.idleCount, pool.totalCount]).toEqual([0, 0]);
    expect(log.mock.calls.map((c) => c[0])).toContain('remove expired client');
    await pool.end();
  });
});

describe('PgPool: totalCount as pg.Pool means it, max as lido counts it', () => {
  it('a client being closed leaves totalCount at once, but counts against max until its end() settles', async () => {
    const { pool } = setup({ max: 1 });
    const client = (await pool.connect()) as unknown as { end: unknown; release(err?: Error): void };
    let finish!: () => void;
    const ending = new Promise<void>((resolve) => (finish = resolve));
    client.end = (cb?: () => void) => {
      if (cb === undefined) return ending;
      void ending.then(cb);
    };
    client.release(new Error('broken'));
    expect(pool.totalCount).toBe(0); // pg.Pool's meaning: closing clients are left out
    expect(pool.stats().closing).toBe(1);
    let got = false;
    const next = pool.connect().then((c) => {
      got = true;
      return c;
    });
    await settle(20);
    expect(got).toBe(false); // max: 1 still counts the closing client: no second connection yet
    finish();
    (await next).release();
    expect(pool.totalCount).toBe(1);
    await pool.end();
  });
});
