/** RedisPool with the kill switch (`pooling: false`) against the real Redis. */
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { RedisPool } from '../../src/adapters/redis/index.js';
import { describeWithRedis, type RedisConfig } from '../support/services.js';

describeWithRedis('lido/redis: pooling: false', (cfg: RedisConfig) => {
  it('gives every lease a fresh connection and closes it on release', async () => {
    const pool = new RedisPool<Redis>({ Redis, redis: cfg.url, pooling: false, max: 2, acquireTimeoutMs: 5_000 });
    try {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push(await pool.use(async (r) => Number(await r.call('client', 'id'))));
      expect(new Set(ids).size).toBe(3);
      const s = pool.stats();
      expect(s).toMatchObject({ size: 0, idle: 0, created: 3, destroyed: 3, max: 2 });
      expect(s.destroyedBy.unpooled).toBe(3);
      // max still holds: two leases at once, a third waits.
      const a = await pool.acquire();
      const b = await pool.acquire();
      const third = pool.acquire({ timeoutMs: 5_000 });
      expect(pool.stats().pending).toBe(1);
      const first = a.resource;
      a.release();
      const c = await third;
      expect(c.resource).not.toBe(first);
      b.release();
      c.release();
      expect(pool.stats().destroyedBy.unpooled).toBe(6);
    } finally {
      await pool.close();
    }
  });
});
