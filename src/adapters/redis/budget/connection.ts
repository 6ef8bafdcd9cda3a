import { PoolOptionsError } from '../../../core/errors.js';
import { describe } from '../../../core/options.js';
import type { Clock } from '../../../core/util/clock.js';
import { checkConnection, describeTarget } from '../config.js';
import { Secrets } from '../../../core/util/redact.js';
import { sanitize } from '../errors.js';
import { loadRedis } from '../load.js';
import type { RedisConnectionOptions, RedisConstructor } from '../types.js';
import { BUDGET_SCRIPT, BUDGET_SCRIPT_SHA } from './script.js';

/** The part of an ioredis client a fleet budget uses, typed structurally (ioredis 5 and 6 have it). */
export interface BudgetRedisClient {
  /** `wait`, `connecting`, `connect`, `ready`, `close`, `reconnecting` or `end`. */
  status: string;
  /** The connection's options (ioredis fills in its defaults). */
  options: {
    /** The host connected to. */
    host?: string | null;
    /** The TCP port connected to. */
    port?: number | string | null;
    /** The unix socket path, when connected through one. */
    path?: string | null;
    /** The password (only ever used to scrub it from errors). */
    password?: string | null;
    /** The key prefix ioredis adds to every key (the budget's channels carry it too). */
    keyPrefix?: string | null;
  };
  /** Sends a command by name. */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  /** A new connection with the same options, `override` on top (the budget's subscriber). */
  duplicate(override?: Record<string, unknown>): BudgetRedisClient;
  /** Enters subscriber mode on these channels. */
  subscribe(...channels: string[]): Promise<unknown>;
  /** Adds an event listener (`ready`, `error`, `message`). */
  on(event: string, listener: (...args: any[]) => void): unknown;
  /** Removes a listener added with `on`. */
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  /** Closes the connection at once. */
  disconnect(): void;
}

/** The budget's two connections: commands (maybe the caller's client) and its own subscriber. */
export interface BudgetConnections {
  readonly commands: BudgetRedisClient;
  readonly subscriber: BudgetRedisClient;
  /** Whether the budget made `commands` (and so closes it). */
  readonly ownsCommands: boolean;
  /** `host:port` or the socket path: never credentials. */
  readonly target: string;
  /** Strings to scrub from any error shown (the password). */
  readonly secrets: Secrets;
  /** The ioredis key prefix of the commands client (channels carry it too). */
  readonly keyPrefix: string;
}

/** True when `v` looks like an ioredis client rather than connection options. */
export function isClient(v: unknown): v is BudgetRedisClient {
  return v !== null && typeof v === 'object' && typeof (v as { call?: unknown }).call === 'function';
}

/**
 * Options for the connections a budget makes itself: ioredis reconnects them (capped
 * backoff: the budget is a long-lived control connection, unlike pooled ones) and a
 * command on a connection that is down fails at once instead of queueing.
 */
const OWN_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: (attempt: number) => Math.min(100 * attempt, 1_000),
  autoResubscribe: true,
  lazyConnect: false,
};

/** Opens (or adopts) the budget's connections. Throws `PoolOptionsError` on a bad `redis` option. */
export function connect(
  redis: unknown,
  Redis: RedisConstructor | undefined,
  onError: (e: unknown) => void,
): BudgetConnections {
  let commands: BudgetRedisClient;
  let owns = false;
  if (isClient(redis)) {
    if (typeof redis.duplicate !== 'function')
      throw new PoolOptionsError('redis: expected an ioredis client (with duplicate()), got an object without it');
    commands = redis;
  } else {
    if (redis === undefined)
      throw new PoolOptionsError('redis: expected a redis:// URL, ioredis options or an ioredis client, got undefined');
    checkConnection(redis);
    const Ctor = (Redis ?? loadRedis()) as unknown as new (...args: unknown[]) => BudgetRedisClient;
    commands =
      typeof redis === 'string'
        ? new Ctor(redis, { ...OWN_OPTIONS })
        : new Ctor({ ...(redis as RedisConnectionOptions), ...OWN_OPTIONS });
    owns = true;
  }
  const secrets = new Secrets();
  secrets.addFrom(commands.options);
  const safe = (e: unknown): void => onError(sanitize(e, secrets));
  if (owns) commands.on('error', safe);
  // The subscriber is always the budget's own: it reconnects and resubscribes whatever the
  // caller's client does, and waits for its connection rather than failing a subscribe.
  const subscriber = commands.duplicate({ ...OWN_OPTIONS, enableOfflineQueue: true });
  subscriber.on('error', safe);
  return {
    commands,
    subscriber,
    ownsCommands: owns,
    target: describeTarget(commands.options),
    secrets,
    keyPrefix: typeof commands.options.keyPrefix === 'string' ? commands.options.keyPrefix : '',
  };
}

/** Validates a `Redis` class option. */
export function checkRedisClass(Redis: unknown): void {
  if (Redis !== undefined && typeof Redis !== 'function')
    throw new PoolOptionsError(`Redis: expected the ioredis Redis class, got ${describe(Redis)}`);
}

/** A command that took longer than the budget waits for one. */
export class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`no reply from Redis within ${ms} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/**
 * Runs the budget script: `EVALSHA`, and `EVAL` once when Redis does not know it (a
 * restarted server forgets its scripts). Bounded by `timeoutMs` whatever the client
 * does: a client with an offline queue would otherwise hold the call until it reconnects.
 */
export function runScript(
  client: BudgetRedisClient,
  keys: readonly string[],
  args: readonly (string | number)[],
  clock: Clock,
  timeoutMs: number,
): Promise<unknown[]> {
  return new Promise<unknown[]>((resolve, reject) => {
    const timer = clock.setTimer(() => reject(new CommandTimeoutError(timeoutMs)), timeoutMs, false);
    const done = (v: unknown): void => {
      clock.clearTimer(timer);
      resolve(v as unknown[]);
    };
    const fail = (e: unknown): void => {
      clock.clearTimer(timer);
      reject(e);
    };
    client.call('EVALSHA', BUDGET_SCRIPT_SHA, keys.length, ...keys, ...args).then(done, (e: unknown) => {
      if (e instanceof Error && e.message.startsWith('NOSCRIPT'))
        client.call('EVAL', BUDGET_SCRIPT, keys.length, ...keys, ...args).then(done, fail);
      else fail(e);
    });
  });
}
