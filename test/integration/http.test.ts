/**
 * lido/http against real local servers (node:http and node:https on 127.0.0.1), with
 * undici 8 (the installed `undici`): plain and TLS request/response, keep-alive reuse,
 * `min` warm sockets, and every undici entry point (`request`, `stream`, `pipeline`,
 * `fetch`, `setGlobalDispatcher`, `compose`) plus Node's built-in fetch.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import {
  Agent,
  Dispatcher,
  fetch as undiciFetch,
  getGlobalDispatcher,
  interceptors,
  pipeline,
  request,
  setGlobalDispatcher,
  stream,
} from 'undici';
import { describe, expect, it } from 'vitest';
import { CreateError } from '../../src/index.js';
import { HttpPool } from '../../src/adapters/http/index.js';
import { deferEach, startServer, testCertificate, type TestServer } from './http-servers.js';

const cleanup = deferEach();

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(options);
  cleanup(() => s.close());
  return s;
}

function pool(options: ConstructorParameters<typeof HttpPool>[0] = {}): HttpPool {
  const p = new HttpPool(options);
  cleanup(() => p.destroy());
  return p;
}

describe('request and response', () => {
  it('is an undici Dispatcher', () => {
    const p = pool();
    expect(p).toBeInstanceOf(Dispatcher);
    expect(p).toBeInstanceOf(HttpPool);
  });

  it('GET and POST over plain HTTP, one socket reused (keep-alive)', async () => {
    const s = await server({
      handler: (req, res) => {
        let body = '';
        req
          .on('data', (c) => (body += c))
          .on('end', () => res.setHeader('x-seen', req.method!).end(`${req.method} ${req.url} ${body}`));
      },
    });
    const p = pool({ max: 4 });
    for (let i = 0; i < 20; i++) {
      const r = await request(`${s.origin}/get/${i}`, { dispatcher: p });
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-seen']).toBe('GET');
      expect(await r.body.text()).toBe(`GET /get/${i} `);
    }
    const post = await request(`${s.origin}/post`, { dispatcher: p, method: 'POST', body: 'hello' });
    expect(await post.body.text()).toBe('POST /post hello');
    expect(s.accepted).toBe(1);
    expect(p.stats().origins[s.origin]).toMatchObject({ size: 1, idle: 1, requests: 21, acquired: 21, released: 21 });
  });

  it('GET over TLS with a certificate made in the test; a connection that fails verification fails the request', async () => {
    const s = await server({ tls: true });
    const p = pool({ connect: { ca: testCertificate().cert } });
    for (let i = 0; i < 5; i++)
      expect(await (await request(`${s.origin}/tls`, { dispatcher: p })).body.text()).toBe('ok GET /tls');
    expect(s.accepted).toBe(1);

    const strict = pool();
    const error = await request(`${s.origin}/tls`, { dispatcher: strict }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CreateError);
    expect(String((error as Error).cause)).toMatch(/self[- ]signed/i);
  });

  it('min: warm sockets are open before the first request, and the first requests use them', async () => {
    const s = await server();
    const p = pool({ origins: { [s.origin]: { min: 3, max: 5 } } });
    await p.ready();
    await s.waitAccepted(3);
    expect(p.stats().origins[s.origin]).toMatchObject({ size: 3, idle: 3, configured: true, requests: 0 });
    const bodies = await Promise.all(
      [1, 2, 3].map(async (i) => (await request(`${s.origin}/${i}`, { dispatcher: p })).body.text()),
    );
    expect(bodies).toEqual(['ok GET /1', 'ok GET /2', 'ok GET /3']);
    expect(s.accepted).toBe(3);
  });

  it('TLS warm sockets: the handshake is done at start', async () => {
    const s = await server({ tls: true });
    const p = pool({ connect: { ca: testCertificate().cert }, origins: { [s.origin]: { min: 2 } } });
    await p.ready();
    await s.waitAccepted(2); // counts secureConnection: the handshake completed
    await Promise.all([1, 2].map(async () => (await request(s.origin, { dispatcher: p })).body.text()));
    expect(s.accepted).toBe(2);
  });

  it('stats per origin and in total', async () => {
    const a = await server();
    const b = await server();
    const p = pool();
    await (await request(a.origin, { dispatcher: p })).body.text();
    await (await request(b.origin, { dispatcher: p })).body.text();
    await (await request(b.origin, { dispatcher: p })).body.text();
    const st = p.stats();
    expect(Object.keys(st.origins).sort()).toEqual([a.origin, b.origin].sort());
    expect(st.origins[a.origin]).toMatchObject({ requests: 1, origin: a.origin, name: `http[${a.origin}]` });
    expect(st.origins[b.origin]).toMatchObject({ requests: 2 });
    expect(st.total).toMatchObject({ requests: 3, size: 2, idle: 2, acquired: 3 });
    expect(st.inFlight).toBe(0);
    expect(p.health().status).toBe('ok');
  });
});

describe('undici 8 entry points', () => {
  it("request, stream, pipeline, fetch, and the pool's own request()", async () => {
    const s = await server({ handler: (req, res) => req.pipe(res) });
    const p = pool({ max: 2 });
    expect(await (await request(s.origin, { dispatcher: p, method: 'PUT', body: 'req' })).body.text()).toBe('req');

    const chunks: Buffer[] = [];
    await stream(
      s.origin,
      { dispatcher: p, method: 'POST', body: 'stream' },
      () => new Writable({ write: (c, _e, cb) => (chunks.push(c), cb()) }),
    );
    expect(Buffer.concat(chunks).toString()).toBe('stream');

    const out: Buffer[] = [];
    await streamPipeline(
      Readable.from(['pipe', 'line']),
      pipeline(s.origin, { dispatcher: p, method: 'POST' }, ({ body }) => body),
      new Writable({ write: (c, _e, cb) => (out.push(c), cb()) }),
    );
    expect(Buffer.concat(out).toString()).toBe('pipeline');

    const res = await undiciFetch(s.origin, { dispatcher: p, method: 'POST', body: 'fetch' });
    expect(await res.text()).toBe('fetch');

    const own = await p.request({ origin: s.origin, path: '/', method: 'POST', body: 'own' });
    expect(await own.body.text()).toBe('own');
    expect(s.accepted).toBeLessThanOrEqual(2);
    expect(p.stats().total.requests).toBe(5);
  });

  it("setGlobalDispatcher: undici's fetch and request, and Node's built-in fetch, go through the pool", async () => {
    const s = await server();
    const p = pool();
    const before = getGlobalDispatcher();
    setGlobalDispatcher(p);
    try {
      expect(await (await undiciFetch(`${s.origin}/u`)).text()).toBe('ok GET /u');
      expect(await (await request(`${s.origin}/r`)).body.text()).toBe('ok GET /r');
      expect(await (await globalThis.fetch(`${s.origin}/node`)).text()).toBe('ok GET /node');
    } finally {
      setGlobalDispatcher(before);
    }
    expect(p.stats().total.requests).toBe(3);
  });

  it("Node's built-in fetch takes the pool as its dispatcher", async () => {
    const s = await server({ handler: (req, res) => req.pipe(res) });
    const p = pool();
    const res = await globalThis.fetch(s.origin, { dispatcher: p, method: 'POST', body: 'node fetch' } as RequestInit);
    expect(await res.text()).toBe('node fetch');
    expect(p.stats().total.requests).toBe(1);
  });

  it('compose: undici interceptors wrap the pool', async () => {
    let n = 0;
    const s = await server({ handler: (_req, res) => (++n === 1 ? res.writeHead(503).end('busy') : res.end('ok')) });
    const p = pool();
    const composed = p.compose(interceptors.retry({ maxRetries: 2, minTimeout: 1, statusCodes: [503] }));
    const r = await request(s.origin, { dispatcher: composed });
    expect(await r.body.text()).toBe('ok');
    expect(p.stats().total.requests).toBe(2);
  });

  it("upgrade: the upgraded socket leaves the pool and stays the caller's", async () => {
    const s = await server();
    s.server.on('upgrade', (_req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n');
      socket.pipe(socket);
    });
    const p = pool();
    const { socket } = await p.upgrade({ origin: s.origin, path: '/', protocol: 'echo' } as never);
    const echoed = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(String(d))));
    socket.write('ping');
    expect(await echoed).toBe('ping');
    expect(p.stats().origins[s.origin]).toMatchObject({ size: 0, destroyed: 1 });
    expect(await (await request(s.origin, { dispatcher: p })).body.text()).toBe('ok GET /'); // a new connection
    socket.destroy();
  });

  it('throughput sanity: an Agent and the pool answer the same', async () => {
    const s = await server();
    const agent = new Agent({ connections: 2 });
    cleanup(() => agent.close());
    const p = pool({ max: 2 });
    const a = await (await request(`${s.origin}/same`, { dispatcher: agent })).body.text();
    const b = await (await request(`${s.origin}/same`, { dispatcher: p })).body.text();
    expect(b).toBe(a);
  });
});
