/**
 * lido/http when the server misbehaves: it closes idle sockets (no request fails), it
 * closes a socket just as a request arrives (idempotent requests are sent again on another
 * connection, others fail), it stalls (undici's timeouts and the pool's acquire
 * timeout hold), it resets mid-response (a clear error, and the socket is not reused).
 */
import type { Socket } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { AcquireTimeoutError, QueueFullError } from '../../src/index.js';
import { HttpPool } from '../../src/adapters/http/index.js';
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

const get = async (p: HttpPool, url: string, opts: Parameters<typeof request>[1] = {}) =>
  (await request(url, { dispatcher: p, ...opts })).body.text();

describe('the server closes connections', () => {
  it('closes idle sockets at its own pace (no keep-alive hint): no request fails', async () => {
    // The server drops a socket 20-60 ms after its last response, without telling the client.
    type IdleSocket = Socket & { idle?: NodeJS.Timeout };
    const s = await server((req, res) => {
      const socket = req.socket as IdleSocket;
      clearTimeout(socket.idle);
      res.end('ok', () => (socket.idle = setTimeout(() => socket.destroy(), 20 + Math.random() * 40)));
    });
    s.server.keepAliveTimeout = 0;
    const p = pool({ max: 5, idleTimeoutMs: 60_000 });
    const failures: unknown[] = [];
    for (let round = 0; round < 40; round++) {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => get(p, `${s.origin}/r${round}`)));
      for (const r of results) if (r.status === 'rejected') failures.push(r.reason);
      await sleep(Math.random() * 80);
    }
    expect(failures).toEqual([]);
    expect(p.stats().origins[s.origin].destroyed).toBeGreaterThan(0); // dead idle connections were dropped
    expect(s.accepted).toBeGreaterThan(5);
  });

  it('server.closeIdleConnections() between bursts: every request succeeds, dead ones are evicted while idle', async () => {
    const s = await server();
    const p = pool({ max: 4, idleTimeoutMs: 60_000 });
    for (let round = 0; round < 10; round++) {
      expect(await Promise.all(Array.from({ length: 4 }, () => get(p, `${s.origin}/x`)))).toEqual(
        Array(4).fill('ok GET /x'),
      );
      s.server.closeIdleConnections();
      await waitFor(() => p.stats().origins[s.origin]?.size === 0, 2_000, 'idle connections evicted');
    }
    expect(p.stats().total.retries).toBe(0);
  });

  it('closes a reused socket as the request arrives: a GET is retried once on a fresh connection', async () => {
    const served = new WeakMap<object, number>();
    let armed = false;
    const s = await server((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      req.resume();
      if (armed && n > 1) {
        armed = false;
        req.socket.destroy(); // a reused socket, closed just as the request arrives
      } else res.end(`ok ${req.url}`);
    });
    const p = pool({ max: 1, idleTimeoutMs: 60_000 });
    expect(await get(p, `${s.origin}/a`)).toBe('ok /a');
    armed = true;
    expect(await get(p, `${s.origin}/b`)).toBe('ok /b'); // failed on socket 1, retried on socket 2
    expect(s.accepted).toBe(2);
    expect(p.stats().origins[s.origin]).toMatchObject({ retries: 1, requests: 2, size: 1 });
    // HEAD last: undici closes a socket after a HEAD response (servers may send a body anyway).
    for (const method of ['OPTIONS', 'PUT', 'DELETE', 'HEAD'] as const) {
      armed = true;
      const r = await request(`${s.origin}/m`, {
        dispatcher: p,
        method,
        ...(method === 'PUT' ? { body: 'same' } : {}),
      });
      expect(r.statusCode).toBe(200);
      await r.body.dump();
    }
    expect(p.stats().total.retries).toBe(5);
    expect(s.accepted).toBe(6);
  });

  it('several reused sockets closed at once: a GET goes on to the next connection until one answers', async () => {
    const served = new WeakMap<object, number>();
    let drop = 0;
    const s = await server((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      req.resume();
      if (drop > 0 && n > 1) {
        drop--;
        req.socket.destroy(); // closed just as the request arrives, before the pool saw it close
      } else res.end(`ok ${req.url}`);
    });
    const p = pool({ max: 3, idleTimeoutMs: 60_000 });
    expect(await Promise.all([1, 2, 3].map((i) => get(p, `${s.origin}/${i}`)))).toEqual(['ok /1', 'ok /2', 'ok /3']);
    expect(p.stats().origins[s.origin]).toMatchObject({ idle: 3, size: 3 });
    drop = 2;
    expect(await get(p, `${s.origin}/b`)).toBe('ok /b'); // reused sockets 1 and 2 failed, 3 answered
    expect(p.stats().origins[s.origin]).toMatchObject({ retries: 2, destroyed: 2, size: 1 });
    expect(s.accepted).toBe(3);
    // A request that fails on a new connection after a retry is not sent again.
    const fresh = await server((req) => {
      req.resume();
      req.socket.destroy();
    });
    const failed = await get(p, `${fresh.origin}/x`).catch((e: Error) => e);
    expect(failed).toBeInstanceOf(Error);
    expect(p.stats().origins[fresh.origin]).toMatchObject({ retries: 1 });
    expect(fresh.accepted).toBe(2);
  });

  it('…but a POST, or a request with a streamed body, is not retried', async () => {
    const served = new WeakMap<object, number>();
    const s = await server((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      req.resume();
      if (n === 2) req.socket.destroy();
      else res.end('ok');
    });
    const p = pool({ max: 1, idleTimeoutMs: 60_000 });
    await get(p, s.origin);
    const error = await request(s.origin, { dispatcher: p, method: 'POST', body: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UND_ERR_SOCKET' });
    await get(p, s.origin);
    const { Readable } = await import('node:stream');
    const streamed = await request(s.origin, { dispatcher: p, method: 'PUT', body: Readable.from(['a']) }).catch(
      (e: unknown) => e,
    );
    expect(streamed).toBeInstanceOf(Error);
    expect(p.stats().total.retries).toBe(0);
  });

  it('resets mid-response: the body errors clearly and the socket is not reused', async () => {
    let n = 0;
    const s = await server((_req, res) => {
      if (++n === 1) {
        res.writeHead(200, { 'content-length': '100000' });
        res.write('x'.repeat(1000), () => setTimeout(() => res.socket?.resetAndDestroy(), 10));
      } else res.end('fine');
    });
    const p = pool({ max: 1 });
    const r = await request(s.origin, { dispatcher: p });
    expect(r.statusCode).toBe(200);
    const error = await r.body.text().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    expect(await get(p, s.origin)).toBe('fine');
    expect(s.accepted).toBe(2);
    expect(p.stats().origins[s.origin]).toMatchObject({ destroyed: 1, size: 1, retries: 0 });
  });
});

