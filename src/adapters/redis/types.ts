/**
 * The small part of ioredis this adapter uses, typed structurally: lido never imports
 * ioredis' types, so `lido/redis` type-checks without it and works with any ioredis
 * version that has this shape (5 and 6). An ioredis `Redis` satisfies
 * {@link RedisClientLike}; pass the `Redis` option (or a type argument) to get the full
 * ioredis type on `lease.resource`.
 */

/** One command as ioredis sends it (`Command` in ioredis). */
export interface RedisCommandLike {
  readonly name: string;
  readonly args: unknown[];
  readonly promise: Promise<unknown>;
}

/** What ioredis tracks about a connection (`Redis#condition`). */
export interface RedisConditionLike {
  /** The db ioredis believes is selected. */
  select?: number;
  /** `false`, or ioredis' set of subscribed channels and patterns. */
  subscriber?: false | { channels(kind: 'subscribe' | 'psubscribe' | 'ssubscribe'): string[] } | null;
  /** 2 or 3 once the handshake is done. */
  protocol?: number;
}

/** The subset of an ioredis `Redis` connection that lido uses. */
export interface RedisClientLike {
  /** `wait`, `connecting`, `connect`, `ready`, `close`, `reconnecting` or `end`. */
  status: string;
  /** The options the connection was made with (ioredis fills in its defaults). */
  options: { db?: number | string | null; host?: string | null; port?: number | string | null; path?: string | null };
  /** ioredis' own view of the connection, when it exposes one. */
  condition?: RedisConditionLike | null;
  connect(): Promise<void>;
  disconnect(reconnect?: boolean): void;
  call(command: string, ...args: (string | number | Buffer)[]): Promise<unknown>;
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  once(event: string | symbol, listener: (...args: any[]) => void): unknown;
  removeListener(event: string | symbol, listener: (...args: any[]) => void): unknown;
  rawListeners(event: string | symbol): Function[];
  eventNames(): (string | symbol)[];
}

/** An ioredis-compatible constructor: `new Redis(options)`. */
export type RedisConstructor<R extends RedisClientLike = RedisClientLike> = new (options: any) => R;

/**
 * Connection options passed to ioredis (`new Redis(options)`); any ioredis option is
 * accepted. A few are forced for pooled connections, see {@link FORCED_OPTIONS}.
 */
export interface RedisConnectionOptions {
  host?: string;
  port?: number;
  /** Unix socket path (instead of host/port). */
  path?: string;
  username?: string;
  password?: string;
  /** The db every borrower gets; a connection released on another db is switched back. Default 0. */
  db?: number;
  /** `2` or `3` (ioredis 6's default). Both are supported. */
  protocol?: 2 | 3;
  /** TLS options (or `true`), as ioredis takes them. */
  tls?: unknown;
  /** TCP connect timeout of ioredis; the pool's `createTimeoutMs` bounds the whole create too. */
  connectTimeout?: number;
  /** Client-side timeout for each command, in ms. */
  commandTimeout?: number;
  keyPrefix?: string;
  connectionName?: string;
  family?: number;
  [option: string]: unknown;
}
