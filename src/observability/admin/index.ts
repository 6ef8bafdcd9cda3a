/**
 * `lido/admin`: a plain node:http `(req, res)` handler serving pool stats, health,
 * advice, redacted config, `POST /reset-stats` (only with `allowReset`) and a live
 * dashboard page. Opt-in and read-only by default. See docs/monitoring.md.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { poolKindOf } from '../../config/kind.js';
import { groupedStats } from './grouped.js';
import type { Health } from '../../stats/health.js';
import { dashboardPage } from './page.js';
import { redact, redactString } from '../../core/util/redact.js';
import { resolveAdminOptions, type AdminOptions, type AdminPool, type ResolvedAdminOptions } from './options.js';

export type { AdminOptions, AdminPool, AdminPoolEntry } from './options.js';
export type { GroupedStats, GroupedRecommendation } from './grouped.js';
export type { PoolKind } from '../../config/kind.js';
export { redact, redactString, type RedactOptions } from '../../core/util/redact.js';

/**
 * A request handler for node:http, Express, Connect, Fastify (`reply.hijack()` and the
 * raw objects) and Koa (`ctx.respond = false`). Resolves once the response is sent.
 * With `next` (Express/Connect), paths outside `basePath` are passed on instead of 404.
 */
export type AdminHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<void>;

type Route = {
  methods: readonly string[];
  run: (
    pools: readonly AdminPool[],
    o: ResolvedAdminOptions,
    query: URLSearchParams,
  ) => { status: number; body: unknown };
};

const READ = ['GET', 'HEAD'] as const;

/** One value per pool; a throwing pool reports its error instead of failing the whole answer. */
function each<R>(
  pools: readonly AdminPool[],
  f: (p: AdminPool) => R,
): ({ name: string } & ({ value: R } | { error: string }))[] {
  return pools.map((p) => {
    try {
      return { name: p.name, value: f(p) };
    } catch (e) {
      return { name: p.name, error: redactString(e instanceof Error ? e.message : String(e)) };
    }
  });
}

/** A health's figures and bands (option `health`), where the pool gives them: numbers and band names only. */
function figuresOf(h: Health): Partial<Pick<Health, 'saturation' | 'timeoutRate' | 'errorRate' | 'bands'>> {
  if (h.bands === undefined) return {};
  const { saturation, timeoutRate, errorRate, bands } = h;
  return { saturation, timeoutRate, errorRate, bands: { ...bands } };
}

const ROUTES: Record<string, Route> = {
  '/stats': {
    methods: READ,
    run: (pools, o, query) => {
      const group = query.get('group');
      if (group === 'kind') return { status: 200, body: groupedStats(pools, (p) => o.kinds.get(p) ?? poolKindOf(p)) };
      if (group !== null)
        return { status: 400, body: { error: `group: expected "kind", got ${JSON.stringify(group)}` } };
      return {
        status: 200,
        body: {
          time: Date.now(),
          pools: each(pools, (p) => redact(p.stats(), false)).map(({ name, ...r }) => ({
            name,
            ...('value' in r ? { stats: r.value } : r),
          })),
        },
      };
    },
  },
  '/health': {
    methods: READ,
    run: (pools) => {
      const all = each(pools, (p) => p.health?.() ?? { status: 'ok' as const, reasons: [] }).map((r) =>
        'value' in r
          ? { name: r.name, status: r.value.status, reasons: r.value.reasons.map(redactString), ...figuresOf(r.value) }
          : { name: r.name, status: 'down' as const, reasons: [`health() threw: ${r.error}`] },
      );
      const status = all.some((h) => h.status === 'down')
        ? 'down'
        : all.some((h) => h.status === 'degraded')
          ? 'degraded'
          : 'ok';
      return { status: status === 'down' ? 503 : 200, body: { status, pools: all } };
    },
  },
  '/advice': {
    methods: READ,
    run: (pools) => ({
      status: 200,
      body: {
        pools: each(pools, (p) => redact(p.advise?.() ?? [])).map(({ name, ...r }) => ({
          name,
          ...('value' in r ? { advice: r.value } : r),
        })),
      },
    }),
  },
  '/config': {
    methods: READ,
    run: (pools) => ({
      status: 200,
      body: {
        pools: each(pools, (p) => redact(p.config?.() ?? {})).map(({ name, ...r }) => ({
          name,
          ...('value' in r ? { config: r.value } : r),
        })),
      },
    }),
  },
  '/reset-stats': {
    methods: ['POST'],
    run: (pools, o) => {
      if (!o.allowReset)
        return { status: 403, body: { error: 'reset-stats is disabled: create the handler with allowReset: true' } };
      const reset = pools.filter((p) => typeof p.resetStats === 'function');
      for (const p of reset) p.resetStats!();
      return { status: 200, body: { reset: reset.map((p) => p.name) } };
    },
  },
};

