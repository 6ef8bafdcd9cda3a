import { afterEach, describe, expect, it } from 'vitest';
import { Pool } from '../../../src/index.js';
import { serve as serveOn } from './admin-server.js';
import { createAdminHandler, type AdminPool } from '../../../src/observability/admin/index.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory } from '../../support/test-factory.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const serve = (handler: Parameters<typeof serveOn>[0]) => serveOn(handler, cleanups);

function newPool(name = 'main'): { pool: Pool<unknown>; clock: ManualClock } {
  const clock = new ManualClock();
  const pool = new Pool<unknown>({ factory: new TestFactory(), clock, name, min: 1, max: 4 });
  cleanups.push(async () => {
    const closed = pool.close({ timeoutMs: 0 });
    await clock.advance(1);
    await closed;
  });
  return { pool, clock };
}

const secretPool: AdminPool = {
  name: 'secrets',
  stats: () => ({ size: 0 }),
  health: () => ({
    status: 'down',
    reasons: ['creates failing: 3 in a row (last: connect to postgres://app:hunter2@db:5432/x refused)'],
  }),
  config: () => ({
    password: 'hunter2',
    connectionString: 'postgres://app:hunter2@db:5432/x',
    ssl: { key: 'PEM', ca: 'CA' },
    apiToken: 'tok',
    dsn: 'host=db password=hunter2 dbname=x',
    maxWaiting: Infinity,
    name: 'secrets',
  }),
};

async function get(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const r = await fetch(url, { redirect: 'manual', ...init });
  const text = await r.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: r.status, body, headers: r.headers, text };
}

