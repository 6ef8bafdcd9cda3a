/**
 * The pool constructors report to the churn detector: 10 pools for one target within
 * 60 s (on the pools' clock) make one LIDO_POOL_CHURN warning, 9 make none.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { RedisPool } from '../../../src/adapters/redis/index.js';
import { LIDO_POOL_CHURN } from '../../../src/stats/churn.js';
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
