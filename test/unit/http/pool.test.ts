/**
 * HttpPool on a fake undici (test/unit/http/fake-undici.ts) and a manual clock: the
 * queue (abort, timeout, maxWaiting), the stale-socket retry, leak reports, warm
 * connections, eviction of dead idle connections, max lifetime, close and destroy.
 * Nothing here sleeps or opens a socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AcquireTimeoutError, CreateError, QueueFullError } from '../../../src/index.js';
import { HttpPool, type HttpLeakReport, type HttpPoolOptions } from '../../../src/adapters/http/index.js';
import { EarlyTimersClock, ManualClock, flush } from '../../support/manual-clock.js';
import { FakeUndici, otherSideClosed, recorder } from './fake-undici.js';

const O = 'http://api.test';
let world: FakeUndici;
let clock: ManualClock;
const pools: HttpPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.destroy();
});

function make(options: HttpPoolOptions = {}): HttpPool {
  world = new FakeUndici();
  clock = new ManualClock();
  const p = new HttpPool({ undici: world.module, clock, ...options });
  pools.push(p);
  return p;
}

function get(p: HttpPool, path = '/', extra: Record<string, unknown> = {}) {
  const r = recorder();
  p.dispatch({ origin: O, path, method: 'GET', ...extra } as never, r.handler as never);
  return r;
}

describe('the queue', () => {
  it('hands the caller its controller at once, and an abort while queued leaves the queue at once with the reason', async () => {
    const p = make({ max: 1 });
    const a = get(p, '/a');
    expect(a.controller).not.toBeNull(); // before any connection exists
    await flush();
    expect(world.calls).toHaveLength(1);
    const b = get(p, '/b');
    await flush();
    expect(p.stats().total.pending).toBe(1);
    const reason = new Error('gave up');
    b.controller.abort(reason);
    expect(b.error).toBe(reason); // synchronously
    expect(p.stats().total).toMatchObject({ pending: 0, aborted: 1 });
    expect(p.stats().inFlight).toBe(1);
    world.last.respond();
    await flush();
    expect(a).toMatchObject({ status: 200, body: 'ok', ended: true });
    expect(world.calls).toHaveLength(1); // b was never sent
  });

  it('an abort signal in the dispatch options works the same while queued', async () => {
    const p = make({ max: 1 });
    get(p, '/a');
    await flush();
    const ac = new AbortController();
    const b = get(p, '/b', { signal: ac.signal });
    await flush();
    ac.abort(new Error('signal'));
    expect(b.error?.message).toBe('signal');
    expect(p.stats().total.pending).toBe(0);
  });

  it('times out with AcquireTimeoutError on the clock, and maxWaiting fails at once with QueueFullError', async () => {
    const p = make({ max: 1, acquireTimeoutMs: 1_000, maxWaiting: 1 });
    get(p, '/a');
    await flush();
    const b = get(p, '/b');
    const c = get(p, '/c');
    await flush();
    expect(c.error).toBeInstanceOf(QueueFullError);
    await clock.advance(999);
    expect(b.error).toBeNull();
    await clock.advance(1);
    expect(b.error).toBeInstanceOf(AcquireTimeoutError);
    expect(b.error!.message).toContain(`pool "http[${O}]": 1/1 borrowed`);
  });

  it('a failing connect fails the queued requests with CreateError at once (failFast)', async () => {
    const p = make();
    world.connectError = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const a = get(p);
    await flush();
    expect(a.error).toBeInstanceOf(CreateError);
    expect((a.error!.cause as Error).message).toBe('connect ECONNREFUSED');
  });
});

describe('the hot path', () => {
  it.each([
    ['an origin not listed (keyed pool)', {}],
    ['a listed origin', { origins: { [O]: {} } }],
  ])(
    '%s: an idle connection takes a request within dispatch(); a queued one is sent once a connection comes back',
    async (_what, options: HttpPoolOptions) => {
      const p = make({ max: 1, ...options });
      const a = get(p, '/a');
      await flush();
      world.last.respond();
      await flush();
      expect(a.ended).toBe(true);
      const b = get(p, '/b');
      expect(world.calls).toHaveLength(2); // on the Client before dispatch() returned
      expect(world.last.opts.path).toBe('/b');
      const c = get(p, '/c');
      expect(world.calls).toHaveLength(2); // queued: the connection is busy
      expect(p.stats().total).toMatchObject({ pending: 1, borrowed: 1 });
      world.last.respond();
      expect(b.ended).toBe(true);
      await flush();
      expect(world.calls).toHaveLength(3);
      expect(world.last.opts.path).toBe('/c');
      world.last.respond();
      expect(c).toMatchObject({ status: 200, ended: true });
      expect(p.stats().total).toMatchObject({ pending: 0, borrowed: 0, idle: 1, created: 1, acquired: 3, released: 3 });
    },
  );

  it('a request aborted while queued after its connection was handed over gives the connection to the next one', async () => {
    const p = make({ max: 1 });
    get(p, '/a');
    await flush();
    const b = get(p, '/b');
    const c = get(p, '/c');
    world.last.respond(); // the connection goes to b's wait (its promise settles later)
    const reason = new Error('gave up');
    b.controller.abort(reason);
    expect(b.error).toBe(reason);
    await flush();
    expect(world.calls.map((x) => x.opts.path)).toEqual(['/a', '/c']);
    world.last.respond();
    expect(c.ended).toBe(true);
    expect(p.stats().total).toMatchObject({ pending: 0, borrowed: 0, idle: 1 });
  });
});

describe('retry on a socket the server just closed', () => {
  it('an idempotent request is sent again, on another connection', async () => {
    const p = make({ max: 2 });
    const a = get(p);
    await flush();
    const first = world.last;
    first.fail(otherSideClosed());
    await flush();
    expect(a.error).toBeNull();
    expect(world.calls).toHaveLength(2);
    expect(world.last.client).not.toBe(first.client);
    world.last.respond(200, 'second try');
    expect(a).toMatchObject({ status: 200, body: 'second try', ended: true });
    expect(p.stats().origins[O]).toMatchObject({ retries: 1, requests: 1, destroyed: 1, size: 1 });
  });

  it('a second failure on a new connection reaches the handler', async () => {
    const p = make();
    const a = get(p);
    await flush();
    world.last.fail(otherSideClosed());
    await flush();
    world.last.fail(otherSideClosed());
    await flush();
    expect(a.error).toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect(world.calls).toHaveLength(2);
  });

  it.each([
    ['POST', {}],
    ['GET after the response started', { started: true }],
    ['PUT with a stream body', { method: 'PUT', body: { pipe() {} } }],
    ['GET marked idempotent: false', { idempotent: false }],
  ])('is not retried: %s', async (name, extra) => {
    const p = make();
    const { started, ...opts } = extra as Record<string, unknown>;
    const a = get(p, '/', name === 'POST' ? { method: 'POST', body: 'x' } : opts);
    await flush();
    if (started) world.last.headers(200);
    world.last.fail(otherSideClosed());
    await flush();
    expect(a.error).toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect(world.calls).toHaveLength(1);
  });

  it('a POST marked idempotent: true is retried; other errors are not', async () => {
    const p = make();
    const a = get(p, '/', { method: 'POST', body: 'x', idempotent: true });
    await flush();
    world.last.fail(otherSideClosed());
    await flush();
    expect(world.calls).toHaveLength(2);
    world.last.respond();
    expect(a.ended).toBe(true);
    const b = get(p);
    await flush();
    world.last.fail(Object.assign(new Error('headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    await flush();
    expect(b.error).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
  });
});

describe('connections', () => {
  it('a listed origin opens min connections at start; the first requests use them', async () => {
    const p = make({ origins: { [O]: { min: 2, max: 4 } } });
    await p.ready();
    expect(world.sockets).toHaveLength(2);
    expect(p.stats().origins[O]).toMatchObject({ size: 2, idle: 2, configured: true });
    get(p);
    get(p);
    await flush();
    expect(world.sockets).toHaveLength(2);
    expect(world.calls.map((c) => c.client.socket)).toEqual(expect.arrayContaining(world.sockets));
  });

  it('an idle connection whose socket the server closed is evicted at once', async () => {
    const p = make();
    get(p);
    await flush();
    world.last.respond();
    expect(p.stats().origins[O]).toMatchObject({ idle: 1 });
    world.last.client.socket!.destroy();
    await flush();
    expect(p.stats().origins[O]).toMatchObject({ size: 0, destroyed: 1 });
    expect(world.last.client.destroyed).toBe(true);
  });

  it('maxLifetimeMs retires a connection only once it is idle, never mid-request', async () => {
    const p = make({ maxLifetimeMs: 1_000, random: () => 0 });
    const a = get(p);
    await flush();
    const call = world.last;
    await clock.advance(5_000);
    expect(call.client.destroyed).toBe(false); // still answering
    call.respond();
    expect(a.ended).toBe(true);
    await flush();
    expect(call.client.destroyed).toBe(true);
    expect(p.stats().origins[O]).toMatchObject({ size: 0, destroyed: 1 });
  });

  it('maxLifetimeMs retires idle connections with up to 10 % jitter', async () => {
    const p = make({ maxLifetimeMs: 1_000, random: () => 1 }); // lifetime 900 ms
    get(p);
    await flush();
    world.last.respond();
    await clock.advance(850);
    expect(world.last.client.destroyed).toBe(false);
    await clock.advance(1_200);
    expect(world.last.client.destroyed).toBe(true);
  });

  it("re-emits the Clients' connect events as undici's Agent does", async () => {
    const p = make();
    const seen: unknown[][] = [];
    p.on('connect', (origin, targets) => seen.push([String(origin), targets[0] === p]));
    get(p);
    await flush();
    expect(seen).toEqual([[`${O}/`, true]]);
  });
});

describe('leak detection', () => {
  /** A pool with leakDetectionMs 1,000, its leak reports, and a request whose body was just paused. */
  async function pausedBody(path?: string, options: HttpPoolOptions = {}) {
    const p = make({ leakDetectionMs: 1_000, ...options });
    const reports: HttpLeakReport[] = [];
    p.on('leak', (r) => reports.push(r));
    const a = get(p, path);
    await flush();
    world.last.headers(200);
    a.controller.pause();
    return { p, a, reports };
  }

  it('a leak timer that fires early by the clock waits out the rest: pausedMs is never below leakDetectionMs', async () => {
    const early = new EarlyTimersClock();
    const { reports } = await pausedBody('/items', { clock: early });
    await early.advance(999.6); // the 1,000 ms timer fires here
    expect(reports).toHaveLength(0);
    await early.advance(1);
    expect(reports).toHaveLength(1);
    expect(reports[0].pausedMs).toBeGreaterThanOrEqual(1_000);
  });

  it('a body left paused longer than leakDetectionMs is reported once, with method, origin, path and stack', async () => {
    const { p, a, reports } = await pausedBody('/items?page=2');
    await clock.advance(999);
    expect(reports).toHaveLength(0);
    await clock.advance(1);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      pool: 'http',
      method: 'GET',
      origin: O,
      path: '/items?page=2',
      pausedMs: 1_000,
    });
    expect(reports[0].stack).toContain('http/pool.test.ts');
    a.controller.resume();
    a.controller.pause();
    await clock.advance(5_000);
    expect(reports).toHaveLength(1);
    expect(p.stats().origins[O].leaks).toBe(1);
    expect(p.stats().total.leaks).toBe(1);
  });

  it('a body resumed (read) or finished in time is not reported', async () => {
    const { a, reports } = await pausedBody();
    await clock.advance(500);
    a.controller.resume();
    await clock.advance(5_000);
    a.controller.pause();
    world.last.data('rest');
    world.last.respond(200, null);
    await clock.advance(5_000);
    expect(reports).toHaveLength(0);
  });
});

