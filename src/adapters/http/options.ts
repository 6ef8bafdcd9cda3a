import { redactString } from '../../core/util/redact.js';
import type { Client, buildConnector } from 'undici';
import type { Clock } from '../../core/util/clock.js';
import { PoolOptionsError } from '../../core/errors.js';
import type { Factory } from '../../core/factory.js';
import {
  checkDuration,
  checkInt,
  describe,
  rejectUnknown,
  resolveOptions,
  type PoolOptions,
} from '../../core/options.js';
import type { Connector, UndiciLike } from './types.js';
import type { Budget } from '../../budget/budget.js';
import { checkBudget } from '../../core/budget-link.js';
import type { AutoSizeOptions } from '../../sizing/options.js';
import type { HealthOptions } from '../../stats/health-options.js';

/** Socket options: undici's `buildConnector` options (TLS: `ca`, `cert`, `key`, `rejectUnauthorized`, `servername`; `timeout`, `keepAlive`, `socketPath`, …). */
export type HttpConnectOptions = Partial<buildConnector.BuildOptions>;

/** undici `Client` options lido/http passes on (`headersTimeout`, `bodyTimeout`, `keepAliveTimeout`, `maxResponseSize`, …); it sets `pipelining` and `connect` itself. */
export type HttpClientOptions = Omit<Client.Options, 'pipelining' | 'connect'>;

/** Options that can differ per origin. Every duration is in milliseconds. */
export interface HttpOriginOptions {
  /** Connections kept open even when idle; a configured origin opens them at start. Default 0. */
  min?: number;
  /** Most connections to the origin (connecting + idle + in use). Default 10. */
  max?: number;
  /** Longest a request waits for a connection before `AcquireTimeoutError`. Default 30 000. */
  acquireTimeoutMs?: number;
  /** Longest opening one connection (TCP + TLS) may take. Default = `acquireTimeoutMs`. */
  createTimeoutMs?: number;
  /** Idle connections are closed after this long (undici's keep-alive timeout; a server's `Keep-Alive` hint wins); 0 = never. Default 4 000. */
  idleTimeoutMs?: number;
  /** Connections are retired after this age (up to 10 % earlier, at random), only when idle; 0 = never. Default 1 800 000. */
  maxLifetimeMs?: number;
  /**
   * Accepted so that options shared with other pools (`poolOptionsFromEnv`) apply, and
   * has no effect: HTTP has no ping. An idle connection the server closed is dropped the
   * moment its socket closes, and an idempotent request that finds its socket just
   * closed is sent again on another connection.
   */
  validateAfterIdleMs?: number;
  /** Most requests queued for a connection; beyond it a request fails at once with `QueueFullError`. Default Infinity. */
  maxWaiting?: number;
  /** A connection is retired after this many requests. Default Infinity. */
  maxUses?: number;
  /** Which idle connection is used first: most (`lifo`) or least (`fifo`) recently used. Default `lifo`. */
  order?: 'lifo' | 'fifo';
  /** `true`: while connecting fails, queued requests fail at once with the connect error. Default true. */
  failFast?: boolean;
  /** Backoff between failed connects. Default base 100 ms, cap 10 s. */
  createRetry?: {
    /** First delay after a failed connect, ms. Default 100. */
    baseMs?: number;
    /** Largest delay, ms. Default 10 000. */
    capMs?: number;
  };
  /** Most connects in flight at once, per origin. Default 16. */
  maxConcurrentCreates?: number;
  /**
   * `true` (or tuning): each origin's pool moves its limit between `min` and `max` from
   * the load it sees (see the `autoSize` option of `Pool`, docs/sizing.md). Default false.
   */
  autoSize?: boolean | AutoSizeOptions;
  /** The bands `health()` judges each origin's pool by (see the core option `health`). */
  health?: HealthOptions;
  /**
   * `false`: the kill switch. Every request gets a fresh connection, closed when its
   * response ends (`destroyedBy.unpooled`); `max`, timeouts and stats still apply; `min`
   * does nothing. Default true.
   */
  pooling?: boolean;
  /** Socket and TLS options, or a connector function `(target, callback)` as undici's `connect` option takes. */
  connect?: HttpConnectOptions | Connector;
  /** undici `Client` options (`headersTimeout`, `bodyTimeout`, …). */
  client?: HttpClientOptions;
}

