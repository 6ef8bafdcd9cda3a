import { PoolOptionsError } from '../../core/errors.js';
import type { Factory } from '../../core/factory.js';
import { describe } from '../../core/options.js';
import { loadPgClient } from './load-pg.js';
import { revealSecrets } from '../../core/util/hide-secrets.js';
import { Secrets } from '../../core/util/redact.js';
import { cleanUp, connect, end, type ClientState } from './connection.js';
import { TxTracker, isBusy, isConnectionError, isQueryable, listenerBaseline } from './session.js';
import type { ClientConstructor, ClientLike, PgConnectionOptions, ResetOnRelease } from './types.js';

/** Hooks `PgPool` uses to turn factory events into `pg.Pool` events. */
export interface PgFactoryHooks<C> {
  /** A client's `error` event (the pool evicts it; PgPool emits `error` if it was idle). */
  clientError?(error: Error, client: C): void;
  /** A client was ended after removal (PgPool emits `remove`). */
  removed?(client: C): void;
  log?(...messages: unknown[]): void;
  /**
   * A connection attempt starts; the function it returns is called with the attempt's
   * error if it fails (not when lido itself aborted it: create timeout, close). PgPool
   * hands that error to a waiting `connect()`, as pg.Pool does.
   */
  attempt?(): (error: unknown) => void;
  /** The pool watches `client`: `evict(reason)` destroys it now if it is idle. */
  watched?(client: C, evict: (reason: unknown) => void): void;
}

/** A {@link Factory} of pg clients, with what PgPool needs to see. */
export interface PgFactory<C extends ClientLike> extends Factory<C> {
  /** The client class it makes connections with (`pg.Client` unless given another). */
  readonly Client: ClientConstructor<C>;
  /** The secrets it was given (password, credentials, TLS keys), to scrub from errors and logs. */
  readonly secrets: Secrets;
}

const noop = (): void => {};

/**
 * The adapter contract for Postgres: create (connect, `onConnect`, `verify`), pre-ping,
 * clean hand-over on release, eviction of clients that die while idle, destroy.
 * Use it with the core `Pool` (or `KeyedPool`, `PoolCluster`); `PgPool` wraps it in the
 * `pg.Pool` API.
 *
 * ```ts
 * const pool = new Pool({ factory: pgFactory({ connectionString, Client: pg.Client }), max: 10 });
 * const rows = await pool.use(async (client) => (await client.query('SELECT 1')).rows);
 * ```
 */
export function pgFactory<C extends ClientLike = ClientLike>(options: PgConnectionOptions<C> = {}): PgFactory<C> {
  return createPgFactory(options, undefined, {});
}

