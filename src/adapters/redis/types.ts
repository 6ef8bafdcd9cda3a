/**
 * The small part of ioredis this adapter uses, typed structurally: lido never imports
 * ioredis' types, so `lido/redis` type-checks without it and works with any ioredis
 * version that has this shape (5 and 6). An ioredis `Redis` satisfies
 * {@link RedisClientLike}; pass the `Redis` option (or a type argument) to get the full
 * ioredis type on `lease.resource`.
 */

/** One command as ioredis sends it (`Command` in ioredis). */
export interface RedisCommandLike {
  /** The command's name, lower case (`blpop`). */
  readonly name: string;
  /** Its arguments (never shown by lido: they may hold secrets). */
  readonly args: unknown[];
  /** Settles with the reply. */
  readonly promise: Promise<unknown>;
}

/** What ioredis tracks about a connection (`Redis#condition`). */
export interface RedisConditionLike {
  /** The db ioredis believes is selected. */
  select?: number;
  /** `false`, or ioredis' set of subscribed channels and patterns. */
  subscriber?:
    | false
    | {
        /** The channels (or patterns, or shard channels) subscribed to with that command. */
        channels(kind: 'subscribe' | 'psubscribe' | 'ssubscribe'): string[];
      }
    | null;
  /** 2 or 3 once the handshake is done. */
  protocol?: number;
}

/** The subset of an ioredis `Redis` connection that lido uses. */
export interface RedisClientLike {
  /** `wait`, `connecting`, `connect`, `ready`, `close`, `reconnecting` or `end`. */
  status: string;
  /** The options the connection was made with (ioredis fills in its defaults). */
  options: {
    /** The db selected at connect. */
    db?: number | string | null;
    /** The host connected to. */
    host?: string | null;
    /** The TCP port connected to. */
    port?: number | string | null;
    /** The unix socket path, when connected through one. */
    path?: string | null;
  };
  /** ioredis' own view of the connection, when it exposes one. */
  condition?: RedisConditionLike | null;
  /** Opens the connection (pooled connections are made with `lazyConnect`). */
  connect(): Promise<void>;
  /** Closes the connection at once; lido never asks it to reconnect. */
  disconnect(reconnect?: boolean): void;
  /** Sends any command by name (`UNWATCH`, `SELECT`, `RESET`, …). */
  call(command: string, ...args: (string | number | Buffer)[]): Promise<unknown>;
  /** Adds an event listener (`error`, `close`, `end`). */
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  /** Adds a listener called at most once. */
  once(event: string | symbol, listener: (...args: any[]) => void): unknown;
  /** Removes a listener added with `on` or `once`. */
  removeListener(event: string | symbol, listener: (...args: any[]) => void): unknown;
  /** The listeners of `event`, as added (lido removes those a borrower left behind). */
  rawListeners(event: string | symbol): Function[];
  /** The events that have listeners. */
  eventNames(): (string | symbol)[];
}

/** An ioredis-compatible constructor: `new Redis(options)`. */
export type RedisConstructor<R extends RedisClientLike = RedisClientLike> = new (options: any) => R;

/**
 * Connection options passed to ioredis (`new Redis(options)`); any ioredis option is
 * accepted. A few are forced for pooled connections, see {@link FORCED_OPTIONS}.
 */
export interface RedisConnectionOptions {
  /** Host name or address. Default `localhost`. */
  host?: string;
  /** TCP port. Default 6379. */
  port?: number;
  /** Unix socket path (instead of host/port). */
  path?: string;
  /** ACL user name (Redis 6+). */
  username?: string;
  /** Password (never shown in messages, errors or the admin handler's `/config`). */
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
  /**
   * TCP keepalive: probes start after this many ms idle (redis-py's `socket_keepalive`).
   * Default 30 000; a non-number (`false`) turns it off.
   */
  keepAlive?: number | false | null;
  /** Prefix ioredis adds to every key. */
  keyPrefix?: string;
  /** The name each connection gives itself (`CLIENT SETNAME`), shown by `CLIENT LIST`. */
  connectionName?: string;
  /** IP family for host lookups: 4, 6, or 0 for either. */
  family?: number;
  [option: string]: unknown;
}
