/**
 * The pool constructors report to the churn detector: 10 pools for one target within
 * 60 s (on the pools' clock) make one LIDO_POOL_CHURN warning, 9 make none. For Pool and
 * PgPool the target includes where the pool is made (the constructor's caller).
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { RedisPool } from '../../../src/adapters/redis/index.js';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { pgTarget } from '../../../src/adapters/pg/target.js';
import { KeyedPool, Pool } from '../../../src/index.js';
import { LIDO_POOL_CHURN } from '../../../src/stats/churn.js';
import { fakePg } from '../pg/fake-client.js';
import { ManualClock } from '../../support/manual-clock.js';
import { FakeUndici } from '../http/fake-undici.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  vi.restoreAllMocks();
});

function churnWarnings(): string[][] {
  const warn = process.emitWarning as unknown as { mock?: { calls: unknown[][] } };
  return (warn.mock?.calls ?? [])
    .filter((c) => (c[1] as { code?: string } | undefined)?.code === LIDO_POOL_CHURN)
    .map((c) => [String(c[0])]);
}

async function makeRedisPools(n: number, url: string, clock: ManualClock, stepMs: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const pool = new RedisPool({ Redis, redis: url, clock }); // min 0: never connects
    closers.push(() => pool.close());
    await clock.advance(stepMs);
  }
}

async function makeHttpPools(n: number, options: object, clock: ManualClock, stepMs: number): Promise<void> {
  const world = new FakeUndici();
  for (let i = 0; i < n; i++) {
    const pool = new HttpPool({ undici: world.module, clock, ...options });
    closers.push(() => pool.destroy());
    await clock.advance(stepMs);
  }
}

describe('RedisPool', () => {
  it('warns at the 10th pool for one host:port/db within 60 s, once', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    await makeRedisPools(9, 'redis://127.0.0.1:6391/4', clock, 6_000);
    expect(churnWarnings()).toEqual([]);
    await makeRedisPools(1, 'redis://127.0.0.1:6391/4', clock, 0);
    expect(churnWarnings()).toHaveLength(1);
    expect(churnWarnings()[0]![0]).toMatch(
      /^lido: 10 pools for RedisPool 127\.0\.0\.1:6391\/4 were created within 60 s/,
    );
    await makeRedisPools(10, 'redis://127.0.0.1:6391/4', clock, 0);
    expect(churnWarnings()).toHaveLength(1);
  });

  it('does not warn at 9, nor for 10 pools to different dbs', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    await makeRedisPools(9, 'redis://127.0.0.1:6392/0', clock, 0);
    await makeRedisPools(1, 'redis://127.0.0.1:6392/1', clock, 0);
    expect(churnWarnings()).toEqual([]);
  });
});

describe('HttpPool', () => {
  it('warns per listed origin at the 10th pool within 60 s', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    const options = { origins: { 'https://churn.example:443': { max: 2 } } };
    await makeHttpPools(9, options, clock, 6_000);
    expect(churnWarnings()).toEqual([]);
    await makeHttpPools(1, options, clock, 0);
    expect(churnWarnings()).toHaveLength(1);
    expect(churnWarnings()[0]![0]).toMatch(/^lido: 10 pools for HttpPool https:\/\/churn\.example were created/);
  });

  it('without listed origins, the target is the name', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    await makeHttpPools(9, { name: 'churn-http' }, clock, 0);
    expect(churnWarnings()).toEqual([]);
    await makeHttpPools(1, { name: 'churn-http' }, clock, 0);
    expect(churnWarnings()).toHaveLength(1);
    expect(churnWarnings()[0]![0]).toMatch(/^lido: 10 pools for HttpPool "churn-http" were created/);
  });

  it('pools spread over more than 60 s are not churn', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    await makeHttpPools(20, { name: 'slow-http' }, clock, 6_700);
    expect(churnWarnings()).toEqual([]);
  });
});

const factory = { create: async () => ({}), destroy: () => {} };

/** One place in the code that makes a pool: called again and again, as a per-request pool would be. */
function perRequestPool(name: string | undefined, clock: ManualClock): Pool<object> {
  const pool = new Pool<object>({ factory, clock, ...(name === undefined ? {} : { name }) });
  closers.push(() => pool.close());
  return pool;
}

