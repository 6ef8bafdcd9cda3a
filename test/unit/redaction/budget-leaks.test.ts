/**
 * No secret in any printing of a fleet budget: `redisBudget` takes a Redis URL with a
 * password, or ioredis options with one, and reports Redis being away through events and
 * errors. Real ioredis, made to fail at once with an error that echoes its options and
 * the AUTH it sent (as a careless driver might); no server is needed.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisBudget, redisBudget } from '../../../src/adapters/redis/index.js';
import { refusedPort } from '../../support/caller-chain.js';
import { REDIS_BUDGET } from './classified-options.js';
import { Plant, driver, printings } from './harness.js';

class EchoRedis extends Redis {
  override connect(): Promise<void> {
    const o = this.options as Record<string, unknown>;
    const err = Object.assign(new Error(`WRONGPASS for ${JSON.stringify(o)} (password ${String(o.password)})`), {
      command: { name: 'auth', args: [String(o.username ?? 'default'), String(o.password)] },
    });
    return Promise.reject(err);
  }
}

let budget: RedisBudget | null = null;
afterEach(async () => {
  await budget?.close();
  budget = null;
});

describe.each([
  ['a URL with user and password', async (p: Plant) => p.url('redis', 'redis', `127.0.0.1:${await refusedPort()}/0`)],
  [
    'ioredis options with a password',
    async (p: Plant) => ({ host: '127.0.0.1', port: await refusedPort(), password: p.secret('redis.password') }),
  ],
])('redisBudget (%s)', (_name, redis) => {
  it('no secret in the budget, its stats, events, errors or a member account', async () => {
    const p = new Plant();
    const seen: unknown[] = [];
    budget = redisBudget({
      redis: (await redis(p)) as never,
      name: 'fleet',
      max: 4,
      leaseMs: 600,
      Redis: EchoRedis as never,
    });
    budget.on('error', (e) => seen.push(e));
    budget.on('unavailable', (e, share) => seen.push(e, share));
    budget.on('lost', (e, excess) => seen.push(e, excess));
    const account = budget.join({ name: 'leaks', demand: () => 1, giveBack: () => 0, capChanged: () => {} });
    const taking = account.take(AbortSignal.timeout(400)).catch((e: unknown) => e);
    await new Promise((resolve) => budget!.once('unavailable', resolve)); // its 'error' events are recorded above
    seen.push(await taking, account.stats(), account.health(), budget.stats());
    expect(seen.some((x) => x instanceof Error)).toBe(true); // Redis was away: errors were raised
    const leaks = new Set<string>();
    for (const value of [budget, ...seen])
      for (const text of printings(value, driver)) for (const w of p.leaks(text)) leaks.add(w);
    expect([...leaks]).toEqual([]);
    expect([...p.options()].every((o) => (REDIS_BUDGET.secret as readonly string[]).includes(o))).toBe(true);
    account.leave();
  });
});
