/**
 * lido/redis without a server: option checks, redaction, the command bookkeeping, and
 * the factory's hooks against a scripted fake of the ioredis surface the adapter uses.
 * The real thing is tested in test/integration/redis*.test.ts.
 */
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Pool, PoolOptionsError } from '../../../src/index.js';
import { checkConnection, checkUrl, redactUrl } from '../../../src/adapters/redis/config.js';
import { RedisConnectError, sanitize } from '../../../src/adapters/redis/errors.js';
import { Secrets } from '../../../src/core/util/redact.js';
import { DirtyConnectionError, FORCED_OPTIONS, RedisPool, redisFactory } from '../../../src/adapters/redis/index.js';
import { loadRedis } from '../../../src/adapters/redis/load.js';
import { ConnectionState } from '../../../src/adapters/redis/tracker.js';

// ---- a fake ioredis connection -------------------------------------------------------

interface Sent {
  name: string;
  args: unknown[];
}
type Reply = unknown | Error | 'never';

class FakeRedis extends EventEmitter {
  static instances: FakeRedis[] = [];
  static connectError: Error | null = null;
  static connectEvents: Error[] = [];
  status = 'wait';
  options: Record<string, unknown>;
  condition: { select: number; subscriber: false | { channels(kind: string): string[] }; protocol: number } | null =
    null;
  sent: Sent[] = [];
  /** Replies by lower-case command name; default "OK". */
  replies = new Map<string, Reply>();
  disconnects = 0;
  /** Commands whose reply is 'never' (until the test resolves them). */
  held: { resolve: (v: unknown) => void }[] = [];

  constructor(a: unknown, b?: unknown) {
    super();
    const fromUrl = typeof a === 'string' ? { url: a, db: Number(/\/(\d+)$/.exec(a)?.[1] ?? 0) } : {};
    this.options = {
      host: 'localhost',
      port: 6379,
      db: 0,
      ...fromUrl,
      ...(typeof a === 'object' ? (a as object) : {}),
      ...(typeof b === 'object' ? (b as object) : {}),
    };
    FakeRedis.instances.push(this);
  }

  async connect(): Promise<void> {
    this.status = 'connecting';
    await Promise.resolve();
    if (this.status !== 'connecting') throw new Error('Connection is closed.');
    if (FakeRedis.connectError !== null) {
      for (const e of FakeRedis.connectEvents) this.emit('error', e);
      this.status = 'end';
      throw FakeRedis.connectError;
    }
    this.status = 'ready';
    this.condition = { select: Number(this.options.db ?? 0), subscriber: false, protocol: 3 };
  }

  disconnect(): void {
    this.disconnects++;
    if (this.status === 'end') return;
    this.status = 'end';
    queueMicrotask(() => this.emit('end'));
  }

  sendCommand(command: {
    name: string;
    args: unknown[];
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }): unknown {
    this.sent.push({ name: command.name, args: command.args });
    const r = this.replies.get(command.name.toLowerCase());
    if (r === 'never') {
      this.held.push(command);
      return undefined;
    }
    queueMicrotask(() => (r instanceof Error ? command.reject(r) : command.resolve(r === undefined ? 'OK' : r)));
    return undefined;
  }

  call(name: string, ...args: unknown[]): Promise<unknown> {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    (this as unknown as { sendCommand: (c: object) => unknown }).sendCommand({ name, args, promise, resolve, reject });
    return promise;
  }
}

const fakeFactory = (redis: unknown = 'redis://localhost:6379/2') =>
  redisFactory({ Redis: FakeRedis as never, redis: redis as string });

async function connected(redis?: unknown) {
  FakeRedis.connectError = null;
  const f = fakeFactory(redis);
  const conn = (await f.create(new AbortController().signal)) as unknown as FakeRedis;
  return { f, conn };
}

// ---- options and redaction -----------------------------------------------------------------