describe('close, destroy and bad input', () => {
  it('close() waits for running and queued requests, then closes every connection; new requests fail', async () => {
    const p = make({ max: 1 });
    const a = get(p);
    const b = get(p);
    await flush();
    let closed = false;
    void p.close().then(() => (closed = true));
    const c = get(p);
    expect(c.error).toMatchObject({ code: 'UND_ERR_CLOSED' });
    world.last.respond();
    await flush();
    expect(closed).toBe(false);
    world.last.respond();
    await flush();
    expect([a.ended, b.ended, closed]).toEqual([true, true, true]);
    expect(world.clients.every((cl) => cl.destroyed)).toBe(true);
  });

  it('destroy() fails running and queued requests with ClientDestroyedError (or the given error)', async () => {
    const p = make({ max: 1 });
    const a = get(p);
    const b = get(p);
    await flush();
    const boom = new Error('shutting down');
    let calledBack = false;
    p.destroy(boom, () => (calledBack = true));
    expect(b.error).toBe(boom);
    await flush();
    expect(a.error).toBe(boom);
    expect(calledBack).toBe(true);
    expect(p.destroyed).toBe(true);
  });

  it('a request undici refuses before sending gives its connection back; bad origins fail the handler', async () => {
    const p = make();
    const bad = get(p, '/', { method: 'BAD' });
    await flush();
    expect(bad.error).toMatchObject({ code: 'UND_ERR_INVALID_ARG' });
    expect(p.stats().origins[O]).toMatchObject({ idle: 1, destroyed: 0 });
    const r = recorder();
    expect(p.dispatch({ origin: 'ftp://x', path: '/', method: 'GET' } as never, r.handler as never)).toBe(false);
    expect(r.error?.message).toMatch(/opts\.origin: expected an http: or https: origin/);
    expect(() => p.dispatch({ origin: O, path: '/', method: 'GET' } as never, null as never)).toThrow(
      /handler must be an object/,
    );
  });
});

