/**
 * lido/redis against the real Redis (test/support/services.ts finds it): pooled
 * connections for blocking commands, transactions, pub/sub and SELECT; every dirty state
 * a borrower can leave behind; bad input. Fault injection (kill, restart, pause) is in
 * redis-faults.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AcquireTimeoutError, CreateError, Pool, PoolOptionsError } from '../../src/index.js';
import { RedisConnectError, RedisPool, redisFactory, type RedisPoolOptions } from '../../src/adapters/redis/index.js';
import { describeWithRedis, redisClient, type RedisConfig } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const clientId = async (r: Redis): Promise<number> => Number(await r.call('client', 'id'));
const clientInfo = async (r: Redis): Promise<string> => String(await r.call('client', 'info'));

describeWithRedis('lido/redis: RedisPool against Redis', (cfg: RedisConfig) => {
  const prefix = `lido:test:redis:${process.pid}:${Date.now()}`;
  const key = (name: string) => `${prefix}:${name}`;
  const pools: Pool<unknown>[] = [];
  let helper: Redis;

  const pool = (options: Partial<RedisPoolOptions<Redis>> = {}): RedisPool<Redis> => {
    const p = new RedisPool<Redis>({ Redis, redis: cfg.url, acquireTimeoutMs: 5_000, ...options });
    pools.push(p as Pool<unknown>);
    return p;
  };

  beforeAll(async () => {
    helper = await redisClient(cfg);
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2_000 })));
  });
  afterAll(async () => {
    const keys = await helper.keys(`${prefix}:*`);
    if (keys.length > 0) await helper.del(...keys);
    await helper.quit();
  });

  // ---- basics ------------------------------------------------------------------

  it('lends connected ioredis connections made with lazyConnect, no reconnect and no offline queue', async () => {
    const p = pool({ max: 2 });
    await using lease = await p.acquire();
    const r = lease.resource;
    expect(r).toBeInstanceOf(Redis);
    expect(r.status).toBe('ready');
    expect(r.options.lazyConnect).toBe(true);
    expect(r.options.enableOfflineQueue).toBe(false);
    expect(r.options.autoResubscribe).toBe(false);
    expect((r.options.retryStrategy as (n: number) => unknown)(1)).toBeNull();
    expect(await r.ping()).toBe('PONG');
    expect(p.target).toBe(`${cfg.host}:${cfg.port}/0`);
    expect(p.stats()).toMatchObject({ size: 1, borrowed: 1, created: 1 });
  });

  it('use(), stats(), health() and advise() work as on the core pool; close() disconnects every connection', async () => {
    const p = pool({ max: 3 });
    // Each use() holds its connection until all three hold one, so none can be handed a
    // connection another already released (which would make this depend on timing).
    let inside = 0;
    let allIn!: () => void;
    const all = new Promise<void>((r) => (allIn = r));
    const ids = await Promise.all(
      [1, 2, 3].map(() =>
        p.use(async (r) => {
          if (++inside === 3) allIn();
          await all;
          return clientId(r);
        }),
      ),
    );
    expect(new Set(ids).size).toBe(3);
    expect(p.stats()).toMatchObject({ size: 3, idle: 3, borrowed: 0, acquired: 3, released: 3 });
    expect(p.health().status).toBe('ok');
    expect(Array.isArray(p.advise())).toBe(true);
    await p.close();
    const list = String(await helper.call('client', 'list'));
    for (const id of ids) expect(list).not.toMatch(new RegExp(`\\bid=${id}\\b`));
  });

  it("loads the application's own ioredis when no Redis class is passed", async () => {
    const p = new RedisPool({ redis: cfg.url, max: 1 });
    pools.push(p as Pool<unknown>);
    expect(await p.use((r) => r.call('ping'))).toBe('PONG');
  });

  it('redisFactory() plugs into a plain Pool', async () => {
    const p = new Pool({ factory: redisFactory({ Redis, redis: cfg.url }), max: 1 });
    pools.push(p as Pool<unknown>);
    expect(await p.use((r) => r.echo('hi'))).toBe('hi');
  });

  it('pre-pings with PING only after validateAfterIdleMs of idleness', async () => {
    const p = pool({ max: 1, validateAfterIdleMs: 100 });
    const r = await p.use((c) => c);
    const pings: number[] = [];
    const call = r.call.bind(r);
    (r as unknown as { call: (...a: unknown[]) => unknown }).call = (...a: unknown[]) => {
      if (String(a[0]).toLowerCase() === 'ping') pings.push(Date.now());
      return (call as (...b: unknown[]) => unknown)(...a);
    };
    await p.use((c) => c.get(key('x')));
    expect(pings).toHaveLength(0);
    await sleep(150);
    await p.use((c) => c.get(key('x')));
    expect(pings).toHaveLength(1);
    expect(p.stats().validationFailures).toBe(0);
  });

  it('evicts an idle connection the moment the server closes it (watch on end/error) and refills min', async () => {
    const p = pool({ min: 1, max: 2 });
    await p.ready();
    const id = await p.use(clientId);
    await waitFor(() => p.stats().idle === 1, 1_000, 'release'); // reset settles just after use() resolves
    await helper.call('client', 'kill', 'id', id);
    await waitFor(() => p.stats().destroyed === 1, 2_000, 'eviction');
    await waitFor(() => p.stats().idle === 1, 2_000, 'refill');
    expect(await p.use(clientId)).not.toBe(id);
  });

  it('destroys a connection that died during use() (isBroken), keeps one whose command merely failed', async () => {
    const p = pool({ max: 1 });
    const id = await p.use(clientId);
    await expect(p.use((r) => r.call('definitely-not-a-command'))).rejects.toThrow(/unknown command/i);
    expect(p.stats().destroyed).toBe(0);
    expect(await p.use(clientId)).toBe(id);
    await expect(
      p.use(async (r) => {
        await helper.call('client', 'kill', 'id', id);
        await waitFor(() => r.status === 'end', 2_000, 'connection end');
        return r.get(key('gone'));
      }),
    ).rejects.toThrow(/Connection is closed/);
    expect(p.stats().destroyed).toBe(1);
    expect(await p.use(clientId)).not.toBe(id);
  });

  // ---- what pooling is for -------------------------------------------------------

  it('N consumers blocked in BLPOP on max N, one producer: every item is delivered exactly once', async () => {
    const N = 4;
    const ITEMS = 300;
    const q = key('queue');
    const p = pool({ max: N, min: N });
    await p.ready();
    const got: string[][] = Array.from({ length: N }, () => []);
    let stop = false;
    const consumers = got.map(async (mine) => {
      while (!stop) {
        const item = await p.use((r) => r.blpop(q, 0.2));
        if (item !== null) mine.push(item[1]);
      }
    });
    await sleep(50); // all N are now blocked in BLPOP
    expect(p.stats()).toMatchObject({ borrowed: N, size: N });
    for (let i = 0; i < ITEMS; i++) {
      await helper.rpush(q, `item-${i}`);
      if (i % 25 === 0) await sleep(5);
    }
    await waitFor(() => got.reduce((n, g) => n + g.length, 0) >= ITEMS, 10_000, 'all items');
    stop = true;
    await Promise.all(consumers);
    const all = got.flat();
    expect(all).toHaveLength(ITEMS);
    expect(new Set(all).size).toBe(ITEMS);
    expect(got.filter((g) => g.length > 0).length).toBeGreaterThan(1); // really concurrent
    expect(p.stats()).toMatchObject({ created: N, destroyed: 0, peakBorrowed: N });
  });

  it('WATCH/MULTI optimistic counter with concurrent borrowers gives the exact total', async () => {
    const counter = key('counter');
    await helper.set(counter, '0');
    const p = pool({ max: 4 });
    const WORKERS = 8;
    const EACH = 25;
    let conflicts = 0;
    const increment = () =>
      p.use(async (r) => {
        for (;;) {
          await r.watch(counter);
          const v = Number(await r.get(counter));
          const res = await r
            .multi()
            .set(counter, String(v + 1))
            .exec();
          if (res !== null) return;
          conflicts++;
        }
      });
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        for (let i = 0; i < EACH; i++) await increment();
      }),
    );
    expect(Number(await helper.get(counter))).toBe(WORKERS * EACH);
    expect(conflicts).toBeGreaterThan(0); // the borrowers really raced
    expect(p.stats().destroyed).toBe(0);
  });

  it('SELECT isolation: a borrower on another db never leaks it to the next one (pool on db 3)', async () => {
    const p = pool({ max: 1, redis: `${cfg.url}/3` });
    const k = key('select');
    const id = await p.use(async (r) => {
      await r.select(5);
      await r.set(k, 'in-5', 'PX', 10_000);
      await r.call('SELECT', '7'); // upper case through call(): ioredis itself misses this one
      await r.set(k, 'in-7', 'PX', 10_000);
      return clientId(r);
    });
    await p.use(async (r) => {
      expect(await clientId(r)).toBe(id); // cleaned, not replaced
      expect(await clientInfo(r)).toMatch(/ db=3 /);
      expect(await r.get(k)).toBeNull();
      await r.set(k, 'in-3', 'PX', 10_000);
    });
    const other = pool({ max: 1 });
    expect(await other.use((r) => r.get(k))).toBeNull(); // db 0 is untouched
    await helper.select(3);
    expect(await helper.get(k)).toBe('in-3');
    await helper.select(0);
  });

  // ---- each dirty state, one test each ------------------------------------------

  it('released inside MULTI: DISCARD, the queued commands never run', async () => {
    const p = pool({ max: 1 });
    const k = key('multi');
    const id = await p.use(async (r) => {
      expect(await r.multi({ pipeline: false })).toBe('OK');
      expect(await r.set(k, 'queued')).toBe('QUEUED');
      return clientId(r).catch(() => 0); // also queued
    });
    await p.use(async (r) => {
      expect(await r.get(k)).toBeNull(); // answered now, not QUEUED
      expect(await clientInfo(r)).toMatch(/ multi=-1 /);
    });
    expect(await helper.exists(k)).toBe(0);
    expect(p.stats().destroyed).toBe(0);
    expect(id).toBeDefined();
  });

  it("released while WATCHing: UNWATCH, the next borrower's transaction is not aborted", async () => {
    const p = pool({ max: 1 });
    const k = key('watched');
    await p.use((r) => r.watch(k));
    await helper.set(k, 'changed by someone else', 'PX', 10_000);
    const res = await p.use((r) => r.multi().set(key('after-watch'), '1', 'PX', 10_000).exec());
    expect(res).not.toBeNull(); // a leaked WATCH would make EXEC return null
    expect(p.stats().destroyed).toBe(0);
  });

  for (const protocol of [2, 3] as const) {
    it(`released subscribed (RESP${protocol}: channels, patterns, shard channels): unsubscribed, listeners removed`, async () => {
      const p = pool({ max: 1, redis: { host: cfg.host, port: cfg.port, protocol } });
      const ch = key(`ch${protocol}`);
      const heard: string[] = [];
      const id = await p.use(async (r) => {
        r.on('message', (_c, m) => heard.push(m));
        r.on('pmessage', (_p, _c, m) => heard.push(m));
        r.on('smessage', (_c, m) => heard.push(m));
        await r.subscribe(ch, `${ch}:b`);
        await r.psubscribe(`${ch}:p:*`);
        await r.ssubscribe(`${ch}:s`);
        await helper.publish(ch, 'before');
        await waitFor(() => heard.length === 1, 2_000, 'message');
        return clientId(r).catch(() => -1); // RESP2: not allowed while subscribed
      });
      await p.use(async (r) => {
        // A subscribed RESP2 connection refuses these: "Connection in subscriber mode".
        await r.set(key('after-sub'), 'v', 'PX', 10_000);
        expect(await r.get(key('after-sub'))).toBe('v');
        if (id !== -1) expect(await clientId(r)).toBe(id);
        expect(await clientInfo(r)).toMatch(/ sub=0 psub=0 ssub=0 /);
        expect(r.listenerCount('message') + r.listenerCount('pmessage') + r.listenerCount('smessage')).toBe(0);
      });
      expect(await helper.publish(ch, 'after')).toBe(0);
      expect(await helper.publish(`${ch}:p:x`, 'after')).toBe(0);
      expect(await helper.spublish(`${ch}:s`, 'after')).toBe(0);
      await sleep(20);
      expect(heard).toEqual(['before']);
      expect(p.stats().destroyed).toBe(0);
    });
  }

  it('released on another db: switched back to the configured db', async () => {
    const p = pool({ max: 1 });
    const id = await p.use(async (r) => {
      await r.multi().select(9).exec(); // inside a transaction too
      return clientId(r);
    });
    await p.use(async (r) => {
      expect(await clientId(r)).toBe(id);
      expect(await clientInfo(r)).toMatch(/ db=0 /);
    });
  });

  it('released in MONITOR mode: destroyed', async () => {
    const p = pool({ max: 1 });
    const id = await p.use(async (r) => {
      const id = await clientId(r);
      await r.call('monitor');
      return id;
    });
    await p.use(async (r) => {
      expect(await clientId(r)).not.toBe(id);
      expect(await r.ping()).toBe('PONG');
    });
    expect(p.stats().destroyed).toBe(1);
  });

  it('released with a blocking command still running: destroyed, the command fails, nothing blocks the next borrower', async () => {
    const p = pool({ max: 1 });
    const q = key('never');
    const lease = await p.acquire();
    const id = await clientId(lease.resource);
    const pending: Promise<unknown> = lease.resource.blpop(q, 0);
    const outcome = pending.then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    lease.release();
    const started = Date.now();
    await p.use(async (r) => {
      expect(await clientId(r)).not.toBe(id);
      expect(await r.ping()).toBe('PONG');
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await outcome).toMatch(/Connection is closed/);
    await waitFor(
      async () => !String(await helper.call('client', 'list')).includes(`id=${id} `),
      2_000,
      'server-side close',
    );
    await helper.rpush(q, 'x');
    expect(await helper.lpop(q)).toBe('x'); // nobody is still blocked on it
  });

  it('a blocking command that finished before release does not cost the connection', async () => {
    const p = pool({ max: 1 });
    const id = await p.use(async (r) => {
      expect(await r.blpop(key('empty'), 0.05)).toBeNull();
      return clientId(r);
    });
    expect(await p.use(clientId)).toBe(id);
  });

  it('released with an ordinary command unanswered: its reply is awaited, the connection is kept', async () => {
    const p = pool({ max: 1 });
    const k = key('unawaited');
    const id = await p.use(async (r) => {
      const id = await clientId(r);
      void r.set(k, 'v', 'PX', 10_000);
      void r.select(4);
      return id;
    });
    await p.use(async (r) => {
      expect(await clientId(r)).toBe(id);
      expect(await r.get(k)).toBe('v');
      expect(await clientInfo(r)).toMatch(/ db=0 /);
    });
  });

  for (const [name, run] of [
    ['RESET', (r: Redis) => r.call('reset')],
    ['CLIENT REPLY OFF', (r: Redis) => void r.call('client', 'reply', 'off')],
    ['CLIENT TRACKING ON', (r: Redis) => r.call('client', 'tracking', 'on')],
    ['HELLO 2', (r: Redis) => r.call('hello', '2')],
  ] as const) {
    it(`released after ${name}: destroyed (its effect cannot be undone without desynchronising ioredis)`, async () => {
      const p = pool({ max: 1, resetTimeoutMs: 1_000 });
      const id = await p.use(async (r) => {
        const id = await clientId(r);
        await run(r);
        return id;
      });
      await p.use(async (r) => {
        expect(await clientId(r)).not.toBe(id);
        expect(await clientInfo(r)).toMatch(/ flags=N .* resp=3/);
      });
      expect(p.stats().destroyed).toBe(1);
    });
  }

  it("listeners a borrower added are removed on release; the adapter's own stay", async () => {
    const p = pool({ max: 1 });
    const before = await p.use((r) => r.eventNames().map((e) => [e, r.listenerCount(e)]));
    await p.use((r) => {
      r.on('error', () => {});
      r.on('end', () => {});
      r.once('ready', () => {});
    });
    const after = await p.use((r) => r.eventNames().map((e) => [e, r.listenerCount(e)]));
    expect(after).toEqual(before);
  });

  // ---- bad input --------------------------------------------------------------------

  it('a bad URL is rejected at construction, without the password', () => {
    for (const url of [
      'http://user:hunter2@localhost:6379',
      'redis://:hunter2@localhost:99999',
      'redis://:hunter2@localhost:6379/not-a-db',
      'user:hunter2@localhost:6379',
    ]) {
      let error: unknown;
      try {
        new RedisPool({ Redis, redis: url });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PoolOptionsError);
      expect((error as Error).message).toMatch(/^redis: expected a redis:\/\/ or rediss:\/\/ URL/);
      expect(inspect(error, { depth: 10 })).not.toContain('hunter2');
    }
    expect(() => new RedisPool({ Redis, redis: 'localhost:6379' })).toThrow(
      'redis: expected a redis:// or rediss:// URL (or a unix socket path), got "localhost:6379" (did you mean "redis://localhost:6379"?)',
    );
    expect(() => new RedisPool({ Redis, redis: 42 as never })).toThrow(
      'redis: expected a URL string or an ioredis options object, got number',
    );
    expect(() => new RedisPool({ Redis, redis: { db: -1 } })).toThrow(
      'redis.db: expected a non-negative integer, got -1',
    );
    expect(() => new RedisPool({ Redis, factory: {} } as never)).toThrow(/unknown option "factory"/);
    expect(() => new RedisPool({ Redis, redis: cfg.url, mx: 3 } as never)).toThrow(/unknown option "mx"/);
  });

  it('Redis down: acquire rejects within acquireTimeoutMs with the connect error as cause', async () => {
    const port = await freePort();
    const p = pool({ redis: `redis://127.0.0.1:${port}`, acquireTimeoutMs: 600 });
    const started = Date.now();
    const error = await p.acquire().then(
      () => null,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect(took).toBeGreaterThanOrEqual(590);
    expect(took).toBeLessThan(1_500);
    const cause = (error as Error).cause as RedisConnectError;
    expect(cause).toBeInstanceOf(RedisConnectError);
    expect(cause.code).toBe('ECONNREFUSED');
    expect(cause.message).toBe(`Redis at 127.0.0.1:${port}: connection failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect((error as Error).message).toMatch(
      /last create error: Redis at 127\.0\.0\.1:\d+: connection failed: connect ECONNREFUSED/,
    );
    expect(p.health().status).toBe('down');

    const fast = pool({ redis: `redis://127.0.0.1:${port}`, failFast: true, acquireTimeoutMs: 5_000 });
    const t0 = Date.now();
    const e2 = await fast.acquire().then(
      () => null,
      (e: unknown) => e,
    );
    expect(e2).toBeInstanceOf(CreateError);
    expect(((e2 as Error).cause as RedisConnectError).code).toBe('ECONNREFUSED');
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  describeWithThrowawayServer();

  function describeWithThrowawayServer(): void {
    // A separate redis-server with a password, started for these tests only (the shared
    // server's configuration is never changed).
    const password = `right-${process.pid}-pass`;
    const wrong = `wrong-${process.pid}-secret`;
    let server: ChildProcess | null = null;
    let port = 0;

    const startServer = async (): Promise<void> => {
      port = await freePort();
      server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      await waitFor(
        () =>
          new Promise<boolean>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port }, () => {
              s.destroy();
              resolve(true);
            });
            s.once('error', () => resolve(false));
          }),
        5_000,
        'throwaway redis-server',
      );
    };

    const authPool = (redis: Record<string, unknown>, extra: Partial<RedisPoolOptions<Redis>> = {}) =>
      pool({ redis: { host: '127.0.0.1', port, ...redis }, acquireTimeoutMs: 600, ...extra });

    const expectNoSecret = (...things: unknown[]) => {
      for (const t of things) {
        const text = inspect(t, { depth: 20, showHidden: true });
        expect(text).not.toContain(wrong);
        expect(text).not.toContain(password);
      }
    };

    it('wrong password (RESP3 HELLO AUTH and RESP2 AUTH): a clear error that never shows the password', async (ctx) => {
      try {
        await startServer();
      } catch (e) {
        ctx.skip(`cannot start a throwaway redis-server: ${(e as Error).message}`);
      }
      try {
        for (const protocol of [3, 2]) {
          const p = authPool({ password: wrong, protocol });
          const reported: unknown[] = [];
          p.on('error', (e) => reported.push(e));
          const error = await p.acquire().then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(AcquireTimeoutError);
          const cause = (error as Error).cause as RedisConnectError;
          expect(cause).toBeInstanceOf(RedisConnectError);
          expect(cause.code).toBe('WRONGPASS');
          expect(cause.message).toMatch(/^Redis at 127\.0\.0\.1:\d+: authentication failed: WRONGPASS/);
          expect(reported.length).toBeGreaterThan(0);
          expectNoSecret(error, reported, p.config());
          const url = pool({ redis: `redis://:${wrong}@127.0.0.1:${port}`, acquireTimeoutMs: 400 });
          const e2 = await url.acquire().then(
            () => null,
            (e: unknown) => e,
          );
          expect(((e2 as Error).cause as RedisConnectError).code).toBe('WRONGPASS');
          expectNoSecret(e2, url.config());
        }

        const none = authPool({});
        const e3 = await none.acquire().then(
          () => null,
          (e: unknown) => e,
        );
        expect(((e3 as Error).cause as RedisConnectError).code).toBe('NOAUTH');
        expect(((e3 as Error).cause as Error).message).toMatch(/the server requires a password/);

        // The right password works; an unknown command is a clear error, the connection stays.
        const ok = authPool({ password });
        expect(await ok.use((r) => r.ping())).toBe('PONG');
        const e4 = await ok
          .use((r) => r.call('no-such-command', 'arg'))
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect((e4 as Error).message).toMatch(/^ERR unknown command 'no-such-command'/);
        expectNoSecret(e4, ok.config());
        expect(ok.stats()).toMatchObject({ destroyed: 0, idle: 1 });
      } finally {
        await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 1_000 })));
        const s = server as ChildProcess | null;
        if (s !== null && s.exitCode === null) {
          const exited = new Promise((resolve) => s.once('exit', resolve));
          s.kill('SIGTERM');
          await exited;
        }
      }
    });
  }
});
