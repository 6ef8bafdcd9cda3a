import type { EventEmitter } from 'node:events';
import type { Lease } from '../../core/lease.js';
import type { Clock } from '../../core/util/clock.js';
import type { IdleReaper } from './idle.js';
import type { PgPoolClient, PgPoolEvents } from './pool-types.js';
import { isQueryable } from './session.js';
import type { ClientLike, QueryResultLike } from './types.js';

/**
 * A running `pool.query()`'s settlement: pg's query callback, or (`raw`) the client's
 * `error` event or a throw, whose error is already redacted and is not pg's answer.
 */
export type Settle = (err: Error | null | undefined, res?: QueryResultLike, raw?: boolean) => void;

/** What PgPool keeps per client (never on the client itself). */
export interface ClientMeta<C extends ClientLike> {
  /** When the core retires it (for `expiredCount`). */
  expiresAt: number;
  /** The lease it is out on, or null while idle. */
  lease: Lease<C> | null;
  /** The `pool.query()` running on it, told of the client's `error` event (no listener per query). */
  onError: Settle | null;
  /**
   * `client.release` while a `pool.query()` holds the client: made once per client (a
   * checkout by `connect()` gets its own, so that a stale `release` it handed out throws).
   */
  readonly release: (err?: Error | boolean) => void;
  /** False once the core destroyed it. */
  alive: boolean;
  /** Since when it is idle (or was, before it went out again). */
  idleSince: number;
  /** Its idle or end-of-life timer (see {@link IdleReaper}), or null; and when it fires. */
  timer: unknown;
  timerAt: number;
  /** Destroys it now if it is idle (the factory's `watch`), once known. */
  evict: ((reason: unknown) => void) | null;
  /** The reaper of its pool. */
  readonly reaper: IdleReaper<C>;
}

function throwOnDoubleRelease(): never {
  throw new Error('Release called on client which has already been released to the pool.');
}

/**
 * The clients of a PgPool (of every member): what it knows of each, how one is lent to a
 * caller with pg.Pool's `release`, and how it comes back. The core pools own the clients'
 * lives; this only follows them.
 */
export class Clients<C extends ClientLike> {
  readonly #meta = new WeakMap<C, ClientMeta<C>>();
  readonly #live = new Set<C>();
  readonly #events: EventEmitter<PgPoolEvents<C>>;
  readonly #clock: Clock;
  readonly #unrefIdle: boolean;
  readonly #log: (...messages: unknown[]) => void;
  #lastRandom = 0;

  constructor(options: {
    events: EventEmitter<PgPoolEvents<C>>;
    clock: Clock;
    /** `allowExitOnIdle`: idle clients are unref'd, lent ones ref'd. */
    unrefIdle: boolean;
    log: (...messages: unknown[]) => void;
  }) {
    this.#events = options.events;
    this.#clock = options.clock;
    this.#unrefIdle = options.unrefIdle;
    this.#log = options.log;
  }

