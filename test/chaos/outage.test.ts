/**
 * Outages against a real socket: a pool of connections to a line service (see
 * test/support/line-service.ts) through a fault proxy that refuses, blackholes, resets
 * and pauses. Real time, kept short: small timeouts and backoff caps; every wait bounded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AcquireTimeoutError, Pool, type PoolOptions } from '../../src/index.js';
import { faultProxy, type FaultProxy } from '../support/fault-proxy.js';
import {
  lineFactory,
  lineService,
  type LineConn,
  type LineFactoryStats,
  type LineService,
} from '../support/line-service.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` holds, at most `ms`; returns whether it did. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** Rejection of `p`, or a failure if it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** The n-th delay (1-based) of the pool's backoff with random() = r: equal jitter on min(cap, base * 2^(n-1)). */
const delay = (n: number, base: number, cap: number, r: number): number => {
  const ceiling = Math.min(cap, base * 2 ** (n - 1));
  return ceiling / 2 + (r * ceiling) / 2;
};

let service: LineService;
let proxy: FaultProxy;
const pools: Pool<LineConn>[] = [];

function makePool(options: Omit<PoolOptions<LineConn>, 'factory'>): { pool: Pool<LineConn>; stats: LineFactoryStats } {
  const { factory, stats } = lineFactory(proxy.port);
  const pool = new Pool<LineConn>({ name: 'outage', ...options, factory });
  pools.push(pool);
  return { pool, stats };
}

beforeEach(async () => {
  service = await lineService();
  proxy = await faultProxy(service.port);
});

afterEach(async () => {
  for (const p of pools.splice(0)) await p.close({ timeoutMs: 200 });
  await proxy.close();
  await service.close();
});

