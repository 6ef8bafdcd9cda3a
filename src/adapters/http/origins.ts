import type { Clock } from '../../core/util/clock.js';
import type { PoolError } from '../../core/errors.js';
import type { Health } from '../../stats/health.js';
import { KeyedPool, keyedInternals, type Checkout, type KeyedInternals } from '../../keyed/keyed-pool.js';
import type { Lease } from '../../core/lease.js';
import { Pool, poolInternals, type CloseReport } from '../../core/pool.js';
import { connectionFactory, targetOf, type Connection, type OriginContext } from './connection.js';
import { clientOptionsOf, type OriginConfig, type ResolvedHttpOptions } from './options.js';
import { addInto, type CounterBook, type HttpOriginStats, type HttpPoolStats } from './stats.js';
import type { ClientLike, Connector, UndiciLike } from './types.js';

/** What the origin pools tell the `HttpPool`. */
export interface OriginHooks {
  /** A Client's `connect` / `disconnect` / `connectionError`, to re-emit as undici's Agent does. */
  emit(event: string, origin: string, client: ClientLike, error?: unknown): void;
  /** An origin's pool reported an error (connect failed, destroy failed, …). */
  error(error: PoolError, origin: string): void;
}

/** undici `Client` options that only shape the connector; folded into it like the Client itself does. */
const CONNECTOR_KEYS: Record<string, string> = {
  connectTimeout: 'timeout',
  socketPath: 'socketPath',
  maxCachedSessions: 'maxCachedSessions',
  autoSelectFamily: 'autoSelectFamily',
  autoSelectFamilyAttemptTimeout: 'autoSelectFamilyAttemptTimeout',
};

/**
 * @internal The connection pools of every origin. An origin listed in `origins` has its
 * own {@link Pool} (its own options, `min` opened at start, never forgotten); every other
 * origin gets a pool in one {@link KeyedPool} (the top-level options, under `maxTotal`,
 * forgotten after `idlePoolTimeoutMs`). WORKAROUND: KeyedPool takes one `perKey` for
 * every key and has no `ready(key)`; once it takes per-key options, listed origins move
 * into it too and `maxTotal` covers them.
 */
export class OriginPools {
  readonly #configured = new Map<string, Pool<Connection>>();
  readonly #keyed: KeyedPool<string, Connection>;
  readonly #keyedCore: KeyedInternals<string, Connection>;
  readonly #connectors = new Map<OriginConfig, Connector>();
  readonly #undici: UndiciLike;
  readonly #hooks: OriginHooks;

  constructor(o: ResolvedHttpOptions, undici: UndiciLike, hooks: OriginHooks) {
    this.#undici = undici;
    this.#hooks = hooks;
    const clock: Clock | undefined = o.clock;
    this.#keyed = new KeyedPool<string, Connection>({
      name: o.name,
      factory: (origin) => connectionFactory(this.#context(origin, o.base)),
      perKey: o.base.pool,
      maxTotal: o.maxTotal,
      ...(o.budget === null ? {} : { budget: o.budget }),
      idlePoolTimeoutMs: o.idlePoolTimeoutMs,
      ...(clock === undefined ? {} : { clock }),
    });
    this.#keyedCore = keyedInternals(this.#keyed);
    this.#keyed.on('error', (error, origin) => hooks.error(error, origin));
    for (const [origin, config] of o.origins) {
      const pool = new Pool<Connection>({
        ...config.pool,
        name: `${o.name}[${origin}]`,
        factory: connectionFactory(this.#context(origin, config)),
        ...(o.budget === null ? {} : { budget: o.budget }),
        ...(clock === undefined ? {} : { clock }),
      });
      pool.on('error', (error) => hooks.error(error, origin));
      this.#configured.set(origin, pool);
    }
  }

  /** True for an origin with an open pool. */
  has(origin: string): boolean {
    return this.#configured.has(origin) || this.#keyed.has(origin);
  }

