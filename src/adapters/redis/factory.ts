import { PoolOptionsError } from '../../core/errors.js';
import type { Factory } from '../../core/factory.js';
import { checkConnection, connectionOptions, describeTarget, FORCED_OPTIONS } from './config.js';
import { redact, redactString, Secrets } from '../../core/util/redact.js';
import { RedisConnectError, sanitize } from './errors.js';
import { loadRedis } from './load.js';
import { clean, foreignListeners } from './reset.js';
import { stateOf, track, type ConnectionState } from './tracker.js';
import type { RedisClientLike, RedisConnectionOptions, RedisConstructor } from './types.js';

/** Options of {@link redisFactory}. */
export interface RedisFactoryOptions<R extends RedisClientLike = RedisClientLike> {
  /**
   * Where and how to connect: a `redis://` / `rediss://` URL (or a unix socket path), or
   * ioredis options. Default: ioredis' defaults (localhost:6379, db 0).
   */
  redis?: string | RedisConnectionOptions;
  /**
   * The ioredis `Redis` class to use. Default: the application's own `ioredis`, loaded
   * when the factory is made. Passing it also gives `lease.resource` ioredis' full type.
   */
  Redis?: RedisConstructor<R>;
}

/** The Redis adapter's factory, with a description of where it connects (no credentials). */
export interface RedisFactory<R extends RedisClientLike = RedisClientLike> extends Factory<R> {
  /** `host:port/db` or the socket path, never a password. */
  readonly target: string;
}

const KNOWN = new Set(['redis', 'Redis']);

/** Secrets of a connection: its password (wherever it came from), TLS keys, sentinel passwords. */
function secretsOf(redis: RedisClientLike): Secrets {
  const secrets = new Secrets();
  secrets.addFrom(redis.options);
  return secrets;
}

function dbOf(redis: RedisClientLike): number {
  const db = Number(redis.options.db ?? 0);
  return Number.isInteger(db) && db >= 0 ? db : 0;
}

/**
 * How to create, check, clean and destroy one pooled ioredis connection, for
 * `new Pool({ factory: redisFactory({ redis }) })` (or a `KeyedPool` per shard).
 * {@link RedisPool} is this factory on a `Pool`.
 *
 * - create: `lazyConnect`, then `connect()` under the pool's `createTimeoutMs`; ioredis'
 *   reconnect and offline queue are off (a dead connection is replaced by the pool).
 * - validate: PING (the pool calls it after `validateAfterIdleMs` idle).
 * - reset: never hands the next borrower a dirty connection (see docs/redis.md).
 * - watch: evicts a connection on `end` / `error`.
 * - isBroken: a thrown error destroys the connection only when the connection is gone.
 */
export function redisFactory<R extends RedisClientLike = RedisClientLike>(
  options: RedisFactoryOptions<R> = {},
): RedisFactory<R> {
  if (options === null || typeof options !== 'object') {
    throw new PoolOptionsError(
      `redisFactory options: expected an object { redis?, Redis? }, got ${options === null ? 'null' : typeof options}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw new PoolOptionsError(`redisFactory options: unknown option "${key}" (known: redis, Redis)`);
  }
  const { redis } = options;
  checkConnection(redis);
  if (options.Redis !== undefined && typeof options.Redis !== 'function') {
    throw new PoolOptionsError(
      `Redis: expected the ioredis Redis class, got ${options.Redis === null ? 'null' : typeof options.Redis}`,
    );
  }
  const Ctor = (options.Redis ?? loadRedis()) as RedisConstructor<R>;
  const [url, connOptions] = connectionOptions(redis);

  const make = (): R => {
    const r =
      url === undefined
        ? new Ctor(connOptions)
        : new (Ctor as unknown as new (u: string, o: object) => R)(url, connOptions);
    // An option read from a URL's query string must not undo what the pool relies on.
    Object.assign(r.options, FORCED_OPTIONS);
    return r;
  };
  // One throw-away instance (never connected) tells where connections go, for messages.
  const probe = make();
  const db = dbOf(probe);
  const target = `${describeTarget(probe.options)}/${db}`;
  probe.disconnect();

  return {
    target,

    async create(signal: AbortSignal): Promise<R> {
      if (signal.aborted) throw signal.reason;
      const conn = make();
      const secrets = secretsOf(conn);
      let lastError: unknown;
      const swallow = (e: unknown): void => {
        lastError = e; // ioredis reports the real connect error here; connect() only says "Connection is closed."
      };
      conn.on('error', swallow);
      const onAbort = (): void => conn.disconnect();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await conn.connect();
      } catch (e) {
        conn.disconnect();
        throw new RedisConnectError(describeTarget(conn.options), lastError ?? e, secrets);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
      if (signal.aborted || conn.status !== 'ready') {
        conn.disconnect();
        throw signal.aborted
          ? signal.reason
          : new RedisConnectError(
              describeTarget(conn.options),
              lastError ?? new Error(`connection ${conn.status} right after connect`),
              secrets,
            );
      }
      const state = track(conn, db);
      state.own.add(swallow);
      return conn;
    },

    destroy(conn: R): Promise<void> | void {
      if (conn.status === 'end') return;
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, 2_000);
        timer.unref?.();
        function done(): void {
          clearTimeout(timer);
          conn.removeListener('end', done);
          resolve();
        }
        conn.once('end', done);
        conn.disconnect();
      });
    },

    async validate(conn: R, signal: AbortSignal): Promise<boolean> {
      if (conn.status !== 'ready' || signal.aborted) return false;
      const state = stateOf(conn);
      if (state !== undefined && (state.tainted !== null || state.pending > 0)) return false;
      const reply = await conn.call('ping');
      return String(reply) === 'PONG';
    },

    reset(conn: R): Promise<void> | void {
      const state = stateOf(conn);
      if (state === undefined) throw new Error('not a connection made by lido/redis');
      if (conn.status !== 'ready') throw new Error(`connection is ${conn.status}`);
      // Fast path: nothing in flight, nothing changed, nobody listening.
      if (state.pending === 0 && !state.dirty && !foreignListeners(conn, state)) return;
      return clean(conn, state, secretsOf(conn));
    },

    watch(conn: R, evict: (reason: unknown) => void): () => void {
      const secrets = secretsOf(conn);
      const where = describeTarget(conn.options);
      const onEnd = (): void => evict(new Error(`Redis connection to ${where} closed`));
      const onError = (e: unknown): void => evict(sanitize(e, secrets));
      const state = stateOf(conn);
      state?.own.add(onEnd);
      state?.own.add(onError);
      conn.on('end', onEnd);
      conn.on('error', onError);
      // Died before the pool started watching: the pool counts that as a failed create.
      if (conn.status === 'end' || conn.status === 'close') onEnd();
      return () => {
        conn.removeListener('end', onEnd);
        conn.removeListener('error', onError);
      };
    },

    isBroken(_error: unknown, conn: R): boolean {
      return conn.status !== 'ready' || stateOf(conn)?.tainted != null;
    },
  };
}

/** For messages and `config()`: a URL or options object with credentials removed (at any depth: `tls`, `sentinels`). */
export function describeConnection(
  redis: string | RedisConnectionOptions | undefined,
): string | Record<string, unknown> {
  if (typeof redis === 'string') return redactString(redis);
  if (redis === undefined) return {};
  return redact(redis) as Record<string, unknown>;
}

export type { ConnectionState };