describe('pooling: false (the kill switch)', () => {
  it.each([
    ['an origin not listed (keyed pool)', { pooling: false }],
    ['a listed origin', { origins: { [O]: { pooling: false } } }],
  ])('%s: every request gets a fresh connection, closed when its response ends', async (_what, options) => {
    const p = make({ max: 1, ...(options as HttpPoolOptions) });
    for (const path of ['/a', '/b', '/c']) {
      const r = get(p, path);
      await flush();
      world.last.respond();
      await flush();
      expect(r).toMatchObject({ status: 200, ended: true });
    }
    expect(world.clients).toHaveLength(3);
    expect(world.clients.every((c) => c.destroyed)).toBe(true);
    const total = p.stats().total;
    expect(total).toMatchObject({ idle: 0, created: 3, destroyed: 3, acquired: 3 });
    expect(total.destroyedBy.unpooled).toBe(3);
  });

  it('keeps max: a second request waits for the first, then gets a fresh connection', async () => {
    const p = make({ max: 1, pooling: false });
    const a = get(p, '/a');
    await flush();
    const b = get(p, '/b');
    await flush();
    expect(p.stats().total.pending).toBe(1);
    world.last.respond();
    await flush();
    expect(a.ended).toBe(true);
    expect(world.clients).toHaveLength(2);
    world.last.respond();
    await flush();
    expect(b).toMatchObject({ status: 200, ended: true });
  });
});