describe('lido/redis options', () => {
  it('redacts credentials from URLs', () => {
    expect(redactUrl('redis://user:pa55@host:6379/1')).toBe('redis://***@host:6379/1');
    expect(redactUrl('rediss://:p%40ss@host')).toBe('rediss://***@host');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(redactUrl('user:pw@host')).toBe('***@host');
  });

  it('accepts what ioredis reads, refuses the rest with a message that names the option', () => {
    for (const ok of [
      'redis://localhost',
      'rediss://u:p@h:6380/15',
      'redis://h?db=3',
      '/tmp/redis.sock',
      '/tmp/redis.sock?db=2',
      'redis://[::1]:6379',
    ]) {
      expect(() => checkUrl(ok)).not.toThrow();
    }
    expect(() => checkUrl('redis://:s3cret@h:70000')).toThrow(
      /^redis: expected a redis:\/\/ or rediss:\/\/ URL \(or a unix socket path\), got "redis:\/\/\*\*\*@h:70000" \(not a valid URL\)$/,
    );
    expect(() => checkUrl('redis://h/x')).toThrow('whose path is a db number, got "redis://h/x"');
    expect(() => checkUrl('postgres://h')).toThrow('got "postgres://h"');
    expect(() => checkConnection(null)).toThrow('redis: expected a URL string or an ioredis options object, got null');
    expect(() => checkConnection([])).toThrow('got an array');
    expect(() => checkConnection({ port: 'abc' })).toThrow('redis.port: expected a TCP port, got "abc"');
    expect(() => checkConnection({ protocol: 1 })).toThrow('redis.protocol: expected 2 or 3, got 1');
    expect(() => checkConnection({ db: '2' })).not.toThrow();
    expect(() => checkConnection(undefined)).not.toThrow();
  });

  it('refuses unknown factory options and a Redis option that is not a class', () => {
    expect(() => redisFactory({ url: 'x' } as never)).toThrow(
      'redisFactory options: unknown option "url" (known: redis, Redis)',
    );
    expect(() => redisFactory({ Redis: {} as never })).toThrow('Redis: expected the ioredis Redis class, got object');
    expect(() => new RedisPool(null as never)).toThrow(PoolOptionsError);
  });

  it("forces the options the pool relies on, even over a URL query or the caller's object", () => {
    FakeRedis.instances = [];
    fakeFactory({ host: 'h', enableOfflineQueue: true, retryStrategy: () => 5, lazyConnect: false });
    const made = FakeRedis.instances[0];
    expect(made.options).toMatchObject({
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResubscribe: false,
      enableAutoPipelining: false,
    });
    expect((made.options.retryStrategy as () => unknown)()).toBeNull();
    expect(FORCED_OPTIONS.reconnectOnError).toBeNull();
  });

  it("loads the application's ioredis lazily", () => {
    expect(loadRedis()).toBe(Redis);
  });

  it('RedisPool.config() shows the connection without its password', () => {
    const p = new RedisPool({
      Redis: FakeRedis as never,
      redis: { host: 'h', password: 'hunter2', keyPrefix: 'app:' },
    });
    expect(p.config().redis).toEqual({ host: 'h', password: '[redacted]', keyPrefix: 'app:' });
    expect(p.target).toBe('h:6379/0');
    const q = new RedisPool({ Redis: FakeRedis as never, redis: 'redis://:hunter2@h:1/4' });
    expect(q.config().redis).toBe('redis://:[redacted]@h:1/4');
    void p.close();
    void q.close();
  });
});

// ---- errors ---------------------------------------------------------------------------------

