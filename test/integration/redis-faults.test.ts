/**
 * lido/redis under faults of a real Redis: every normal client killed mid-load, the
 * server restarted during load, the server paused. Each test starts a redis-server of
 * its own on another loopback port (test/support/throwaway-redis.ts): killing every
 * client, pausing or stopping the shared server at 127.0.0.1:6379 would hit every other
 * test using it. Without redis-server these tests fail in CI and are skipped elsewhere.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { AcquireTimeoutError, CreateError, PoolError } from '../../src/index.js';
import { RedisConnectError, RedisPool, type RedisPoolOptions } from '../../src/adapters/redis/index.js';
import { needs } from '../support/capability.js';
import { redisClient, tcpProbe } from '../support/services.js';
import { startThrowawayRedis, type ThrowawayRedis } from '../support/throwaway-redis.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A redis-server of the test's own (a failure in CI when it cannot start, a skip elsewhere). */
const ownServer = (ctx: TestContext): Promise<ThrowawayRedis> =>
  needs(ctx, 'a throwaway redis-server', () => startThrowawayRedis());

/** An error a caller may see while the backend fails: it must say what happened. */
function expectClear(e: unknown): void {
  expect(e).toBeInstanceOf(Error);
  const error = e as Error;
  if (error instanceof AcquireTimeoutError) {
    // While the server is down the cause is the connect error; while it merely drops
    // connections there may be no create error at all.
    if (error.cause !== undefined) expect(error.cause).toBeInstanceOf(RedisConnectError);
    return;
  }
  if (error instanceof CreateError) {
    expect(error.cause).toBeInstanceOf(RedisConnectError);
    return;
  }
  expect(error.message).toMatch(/Connection is closed|ECONNRESET|EPIPE|ECONNREFUSED|Stream isn't writeable/);
}

describe('lido/redis: RedisPool under Redis faults (a throwaway redis-server per test)', () => {
  const key = (name: string) => `lido:test:redis-faults:${name}`;
  const pools: RedisPool<Redis>[] = [];

  const pool = (server: ThrowawayRedis, options: Partial<RedisPoolOptions<Redis>> = {}): RedisPool<Redis> => {
    const p = new RedisPool<Redis>({ Redis, redis: server.url, ...options });
    p.on('error', () => {}); // reported errors are expected here
    pools.push(p);
    return p;
  };

  /** Counts creates and destroys: every connection made must be destroyed exactly once. */
  const ledger = (p: RedisPool<Redis>) => {
    const made = new Set<Redis>();
    const destroyed = new Map<Redis, number>();
    p.on('create', (r) => made.add(r));
    p.on('destroy', (r) => destroyed.set(r, (destroyed.get(r) ?? 0) + 1));
    return {
      check() {
        expect(destroyed.size).toBe(made.size);
        for (const [r, n] of destroyed) {
          expect(made.has(r)).toBe(true);
          expect(n).toBe(1);
          expect(r.status).toBe('end');
        }
      },
    };
  };

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 3_000 })));
  });

  it('CLIENT KILL TYPE normal mid-load: in-flight commands fail clearly, the pool recovers', async (ctx) => {
    await using server = await ownServer(ctx);
    const p = pool(server, { max: 6, acquireTimeoutMs: 5_000 });
    const books = ledger(p);
    const killer = await redisClient(server.config); // spared by SKIPME yes
    const q = key('kill-queue');
    const counter = key('kill-counter');
    const errors: unknown[] = [];
    let ok = 0;
    let okAfter = 0;
    let killed = false;
    let stop = false;
    const workers = Array.from({ length: 12 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          await p.use(async (r) => {
            if ((w + i) % 3 === 0) await r.blpop(q, 0.05);
            else await r.incr(counter);
          });
          ok++;
          if (killed) okAfter++;
        } catch (e) {
          errors.push(e);
        }
      }
    });
    try {
      await waitFor(() => ok > 100 && p.stats().size === 6, 15_000, 'load');
      const before = p.stats();
      const n = Number(await killer.call('client', 'kill', 'type', 'normal', 'skipme', 'yes'));
      killed = true;
      expect(n).toBeGreaterThanOrEqual(6); // every pooled connection
      await waitFor(() => okAfter > 200, 10_000, 'recovery');
      stop = true;
      await Promise.all(workers);
      expect(errors.length).toBeGreaterThan(0); // commands in flight at the kill failed…
      for (const e of errors) expectClear(e); // …each with an error that says why
      expect(errors.some((e) => e instanceof PoolError)).toBe(false); // and no caller timed out
      const after = p.stats();
      expect(after.destroyed - before.destroyed).toBeGreaterThanOrEqual(6);
      expect(after.size).toBeLessThanOrEqual(6);
      expect(p.health().status).toBe('ok');
      expect(await p.use((r) => r.ping())).toBe('PONG');
    } finally {
      stop = true;
      await Promise.all(workers);
      await killer.quit().catch(() => killer.disconnect());
    }
    await p.close();
    books.check();
  });

  it('Redis restarted during load: callers get clear errors while it is down, the pool recovers', async (ctx) => {
    await using server = await ownServer(ctx);
    const p = pool(server, { max: 4, acquireTimeoutMs: 300, createRetry: { baseMs: 50, capMs: 300 } });
    const books = ledger(p);
    const counter = key('restart-counter');
    const errors: unknown[] = [];
    let ok = 0;
    let okAfterRestart = 0;
    let restarted = false;
    let stop = false;
    const workers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          await p.use((r) => r.incr(counter));
          ok++;
          if (restarted) okAfterRestart++;
        } catch (e) {
          errors.push(e);
          await sleep(10);
        }
      }
    });
    try {
      await waitFor(() => ok > 100, 5_000, 'load');
      await server.stop(); // SIGTERM: Redis shuts down without saving, as SHUTDOWN NOSAVE
      expect(await tcpProbe('127.0.0.1', server.port, 200)).toBe(false);
      await sleep(800); // down long enough for acquires to time out
      expect(p.health().status).not.toBe('ok');
      const timeouts = errors.filter((e) => e instanceof AcquireTimeoutError) as AcquireTimeoutError[];
      expect(timeouts.length).toBeGreaterThan(0);
      expect(timeouts.some((e) => (e.cause as RedisConnectError | undefined)?.code === 'ECONNREFUSED')).toBe(true);
      await server.start(); // same port
      restarted = true;
      await waitFor(() => okAfterRestart > 200, 15_000, 'recovery after the restart');
      stop = true;
      await Promise.all(workers);
      for (const e of errors) expectClear(e);
      // Creates succeed again; health stays "degraded" only for the rates of the outage
      // (acquire timeouts, refused creates) while they are in the health window.
      await waitFor(
        () => !p.health().reasons.some((r) => r.startsWith('creates failing')),
        5_000,
        'creates to succeed',
      );
      expect(p.health().reasons.every((r) => r.startsWith('acquire timeouts ') || r.startsWith('create errors '))).toBe(
        true,
      );
      expect(p.stats().size).toBeLessThanOrEqual(4);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    await p.close();
    books.check();
  });

  it('Redis paused (CLIENT PAUSE): acquire and validate timeouts hold, then the pool recovers', async (ctx) => {
    await using server = await ownServer(ctx);
    const p = pool(server, { max: 2, validateAfterIdleMs: 0, validateTimeoutMs: 200, acquireTimeoutMs: 500 });
    const books = ledger(p);
    const reported: { at: number; error: PoolError }[] = [];
    p.on('error', (error) => reported.push({ at: Date.now(), error }));
    expect(await p.use((r) => r.ping())).toBe('PONG');
    await waitFor(() => p.stats().idle === 1, 1_000, 'idle');
    const pauser = await redisClient(server.config);
    const PAUSE_MS = 1_500;
    await pauser.call('client', 'pause', String(PAUSE_MS), 'all');
    const pausedAt = Date.now();
    try {
      const t0 = Date.now();
      const error = await p.acquire().then(
        () => null,
        (e: unknown) => e,
      );
      const took = Date.now() - t0;
      expect(error).toBeInstanceOf(AcquireTimeoutError);
      expect(took).toBeGreaterThanOrEqual(490);
      expect(took).toBeLessThan(900);
      // The idle connection's pre-ping hung and was given up after validateTimeoutMs.
      const validation = reported.find((r) => r.error.code === 'ERR_POOL_VALIDATION');
      expect(validation?.error.message).toMatch(/validate timed out after 200 ms/);
      expect(validation!.at - t0).toBeGreaterThanOrEqual(190);
      expect(validation!.at - t0).toBeLessThan(450);
      expect(p.stats().validationFailures).toBe(1);

      // A per-call timeout holds too.
      const t1 = Date.now();
      await expect(p.use((r) => r.ping(), { timeoutMs: 250 })).rejects.toBeInstanceOf(AcquireTimeoutError);
      expect(Date.now() - t1).toBeLessThan(600);

      // A create (TCP connects, the handshake hangs) is given up after createTimeoutMs.
      const fresh = pool(server, { createTimeoutMs: 250, acquireTimeoutMs: 450 });
      const creates: { at: number; error: PoolError }[] = [];
      fresh.on('error', (error) => creates.push({ at: Date.now(), error }));
      const t2 = Date.now();
      await expect(fresh.acquire()).rejects.toBeInstanceOf(AcquireTimeoutError);
      const failed = creates.find((c) => c.error.code === 'ERR_POOL_CREATE');
      expect(failed?.error.message).toMatch(/create timed out after 250 ms/);
      expect(failed!.at - t2).toBeGreaterThanOrEqual(240);
      expect(failed!.at - t2).toBeLessThan(400);
    } finally {
      // CLIENT UNPAUSE would itself wait for the pause: let the bounded pause run out.
      await sleep(Math.max(0, pausedAt + PAUSE_MS + 100 - Date.now()));
      await pauser.quit().catch(() => pauser.disconnect());
    }
    expect(await p.use((r) => r.ping(), { timeoutMs: 5_000 })).toBe('PONG');
    await p.close();
    books.check();
  });
});