describe('Pool (target: its name and where it is made)', () => {
  it('warns at the 10th pool made by the same code within 60 s, not at the 9th, once', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    // A request handler: the same three frames each time it runs.
    const handle = (): unknown => perRequestPool('churn-core', clock);
    for (let i = 1; i <= 20; i++) {
      handle();
      if (i === 9) expect(churnWarnings()).toEqual([]);
      if (i === 10) expect(churnWarnings()).toHaveLength(1);
      await clock.advance(i < 10 ? 6_000 : 0);
    }
    expect(churnWarnings()).toHaveLength(1);
    const text = churnWarnings()[0]![0]!;
    expect(text).toMatch(
      /^lido: 10 pools for Pool "churn-core" \(made at perRequestPool \(.*churn-pools\.test\.ts:\d+:\d+\) < /,
    );
    expect(text).toContain('Create one pool at start-up and share it');
  });

  it('unnamed pools made by the same code count together', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    for (let i = 0; i < 10; i++) perRequestPool(undefined, clock);
    expect(churnWarnings()).toHaveLength(1);
    expect(churnWarnings()[0]![0]).toMatch(/^lido: 10 pools for Pool \(unnamed\) \(made at perRequestPool/);
  });

  it('pools of one name made at different places (a test suite, one per test) are not churn', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    const made = [
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
      new Pool({ name: 'churn-suite', factory, clock }),
    ];
    for (const p of made) closers.push(() => p.close());
    expect(churnWarnings()).toEqual([]);
  });

  it("a KeyedPool's key pools, swept and made again, are not churn", async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    const keyed = new KeyedPool<string, object>({ factory: () => factory, clock, idlePoolTimeoutMs: 100 });
    closers.push(() => keyed.close());
    for (let i = 0; i < 12; i++) {
      await keyed.use('tenant', () => {});
      await clock.advance(1_000);
    }
    expect(keyed.stats().poolsCreated).toBe(12);
    expect(churnWarnings()).toEqual([]);
  });
});

/** One place in the code that makes a PgPool. */
function perRequestPgPool(options: Record<string, unknown>, clock: ManualClock): unknown {
  const { Client } = fakePg();
  const pool = new PgPool({ ...options, clock }, Client);
  closers.push(() => pool.end());
  return pool;
}

describe('PgPool (target: host:port/database/user and where it is made)', () => {
  it('warns at the 10th pool for one database made by the same code within 60 s, not at the 9th, once', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    const options = { connectionString: 'postgres://app:secret@db.churn:6543/orders' };
    const handle = (): unknown => perRequestPgPool(options, clock);
    for (let i = 1; i <= 20; i++) {
      handle();
      if (i === 9) expect(churnWarnings()).toEqual([]);
      if (i === 10) expect(churnWarnings()).toHaveLength(1);
      await clock.advance(i < 10 ? 6_000 : 0);
    }
    expect(churnWarnings()).toHaveLength(1);
    const text = churnWarnings()[0]![0]!;
    expect(text).toMatch(/^lido: 10 pools for PgPool db\.churn:6543\/orders\/app \(made at perRequestPgPool /);
    expect(text).not.toContain('secret');
  });

  it('is not churn for other databases, nor spread over more than 60 s', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const clock = new ManualClock();
    for (let i = 0; i < 9; i++) perRequestPgPool({ host: 'db.other', database: 'a', user: 'u' }, clock);
    perRequestPgPool({ host: 'db.other', database: 'b', user: 'u' }, clock);
    for (let i = 0; i < 20; i++) {
      perRequestPgPool({ host: 'db.slow', database: 'a', user: 'u' }, clock);
      await clock.advance(6_700);
    }
    expect(churnWarnings()).toEqual([]);
  });
});

describe('pgTarget', () => {
  it('reads host:port/database/user from the options, the URL, then the PG* variables', () => {
    expect(pgTarget({ host: 'h', port: 1, database: 'd', user: 'u' })).toBe('h:1/d/u');
    expect(pgTarget({ connectionString: 'postgresql://u:pw@h:2/d' }, {})).toBe('h:2/d/u');
    expect(pgTarget({}, { PGHOST: 'eh', PGPORT: '3', PGDATABASE: 'ed', PGUSER: 'eu' })).toBe('eh:3/ed/eu');
    expect(pgTarget({}, { USER: 'me' })).toBe('localhost:5432/me/me');
  });
});
