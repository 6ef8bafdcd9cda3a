/**
 * redisBudget when its Redis goes away and comes back empty: a throwaway redis-server of
 * the test's own (no persistence, on a free loopback port), never the shared one. Fleet
 * processes are children; everything is reaped after each test.
 */
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { reapAll, startChild } from '../support/budget-fleet.js';
import { startThrowawayRedis } from '../support/throwaway-redis.js';
import { describeWithRedis } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const got = (e: { ev: string }) => e.ev === 'got';

async function fleetUsed(url: string, name: string): Promise<number> {
  const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect();
    return Number((await r.hget(`lido:budget:{${name}}:state`, 'used')) ?? 0);
  } finally {
    r.disconnect();
  }
}

// Needs redis-server on PATH (as the shared Redis does); the shared server is never touched.
describeWithRedis('redisBudget when Redis goes away', () => {
  afterEach(async () => {
    await reapAll();
  });

  it("'share': keeps creating up to an equal share of max among the processes last seen, and re-asserts when Redis is back", async () => {
    await using server = await startThrowawayRedis();
    const common = { url: server.url, name: 'share', max: 10, leaseMs: 5_000, onUnavailable: 'share' as const };
    const a = await startChild(common);
    const b = await startChild(common);
    a.send({ op: 'take', n: 3 });
    b.send({ op: 'take', n: 2 });
    await a.next(got, 5_000, 3, 'a to get 3');
    await b.next(got, 5_000, 2, 'b to get 2');
    await server.kill();
    const stoppedAt = Date.now();
    // Two processes seen: a's share is 5; it holds 3, so 2 more now and the rest waits.
    a.send({ op: 'take', n: 4 });
    const down = await a.next((e) => e.ev === 'unavailable' && e.at >= stoppedAt, 5_000, 1, 'the unavailable event');
    expect(down.code).toBe('ERR_BUDGET_UNAVAILABLE');
    expect(down.share).toBe(5);
    expect(String(down.message)).toContain(`127.0.0.1:${server.port}`);
    await a.next(got, 5_000, 5, 'a to reach its share');
    await sleep(500);
    expect(a.all('got')).toHaveLength(5);
    const s = await a.stats();
    expect(s.held).toBe(5);
    expect(s.waiting).toBe(2);
    expect(String(s.health)).toMatch(/unreachable for \d+ ms \(onUnavailable: share: this process keeps to 5 of 10\)/);
    // Back, empty: both re-assert what they hold (5 + 2), then a's waiting creates get the rest.
    await server.start();
    await a.next((e) => e.ev === 'available' && e.at >= stoppedAt, 10_000, 1, 'a to see Redis again');
    await a.next(got, 10_000, 7, "a's waiting creates to be served");
    await sleep(300);
    expect(await fleetUsed(server.url, 'share')).toBe(9);
    expect((await a.stats()).health).toBeNull();
  });

  it("'block': no new creates while Redis is away, served once it is back", async () => {
    await using server = await startThrowawayRedis();
    const common = { url: server.url, name: 'block', max: 4, leaseMs: 1_500, onUnavailable: 'block' as const };
    const a = await startChild(common);
    a.send({ op: 'take', n: 1 });
    await a.next(got, 5_000, 1, 'a to get 1');
    await server.kill();
    const stoppedAt = Date.now();
    a.send({ op: 'take', n: 1 });
    await a.next((e) => e.ev === 'unavailable' && e.at >= stoppedAt, 5_000, 1, 'the unavailable event');
    await sleep(1_500);
    expect(a.all('got')).toHaveLength(1);
    const s = await a.stats();
    expect(s.waiting).toBe(1);
    expect(String(s.health)).toContain('onUnavailable: block: no new creates');
    await server.start();
    await a.next(got, 10_000, 2, 'the waiting create to be served');
    expect(await fleetUsed(server.url, 'block')).toBe(2);
  });

  it('Redis restarted empty: holders re-assert their leases and the cap holds again within a few seconds', async () => {
    await using server = await startThrowawayRedis();
    const common = { url: server.url, name: 'restart', max: 6, leaseMs: 3_000 };
    const a = await startChild(common);
    const b = await startChild(common);
    a.send({ op: 'take', n: 3 });
    b.send({ op: 'take', n: 3 });
    await a.next(got, 5_000, 3, 'a to get 3');
    await b.next(got, 5_000, 3, 'b to get 3');
    a.send({ op: 'release', n: 3 });
    b.send({ op: 'release', n: 3 });
    await server.kill();
    await server.start();
    // A newcomer grabs the whole budget of the empty server before (or after) the holders re-assert.
    const c = await startChild(common);
    c.send({ op: 'take', n: 6 });
    const until = Date.now() + 5_000;
    let total = Infinity;
    while (Date.now() < until) {
      const [sa, sb, sc] = await Promise.all([a.stats(), b.stats(), c.stats()]);
      total = Number(sa.held) + Number(sb.held) + Number(sc.held);
      const used = await fleetUsed(server.url, 'restart');
      if (total <= 6 && used === total && a.all('lost').length > 0 && b.all('lost').length > 0) break;
      await sleep(100);
    }
    expect(total).toBeLessThanOrEqual(6);
    expect(await fleetUsed(server.url, 'restart')).toBe(total);
    // Both found their lease gone and asserted it again (shedding what no longer fit).
    expect(a.all('lost')[0].code).toBe('ERR_BUDGET_LEASE_LOST');
    expect(b.all('lost')[0].code).toBe('ERR_BUDGET_LEASE_LOST');
  });
});