// The name dashboards and service guides use for the same answer.
ROUTES['/optimize'] = ROUTES['/advice']!;

/** `JSON.stringify` replacer keeping what JSON cannot say: `Infinity` and `NaN` become strings. */
function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return String(v);
  return v;
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
  headers: Record<string, string> = {},
  head = false,
): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(head ? undefined : body);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
  head = false,
): void {
  send(res, status, JSON.stringify(body, jsonReplacer, 2), 'application/json; charset=utf-8', headers, head);
}

/**
 * Creates the admin handler. Routes, under `basePath`: `GET /` (dashboard), `GET
 * /stats` (`?group=kind`: by kind, with every pool's recommendations), `GET /health`
 * (503 when any pool is down), `GET /advice` (also `GET /optimize`), `GET /config`
 * (secrets redacted), `POST /reset-stats` (403 unless `allowReset`). `?pool=<name>`
 * narrows any route to one pool. Wrong methods get 405, unknown paths 404, both as
 * JSON `{ error }`. Options are validated at once.
 */
export function createAdminHandler(options: AdminOptions): AdminHandler {
  const o = resolveAdminOptions(options);
  return async (req, res, next) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (o.basePath !== '' && path !== o.basePath && !path.startsWith(`${o.basePath}/`)) {
        if (next !== undefined) return next();
        return json(res, 404, { error: `not found: ${path}` });
      }
      if (
        o.authorize !== null &&
        (await Promise.resolve()
          .then(() => o.authorize!(req))
          .catch(() => false)) !== true
      ) {
        return json(res, 403, { error: 'forbidden' });
      }
      const route = path.slice(o.basePath.length) || '/';
      const method = (req.method ?? 'GET').toUpperCase();
      const head = method === 'HEAD';
      if (route === '/' && o.dashboard) {
        if (!READ.includes(method as 'GET'))
          return json(res, 405, { error: `method ${method} not allowed on /` }, { allow: READ.join(', ') });
        const original = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://localhost');
        if (!original.pathname.endsWith('/'))
          return send(res, 308, '', 'text/plain', { location: `${original.pathname}/${original.search}` });
        const nonce = randomBytes(16).toString('base64');
        return send(
          res,
          200,
          dashboardPage(nonce),
          'text/html; charset=utf-8',
          {
            'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
            'referrer-policy': 'no-referrer',
          },
          head,
        );
      }
      const r = ROUTES[route];
      if (r === undefined)
        return json(
          res,
          404,
          { error: `not found: ${route}`, routes: [...(o.dashboard ? ['/'] : []), ...Object.keys(ROUTES)] },
          undefined,
          head,
        );
      if (!r.methods.includes(method))
        return json(
          res,
          405,
          { error: `method ${method} not allowed on ${route}; use ${r.methods.join(' or ')}` },
          { allow: r.methods.join(', ') },
          head,
        );
      const wanted = url.searchParams.get('pool');
      const pools = wanted === null ? o.pools : o.pools.filter((p) => p.name === wanted);
      if (pools.length === 0)
        return json(
          res,
          404,
          { error: `no pool named ${JSON.stringify(wanted)}`, pools: o.pools.map((p) => p.name) },
          undefined,
          head,
        );
      const { status, body } = r.run(pools, o, url.searchParams);
      return json(res, status, body, undefined, head);
    } catch (e) {
      if (!res.headersSent) json(res, 500, { error: redactString(e instanceof Error ? e.message : String(e)) });
      else res.destroy();
    }
  };
}
