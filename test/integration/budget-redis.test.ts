/**
 * redisBudget in one process against the real Redis: keys and expiry on the server's
 * clock, leaving the fleet, a lease found gone (re-asserted, the excess shed), thaw,
 * missed pub/sub messages, a caller's client with an offline queue, key prefixes,
 * secrets, options. Shared Redis: unique names, keys deleted after; faults only on a
 * throwaway redis-server of the test's own.
 */
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { type RedisBudget, redisBudget, type RedisBudgetOptions } from '../../src/adapters/redis/index.js';
import { systemClock } from '../../src/core/util/clock.js';
import type { BudgetError } from '../../src/index.js';
import { deleteBudgetKeys, reapAll } from '../support/budget-fleet.js';
import { startThrowawayRedis } from '../support/throwaway-redis.js';
import { freePort } from '../support/free-port.js';
import { FakeMember } from '../support/budget-member.js';
import { describeWithRedis, redisClient } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describeWithRedis('redisBudget', (redis) => {
  const budgets: RedisBudget[] = [];
  const clients: Redis[] = [];
  const names: string[] = [];
  const unique = (tag: string): string => {
    const name = `test-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    names.push(name);
    return name;
  };
  const make = (o: Partial<RedisBudgetOptions> & { name: string }): RedisBudget => {
    const b = redisBudget({ redis: redis.url, max: 2, leaseMs: 3_000, ...o });
    b.on('error', () => {});
    budgets.push(b);
    return b;
  };

  afterEach(async () => {
    await Promise.all(budgets.splice(0).map((b) => b.close()));
    for (const c of clients.splice(0)) c.disconnect();
    await reapAll();
    await deleteBudgetKeys(redis, names);
  });

  it("keeps its lease on the Redis server's clock and leaves the fleet on close (permits back at once)", async () => {
    const name = unique('lease');
    const a = make({ name, leaseMs: 9_000 });
    await a.ready();
    const ma = new FakeMember('a', a, systemClock);
    ma.waiters = 2;
    await ma.createFor();
    await ma.createFor();
    const client = await redisClient(redis);
    clients.push(client);
    const [sec, usec] = (await client.time()) as unknown as [string, string];
    const serverNow = Number(sec) * 1_000 + Math.floor(Number(usec) / 1_000);
    const expiry = Number(await client.zscore(`lido:budget:{${name}}:leases`, a.processId));
    // Renewed every 3 s for 9 s: between 6 and 9 s ahead of the server's time.
    expect(expiry - serverNow).toBeGreaterThan(5_500);
    expect(expiry - serverNow).toBeLessThanOrEqual(9_000);
    expect(await client.hget(`lido:budget:{${name}}:state`, 'used')).toBe('2');
    const b = make({ name, leaseMs: 9_000 });
    await b.ready();
    const mb = new FakeMember('b', b, systemClock);
    mb.waiters = 1;
    const t = mb.createFor();
    await sleep(200);
    expect(mb.account.held).toBe(0);
    const closedAt = Date.now();
    await a.close();
    await t;
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(await client.zscore(`lido:budget:{${name}}:leases`, a.processId)).toBeNull();
  });

  it('re-asserts a lease found gone, sheds what no longer fits, and re-checks on thaw before lending', async () => {
    const name = unique('lost');
    const a = make({ name, max: 3 });
    await a.ready();
    const ma = new FakeMember('a', a, systemClock, 0, 1);
    ma.waiters = 3;
    for (let i = 0; i < 3; i++) await ma.createFor();
    ma.waiters = 0;
    for (let i = 0; i < 3; i++) ma.release();
    expect(ma.idle).toBe(3);
    const fence = a.fence;
    // As if the process had been frozen past its lease: Redis dropped it, another process took the cap.
    const client = await redisClient(redis);
    clients.push(client);
    await client.del(`lido:budget:{${name}}:leases`, `lido:budget:{${name}}:state`);
    const b = make({ name, max: 3 });
    await b.ready();
    const mb = new FakeMember('b', b, systemClock, 0, 1);
    mb.waiters = 2;
    await mb.createFor();
    await mb.createFor();
    const lost: BudgetError[] = [];
    a.on('lost', (e) => lost.push(e));
    await ma.account.thaw();
    expect(lost).toHaveLength(1);
    expect(lost[0].code).toBe('ERR_BUDGET_LEASE_LOST');
    expect(a.fence).toBeGreaterThan(fence);
    // 2 + 3 > 3: a sheds 2 of its idle resources at once (reason shrink in a real pool).
    expect(ma.account.cap).toBe(1);
    await until(() => ma.account.held === 1, 2_000, 'a to shed down to 1');
    await until(async () => (await client.hget(`lido:budget:{${name}}:state`, 'used')) === '3', 2_000, 'used 3');
    expect(a.health()).toBeNull();
  });

  it('a waiter whose grant message was lost still gets its permit (reconnect and heartbeat re-check)', async () => {
    await using server = await startThrowawayRedis();
    const a = make({ name: 'missed', redis: server.url, max: 1, leaseMs: 1_500 });
    const b = make({ name: 'missed', redis: server.url, max: 1, leaseMs: 1_500 });
    await Promise.all([a.ready(), b.ready()]);
    const ma = new FakeMember('a', a, systemClock, 0, 1);
    const mb = new FakeMember('b', b, systemClock, 0, 1);
    ma.waiters = 1;
    await ma.createFor();
    mb.waiters = 1;
    const t = mb.createFor();
    await sleep(200);
    const admin = new Redis(server.url);
    admin.on('error', () => {});
    clients.push(admin);
    // Every subscriber is cut off: the grant below is published to nobody.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    ma.borrowed--;
    ma.account.give();
    await t;
    expect(mb.account.held).toBe(1);
  });

  it("never hangs on a caller's client with an offline queue, and recovers when Redis comes", async () => {
    const port = await freePort();
    const user = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 100 });
    user.on('error', () => {});
    clients.push(user);
    const b = make({ name: 'offline', redis: user as never, max: 2, leaseMs: 2_000 });
    const down: number[] = [];
    b.on('unavailable', (_e, share) => down.push(share));
    const mb = new FakeMember('b', b, systemClock, 0, 1);
    mb.waiters = 1;
    const started = Date.now();
    await expect(mb.account.take(AbortSignal.timeout(1_000))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    await until(() => down.length > 0, 3_000, 'the unavailable event');
    // Never seen the fleet: no share to take.
    expect(down[0]).toBe(0);
    // Redis comes, on the port the client has been trying all along.
    await using _server = await startThrowawayRedis({ port });
    await mb.createFor(AbortSignal.timeout(10_000));
    expect(mb.account.held).toBe(1);
    expect(b.health()).toBeNull();
    await b.close();
  });

  it("keeps keys under a client's keyPrefix, apart from the same name without it", async () => {
    const name = unique('prefix');
    const prefixed = new Redis(redis.url, { keyPrefix: 'app1:' });
    clients.push(prefixed);
    const a = make({ name, redis: prefixed as never, max: 1 });
    const b = make({ name, max: 1 });
    await Promise.all([a.ready(), b.ready()]);
    const ma = new FakeMember('a', a, systemClock);
    const mb = new FakeMember('b', b, systemClock);
    await ma.createFor(AbortSignal.timeout(5_000));
    await mb.createFor(AbortSignal.timeout(5_000));
    const client = await redisClient(redis);
    clients.push(client);
    expect(await client.exists(`app1:lido:budget:{${name}}:leases`)).toBe(1);
    expect(await client.hget(`app1:lido:budget:{${name}}:state`, 'used')).toBe('1');
    expect(await client.hget(`lido:budget:{${name}}:state`, 'used')).toBe('1');
  });

  it('never shows the URL or password: errors, health, inspect, config', async () => {
    const port = await freePort();
    const url = `redis://lido:s3cr3t-pw@127.0.0.1:${port}`;
    const b = make({ name: 'secret', redis: url });
    const errors: unknown[] = [];
    b.on('unavailable', (e) => errors.push(e));
    await until(() => errors.length > 0, 5_000, 'the unavailable event');
    const shown = [
      (errors[0] as Error).message,
      String((errors[0] as Error).stack),
      inspect(errors[0], { depth: 5 }),
      String(b.health()),
      inspect(b, { depth: 5, showHidden: true }),
      JSON.stringify(b.config()),
    ].join('\n');
    expect(shown).not.toContain('s3cr3t');
    expect(shown).toContain(`127.0.0.1:${port}`);
    expect(b.config()).toEqual({
      name: 'secret',
      max: 2,
      leaseMs: 3_000,
      onUnavailable: 'share',
      redis: `redis://lido:[redacted]@127.0.0.1:${port}`,
    });
    expect(() => redisBudget({ redis: 'http://u:s3cr3t-pw@host', name: 'x', max: 1 })).toThrow(
      'redis: expected a redis:// or rediss:// URL (or a unix socket path), got "http://***@host"',
    );
  });

  it('validates its options', () => {
    const base = { redis: redis.url, name: 'v', max: 2 };
    expect(() => redisBudget({ ...base, max: 0 })).toThrow('max: expected a positive integer, got 0');
    expect(() => redisBudget({ ...base, leaseMs: -5 })).toThrow('leaseMs: expected a positive duration in ms, got -5');
    expect(() => redisBudget({ ...base, leaseMs: 100 })).toThrow('leaseMs: expected at least 300, got 100');
    expect(() => redisBudget({ ...base, onUnavailable: 'wait' as never })).toThrow(
      `onUnavailable: expected 'share' or 'block', got "wait"`,
    );
    expect(() => redisBudget({ ...base, name: undefined as never })).toThrow(
      'name: expected a non-empty string, got undefined',
    );
    expect(() => redisBudget({ ...base, lease: 5 } as never)).toThrow('redisBudget options: unknown option "lease"');
    expect(() => redisBudget({ name: 'v', max: 2 } as never)).toThrow(
      'redis: expected a redis:// URL, ioredis options or an ioredis client, got undefined',
    );
    expect(() => redisBudget({ ...base, redis: { cluster: [] } })).toThrow('Redis Cluster is not supported');
  });
});