describe('lido/redis errors', () => {
  const replyError = (message: string, args: unknown[]) =>
    Object.assign(new Error(message), { name: 'ReplyError', command: { name: 'hello', args } });

  it('sanitize() keeps the network fields and the command name, never the arguments', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '127.0.0.1',
      port: 1,
    });
    expect(sanitize(e, new Secrets())).toMatchObject({
      message: e.message,
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      port: 1,
    });
    const known = new Secrets();
    known.add('pw-123');
    const s = sanitize(replyError('WRONGPASS bad pw-123', ['3', 'AUTH', 'default', 'pw-123']), known);
    expect(s.message).toBe('WRONGPASS bad [redacted]');
    expect((s as unknown as { command: unknown }).command).toEqual({ name: 'hello' });
    expect(inspect(s, { showHidden: true, depth: 9 })).not.toContain('pw-123');
  });

  it('RedisConnectError says what failed, where, and how to fix a password problem', () => {
    const wrong = new RedisConnectError(
      'h:1',
      replyError('WRONGPASS invalid username-password pair or user is disabled.', ['3', 'AUTH', 'default', 'pw']),
      new Secrets(),
    );
    expect(wrong.code).toBe('WRONGPASS');
    expect(wrong.message).toBe(
      'Redis at h:1: authentication failed: WRONGPASS invalid username-password pair or user is disabled. (check redis.username/redis.password; the password is not shown)',
    );
    const noauth = new RedisConnectError('h:1', replyError('NOAUTH Authentication required.', ['3']), new Secrets());
    expect(noauth.code).toBe('NOAUTH');
    expect(noauth.message).toMatch(/the server requires a password/);
    const refused = new RedisConnectError(
      'h:1',
      Object.assign(new Error('connect ECONNREFUSED h:1'), { code: 'ECONNREFUSED' }),
      new Secrets(),
    );
    expect(refused).toMatchObject({
      name: 'RedisConnectError',
      code: 'ECONNREFUSED',
      target: 'h:1',
      message: 'Redis at h:1: connection failed: connect ECONNREFUSED h:1',
    });
  });
});

// ---- bookkeeping ------------------------------------------------------------------------------