  /**
   * Borrows a connection to `origin`: an idle one now, or null: then `c` waits in the
   * origin's queue (`c.queuedIn`) and gets `got(lease, n)` or `lost(error, n)`. No promise
   * of its own: a request costs one promise only when it has to wait.
   */
  checkout(origin: string, c: Checkout<Connection>, n: number): Lease<Connection> | null {
    const pool = this.#configured.get(origin);
    if (pool === undefined) return this.#keyedCore.checkout(origin, c, n);
    const core = poolInternals(pool);
    const now = core.tryAcquire();
    if (now !== null) return now;
    c.waiter = null;
    c.queuedIn = pool;
    core.acquireQueued(c).then(
      (lease) => c.got(lease, n),
      (error) => c.lost(error, n),
    );
    return null;
  }

  /** Resolves once every listed origin has its `min` connections open. */
  ready(): Promise<void> {
    return Promise.all([...this.#configured.values()].map((p) => p.ready())).then(() => undefined);
  }

  /** Stats per origin and in total, with the request counters of `book`. */
  stats(book: CounterBook, inFlight: number): HttpPoolStats {
    const k = this.#keyed.stats();
    const total = { ...k.total, ...book.total };
    const origins: Record<string, HttpOriginStats> = {};
    for (const [origin, pool] of this.#configured) {
      const s = pool.stats();
      addInto(total, s);
      origins[origin] = { ...s, ...book.peek(origin), origin, configured: true };
    }
    for (const s of k.perKey)
      origins[s.key] = {
        ...s,
        key: undefined,
        ...book.peek(s.key),
        origin: s.key,
        configured: false,
      } as HttpOriginStats;
    for (const s of Object.values(origins)) delete (s as { key?: unknown }).key;
    total.leaks = book.total.leaks;
    return {
      name: k.name,
      inFlight,
      maxTotal: k.maxTotal,
      live: k.live,
      budgetWaiting: k.budgetWaiting,
      budget: k.budget,
      total,
      origins,
    };
  }

  /** The worst of every origin's health, with the reasons of those not ok (`down` once closed). */
  health(closed: boolean): Health {
    if (closed) return { status: 'down', reasons: ['http pool is closed'] };
    const all = [this.#keyed.health(), ...[...this.#configured.values()].map((p) => p.health())];
    const reasons = all.flatMap((h) => h.reasons);
    const status = all.some((h) => h.status === 'down')
      ? 'down'
      : all.some((h) => h.status === 'degraded')
        ? 'degraded'
        : 'ok';
    return { status, reasons };
  }

  /** Closes every origin's pool: borrowed connections are awaited up to `timeoutMs`, then destroyed. */
  close(timeoutMs: number): Promise<CloseReport> {
    const reports = [
      this.#keyed.close({ timeoutMs }),
      ...[...this.#configured.values()].map((p) => p.close({ timeoutMs })),
    ];
    return Promise.all(reports).then((rs) => ({
      forced: rs.reduce((n, r) => n + r.forced, 0),
      unsettledDestroys: rs.reduce((n, r) => n + r.unsettledDestroys, 0),
    }));
  }

  #context(origin: string, config: OriginConfig): OriginContext {
    const clientOptions = clientOptionsOf(config);
    const localAddress = typeof clientOptions.localAddress === 'string' ? clientOptions.localAddress : null;
    return {
      undici: this.#undici,
      origin,
      target: targetOf(new URL(origin), localAddress),
      connector: this.#connector(config),
      clientOptions,
      emit: (event, client, error) => this.#hooks.emit(event, origin, client, error),
      unrefWarm: config.pool.allowExitOnIdle !== false,
    };
  }

  /** One connector per origin config, so TLS sessions are reused across its connections. */
  #connector(config: OriginConfig): Connector {
    let c = this.#connectors.get(config);
    if (c !== undefined) return c;
    if (typeof config.connect === 'function') c = config.connect;
    else {
      const folded: Record<string, unknown> = {};
      for (const [from, to] of Object.entries(CONNECTOR_KEYS))
        if (config.client[from] !== undefined) folded[to] = config.client[from];
      // HTTP/1.1 only: a lease is one socket carrying one request at a time.
      c = this.#undici.buildConnector({ ...folded, ...config.connect, allowH2: false });
    }
    this.#connectors.set(config, c);
    return c;
  }
}
