import { ENV_SOURCES } from '../../config/sources.js';
import type { ClusterProbeOptions, ClusterStrategy } from '../../cluster/options.js';
import { PoolOptionsError } from '../../core/errors.js';
import type { PoolOptions } from '../../core/options.js';
import { hidden, hideSecrets, revealSecrets } from '../../core/util/hide-secrets.js';
import type { ClientLike, PgConnectionOptions } from './types.js';

/** The core options `PgPool` accepts under their own names (they win over the pg ones). */
export const CORE_OPTION_KEYS = [
  'name',
  'acquireTimeoutMs',
  'createTimeoutMs',
  'idleTimeoutMs',
  'maxLifetimeMs',
  'keepaliveMs',
  'validateAfterIdleMs',
  'validateTimeoutMs',
  'resetTimeoutMs',
  'maxWaiting',
  'order',
  'leakDetectionMs',
  'createRetry',
  'failFast',
  'maxConcurrentCreates',
  'clock',
  'random',
  'keepMin',
  'autoSize',
] as const;

type CoreKey = (typeof CORE_OPTION_KEYS)[number];

/** The options of `PgPool` that are about the read replicas (not passed to a replica). */
export const CLUSTER_OPTION_KEYS = ['replicas', 'replicaStrategy', 'fallbackToPrimary', 'ejectAfter', 'probe'] as const;

/**
 * Options of one pool of `PgPool`, the primary's or (merged over the primary's) a
 * replica's: `pg.Pool`'s, every lido core option, and every `pg.Client` option.
 */
export interface PgReplicaOptions<C extends ClientLike = ClientLike>
  extends PgConnectionOptions<C>,
    Partial<Pick<PoolOptions<C>, CoreKey>> {
  /** Most clients (pg default 10). */
  max?: number;
  /** Alias of `max` (old pg name). */
  poolSize?: number;
  /**
   * Idle clients are not closed below this many (pg.Pool's meaning: nothing is opened for
   * it; `await pool.ready()` opens it once; `keepMin: true` keeps it open). Default 0.
   */
  min?: number;
  /** Idle clients above `min` are closed after this long; 0 = never. pg default 10 000. */
  idleTimeoutMillis?: number | null;
  /**
   * Longest `connect()`/`query()` waits for a client, and longest a connection attempt takes;
   * 0 = no limit. Not given: 30 s (lido's `acquireTimeoutMs` and `createTimeoutMs`; pg.Pool has no limit).
   */
  connectionTimeoutMillis?: number;
  /** A client is closed after this many checkouts. Default unlimited. */
  maxUses?: number;
  /** A client is closed after this age (seconds; lido retires it up to 10 % earlier so clients do not all expire at once). */
  maxLifetimeSeconds?: number;
  /** `true`: idle clients and timers do not keep the process alive. pg default false. */
  allowExitOnIdle?: boolean;
}

/** Options of `PgPool`: `pg.Pool`'s, every lido core option, every `pg.Client` option, and read replicas. */
export interface PgPoolOptions<C extends ClientLike = ClientLike> extends PgReplicaOptions<C> {
  /**
   * Read replicas: each a connection string or options merged over these ones (so a
   * replica usually says only where it is: `{ host: 'db-replica-1' }`). Read-only work
   * (`query(…, { readOnly: true })`, `pool.replica`) goes to a healthy one; writes
   * always go to the primary. Default none.
   */
  replicas?: (PgReplicaOptions<C> | string)[];
  /** How read-only work picks among healthy replicas: `'round-robin'` (default) or `'least-borrowed'`. */
  replicaStrategy?: ClusterStrategy;
  /** With no healthy replica, read-only work goes to the primary (else it rejects with `ERR_POOL_NO_REPLICA`). Default true. */
  fallbackToPrimary?: boolean;
  /** A replica is ejected after this many connection failures in a row. Default 3. */
  ejectAfter?: number;
  /** Background probing of an ejected replica (`baseMs` 1 000, `capMs` 30 000, `timeoutMs` 5 000, `check`). */
  probe?: ClusterProbeOptions<C>;
}

/** A pg option given as a number of ms (or seconds), falsy meaning "off" as in pg-pool. */
function pgDuration(name: string, v: unknown): number {
  if (v === undefined || v === null || v === 0 || v === false) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new PoolOptionsError(
      `${name}: expected a non-negative number, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`,
    );
  }
  return v;
}

