/**
 * Option `budget` beyond the core Pool: KeyedPool (every key's pool shares it), HttpPool
 * (every origin's pool), PgPool (the primary's; a replica's own options object may carry
 * its own: one budget per server), RedisPool (a core option like any other).
 */
import { describe, expect, it } from 'vitest';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { RedisPool } from '../../../src/adapters/redis/index.js';
import { KeyedPool, localBudget, PoolOptionsError } from '../../../src/index.js';
import { FakeUndici } from '../http/fake-undici.js';
import { fakePg } from '../pg/fake-client.js';
import { ManualClock, flush } from '../../support/manual-clock.js';
import { type Res, TestFactory } from '../../support/test-factory.js';
import { watch } from '../helpers.js';

describe('option budget on the other pools', () => {
  it('KeyedPool: the pools of every key share it; an idle resource of one key is closed for another', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 2, name: 'tenants' });
    const f = new TestFactory({ clock });
    const keyed = new KeyedPool<string, Res>({ factory: () => f, perKey: { max: 5 }, budget, clock });
    const a1 = await keyed.acquire('a');
    const a2 = await keyed.acquire('a');
    const b = watch(keyed.acquire('b', { timeoutMs: 1_000 }));
    await flush();
    expect(b.state).toBe('pending');
    expect(keyed.stats().budget).toMatchObject({ name: 'tenants', max: 2, held: 2, waiting: 1 });
    a1.release();
    await flush();
    expect(b.state).toBe('fulfilled');
    const perKey = Object.fromEntries(keyed.stats().perKey.map((s) => [s.key, s]));
    expect(perKey.a).toMatchObject({ size: 1, budget: { held: 1 } });
    expect(perKey.a.destroyedBy.shrink).toBe(1);
    expect(perKey.b).toMatchObject({ size: 1, budget: { held: 1 } });
    a2.release();
    (b.value as { release(): void }).release();
    await keyed.close();
    expect(budget.stats().held).toBe(0);
  });

  it('KeyedPool: budget is a top-level option, not a per-key one', () => {
    const budget = localBudget({ max: 2 });
    expect(() => new KeyedPool<string, Res>({ factory: () => new TestFactory(), perKey: { budget } as never })).toThrow(
      'perKey.budget: not allowed per key; set budget at the top level',
    );
    expect(() => new KeyedPool<string, Res>({ factory: () => new TestFactory(), budget: 5 as never })).toThrow(
      PoolOptionsError,
    );
    expect(new KeyedPool<string, Res>({ factory: () => new TestFactory() }).stats().budget).toBeNull();
  });

  it('HttpPool: every origin pool, listed or not, takes from it', async () => {
    const world = new FakeUndici();
    const budget = localBudget({ max: 8, name: 'egress' });
    const pool = new HttpPool({
      undici: world.module,
      budget,
      origins: { 'http://listed.test': { max: 4 } },
    });
    expect(pool.config()).toMatchObject({ budget: 'egress' });
    expect(pool.stats().budget).toMatchObject({ name: 'egress', max: 8, held: 0 });
    expect(() => new HttpPool({ undici: world.module, budget: {} as never })).toThrow(/^budget: expected a Budget/);
    await pool.close();
  });

  it('PgPool: the primary takes from its budget; each replica from its own, none inherited', async () => {
    const primary = fakePg();
    const replicas = [fakePg(), fakePg()];
    const main = localBudget({ max: 3, name: 'primary' });
    const first = localBudget({ max: 2, name: 'replica-0' });
    const pool = new PgPool(
      {
        max: 2,
        name: 'db',
        budget: main,
        replicas: [{ Client: replicas[0].Client, budget: first }, { Client: replicas[1].Client }],
      },
      primary.Client,
    );
    const config = pool.config() as { budget: string | null; replicas: { budget: string | null }[] };
    expect(config.budget).toBe('primary');
    expect(config.replicas.map((r) => r.budget)).toEqual(['replica-0', null]);
    await pool.query('SELECT 1');
    expect(main.stats().held).toBe(1);
    expect(pool.stats().budget).toMatchObject({ name: 'primary', held: 1 });
    await pool.end();
    expect(main.stats().held).toBe(0);
  });

  it('RedisPool: a core option like any other', async () => {
    const budget = localBudget({ max: 2, name: 'cache' });
    const pool = new RedisPool({ redis: 'redis://127.0.0.1:1', budget });
    expect(pool.stats().budget).toMatchObject({ name: 'cache', max: 2, held: 0 });
    expect(pool.config().budget).toBe('cache');
    await pool.close();
  });
});
