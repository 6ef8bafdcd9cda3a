import { PoolOptionsError } from '../../core/errors.js';
import type { RedisConnectionOptions } from './types.js';

/**
 * Options every pooled connection gets, whatever the caller passed: the pool (not
 * ioredis) replaces dead connections, and a command on a dead connection fails at once
 * instead of waiting in ioredis' offline queue.
 */
export const FORCED_OPTIONS = Object.freeze({
  /** The pool connects the connection itself, inside `create` (bounded by `createTimeoutMs`). */
  lazyConnect: true,
  /** No reconnect by ioredis: the pool destroys a dead connection and creates another. */
  retryStrategy: () => null,
  /** No reconnect on an error reply either. */
  reconnectOnError: null,
  /** A command on a dead connection fails at once instead of waiting for a reconnect. */
  enableOfflineQueue: false,
  /** No subscriptions carried over: a pooled connection comes back unsubscribed. */
  autoResubscribe: false,
  /** Commands lost with a connection are not sent again on another one. */
  autoResendUnfulfilledCommands: false,
  /** Commands go out as the borrower sends them (a lease is one borrower's connection). */
  enableAutoPipelining: false,
  /** Never a MONITOR connection. */
  monitor: false,
});

/**
 * Defaults for pooled connections that the caller's options override. `keepAlive`: TCP
 * keepalive probes start after 30 s idle (ioredis 6's default, set here so ioredis 5
 * behaves the same): a pooled connection may sit idle for minutes, and a NAT or load
 * balancer that silently drops an idle flow would otherwise leave the pool a dead socket.
 * A non-number (`keepAlive: false`) turns it off, as in ioredis.
 */
export const DEFAULT_OPTIONS = Object.freeze({ keepAlive: 30_000 });

/** `redis://user:secret@host` → `redis://***@host`: credentials never reach a message. */
export function redactUrl(url: string): string {
  const scheme = url.indexOf('://');
  const at = url.lastIndexOf('@');
  if (at === -1 || (scheme !== -1 && at < scheme)) return url;
  const from = scheme === -1 ? 0 : scheme + 3;
  return `${url.slice(0, from)}***${url.slice(at)}`;
}

function fail(what: string, got: string): never {
  throw new PoolOptionsError(`redis: expected ${what}, got ${got}`);
}

const URL_SHAPE = 'a redis:// or rediss:// URL (or a unix socket path)';

/** Checks a connection URL the way ioredis will read it; throws a message without the password. */
export function checkUrl(url: string): void {
  if (url.startsWith('/') && !url.startsWith('//')) return; // unix socket path, optionally ?db=N
  const shown = JSON.stringify(redactUrl(url));
  if (!/^rediss?:\/\//i.test(url)) {
    fail(
      URL_SHAPE,
      /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
        ? shown
        : `${shown} (did you mean ${JSON.stringify(`redis://${redactUrl(url)}`)}?)`,
    );
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail(URL_SHAPE, `${shown} (not a valid URL)`);
  }
  if (u.hostname === '') fail(`${URL_SHAPE} with a host`, shown);
  const db = u.pathname.length > 1 ? u.pathname.slice(1) : u.searchParams.get('db');
  if (db !== null && db !== '' && !/^\d+$/.test(db)) fail(`${URL_SHAPE} whose path is a db number`, shown);
}

/** Validates the `redis` option: a URL string, an options object, or nothing (ioredis' defaults). */
export function checkConnection(redis: unknown): asserts redis is string | RedisConnectionOptions | undefined {
  if (redis === undefined) return;
  if (typeof redis === 'string') return checkUrl(redis);
  if (redis === null || typeof redis !== 'object' || Array.isArray(redis)) {
    fail(
      'a URL string or an ioredis options object',
      redis === null ? 'null' : Array.isArray(redis) ? 'an array' : typeof redis,
    );
  }
  const o = redis as Record<string, unknown>;
  if (
    o.db !== undefined &&
    !(Number.isInteger(o.db) && (o.db as number) >= 0) &&
    !(typeof o.db === 'string' && /^\d+$/.test(o.db))
  ) {
    throw new PoolOptionsError(`redis.db: expected a non-negative integer, got ${JSON.stringify(o.db)}`);
  }
  if (o.port !== undefined && !(Number.isInteger(Number(o.port)) && Number(o.port) > 0 && Number(o.port) < 65_536)) {
    throw new PoolOptionsError(`redis.port: expected a TCP port, got ${JSON.stringify(o.port)}`);
  }
  if (o.protocol !== undefined && o.protocol !== 2 && o.protocol !== 3) {
    throw new PoolOptionsError(`redis.protocol: expected 2 or 3, got ${JSON.stringify(o.protocol)}`);
  }
  if (o.cluster !== undefined || o.redisOptions !== undefined) {
    throw new PoolOptionsError(
      'redis: Redis Cluster is not supported by RedisPool; pool connections to one node (or use ioredis Cluster directly)',
    );
  }
}

/** The connection options ioredis gets: {@link DEFAULT_OPTIONS}, the caller's, then {@link FORCED_OPTIONS} on top. */
export function connectionOptions(
  redis: string | RedisConnectionOptions | undefined,
): [string | undefined, Record<string, unknown>] {
  if (typeof redis === 'string') return [redis, { ...DEFAULT_OPTIONS, ...FORCED_OPTIONS }];
  return [undefined, { ...DEFAULT_OPTIONS, ...(redis ?? {}), ...FORCED_OPTIONS }];
}

/** Where a connection goes, for messages: `host:port`, or the socket path. Never credentials. */
export function describeTarget(
  options: { host?: string | null; port?: number | string | null; path?: string | null } | undefined,
): string {
  if (options?.path) return options.path;
  const host = options?.host ?? 'localhost';
  return `${host.includes(':') ? `[${host}]` : host}:${options?.port ?? 6379}`;
}
