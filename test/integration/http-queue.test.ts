/**
 * lido/http's queue and lifecycle against real local servers: an abort while queued
 * leaves the queue at once; 10,000 requests from 500 callers never open more than `max`
 * sockets; max lifetime rotates sockets, never mid-request; an unread response body is
 * reported; close() is graceful and destroy() fails what is queued.
 */
import type { ServerResponse } from 'node:http';
import { fetch, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { HttpPool, type HttpLeakReport } from '../../src/adapters/http/index.js';
import { deferEach, startServer, waitFor, type Handler, type TestServer } from './http-servers.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const cleanup = deferEach();

async function server(handler?: Handler): Promise<TestServer> {
  const s = await startServer(handler ? { handler } : {});
  cleanup(() => s.close());
  return s;
}

function pool(options: ConstructorParameters<typeof HttpPool>[0] = {}): HttpPool {
  const p = new HttpPool(options);
  cleanup(() => p.destroy());
  return p;
}

/** A server whose `/hold` requests wait until released. */
async function holdingServer(): Promise<TestServer & { held: ServerResponse[]; releaseAll(): void }> {
  const held: ServerResponse[] = [];
  const s = await server((req, res) => (req.url === '/hold' ? held.push(res) : res.end(`ok ${req.url}`)));
  return Object.assign(s, { held, releaseAll: () => held.splice(0).forEach((r) => r.end('released')) });
}

describe('the queue', () => {
  it('an abort while queued leaves the queue at once and the request rejects with the reason (request and fetch)', async () => {
    const s = await holdingServer();
    const p = pool({ max: 1 });
    const first = request(`${s.origin}/hold`, { dispatcher: p });
    await waitFor(() => s.held.length === 1);

    const ac = new AbortController();
    const queued = request(`${s.origin}/x`, { dispatcher: p, signal: ac.signal });
    const f = new AbortController();
    const queuedFetch = fetch(`${s.origin}/y`, { dispatcher: p, signal: f.signal });
    await waitFor(() => p.stats().total.pending === 2);
    const reason = new Error('caller gave up');
    ac.abort(reason);
    expect(p.stats().total.pending).toBe(1); // synchronously
    await expect(queued).rejects.toBe(reason);
    f.abort();
    expect(p.stats().total.pending).toBe(0);
    await expect(queuedFetch).rejects.toMatchObject({ name: 'AbortError' });
    expect(p.stats().total.aborted).toBe(2);

    s.releaseAll();
    expect(await (await first).body.text()).toBe('released');
    expect(s.accepted).toBe(1);
    expect(p.stats().inFlight).toBe(0);
  });

  it('an abort after dispatch cancels the request and drops its socket', async () => {
    const s = await holdingServer();
    const p = pool({ max: 1 });
    const ac = new AbortController();
    const r = request(`${s.origin}/hold`, { dispatcher: p, signal: ac.signal });
    await waitFor(() => s.held.length === 1);
    ac.abort(new Error('late'));
    await expect(r).rejects.toThrow('late');
    await s.waitOpen(0);
    expect(await (await request(`${s.origin}/next`, { dispatcher: p })).body.text()).toBe('ok /next');
  });

  it('10,000 requests from 500 concurrent callers with max 20: never more than 20 sockets open on the server', async () => {
    const s = await server((req, res) => setImmediate(() => res.end(req.url)));
    const p = pool({ max: 20, maxConcurrentCreates: 20 });
    let next = 0;
    let ok = 0;
    const caller = async () => {
      while (next < 10_000) {
        const i = next++;
        const body = await (await request(`${s.origin}/${i}`, { dispatcher: p })).body.text();
        if (body === `/${i}`) ok++;
      }
    };
    await Promise.all(Array.from({ length: 500 }, caller));
    expect(ok).toBe(10_000);
    expect(s.peakOpen).toBeLessThanOrEqual(20);
    expect(s.accepted).toBeLessThanOrEqual(20);
    const st = p.stats().origins[s.origin];
    expect(st).toMatchObject({ requests: 10_000, acquired: 10_000, released: 10_000, pending: 0, borrowed: 0 });
    expect(st.peakBorrowed).toBe(20);
  }, 60_000);
});

describe('lifecycle', () => {
  it('maxLifetimeMs rotates sockets over time, and never closes one mid-request', async () => {
    const s = await server((req, res) =>
      req.url === '/slow' ? setTimeout(() => res.end('slow done'), 300) : res.end('ok'),
    );
    const p = pool({ max: 1, maxLifetimeMs: 100, idleTimeoutMs: 60_000 });
    const started = Date.now();
    while (Date.now() - started < 600) {
      expect(await (await request(`${s.origin}/`, { dispatcher: p })).body.text()).toBe('ok');
      await sleep(10);
    }
    // ~600 ms at a 90-100 ms lifetime: several distinct sockets, one open at a time.
    expect(s.accepted).toBeGreaterThanOrEqual(4);
    expect(s.accepted).toBeLessThanOrEqual(9);
    expect(s.peakOpen).toBeLessThanOrEqual(2);

    const before = s.accepted;
    expect(await (await request(`${s.origin}/slow`, { dispatcher: p })).body.text()).toBe('slow done'); // outlives its lifetime
    await s.waitOpen(0); // retired on release
    expect(s.accepted).toBeLessThanOrEqual(before + 1);
  });

  it('close() is graceful: running and queued requests finish, new ones fail', async () => {
    const s = await holdingServer();
    const p = pool({ max: 1 });
    const running = request(`${s.origin}/hold`, { dispatcher: p });
    await waitFor(() => s.held.length === 1);
    const queued = request(`${s.origin}/after`, { dispatcher: p });
    await waitFor(() => p.stats().total.pending === 1);
    const closed = p.close();
    expect(p.closed).toBe(true);
    await expect(request(`${s.origin}/new`, { dispatcher: p })).rejects.toMatchObject({ code: 'UND_ERR_CLOSED' });
    s.releaseAll();
    expect(await (await running).body.text()).toBe('released');
    expect(await (await queued).body.text()).toBe('ok /after');
    await closed;
    await s.waitOpen(0);
  });

  it('close() resolves at once after undici closed sockets itself', async () => {
    const s = await server();
    // "Keep-Alive: timeout=2" is within undici's 2 s threshold: it closes each socket after its response.
    s.server.keepAliveTimeout = 2_500;
    const p = pool({ max: 3, idleTimeoutMs: 60_000 });
    for (let i = 0; i < 3; i++) await (await request(s.origin, { dispatcher: p })).body.text();
    await waitFor(() => p.stats().origins[s.origin]?.destroyed === 3, 3_000, 'closed sockets evicted');
    const t0 = performance.now();
    await p.close();
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it('destroy() fails running and queued requests, and closes every socket now', async () => {
    const s = await holdingServer();
    const p = pool({ max: 1 });
    const running = request(`${s.origin}/hold`, { dispatcher: p }).catch((e: unknown) => e);
    await waitFor(() => s.held.length === 1);
    const queued = request(`${s.origin}/after`, { dispatcher: p }).catch((e: unknown) => e);
    await waitFor(() => p.stats().total.pending === 1);
    await p.destroy();
    expect(p.destroyed).toBe(true);
    expect(await running).toMatchObject({ code: 'UND_ERR_DESTROYED' });
    expect(await queued).toMatchObject({ code: 'UND_ERR_DESTROYED' });
    await s.waitOpen(0);
    await expect(request(`${s.origin}/new`, { dispatcher: p })).rejects.toMatchObject({ code: 'UND_ERR_DESTROYED' });
  });
});

describe('leak detection', () => {
  it('a response body left unread is reported with method, origin, path and the stack that made it', async () => {
    const s = await server((_req, res) => res.end(Buffer.alloc(1 << 20, 'x'))); // 1 MiB: more than undici buffers
    const p = pool({ leakDetectionMs: 100 });
    const reports: HttpLeakReport[] = [];
    p.on('leak', (r) => reports.push(r));
    const forgotten = await request(`${s.origin}/big?page=2`, { dispatcher: p });
    await waitFor(() => reports.length === 1, 3_000, 'a leak report');
    expect(reports[0]).toMatchObject({ pool: 'http', method: 'GET', origin: s.origin, path: '/big?page=2' });
    expect(reports[0].pausedMs).toBeGreaterThanOrEqual(100); // a timer that fires early by the clock waits out the rest
    expect(reports[0].stack).toContain('http-queue.test.ts');
    expect(p.stats().origins[s.origin]).toMatchObject({ leaks: 1, borrowed: 1 });

    forgotten.body.destroy(); // cancelling it gives the connection back (destroyed)
    await waitFor(() => p.stats().total.borrowed === 0);

    const read = await request(`${s.origin}/big`, { dispatcher: p });
    expect((await read.body.arrayBuffer()).byteLength).toBe(1 << 20);
    await sleep(200);
    expect(reports).toHaveLength(1); // a body read in time is never reported
  });

  it('without a listener, a leak is a process warning', async () => {
    const s = await server((_req, res) => res.end(Buffer.alloc(1 << 20, 'x')));
    const p = pool({ leakDetectionMs: 50 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const r = await request(`${s.origin}/w`, { dispatcher: p });
      await waitFor(() => warnings.some((w) => (w as { code?: string }).code === 'LIDO_HTTP_LEAK'), 3_000, 'a warning');
      r.body.destroy();
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.find((w) => (w as { code?: string }).code === 'LIDO_HTTP_LEAK')!.message).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/w response body left unread/,
    );
  });
});
