import type { IncomingMessage } from 'node:http';
import type { Advice } from '../../stats/advice.js';
import { PoolOptionsError } from '../../core/errors.js';
import type { Health } from '../../stats/health.js';
import { describe, rejectUnknown } from '../../core/options.js';
import { POOL_KINDS, type PoolKind } from '../../config/kind.js';

/**
 * What the admin handler needs of a pool: a name and `stats()`. `health()`, `advise()`,
 * `config()` and `resetStats()` are used when present (a `Pool` has them all).
 */
export interface AdminPool {
  /** Unique among the handler's pools; selects it with `?pool=<name>`. */
  readonly name: string;
  /** A snapshot; a keyed pool may return one per key (the dashboard charts its `total`). */
  stats(): unknown;
  /** `ok`, `degraded` or `down`, with reasons. Missing: counted as `ok`. */
  health?(): Health;
  /** Recommendations. Missing: none. */
  advise?(): Advice[];
  /** Effective options; served with secrets redacted. Missing: `{}`. */
  config?(): Record<string, unknown>;
  /** Zeroes counters and histograms (`POST /reset-stats`). */
  resetStats?(): void;
}

/**
 * A pool with the kind it is listed under in `/stats?group=kind`, for a pool that does not
 * say it itself: a `Pool` or `KeyedPool` of database connections made with your own
 * factory, say. `PgPool`, `RedisPool` and `HttpPool` say their kind; other pools are `other`.
 */
export interface AdminPoolEntry {
  /** The pool. */
  pool: AdminPool;
  /** `database`, `redis`, `http` or `other`. */
  kind: PoolKind;
}

/** Options of {@link createAdminHandler}. */
export interface AdminOptions {
  /** The pools to serve (or `{ pool, kind }` entries). Required, at least one, unique names. */
  pools: readonly (AdminPool | AdminPoolEntry)[];
  /** Allow `POST /reset-stats`. Default false: the handler is read-only. */
  allowReset?: boolean;
  /**
   * Called for every request before anything is served; resolve to `true` to allow.
   * `false` (or a throw) answers 403. Default: every request is allowed, so mount the
   * handler where only operators can reach it, or pass this hook.
   */
  authorize?(req: IncomingMessage): boolean | Promise<boolean>;
  /** Path prefix the handler serves under, e.g. `/admin/pools`. Default `''` (none). */
  basePath?: string;
  /** Serve the live dashboard page at `GET /`. Default true. */
  dashboard?: boolean;
}

/** @internal Options after validation. */
export interface ResolvedAdminOptions {
  pools: readonly AdminPool[];
  /** Kinds given by `{ pool, kind }` entries. */
  kinds: ReadonlyMap<AdminPool, PoolKind>;
  allowReset: boolean;
  authorize: ((req: IncomingMessage) => boolean | Promise<boolean>) | null;
  basePath: string;
  dashboard: boolean;
}

const KNOWN = new Set(['pools', 'allowReset', 'authorize', 'basePath', 'dashboard']);

/** @internal Validates admin options eagerly, naming the bad one. */
export function resolveAdminOptions(o: AdminOptions): ResolvedAdminOptions {
  if (o === null || typeof o !== 'object')
    throw new PoolOptionsError(`createAdminHandler options: expected an object, got ${describe(o)}`);
  rejectUnknown('createAdminHandler options', o, KNOWN);
  if (!Array.isArray(o.pools) || o.pools.length === 0)
    throw new PoolOptionsError(`pools: expected a non-empty array of pools, got ${describe(o.pools)}`);
  const names = new Set<string>();
  const pools: AdminPool[] = [];
  const kinds = new Map<AdminPool, PoolKind>();
  o.pools.forEach((p: unknown, i) => {
    const entry = entryOf(p, `pools[${i}]`);
    const pool = entry.pool as AdminPool | null;
    const where = entry.kind === undefined ? `pools[${i}]` : `pools[${i}].pool`;
    if (pool === null || typeof pool !== 'object' || typeof pool.stats !== 'function')
      throw new PoolOptionsError(`${where}: expected a pool (an object with name and stats()), got ${describe(pool)}`);
    if (typeof pool.name !== 'string' || pool.name === '')
      throw new PoolOptionsError(`${where}.name: expected a non-empty string, got ${describe(pool.name)}`);
    if (names.has(pool.name))
      throw new PoolOptionsError(`${where}.name: expected unique pool names, got "${pool.name}" twice`);
    names.add(pool.name);
    pools.push(pool);
    if (entry.kind !== undefined) kinds.set(pool, entry.kind);
  });
  for (const k of ['allowReset', 'dashboard'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean')
      throw new PoolOptionsError(`${k}: expected a boolean, got ${describe(o[k])}`);
  }
  if (o.authorize !== undefined && typeof o.authorize !== 'function')
    throw new PoolOptionsError(`authorize: expected a function (req) => boolean, got ${describe(o.authorize)}`);
  const base = o.basePath ?? '';
  if (typeof base !== 'string' || (base !== '' && !/^\/[^?#\s]*$/.test(base)))
    throw new PoolOptionsError(`basePath: expected a path starting with "/", got ${describe(base)}`);
  return {
    pools,
    kinds,
    allowReset: o.allowReset ?? false,
    authorize: o.authorize ?? null,
    basePath: base.replace(/\/+$/, ''),
    dashboard: o.dashboard ?? true,
  };
}

/** A `{ pool, kind }` entry (its kind checked), or a pool on its own. */
function entryOf(p: unknown, where: string): { pool: unknown; kind?: PoolKind } {
  const e = p as { pool?: unknown; kind?: unknown; stats?: unknown } | null;
  if (e === null || typeof e !== 'object' || !('pool' in e) || typeof e.stats === 'function') return { pool: p };
  rejectUnknown(where, e, new Set(['pool', 'kind']));
  if (!POOL_KINDS.includes(e.kind as PoolKind))
    throw new PoolOptionsError(
      `${where}.kind: expected ${POOL_KINDS.map((k) => `"${k}"`).join(', ')}, got ${describe(e.kind)}`,
    );
  return { pool: e.pool, kind: e.kind as PoolKind };
}