describe('the server stalls', () => {
  it('headersTimeout and bodyTimeout hold, and the stalled sockets are closed', async () => {
    const s = await server((req, res) => {
      if (req.url === '/body') res.writeHead(200).write('partial');
      // '/headers': never answers
    });
    const p = pool({ client: { headersTimeout: 150, bodyTimeout: 150 } });
    const t0 = performance.now();
    await expect(request(`${s.origin}/headers`, { dispatcher: p })).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    const r = await request(`${s.origin}/body`, { dispatcher: p });
    await expect(r.body.text()).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
    expect(performance.now() - t0).toBeLessThan(3_000);
    await s.waitOpen(0);
    expect(p.stats().origins[s.origin]).toMatchObject({ size: 0, destroyed: 2 });
  });

  it('acquireTimeoutMs holds while every connection is stuck, and maxWaiting bounds the queue', async () => {
    const s = await server(() => {}); // never answers
    const p = pool({ max: 1, acquireTimeoutMs: 1_000, maxWaiting: 1 }); // room to open the first connection
    const stuck = request(s.origin, { dispatcher: p }).catch((e: unknown) => e);
    await waitFor(() => p.stats().total.borrowed === 1);
    const waiting = request(s.origin, { dispatcher: p }).catch((e: unknown) => e);
    await waitFor(() => p.stats().total.pending === 1);
    await expect(request(s.origin, { dispatcher: p })).rejects.toBeInstanceOf(QueueFullError);
    const error = await waiting;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect((error as Error).message).toMatch(
      /acquire timed out after 1000 ms \(pool "http\[http:\/\/127\.0\.0\.1:\d+\]": 1\/1 borrowed/,
    );
    expect(p.stats().total).toMatchObject({ timeouts: 1, rejected: 1 });
    await p.destroy();
    expect(await stuck).toMatchObject({ code: 'UND_ERR_DESTROYED' });
  });
});