/** Maps `pg.Pool` options onto the core's (core names, when given, win). */
export function toCoreOptions<C extends ClientLike>(
  o: PgPoolOptions<C>,
): Omit<PoolOptions<C>, 'factory'> & { allowExitOnIdle: true } {
  const core: Record<string, unknown> = {};
  // pg-pool: `max || poolSize || 10`, `min || 0`, `maxUses || Infinity`.
  core.max = o.max || o.poolSize || 10;
  core.min = o.min || 0;
  // pg.Pool's min: a floor for idle reaping, nothing opened for it (ready() opens it once).
  core.keepMin = false;
  core.maxUses = o.maxUses || Infinity;
  // pg-pool: idleTimeoutMillis undefined => 10 000; any falsy value => never.
  core.idleTimeoutMs =
    o.idleTimeoutMillis === undefined ? 10_000 : pgDuration('idleTimeoutMillis', o.idleTimeoutMillis);
  // pg: no connectionTimeoutMillis (or 0) = no limit. Given as 0 it means that here too;
  // not given, lido bounds the wait for a client and each connection attempt (its
  // acquireTimeoutMs and createTimeoutMs defaults), so a call never hangs for good.
  if (o.connectionTimeoutMillis !== undefined) {
    const connectMs = pgDuration('connectionTimeoutMillis', o.connectionTimeoutMillis);
    core.acquireTimeoutMs = connectMs === 0 ? Infinity : connectMs;
    core.createTimeoutMs = connectMs === 0 ? Infinity : connectMs;
  }
  // pg.Pool opens a connection for every connect() that finds no idle client and room.
  core.maxConcurrentCreates = core.max;
  const lifeS = pgDuration('maxLifetimeSeconds', o.maxLifetimeSeconds);
  if (lifeS > 0) core.maxLifetimeMs = lifeS * 1000;
  if (o.allowExitOnIdle !== undefined && typeof o.allowExitOnIdle !== 'boolean') {
    throw new PoolOptionsError(`allowExitOnIdle: expected a boolean, got ${JSON.stringify(o.allowExitOnIdle)}`);
  }
  // Backoff between failed connects: pg.Pool has none; keep lido's but cap it low enough
  // that a restarted server is found again quickly.
  core.createRetry = { baseMs: 100, capMs: 2_000 };
  for (const key of CORE_OPTION_KEYS) {
    if (o[key] !== undefined) core[key] = o[key];
  }
  // PgPool's timers never hold the process; idle *sockets* do unless allowExitOnIdle (pg semantics).
  core.allowExitOnIdle = true;
  // Which options poolOptionsFromEnv set: the core pool's config() shows them (fromEnv).
  if (ENV_SOURCES in o) Object.assign(core, { [ENV_SOURCES]: (o as { [ENV_SOURCES]?: unknown })[ENV_SOURCES] });
  return core as Omit<PoolOptions<C>, 'factory'> & { allowExitOnIdle: true };
}

/**
 * pg-pool's `this.options`: a copy with defaults filled in, whose secrets no printing shows
 * (`hideSecrets`: the password, a connection string with credentials, `ssl`'s key,
 * passphrase and pfx, any other secret-named option, not enumerable at any depth) while
 * `pool.options.ssl.key` still reads them. As in pg-pool, `password` is hidden whatever
 * its value; the replicas, which carry their own credentials, are hidden too.
 */
export function copyOptions<C extends ClientLike>(options: PgPoolOptions<C>): PgPoolOptions<C> {
  const o = hideSecrets(Object.assign({}, options)) as PgPoolOptions<C>;
  for (const k of ['password', 'replicas'] as const) if (Object.keys(o).includes(k)) hidden(o, k, o[k]);
  o.max = o.max || o.poolSize || 10;
  o.min = o.min || 0;
  o.maxUses = o.maxUses || Infinity;
  o.allowExitOnIdle = o.allowExitOnIdle || false;
  o.maxLifetimeSeconds = o.maxLifetimeSeconds || 0;
  if (o.idleTimeoutMillis === undefined) o.idleTimeoutMillis = 10_000;
  return o;
}

const POOL_KEYS = new Set<string>([
  'max',
  'poolSize',
  'min',
  'maxUses',
  'allowExitOnIdle',
  'maxLifetimeSeconds',
  'idleTimeoutMillis',
  'log',
  'Client',
  'onConnect',
  'verify',
  'resetOnRelease',
  'pingQuery',
  'Promise',
  ...CORE_OPTION_KEYS,
  ...CLUSTER_OPTION_KEYS,
]);

/** The options that are the client's (everything not a pool option). */
export function connectionOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // hidden (not enumerable) secrets included: a display copy redacts them
  const all = revealSecrets(options);
  for (const key of Object.keys(all)) if (!POOL_KEYS.has(key)) out[key] = all[key];
  return out;
}