/** Options of {@link HttpPool}: defaults for every origin, per-origin overrides, and pool-wide settings. */
export interface HttpPoolOptions extends HttpOriginOptions {
  /** Name shown in errors and stats; each origin's pool is `<name>[<origin>]`. Default `http`. */
  name?: string;
  /** Overrides per origin, e.g. `{ 'https://api.example.com': { min: 2, max: 50 } }`. A listed origin's `min` connections open at start and it is never forgotten. */
  origins?: Record<string, HttpOriginOptions>;
  /** Most connections over all origins not listed in `origins`. Default Infinity. */
  maxTotal?: number;
  /**
   * A budget every origin's pool (listed or not) takes its permits from: each connect
   * takes one, given back once the connection's close settled. `localBudget()` shares it
   * with other pools of the process, `redisBudget()` with a fleet. Default: none.
   */
  budget?: Budget;
  /** The pool of an origin not listed in `origins` is closed after this long unused; 0 = never. Default 300 000. */
  idlePoolTimeoutMs?: number;
  /** A response whose body is not read (held paused) this long is reported with its method, origin, path and stack; 0 = off. Default 0. */
  leakDetectionMs?: number;
  /** `true`: an idle pool (its timers, its warm sockets) never keeps the process alive. Default true. */
  allowExitOnIdle?: boolean;
  /** The undici module (7 or 8). Default: the application's own `undici`, loaded when the first pool is made. */
  undici?: UndiciLike;
  /** Time source (tests inject a manual clock). */
  clock?: Clock;
  /** Random source in [0, 1) for lifetime jitter. Default `Math.random`. */
  random?: () => number;
}

/** @internal One origin's settings after defaults and validation. */
export interface OriginConfig {
  pool: Record<string, unknown>;
  connect: HttpConnectOptions | Connector;
  client: Record<string, unknown>;
}

/** @internal Options after defaults and validation. */
export interface ResolvedHttpOptions {
  name: string;
  maxTotal: number;
  budget: Budget | null;
  idlePoolTimeoutMs: number;
  leakDetectionMs: number;
  clock: Clock | undefined;
  undici: UndiciLike | undefined;
  base: OriginConfig;
  origins: Map<string, OriginConfig>;
}

const POOL_KEYS = [
  'min',
  'max',
  'acquireTimeoutMs',
  'createTimeoutMs',
  'idleTimeoutMs',
  'maxLifetimeMs',
  'validateAfterIdleMs',
  'maxWaiting',
  'maxUses',
  'order',
  'failFast',
  'createRetry',
  'maxConcurrentCreates',
  'autoSize',
  'health',
  'pooling',
] as const;
const ORIGIN_KNOWN = new Set<string>([...POOL_KEYS, 'connect', 'client']);
const KNOWN = new Set<string>([
  ...ORIGIN_KNOWN,
  'name',
  'origins',
  'maxTotal',
  'budget',
  'idlePoolTimeoutMs',
  'leakDetectionMs',
  'allowExitOnIdle',
  'undici',
  'clock',
  'random',
]);
const HTTP_DEFAULTS = { idleTimeoutMs: 4_000, failFast: true, maxConcurrentCreates: 16 };
/** @internal A factory for validating a pool's options without a pool. */
export const probe: Factory<unknown> = { create: () => Promise.resolve({}), destroy: () => {} };

/** An origin as undici writes it (`https://host:port`, default port dropped), or a PoolOptionsError naming `what`. */
export function normalizeOrigin(value: unknown, what: string): string {
  let url: URL | null = null;
  try {
    url = new URL(String(value));
  } catch {
    // reported below
  }
  if (
    (typeof value !== 'string' && !(value instanceof URL)) ||
    url === null ||
    (url.protocol !== 'http:' && url.protocol !== 'https:')
  ) {
    throw new PoolOptionsError(
      `${what}: expected an http: or https: origin like "https://api.example.com", got ${describe(typeof value === 'string' ? redactString(value) : value)}`,
    );
  }
  return url.origin;
}