/** @internal `pgFactory` with PgPool's hooks and an explicit Client. */
export function createPgFactory<C extends ClientLike>(
  options: PgConnectionOptions<C>,
  ClientArg: ClientConstructor<C> | undefined,
  hooks: PgFactoryHooks<C>,
  secrets = new Secrets(),
): PgFactory<C> {
  if (options === null || typeof options !== 'object')
    throw new PoolOptionsError(`pg options: expected an object, got ${describe(options)}`);
  const Client = (options.Client ?? ClientArg ?? loadPgClient()) as ClientConstructor<C>;
  if (typeof Client !== 'function')
    throw new PoolOptionsError(`Client: expected a class (pg.Client), got ${describe(Client)}`);
  const password = options.password;
  if (password !== undefined && password !== null && typeof password !== 'string' && typeof password !== 'function') {
    // never describe the value: it is a secret
    throw new PoolOptionsError(
      `password: expected a string or a function returning one, got ${Array.isArray(password) ? 'an array' : typeof password}`,
    );
  }
  const reset: ResetOnRelease = options.resetOnRelease ?? 'rollback';
  if (reset !== 'rollback' && reset !== 'discard')
    throw new PoolOptionsError(`resetOnRelease: expected "rollback" or "discard", got ${describe(reset)}`);
  for (const hook of ['onConnect', 'verify', 'log'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function')
      throw new PoolOptionsError(`${hook}: expected a function, got ${describe(options[hook])}`);
  }
  const ping = options.pingQuery ?? '';
  if (typeof ping !== 'string') throw new PoolOptionsError(`pingQuery: expected a string, got ${describe(ping)}`);
  // The password, the connection string's credentials, ssl's key, passphrase and pfx, and any
  // other secret-named option (at any depth): scrubbed from every error and log line.
  secrets.addFrom(options);

  const log = hooks.log ?? options.log ?? noop;
  const states = new WeakMap<C, ClientState>();
  const { onConnect, verify } = options;

  /** The options object handed to `new Client()`: everything, with the password resolved. */
  const clientConfig = async (): Promise<Record<string, unknown>> => {
    // PgPool's options hide their secrets (not enumerable, at any depth): pg reads them with
    // Object.assign, so it gets a copy where everything is plain again.
    let config = revealSecrets(options as Record<string, unknown>);
    if (config === options) config = Object.assign({}, options); // not a plain object: nothing hidden
    if (options.connectionString !== undefined) hide(config, options.connectionString, 'connectionString');
    if (typeof password === 'function') {
      const value = await password();
      if (typeof value !== 'string') throw new TypeError(`password function: expected a string, got ${typeof value}`);
      secrets.add(value);
      hide(config, value);
    } else if (password !== undefined) {
      hide(config, password);
    }
    return config;
  };

  const factory: PgFactory<C> = {
    Client,
    secrets,

    async create(signal) {
      const failed = hooks.attempt?.() ?? noop;
      const fail = (e: unknown): unknown => {
        if (!signal.aborted) failed(e);
        return e;
      };
      let client: C;
      try {
        const config = await clientConfig();
        signal.throwIfAborted();
        client = new Client(config);
      } catch (e) {
        throw fail(describeConfigError(secrets.error(e), options.connectionString, secrets));
      }
      try {
        log('connecting new client');
        await connect(client, signal);
      } catch (e) {
        log('client failed to connect', secrets.error(e));
        throw fail(e);
      }
      log('new client connected');
      // Until the pool watches it: an error now fails this create instead of crashing.
      let early: Error | undefined;
      const onEarly = (err: Error): void => {
        early ??= err;
      };
      client.on('error', onEarly);
      try {
        states.set(client, { tx: new TxTracker(client), baseline: listenerBaseline(client) });
        if (onConnect !== undefined) await onConnect(client);
        if (verify !== undefined) {
          await new Promise<void>((resolve, reject) => {
            verify(client as C & { release(err?: Error | boolean): void }, (err) => (err ? reject(err) : resolve()));
          });
        }
        if (early !== undefined) throw early;
      } catch (e) {
        client.removeListener('error', onEarly);
        await end(client, log);
        throw fail(secrets.error(e));
      }
      client.removeListener('error', onEarly);
      return client;
    },

    destroy(client) {
      return end(client, log).then(() => hooks.removed?.(client));
    },

    validate(client) {
      if (!isQueryable(client)) return false;
      return new Promise<boolean>((resolve, reject) => {
        client.query(ping, (err: Error | undefined) => (err ? reject(secrets.error(err)) : resolve(true)));
      });
    },

    reset(client) {
      if (!isQueryable(client)) throw new Error('connection is no longer usable');
      const state = states.get(client);
      const busy = isBusy(client);
      if (!busy && reset === 'rollback' && state?.tx.status(client) === 'I') return; // the common case: nothing to do
      return cleanUp(client, state, busy, reset === 'discard').catch((e) => {
        throw secrets.error(e);
      });
    },

    watch(client, evict) {
      const onError = (err: Error): void => {
        secrets.error(err);
        evict(err);
        hooks.clientError?.(err, client);
      };
      const onEnd = (): void => evict(new Error('Connection terminated'));
      client.on('error', onError);
      client.on('end', onEnd);
      hooks.watched?.(client, evict);
      return () => {
        client.removeListener('error', onError);
        client.removeListener('end', onEnd);
      };
    },

    isBroken(error, client) {
      return !isQueryable(client) || isConnectionError(error);
    },
  };
  return factory;
}

/** `new Client()` threw: say which input was bad (pg only says "Invalid URL"). */
function describeConfigError(e: unknown, connectionString: unknown, secrets: Secrets): unknown {
  if (typeof connectionString !== 'string' || !(e instanceof Error) || /connection string/i.test(e.message)) return e;
  const wrapped = new Error(`invalid connection string "${secrets.text(connectionString)}": ${e.message}`, {
    cause: e,
  });
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) Object.assign(wrapped, { code });
  return wrapped;
}

/** Sets the password (or another secret-bearing key) on a config copy, not enumerable (as pg does). */
function hide(config: Record<string, unknown>, value: unknown, key = 'password'): void {
  Object.defineProperty(config, key, { value, enumerable: false, writable: true, configurable: true });
}
