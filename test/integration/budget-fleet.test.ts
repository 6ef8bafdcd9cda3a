/**
 * redisBudget across real processes on the shared Redis (each test its own budget name,
 * its keys deleted after), each process a core Pool with option `budget`: a SIGKILLed
 * holder's permits return to a waiter within `leaseMs` + 1 s, waiting processes are
 * served first come first served, and a process sitting on idle resources gives them
 * back within a second when another one waits.
 */
import { afterEach, expect, it } from 'vitest';
import { deleteBudgetKeys, type FleetChild, reapAll, startPoolChild as startChild } from '../support/budget-fleet.js';
import { describeWithRedis } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const got = (e: { ev: string }) => e.ev === 'got';

describeWithRedis('redisBudget across processes', (redis) => {
  const names: string[] = [];
  const unique = (tag: string): string => {
    const name = `test-${tag}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    names.push(name);
    return name;
  };

  afterEach(async () => {
    await reapAll();
    await deleteBudgetKeys(redis, names);
  });

  it('returns the permits of a SIGKILLed process to a waiting one within leaseMs + 1 s', async () => {
    const leaseMs = 2_000;
    const common = { url: redis.url, name: unique('kill'), max: 3, leaseMs };
    const holder = await startChild(common);
    holder.send({ op: 'take', n: 3 });
    await holder.next(got, 10_000, 3, 'the holder to get 3 permits');
    const waiter = await startChild(common);
    waiter.send({ op: 'take', n: 1 });
    // While the holder lives, its permits stay its own (its lease is renewed).
    await sleep(leaseMs + 500);
    expect(waiter.all('got')).toHaveLength(0);
    expect((await waiter.stats()).waiting).toBe(1);
    const killedAt = Date.now();
    await holder.kill('SIGKILL');
    const e = await waiter.next(got, leaseMs + 5_000, 1, 'the waiter to get a permit');
    console.log(`[fleet] SIGKILLed holder: the waiter got a permit ${e.at - killedAt} ms later (leaseMs ${leaseMs})`);
    expect(e.at - killedAt).toBeLessThanOrEqual(leaseMs + 1_000);
    const s = await waiter.stats();
    expect(s.held).toBe(1);
    expect(s.fleetHeld).toBe(1);
  });

  it('serves waiting processes first come, first served', async () => {
    const common = { url: redis.url, name: unique('fifo'), max: 1, leaseMs: 3_000 };
    const holder = await startChild(common);
    holder.send({ op: 'take', n: 1 });
    await holder.next(got, 10_000, 1, 'the holder to get the permit');
    const waiters: FleetChild[] = [];
    for (let i = 0; i < 3; i++) waiters.push(await startChild(common));
    // In this order: each ticket is in the queue (its process waits) before the next asks.
    for (const w of waiters) {
      w.send({ op: 'take', n: 1 });
      await sleep(300);
      expect((await w.stats()).waiting).toBe(1);
    }
    holder.send({ op: 'release', n: 1 });
    for (let i = 0; i < waiters.length; i++) {
      await waiters[i].next(got, 5_000, 1, `waiter ${i} to get the permit`);
      for (const later of waiters.slice(i + 1)) expect(later.all('got')).toHaveLength(0);
      waiters[i].send({ op: 'release', n: 1 });
    }
  });

  it('gives idle resources above min back within a second when another process waits', async () => {
    const common = { url: redis.url, name: unique('giveback'), max: 10, leaseMs: 5_000 };
    const idle = await startChild({ ...common, min: 2 });
    idle.send({ op: 'take', n: 10 });
    await idle.next(got, 10_000, 10, 'the idle process to get 10 permits');
    idle.send({ op: 'release', n: 10 });
    await idle.next((e) => e.ev === 'stats' && e.idle === 10, 5_000, 1, 'its resources to go idle');
    const waiter = await startChild(common);
    const askedAt = Date.now();
    waiter.send({ op: 'take', n: 3 });
    const third = await waiter.next(got, 5_000, 3, 'the waiter to get 3 permits');
    console.log(`[fleet] give-back: the waiter got 3 permits ${third.at - askedAt} ms after asking`);
    expect(third.at - askedAt).toBeLessThanOrEqual(1_000);
    // It kept its min.
    const s = await idle.stats();
    expect(s.idle).toBe(2);
  });
});