describe('lido/redis connection bookkeeping', () => {
  const cmd = (name: string, ...args: unknown[]) => {
    let settle!: () => void;
    const promise = new Promise<void>((r) => (settle = r));
    return { name, args, promise, settle };
  };

  it('tracks MULTI, WATCH, SELECT and subscriptions as the commands are sent', () => {
    const s = new ConnectionState(0);
    expect(s.dirty).toBe(false);
    s.observe(cmd('WATCH', 'k'));
    s.observe(cmd('exec')); // EXEC without MULTI: fails, the WATCH stays
    expect(s.watching).toBe(true);
    s.observe(cmd('multi'));
    s.observe(cmd('unwatch')); // queued in the transaction
    expect(s.watching).toBe(true);
    s.observe(cmd('EXEC'));
    expect(s.multi).toBe(false);
    expect(s.watching).toBe(false);
    s.observe(cmd('Select', 3));
    expect(s.selected).toBe(true);
    s.observe(cmd('subscribe', 'a', Buffer.from('b')));
    s.observe(cmd('psubscribe', 'p*'));
    s.observe(cmd('unsubscribe', 'a'));
    expect([...s.channels.subscribe]).toEqual(['b']);
    expect([...s.channels.psubscribe]).toEqual(['p*']);
    s.markClean();
    expect(s.dirty).toBe(false);
    expect(s.pending).toBe(9);
  });

  it('counts blocking commands (XREAD only with BLOCK) and drains once every reply is in', async () => {
    const s = new ConnectionState(0);
    const a = cmd('blpop', 'q', 0);
    const b = cmd('xread', 'COUNT', 1, 'STREAMS', 's', '0');
    const c = cmd('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 100, 'STREAMS', 's', '>');
    for (const x of [a, b, c]) s.observe(x);
    s.observe(a); // the same command object again (ioredis re-sends in some paths)
    expect(s.blocking).toBe(2);
    expect(s.pending).toBe(3);
    let drained = false;
    void s.drain().then(() => (drained = true));
    a.settle();
    b.settle();
    await new Promise((r) => setTimeout(r, 0));
    expect(s.blocking).toBe(1);
    expect(drained).toBe(false);
    c.settle();
    await new Promise((r) => setTimeout(r, 0));
    expect(drained).toBe(true);
    expect(s.blocking).toBe(0);
  });

  it('marks as tainted what cannot be undone', () => {
    for (const [name, args, why] of [
      ['monitor', [], 'MONITOR'],
      ['RESET', [], 'RESET'],
      ['client', ['REPLY', 'OFF'], 'CLIENT REPLY'],
      ['client', ['tracking', 'on'], 'CLIENT TRACKING'],
      ['hello', ['2'], 'HELLO'],
      ['auth', ['u', 'p'], 'AUTH'],
      ['quit', [], 'QUIT'],
    ] as const) {
      const s = new ConnectionState(0);
      s.observe(cmd(name, ...args));
      expect(s.tainted).toMatch(new RegExp(`^${why}`));
    }
    const s = new ConnectionState(0);
    s.observe(cmd('client', 'id'));
    s.observe(cmd('hello'));
    expect(s.tainted).toBeNull();
  });
});

// ---- factory hooks against the fake ------------------------------------------------------------

describe('lido/redis factory hooks', () => {
  it('create: connects, and reports the real connect error (not "Connection is closed.")', async () => {
    FakeRedis.connectError = new Error('Connection is closed.');
    FakeRedis.connectEvents = [
      Object.assign(new Error('WRONGPASS nope'), { command: { name: 'auth', args: ['pw-x'] } }),
    ];
    const f = fakeFactory({ host: 'h', port: 1, password: 'pw-x' });
    const e = await f.create(new AbortController().signal).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(RedisConnectError);
    expect((e as RedisConnectError).message).toMatch(/^Redis at h:1: authentication failed: WRONGPASS nope/);
    expect(inspect(e, { showHidden: true, depth: 9 })).not.toContain('pw-x');
    FakeRedis.connectError = null;
    FakeRedis.connectEvents = [];
  });

  it('create: an aborted signal disconnects the half-made connection', async () => {
    const f = fakeFactory();
    const ac = new AbortController();
    FakeRedis.instances = [];
    const p = f.create(ac.signal);
    ac.abort(new Error('create timed out'));
    await expect(p).rejects.toBeDefined();
    expect(FakeRedis.instances[0].disconnects).toBeGreaterThan(0);
    const dead = new AbortController();
    dead.abort(new Error('closed'));
    await expect(f.create(dead.signal)).rejects.toThrow('closed');
  });

  it('reset: the clean fast path sends nothing and is synchronous', async () => {
    const { f, conn } = await connected();
    await conn.call('get', 'k');
    const before = conn.sent.length;
    expect(f.reset!(conn as never)).toBeUndefined();
    expect(conn.sent.length).toBe(before);
  });

  it('reset: unsubscribes first, then DISCARD, UNWATCH, SELECT and a CLIENT INFO check in one go', async () => {
    const { f, conn } = await connected();
    conn.replies.set('client', 'id=1 db=2 sub=0 psub=0 ssub=0 multi=-1 flags=N');
    await conn.call('subscribe', 'c');
    await conn.call('watch', 'k');
    await conn.call('multi');
    await conn.call('select', 5);
    conn.sent = [];
    await f.reset!(conn as never);
    expect(conn.sent.map((s) => [s.name, ...s.args].join(' '))).toEqual([
      'unsubscribe c',
      'discard',
      'unwatch',
      'select 2',
      'client info',
    ]);
    conn.sent = [];
    expect(f.reset!(conn as never)).toBeUndefined(); // clean again
  });

  it('reset: destroys when CLIENT INFO shows state the bookkeeping could not undo', async () => {
    const { f, conn } = await connected();
    conn.replies.set('client', 'id=1 db=2 sub=0 psub=1 ssub=0 multi=-1 flags=P');
    await conn.call('select', 1);
    await expect(f.reset!(conn as never)).rejects.toThrow(DirtyConnectionError);
    await expect(f.reset!(conn as never)).rejects.toThrow(/still subscribed \(psub=1\)/);
  });

  it('reset: a failing DISCARD outside MULTI is fine; CLIENT INFO unavailable is fine', async () => {
    const { f, conn } = await connected();
    conn.replies.set('discard', new Error('ERR DISCARD without MULTI'));
    conn.replies.set('client', new Error("ERR unknown subcommand 'info'"));
    await conn.call('multi');
    await expect(f.reset!(conn as never)).resolves.toBeUndefined();
  });

  it('reset: destroys on a blocking command in flight, on a tainting command, on a closed connection', async () => {
    let { f, conn } = await connected();
    conn.replies.set('blpop', 'never');
    void conn.call('blpop', 'q', 0);
    await expect(f.reset!(conn as never)).rejects.toThrow(
      'Redis connection was released while BLPOP was still waiting: destroyed instead of reused',
    );
    ({ f, conn } = await connected());
    await conn.call('monitor');
    await expect(f.reset!(conn as never)).rejects.toThrow('Redis connection ran MONITOR: destroyed instead of reused');
    ({ f, conn } = await connected());
    conn.status = 'end';
    expect(() => f.reset!(conn as never)).toThrow('connection is end');
  });

  it("reset: waits for unanswered ordinary commands, removes the borrower's listeners", async () => {
    const { f, conn } = await connected();
    const own = conn.listenerCount('error');
    conn.replies.set('get', 'never');
    void conn.call('get', 'k');
    conn.on('message', () => {});
    conn.on('error', () => {});
    conn.once('end', () => {});
    let done = false;
    const r = Promise.resolve(f.reset!(conn as never)).then(() => (done = true));
    await new Promise((x) => setTimeout(x, 5));
    expect(done).toBe(false);
    conn.held.shift()!.resolve('v'); // the reply arrives
    await r;
    expect(conn.listenerCount('message')).toBe(0);
    expect(conn.listenerCount('end')).toBe(0);
    expect(conn.listenerCount('error')).toBe(own);
  });

  it('watch: evicts on end and error; a connection already dead at once', async () => {
    const { f, conn } = await connected();
    const reasons: unknown[] = [];
    const stop = f.watch!(conn as never, (r) => reasons.push(r));
    conn.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    conn.disconnect();
    await new Promise((r) => setTimeout(r, 0));
    expect(reasons.map((r) => (r as Error).message)).toEqual([
      'read ECONNRESET',
      'Redis connection to localhost:6379 closed',
    ]);
    stop();
    expect(conn.listenerCount('end')).toBe(0);
    const late: unknown[] = [];
    f.watch!(conn as never, (r) => late.push(r));
    expect(late).toHaveLength(1); // the pool treats a resource dead on arrival as a failed create
  });

  it('validate and isBroken look at the connection, not at the error', async () => {
    const { f, conn } = await connected();
    conn.replies.set('ping', 'PONG');
    expect(await f.validate!(conn as never, new AbortController().signal)).toBe(true);
    expect(f.isBroken!(new Error('ERR unknown command'), conn as never)).toBe(false);
    conn.status = 'end';
    expect(await f.validate!(conn as never, new AbortController().signal)).toBe(false);
    expect(f.isBroken!(new Error('anything'), conn as never)).toBe(true);
  });

  it('works on a core Pool: a dirty connection goes back clean, a tainted one is replaced', async () => {
    FakeRedis.connectError = null;
    const pool = new Pool({ factory: fakeFactory(), max: 1 });
    const first = await pool.use(async (c) => {
      const conn = c as unknown as FakeRedis;
      conn.replies.set('client', 'db=2 sub=0 psub=0 ssub=0 multi=-1 flags=N');
      await conn.call('select', 7);
      return conn;
    });
    const second = await pool.use((c) => c as unknown as FakeRedis);
    expect(second).toBe(first);
    expect(first.sent.map((s) => s.name)).toContain('select');
    await pool.use((c) => (c as unknown as FakeRedis).call('reset'));
    const third = await pool.use((c) => c as unknown as FakeRedis);
    expect(third).not.toBe(first);
    expect(first.status).toBe('end');
    await pool.close();
    expect(third.status).toBe('end');
  });
});
