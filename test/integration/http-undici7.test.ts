/**
 * lido/http with undici 7 (the `undici7` alias), whose `request`, `stream`, `pipeline`
 * and `fetch` hand the dispatcher legacy handlers (`onConnect`, `onHeaders`, `onData`,
 * `onComplete`, `onError`), and whose `Client` takes both handler APIs. The pool is
 * made with `undici: undici7`, so it extends undici 7's Dispatcher (first pool of the
 * file binds it) and dispatches on undici 7 Clients.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline as streamPipeline } from 'node:stream/promises';
import * as undici7 from 'undici7';
import { describe, expect, it } from 'vitest';
import { HttpPool, type UndiciLike } from '../../src/adapters/http/index.js';
import { deferEach, startServer, type Handler, type TestServer } from './http-servers.js';

const { Dispatcher, fetch, getGlobalDispatcher, interceptors, pipeline, request, setGlobalDispatcher, stream } =
  undici7;

const cleanup = deferEach();

async function server(handler?: Handler): Promise<TestServer> {
  const s = await startServer({ handler: handler ?? ((req, res) => req.pipe(res)) });
  cleanup(() => s.close());
  return s;
}

function pool(options: ConstructorParameters<typeof HttpPool>[0] = {}): HttpPool & undici7.Dispatcher {
  const p = new HttpPool({ undici: undici7 as unknown as UndiciLike, ...options });
  cleanup(() => p.destroy());
  return p as unknown as HttpPool & undici7.Dispatcher;
}

describe('undici 7', () => {
  it('the pool is an undici 7 Dispatcher', () => {
    expect(pool()).toBeInstanceOf(Dispatcher);
  });

  it("request, stream, pipeline, fetch and the pool's own request() (legacy handlers)", async () => {
    const s = await server();
    const p = pool({ max: 2 });
    const r = await request(s.origin, { dispatcher: p, method: 'POST', body: 'req', responseHeaders: 'raw' });
    expect(await r.body.text()).toBe('req');
    expect(r.statusCode).toBe(200);

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

    expect(await (await fetch(s.origin, { dispatcher: p, method: 'POST', body: 'fetch' })).text()).toBe('fetch');
    expect(await (await p.request({ origin: s.origin, path: '/', method: 'POST', body: 'own' })).body.text()).toBe(
      'own',
    );
    expect(p.stats().total.requests).toBe(5);
    expect(s.accepted).toBeLessThanOrEqual(2);
  });

  it('raw dispatch with a legacy handler: raw headers, pause by returning false, resume', async () => {
    const s = await server((_req, res) => res.setHeader('x-a', 'b').end('x'.repeat(100_000)));
    const p = pool();
    const got = await new Promise<{ status: number; headers: string[]; bytes: number; paused: boolean }>(
      (resolve, reject) => {
        let status = 0;
        let headers: string[] = [];
        let bytes = 0;
        let paused = false;
        let resume: () => void = () => {};
        p.dispatch({ origin: s.origin, path: '/', method: 'GET' }, {
          onConnect() {},
          onHeaders(code: number, raw: Buffer[], r: () => void) {
            status = code;
            headers = raw.map(String);
            resume = r;
            return true;
          },
          onData(chunk: Buffer) {
            bytes += chunk.length;
            if (!paused) {
              paused = true;
              setTimeout(resume, 20);
              return false;
            }
            return true;
          },
          onComplete: () => resolve({ status, headers, bytes, paused }),
          onError: reject,
        } as never);
      },
    );
    expect(got.status).toBe(200);
    expect(got.headers).toContain('x-a');
    expect(got.bytes).toBe(100_000);
    expect(got.paused).toBe(true);
  });

  it('raw dispatch with a new-API handler on undici 7 Clients', async () => {
    const s = await server((_req, res) => res.end('new api'));
    const p = pool();
    const body = await new Promise<string>((resolve, reject) => {
      let text = '';
      p.dispatch({ origin: s.origin, path: '/', method: 'GET' }, {
        onRequestStart() {},
        onResponseStart() {},
        onResponseData: (_c: unknown, chunk: Buffer) => (text += chunk),
        onResponseEnd: () => resolve(text),
        onResponseError: (_c: unknown, e: Error) => reject(e),
      } as never);
    });
    expect(body).toBe('new api');
  });

  it("setGlobalDispatcher (undici 7): its fetch and Node's built-in fetch go through the pool", async () => {
    const s = await server((req, res) => res.end(`ok ${req.url}`));
    const p = pool();
    const before = getGlobalDispatcher();
    setGlobalDispatcher(p);
    try {
      expect(await (await fetch(`${s.origin}/u7`)).text()).toBe('ok /u7');
      expect(await (await globalThis.fetch(`${s.origin}/node`)).text()).toBe('ok /node');
    } finally {
      setGlobalDispatcher(before);
    }
    expect(p.stats().total.requests).toBe(2);
  });

  it("Node's built-in fetch takes an undici 7 pool as its dispatcher", async () => {
    const s = await server();
    const p = pool();
    const res = await globalThis.fetch(s.origin, { dispatcher: p, method: 'POST', body: 'node' } as RequestInit);
    expect(await res.text()).toBe('node');
    expect(p.stats().total.requests).toBe(1);
  });

  it("compose with undici 7's retry interceptor", async () => {
    let n = 0;
    const s = await server((_req, res) => (++n === 1 ? res.writeHead(503).end('busy') : res.end('ok')));
    const p = pool();
    const r = await request(s.origin, {
      dispatcher: p.compose(interceptors.retry({ maxRetries: 2, minTimeout: 1, statusCodes: [503] })),
    });
    expect(await r.body.text()).toBe('ok');
    expect(p.stats().total.requests).toBe(2);
  });
});
