/** PgPool with the kill switch (`pooling: false`), against the fake client. */
import { describe, expect, it } from 'vitest';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { fakePg, settle } from './fake-client.js';

describe('PgPool: pooling: false', () => {
  it('gives every checkout and query a fresh client and ends it on release', async () => {
    const { Client, server } = fakePg();
    const pool = new PgPool({ max: 2, pooling: false }, Client);
    const a = await pool.connect();
    a.release();
    const b = await pool.connect();
    expect(b).not.toBe(a);
    b.release();
    await pool.query('SELECT 1');
    await settle();
    expect(server.clients).toHaveLength(3);
    expect(server.clients.every((c) => c.ended)).toBe(true);
    expect([pool.totalCount, pool.idleCount]).toEqual([0, 0]);
    const s = pool.stats();
    expect(s).toMatchObject({ created: 3, destroyed: 3 });
    expect(s.destroyedBy.unpooled).toBe(3);
    await pool.end();
  });

  it('keeps max: a third checkout waits for a release, then gets a fresh client', async () => {
    const { Client, server } = fakePg();
    const pool = new PgPool({ max: 2, pooling: false }, Client);
    const a = await pool.connect();
    const b = await pool.connect();
    const waiting = pool.connect();
    await settle();
    expect(pool.waitingCount).toBe(1);
    a.release();
    const c = await waiting;
    expect(c).not.toBe(a);
    expect(server.clients).toHaveLength(3);
    b.release();
    c.release();
    await pool.end();
  });
});