describe('outages against a real socket', () => {
  it('service refusing connections: acquires reject within acquireTimeoutMs, cause = the last connect error', async () => {
    await proxy.refuse();
    const { pool, stats } = makePool({ acquireTimeoutMs: 300, createRetry: { baseMs: 20, capMs: 100 } });
    const settled = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const t0 = performance.now();
        const e = await rejection(pool.acquire());
        return { e, ms: performance.now() - t0 };
      }),
    );
    for (const { e, ms } of settled) {
      expect(e).toBeInstanceOf(AcquireTimeoutError);
      expect((e as AcquireTimeoutError).cause).toMatchObject({ code: 'ECONNREFUSED' });
      expect((e as Error).message).toMatch(
        /acquire timed out after 300 ms \(pool "outage": 0\/10 borrowed, 0 idle, \d creating, \d waiting\); last create error: connect ECONNREFUSED/,
      );
      expect(ms).toBeGreaterThanOrEqual(299);
      expect(ms).toBeLessThan(300 + 150);
    }
    // Retried, at the backoff's pace (waves of up to 2 after at least 10, 20, 40, 50, 50… ms), never spinning.
    expect(stats.attempts.length).toBeGreaterThanOrEqual(4);
    expect(stats.attempts.length).toBeLessThanOrEqual(16);
    console.log(
      `[outage] refused: ${stats.attempts.length} connect attempts in 300 ms, timeouts after ${settled.map((s) => Math.round(s.ms)).join(', ')} ms`,
    );
  });

  it('service accepting and never answering: acquires reject within acquireTimeoutMs, cause = the create timeout', async () => {
    proxy.blackhole();
    const { pool, stats } = makePool({
      acquireTimeoutMs: 400,
      createTimeoutMs: 150,
      createRetry: { baseMs: 20, capMs: 100 },
    });
    const t0 = performance.now();
    const e = await rejection(pool.acquire());
    const ms = performance.now() - t0;
    expect(e).toBeInstanceOf(AcquireTimeoutError);
    expect(String((e as Error).cause)).toMatch(/create timed out after 150 ms/);
    expect(ms).toBeGreaterThanOrEqual(399);
    expect(ms).toBeLessThan(400 + 150);
    expect(stats.attempts.length).toBeGreaterThanOrEqual(2);
    expect(stats.attempts.length).toBeLessThanOrEqual(6);
    // Each attempt reached the proxy and was held. The last connect may have started just
    // before the acquire gave up, its accept not yet seen by the proxy (on a busy machine
    // that takes a few event-loop turns): wait, bounded, for the proxy to see every attempt.
    // Only these attempts connect to the proxy, so an attempt that never reached it keeps
    // the counts apart and fails here.
    await until(() => proxy.accepted === stats.attempts.length, 2_000);
    expect(proxy.accepted, `proxy accepted ${proxy.accepted} of ${stats.attempts.length} attempts`).toBe(
      stats.attempts.length,
    );
  });

  it('calls create at the backoff pace while the service is down (fixed jitter: exact schedule)', async () => {
    await proxy.refuse();
    const base = 40;
    const cap = 320;
    // min 1 and nobody waiting: only the backoff's retry timer drives the attempts.
    const { stats } = makePool({
      min: 1,
      maxConcurrentCreates: 1,
      createRetry: { baseMs: base, capMs: cap },
      random: () => 0.5,
    });
    await sleep(2_000);
    const a = stats.attempts;
    const gaps = a.slice(1).map((t, i) => t - a[i]);
    const want = gaps.map((_, i) => delay(i + 1, base, cap, 0.5));
    console.log(
      `[outage] backoff ${base}/${cap} ms: ${a.length} attempts in 2 s; gaps ${gaps.map(Math.round).join(', ')} ms; schedule ${want.join(', ')} ms`,
    );
    // 30, 60, 120, 240, 240… ms after each failure (a refused connect fails within a few ms): 11 attempts in 2 s
    // (one fewer if timers run late on a busy machine).
    expect(a.length).toBeGreaterThanOrEqual(9);
    expect(a.length).toBeLessThanOrEqual(11);
    for (let i = 0; i < gaps.length; i++) {
      expect(gaps[i], `gap ${i + 1}`).toBeGreaterThanOrEqual(want[i] - 1);
      expect(gaps[i], `gap ${i + 1}`).toBeLessThanOrEqual(want[i] + 120);
    }
  });

  it('calls create at the backoff pace with random jitter: each gap between half and all of its ceiling', async () => {
    await proxy.refuse();
    const base = 40;
    const cap = 320;
    const { pool, stats } = makePool({
      maxConcurrentCreates: 1,
      acquireTimeoutMs: 10_000,
      createRetry: { baseMs: base, capMs: cap },
    });
    const waiting = rejection(pool.acquire()); // a waiter, this time, drives the pool
    await sleep(2_000);
    const a = stats.attempts;
    const gaps = a.slice(1).map((t, i) => t - a[i]);
    console.log(
      `[outage] backoff ${base}/${cap} ms with jitter: ${a.length} attempts in 2 s; gaps ${gaps.map(Math.round).join(', ')} ms`,
    );
    expect(a.length).toBeGreaterThanOrEqual(7); // all at their ceilings: 40, 80, 160, 320, 320, 320… => 8
    expect(a.length).toBeLessThanOrEqual(14); // all at half: 20, 40, 80, 160, 160… => 14
    for (let i = 0; i < gaps.length; i++) {
      const ceiling = Math.min(cap, base * 2 ** i);
      expect(gaps[i], `gap ${i + 1}`).toBeGreaterThanOrEqual(ceiling / 2 - 1);
      expect(gaps[i], `gap ${i + 1}`).toBeLessThanOrEqual(ceiling + 120);
    }
    await pool.close();
    expect(await waiting).toMatchObject({ code: 'ERR_POOL_CLOSED' });
  });

  it('recovers within one backoff cap after the service comes back', async () => {
    await proxy.refuse();
    const cap = 400;
    const { pool, stats } = makePool({ acquireTimeoutMs: 10_000, createRetry: { baseMs: 50, capMs: cap } });
    const waiting = pool.acquire();
    await sleep(1_200); // 25..50, 50..100, 100..200, 200..400, 200..400: the backoff is at its cap
    const failedBefore = stats.errors.length;
    await proxy.forward();
    const back = performance.now();
    const lease = await waiting;
    const recovered = performance.now() - back;
    console.log(
      `[outage] recovered ${Math.round(recovered)} ms after the service came back (cap ${cap} ms), after ${failedBefore} failed connects`,
    );
    expect(recovered).toBeLessThanOrEqual(cap + 100);
    expect(await lease.resource.request('PING')).toBe('PONG');
    lease.release();
  });

  it('evicts connections reset while idle (watch on socket close) and refills min', async () => {
    const { pool, stats } = makePool({ min: 3, max: 5, validateAfterIdleMs: 60_000 });
    await pool.ready();
    expect(await until(() => pool.stats().idle === 3, 1_000)).toBe(true);
    proxy.reset();
    expect(await until(() => stats.evicted === 3, 1_000)).toBe(true);
    expect(pool.stats().destroyed).toBe(3);
    expect(await until(() => pool.stats().idle === 3, 1_000)).toBe(true); // refilled to min
    // No dead connection is handed out, though nothing validates them.
    const replies = await Promise.all(Array.from({ length: 3 }, () => pool.use((c) => c.request('PING'))));
    expect(replies).toEqual(['PONG', 'PONG', 'PONG']);
    expect(stats.connected).toBe(6);
  });

  it('pause: a stalled service makes acquires time out (never hang); resume: served again', async () => {
    const { pool } = makePool({
      min: 1,
      acquireTimeoutMs: 400,
      createTimeoutMs: 200,
      validateAfterIdleMs: 0,
      validateTimeoutMs: 100,
      createRetry: { baseMs: 20, capMs: 100 },
    });
    await pool.ready();
    proxy.pause();
    const t0 = performance.now();
    const e = await rejection(pool.use((c) => c.request('PING')));
    const ms = performance.now() - t0;
    expect(e).toBeInstanceOf(AcquireTimeoutError); // the idle one failed its ping, its replacement never greeted
    expect(ms).toBeGreaterThanOrEqual(399);
    expect(ms).toBeLessThan(400 + 150);
    proxy.resume();
    const t1 = performance.now();
    expect(await pool.use((c) => c.request('PING'))).toBe('PONG');
    expect(performance.now() - t1).toBeLessThan(400);
  });

  it('never hangs a caller while the service flaps through every failure; close leaves nothing open', async () => {
    const { pool, stats } = makePool({
      max: 4,
      acquireTimeoutMs: 200,
      createTimeoutMs: 150,
      validateAfterIdleMs: 0,
      validateTimeoutMs: 80,
      createRetry: { baseMs: 10, capMs: 80 },
    });
    let stop = false;
    const faults: (() => unknown)[] = [
      () => proxy.refuse(),
      () => proxy.forward(),
      () => proxy.blackhole(),
      () => proxy.forward(),
      () => proxy.reset(),
      () => proxy.pause(),
      () => proxy.resume(),
      () => proxy.forward(),
    ];
    const flapper = (async () => {
      for (let i = 0; !stop; i++) {
        await faults[i % faults.length]();
        await sleep(120);
      }
      await proxy.forward();
    })();
    let longest = 0;
    let ok = 0;
    let failed = 0;
    const borrower = async (): Promise<void> => {
      while (!stop) {
        const t0 = performance.now();
        try {
          await pool.use((c) => c.request('WORK 2', AbortSignal.timeout(100)));
          ok++;
        } catch {
          failed++;
        }
        longest = Math.max(longest, performance.now() - t0);
      }
    };
    const borrowers = Array.from({ length: 12 }, borrower);
    await sleep(2_500);
    stop = true;
    await Promise.all([...borrowers, flapper]);
    console.log(
      `[outage] flapping for 2.5 s: ${ok} served, ${failed} failed, slowest call ${Math.round(longest)} ms, ${stats.attempts.length} connects`,
    );
    // acquire (200 ms) + the request's own limit (100 ms), plus scheduling slack.
    expect(longest).toBeLessThan(200 + 100 + 150);
    expect(ok).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    const report = await pool.close({ timeoutMs: 500 });
    expect(report.forced).toBe(0);
    const s = pool.stats();
    expect(s.created).toBe(s.destroyed);
    expect(stats.destroyed + stats.errors.length).toBeLessThanOrEqual(stats.attempts.length);
    expect(await until(() => service.open === 0 && proxy.open === 0, 1_000)).toBe(true);
  });
});