  /**
   * A core pool's `random`, watched: the core retires a client at created + lifetime ×
   * (1 − 0.1 × random()), drawn right before it emits `create`, so `expiredCount` agrees.
   */
  watchRandom(random: () => number): () => number {
    return () => (this.#lastRandom = random());
  }

  /** A core pool created `client` (lifetime `lifetimeMs`, 0 = none): follow it, emit `connect`. */
  added(client: C, lifetimeMs: number, reaper: IdleReaper<C>): void {
    const meta: ClientMeta<C> = {
      expiresAt: lifetimeMs === 0 ? Infinity : this.#clock.now() + lifetimeMs * (1 - 0.1 * this.#lastRandom),
      lease: null,
      onError: null,
      release: (err) => {
        const lease = meta.lease;
        if (lease === null) throwOnDoubleRelease();
        this.giveBack(client as PgPoolClient<C>, lease, err);
      },
      alive: true,
      idleSince: 0,
      timer: null,
      timerAt: 0,
      evict: null,
      reaper,
    };
    this.#meta.set(client, meta);
    this.#live.add(client);
    const dispose = (): void => {
      if (meta.lease !== null) (client as PgPoolClient<C>).release();
    };
    Object.defineProperty(client, Symbol.dispose, { value: dispose, configurable: true, writable: true });
    Object.defineProperty(client, Symbol.asyncDispose, {
      value: () => Promise.resolve(dispose()),
      configurable: true,
      writable: true,
    });
    if (this.#unrefIdle) client.unref?.();
    reaper.idle(meta);
    this.#events.emit('connect', client);
  }

  /** The factory watches `client`: `evict` destroys it if it is idle. */
  watched(client: C, evict: (reason: unknown) => void): void {
    const meta = this.#meta.get(client);
    if (meta !== undefined) meta.evict = evict;
  }

  /** A core pool destroyed `client`. */
  removed(client: C): void {
    this.#live.delete(client);
    const meta = this.#meta.get(client);
    if (meta === undefined) return;
    meta.alive = false;
    meta.reaper.removed(meta);
  }

  /** Whether `client` is (or was) one of this pool's. */
  has(client: C): boolean {
    return this.#meta.has(client);
  }

  /** The clients alive (pg-pool's `_clients`). */
  list(): C[] {
    return [...this.#live];
  }

  /** Clients past their lifetime, still checked out. */
  expiredCount(): number {
    const now = this.#clock.now();
    let n = 0;
    for (const c of this.#live) if (now >= this.#meta.get(c)!.expiresAt) n++;
    return n;
  }

  /** Lends the client of `lease` to a `connect()` caller: its own `release`, which throws once used. */
  lend(lease: Lease<C>): PgPoolClient<C> {
    const client = lease.resource as PgPoolClient<C>;
    let released = false;
    client.release = (err?: Error | boolean) => {
      if (released) throwOnDoubleRelease();
      released = true;
      this.giveBack(client, lease, err);
    };
    this.#lent(client, lease);
    return client;
  }

  /**
   * Lends the client of `lease` to a `pool.query()`: nobody outside holds this checkout's
   * `release`, so the client's own one serves (no closure per query). Throws what an
   * `acquire` listener threw (the client is back in the pool then). Returns what is kept of it.
   */
  lendForQuery(lease: Lease<C>): ClientMeta<C> {
    const client = lease.resource as PgPoolClient<C>;
    const meta = this.#meta.get(client)!;
    client.release = meta.release;
    this.#lent(client, lease);
    return meta;
  }

  /** What is kept of `client` (one of this pool's). */
  metaOf(client: C): ClientMeta<C> {
    return this.#meta.get(client)!;
  }

  /** The client of `lease` goes out: the `acquire` event (a listener that throws fails the checkout). */
  #lent(client: PgPoolClient<C>, lease: Lease<C>): void {
    this.#meta.get(client)!.lease = lease;
    if (this.#unrefIdle) client.ref?.();
    try {
      this.#events.emit('acquire', client);
    } catch (e) {
      client.release(); // an 'acquire' listener threw: the checkout fails, the client goes back
      throw e;
    }
  }

  /** `client.release(err)`: back to the pool, or destroyed (`err`, or a connection no longer usable). */
  giveBack(client: PgPoolClient<C>, lease: Lease<C>, err: Error | boolean | undefined): void {
    const meta = this.#meta.get(client)!;
    meta.lease = null;
    this.#events.emit('release', err, client);
    if (err) lease.destroy(err);
    else if (!isQueryable(client))
      lease.destroy(new Error('client released in an unusable state (connection ended or broken)'));
    else {
      if (this.#unrefIdle) client.unref?.();
      lease.release();
      meta.reaper.idle(meta);
    }
  }

  /** A client's `error` event (it is already evicted): tell a running query, or the application; never crash. */
  clientError(err: Error & { client?: C }, client: C): void {
    const meta = this.#meta.get(client);
    if (meta === undefined || meta.lease !== null) {
      this.#log('checked-out client error (the client will be destroyed on release)', err);
      meta?.onError?.(err, undefined, true); // a pool.query() running on it fails now
      return;
    }
    err.client = client;
    if (this.#events.listenerCount('error') > 0) this.#events.emit('error', err, client);
    else this.#log('idle client error (no error listener on the pool)', err);
  }
}