describe('lido/admin handler', () => {
  it('serves stats, health, advice and config as JSON', async () => {
    const { pool } = newPool();
    await pool.ready();
    (await pool.acquire()).release();
    const base = await serve(createAdminHandler({ pools: [pool] }));
    const stats = await get(`${base}/stats`);
    expect(stats.status).toBe(200);
    expect(stats.headers.get('content-type')).toMatch(/^application\/json/);
    expect(stats.headers.get('cache-control')).toBe('no-store');
    expect(stats.body.pools).toEqual([
      { name: 'main', stats: expect.objectContaining({ name: 'main', size: 1, idle: 1, acquired: 1, max: 4 }) },
    ]);
    expect(typeof stats.body.time).toBe('number');
    expect((await get(`${base}/health`)).body).toEqual({
      status: 'ok',
      pools: [
        {
          name: 'main',
          status: 'ok',
          reasons: [],
          saturation: 0,
          timeoutRate: 0,
          errorRate: 0,
          bands: { saturation: 'ok', timeoutRate: 'ok', errorRate: 'ok' },
        },
      ],
    });
    expect((await get(`${base}/advice`)).body).toEqual({ pools: [{ name: 'main', advice: [] }] });
    const config = (await get(`${base}/config`)).body.pools[0].config;
    expect(config).toMatchObject({
      name: 'main',
      min: 1,
      max: 4,
      maxWaiting: 'Infinity',
      factory: ['create', 'destroy'],
    });
    expect(config).not.toHaveProperty('clock');
  });

  it('shows each figure and its band on /health; a saturated pool is degraded, answered 200 (503 only when down)', async () => {
    const { pool } = newPool('busy');
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
    const base = await serve(createAdminHandler({ pools: [pool] }));
    const health = await get(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'degraded',
      pools: [
        {
          name: 'busy',
          status: 'degraded',
          reasons: ['saturation 100 % (critical at 95 %): 4/4 borrowed'],
          saturation: 1,
          timeoutRate: 0,
          errorRate: 0,
          bands: { saturation: 'critical', timeoutRate: 'ok', errorRate: 'ok' },
        },
      ],
    });
    const page = await get(`${base}/`);
    expect(page.text).toContain("'saturation'");
    expect(page.text).toContain('.band.critical');
    for (const l of leases) l.release();
  });

  it('answers 503 on /health when any pool is down, and redacts secrets from config and reasons', async () => {
    const { pool } = newPool();
    const base = await serve(createAdminHandler({ pools: [pool, secretPool] }));
    const health = await get(`${base}/health`);
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('down');
    const config = await get(`${base}/config?pool=secrets`);
    expect(config.body.pools[0].config).toEqual({
      password: '[redacted]',
      connectionString: 'postgres://app:[redacted]@db:5432/x',
      ssl: { key: '[redacted]', ca: 'CA' },
      apiToken: '[redacted]',
      dsn: 'host=db password=[redacted] dbname=x',
      maxWaiting: 'Infinity',
      name: 'secrets',
    });
    for (const r of [health, config]) expect(r.text).not.toContain('hunter2');
  });

  it('resets stats only with allowReset', async () => {
    const { pool } = newPool();
    (await pool.acquire()).release();
    const readOnly = await serve(createAdminHandler({ pools: [pool] }));
    const denied = await get(`${readOnly}/reset-stats`, { method: 'POST' });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatch(/allowReset/);
    expect(pool.stats().acquired).toBe(1);
    const writable = await serve(createAdminHandler({ pools: [pool], allowReset: true }));
    const done = await get(`${writable}/reset-stats`, { method: 'POST' });
    expect(done).toMatchObject({ status: 200, body: { reset: ['main'] } });
    expect(pool.stats().acquired).toBe(0);
  });

  it('answers wrong methods with 405 and unknown paths or pools with 404, as JSON', async () => {
    const { pool } = newPool();
    const base = await serve(createAdminHandler({ pools: [pool], allowReset: true }));
    const post = await get(`${base}/stats`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(post.body.error).toMatch(/POST not allowed on \/stats/);
    const getReset = await get(`${base}/reset-stats`);
    expect(getReset.status).toBe(405);
    expect(getReset.headers.get('allow')).toBe('POST');
    const missing = await get(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'not found: /nope' });
    const noPool = await get(`${base}/stats?pool=other`);
    expect(noPool).toMatchObject({ status: 404, body: { error: 'no pool named "other"', pools: ['main'] } });
    const head = await fetch(`${base}/stats`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('asks authorize(req) before serving anything', async () => {
    const { pool } = newPool();
    const seen: string[] = [];
    const base = await serve(
      createAdminHandler({
        pools: [pool],
        authorize: async (req) => {
          seen.push(req.url ?? '');
          if (req.headers['x-boom'] !== undefined) throw new Error('auth backend down');
          return req.headers.authorization === 'Bearer ops';
        },
      }),
    );
    expect((await get(`${base}/stats`)).status).toBe(403);
    expect((await get(`${base}/`)).status).toBe(403);
    expect((await get(`${base}/stats`, { headers: { authorization: 'Bearer ops', 'x-boom': '1' } })).status).toBe(403);
    expect((await get(`${base}/stats`, { headers: { authorization: 'Bearer ops' } })).status).toBe(200);
    expect(seen).toEqual(['/stats', '/', '/stats', '/stats']);
  });

  it('serves under basePath, passes other paths to next() when given, and redirects to the trailing slash', async () => {
    const { pool } = newPool();
    const handler = createAdminHandler({ pools: [pool], basePath: '/admin/pools/' });
    const base = await serve(
      (req, res) => void handler(req, res, req.url === '/passed' ? () => res.end('next') : undefined),
    );
    expect((await get(`${base}/admin/pools/stats`)).status).toBe(200);
    expect((await get(`${base}/stats`)).status).toBe(404);
    expect((await get(`${base}/passed`)).text).toBe('next');
    const redirect = await get(`${base}/admin/pools?x=1`);
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/admin/pools/?x=1');
    expect((await get(`${base}/admin/pools/`)).status).toBe(200);
  });

  it('redirects using originalUrl when mounted by Express-style routers', async () => {
    const { pool } = newPool();
    const handler = createAdminHandler({ pools: [pool] });
    const base = await serve((req, res) => {
      // What app.use('/lido', handler) does: strip the mount path, keep originalUrl.
      Object.assign(req, { originalUrl: req.url, url: req.url!.replace(/^\/lido/, '') || '/' });
      void handler(req, res);
    });
    expect((await get(`${base}/lido`)).headers.get('location')).toBe('/lido/');
    expect((await get(`${base}/lido/health`)).body.status).toBe('ok');
  });

  it('serves a self-contained dashboard with a nonce-based CSP', async () => {
    const { pool } = newPool();
    const base = await serve(createAdminHandler({ pools: [pool] }));
    const page = await get(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(page.text).toContain(`<script nonce="${nonce}">`);
    expect(csp).toContain("default-src 'none'");
    expect(page.text).not.toMatch(/<(link|img|iframe)\b|\bsrc=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect((await get(`${base}/`)).headers.get('content-security-policy')).not.toContain(nonce);
    const off = await serve(createAdminHandler({ pools: [pool], dashboard: false }));
    expect((await get(`${off}/`)).status).toBe(404);
  });

  it('reports a pool whose stats() throws without failing the others', async () => {
    const { pool } = newPool();
    const broken: AdminPool = {
      name: 'broken',
      stats: () => {
        throw new Error('no stats for postgres://u:hunter2@h');
      },
    };
    const base = await serve(createAdminHandler({ pools: [broken, pool] }));
    const r = await get(`${base}/stats`);
    expect(r.status).toBe(200);
    expect(r.body.pools[0]).toEqual({ name: 'broken', error: 'no stats for postgres://u:[redacted]@h' });
    expect(r.body.pools[1].stats.name).toBe('main');
  });

  it('validates options eagerly, naming the option', () => {
    const p = { name: 'a', stats: () => ({}) };
    expect(() => createAdminHandler({ pools: [] })).toThrow(/pools: expected a non-empty array/);
    expect(() => createAdminHandler({ pools: [p, { ...p }] })).toThrow(
      /pools\[1\]\.name: expected unique pool names, got "a" twice/,
    );
    expect(() => createAdminHandler({ pools: [{ stats: () => ({}) }] } as never)).toThrow(/pools\[0\]\.name/);
    expect(() => createAdminHandler({ pools: [p], basePath: 'admin' })).toThrow(
      /basePath: expected a path starting with "\/"/,
    );
    expect(() => createAdminHandler({ pools: [p], allowReset: 'yes' } as never)).toThrow(
      /allowReset: expected a boolean/,
    );
    expect(() => createAdminHandler({ pools: [p], authorize: true } as never)).toThrow(
      /authorize: expected a function/,
    );
    expect(() => createAdminHandler({ pools: [p], readOnly: true } as never)).toThrow(/unknown option "readOnly"/);
  });
});