function resolveOrigin(
  input: HttpOriginOptions,
  parent: OriginConfig | null,
  prefix: string,
  shared: Record<string, unknown>,
  clock: Clock | undefined,
): OriginConfig {
  if (input === null || typeof input !== 'object')
    throw new PoolOptionsError(`${prefix || 'options'}: expected an object, got ${describe(input)}`);
  if (parent !== null) rejectUnknown(prefix, input, ORIGIN_KNOWN);
  const pool: Record<string, unknown> = { ...(parent?.pool ?? { ...HTTP_DEFAULTS, ...shared }) };
  for (const k of POOL_KEYS) if (input[k] !== undefined) pool[k] = input[k];
  try {
    resolveOptions({ ...pool, factory: probe, name: 'probe', clock } as PoolOptions<unknown>);
  } catch (e) {
    if (!(e instanceof PoolOptionsError) || prefix === '') throw e;
    throw new PoolOptionsError(`${prefix}.${e.message}`);
  }
  const connect = input.connect ?? parent?.connect ?? {};
  const dot = prefix === '' ? '' : `${prefix}.`;
  if (typeof connect !== 'function' && (connect === null || typeof connect !== 'object'))
    throw new PoolOptionsError(
      `${dot}connect: expected socket/TLS options or a connector function, got ${describe(connect)}`,
    );
  const client = (input.client ?? {}) as Record<string, unknown>;
  if (client === null || typeof client !== 'object')
    throw new PoolOptionsError(`${dot}client: expected undici Client options, got ${describe(client)}`);
  for (const k of ['pipelining', 'connect']) {
    if (k in client)
      throw new PoolOptionsError(
        `${dot}client.${k}: not allowed; lido/http sets it (${k === 'connect' ? `use the ${dot}connect option` : 'one request per connection'})`,
      );
  }
  const merged =
    typeof connect === 'object' && typeof parent?.connect === 'object' && input.connect !== undefined
      ? { ...parent.connect, ...connect }
      : connect;
  return { pool, connect: merged, client: { ...parent?.client, ...client } };
}

/** Validates `HttpPool` options eagerly, naming the bad option (`origins["https://a"].max: …`). */
export function resolveHttpOptions(input: HttpPoolOptions): ResolvedHttpOptions {
  if (input === null || typeof input !== 'object')
    throw new PoolOptionsError(`HttpPool options: expected an object, got ${describe(input)}`);
  rejectUnknown('HttpPool options', input, KNOWN);
  const shared: Record<string, unknown> = {};
  if (input.allowExitOnIdle !== undefined) shared.allowExitOnIdle = input.allowExitOnIdle;
  if (input.random !== undefined) shared.random = input.random;
  const base = resolveOrigin(input, null, '', shared, input.clock);
  const origins = new Map<string, OriginConfig>();
  const list = input.origins ?? {};
  if (list === null || typeof list !== 'object')
    throw new PoolOptionsError(
      `origins: expected an object { "https://host": { min, max, … } }, got ${describe(list)}`,
    );
  for (const [key, value] of Object.entries(list)) {
    // An origin may carry credentials (`https://user:pass@host`): messages name it without them.
    const where = `origins[${JSON.stringify(redactString(key))}]`;
    const origin = normalizeOrigin(key, where);
    origins.set(origin, resolveOrigin(value, base, where, shared, input.clock));
  }
  const name = input.name ?? 'http';
  if (typeof name !== 'string' || name.length === 0)
    throw new PoolOptionsError(`name: expected a non-empty string, got ${describe(name)}`);
  const undici = input.undici;
  if (undici !== undefined && (undici === null || typeof undici !== 'object'))
    throw new PoolOptionsError(`undici: expected the undici module, got ${describe(undici)}`);
  return {
    name,
    maxTotal: checkInt('maxTotal', input.maxTotal ?? Infinity, 1, true),
    budget: checkBudget(input.budget),
    idlePoolTimeoutMs: checkDuration('idlePoolTimeoutMs', input.idlePoolTimeoutMs ?? 300_000),
    leakDetectionMs: checkDuration('leakDetectionMs', input.leakDetectionMs ?? 0),
    clock: input.clock,
    undici,
    base,
    origins,
  };
}

/** undici `Client` options for one origin: idle connections close after `idleTimeoutMs` unless told otherwise. */
export function clientOptionsOf(config: OriginConfig): Record<string, unknown> {
  const idle = (config.pool.idleTimeoutMs as number | undefined) ?? HTTP_DEFAULTS.idleTimeoutMs;
  const ms = idle === 0 ? 2_147_483_647 : idle;
  const out: Record<string, unknown> = { ...config.client };
  if (out.keepAliveTimeout === undefined) out.keepAliveTimeout = ms;
  if (out.keepAliveMaxTimeout === undefined) out.keepAliveMaxTimeout = Math.max(ms, 600_000);
  return out;
}
