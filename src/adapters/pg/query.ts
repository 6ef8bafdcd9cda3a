import { Lease } from '../../core/lease.js';
import { APPEND, REPLACE, type CallerFrames } from '../../core/util/caller-frames.js';
import type { Checkouts } from './checkout.js';
import type { ClientMeta, Clients, Settle } from './clients.js';
import { deliverError } from './errors.js';
import type { PgPoolClient } from './pool-types.js';
import type { Secrets } from '../../core/util/redact.js';
import { readOnlyQuery } from './replicas.js';
import type { ClientLike, QueryCallback, QueryResultLike } from './types.js';

type Resolve = (r: QueryResultLike) => void;
type Reject = (e: unknown) => void;

/**
 * `pool.query()`: one query on a pooled client, released when it settles (destroyed on
 * error, as in pg.Pool).
 *
 * Without replicas a query costs one promise, settled by pg's callback: an idle client is
 * checked out and the query sent in the caller's tick; a waiting one is sent in the
 * core acquire's own continuation, and its result reaches the caller one hop after the
 * server's answer. (Built as `connect()` then a query it allocates more per query, and a
 * query on an idle client would be sent a microtask later: docs/pg.md, "Under load".)
 */
export class Queries<C extends ClientLike> {
  readonly #checkouts: Checkouts<C>;
  readonly #clients: Clients<C>;
  readonly #secrets: Secrets;
  readonly #log: (...messages: unknown[]) => void;
  readonly #translate: (e: unknown) => unknown;
  readonly #frames: CallerFrames;
  /** The error of a query after `end()`, or null while the pool takes work. */
  readonly #ended: () => Error | null;

  constructor(options: {
    checkouts: Checkouts<C>;
    clients: Clients<C>;
    secrets: Secrets;
    log: (...messages: unknown[]) => void;
    translate: (e: unknown) => unknown;
    /** Gives the errors of a query the caller's async frames. */
    frames: CallerFrames;
    ended: () => Error | null;
  }) {
    this.#checkouts = options.checkouts;
    this.#clients = options.clients;
    this.#secrets = options.secrets;
    this.#log = options.log;
    this.#translate = options.translate;
    this.#frames = options.frames;
    this.#ended = options.ended;
  }

  /**
   * `pool.query(text, values?, options?, callback?)` as pg.Pool takes it (the callback may
   * come second or third). `forceReadOnly`: the replica view's.
   */
  dispatch(
    forceReadOnly: boolean,
    text: unknown,
    values: unknown,
    options: unknown,
    callback: unknown,
  ): Promise<QueryResultLike> | undefined {
    if (typeof text === 'function') {
      const err = new TypeError('Passing a function as the first parameter to pool.query is not supported');
      return deliverError(text as (e: Error) => void, err);
    }
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
      options = undefined;
    } else if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    let p: Promise<QueryResultLike>;
    const ended = this.#ended();
    if (ended !== null) p = Promise.reject(ended);
    else if (
      (options === undefined || options === null) &&
      (text === null || typeof text !== 'object' || !('readOnly' in text))
    ) {
      p = this.#query(text, values, forceReadOnly);
    } else {
      const q = readOnlyQuery(text, options);
      p = q instanceof Error ? Promise.reject(q) : this.#query(q.text, values, forceReadOnly || q.readOnly);
    }
    if (typeof callback !== 'function') return p;
    const cb = callback as QueryCallback;
    p.then(
      (res) => process.nextTick(cb, undefined, res),
      (err) => process.nextTick(cb, err, undefined),
    );
    return undefined;
  }

  #query(text: unknown, values: unknown, readOnly: boolean): Promise<QueryResultLike> {
    const checkouts = this.#checkouts;
    if (checkouts.routed !== null) return checkouts.routed.checkout(readOnly).then((c) => this.#run(c, text, values));
    let lease: Lease<C> | null;
    try {
      lease = checkouts.now();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<QueryResultLike>((resolve, reject) => {
      if (lease !== null) this.#start(lease, text, values, resolve, reject);
      else this.#wait(text, values, resolve, reject);
    });
  }

  /**
   * Waits for a client of the primary. What a waiting query keeps alive is kept small (one
   * context, one function besides the core's waiter and promise): each scavenge copies it.
   */
  #wait(text: unknown, values: unknown, resolve: Resolve, reject: Reject): void {
    const waiting = this.#checkouts.queue();
    // One function for both outcomes: the core resolves with a Lease, and never rejects with one.
    const then = (r: unknown): void => {
      waiting.leave();
      if (r instanceof Lease) this.#start(r as Lease<C>, text, values, resolve, reject);
      else {
        const error = this.#translate(r);
        this.#frames.reject(resolve as never, reject, error, error === r ? APPEND : REPLACE);
      }
    };
    waiting.acquired!.then(then, then);
  }

  /** Lends the client of `lease` to this query and sends it. */
  #start(lease: Lease<C>, text: unknown, values: unknown, resolve: Resolve, reject: Reject): void {
    let meta: ClientMeta<C>;
    try {
      meta = this.#clients.lendForQuery(lease);
    } catch (e) {
      reject(e);
      return;
    }
    this.#send(lease.resource as PgPoolClient<C>, meta, text, values, resolve, reject);
  }

  /** Runs one query on a client checked out through the cluster. */
  #run(client: PgPoolClient<C>, text: unknown, values: unknown): Promise<QueryResultLike> {
    return new Promise<QueryResultLike>((resolve, reject) =>
      this.#send(client, this.#clients.metaOf(client), text, values, resolve, reject),
    );
  }

  /**
   * Sends one query on a checked-out client, releases the client when it settles and
   * settles the caller's promise. An `error` event of the client meanwhile (through
   * `Clients.clientError`) does the same at once.
   */
  #send(
    client: PgPoolClient<C>,
    meta: ClientMeta<C>,
    text: unknown,
    values: unknown,
    resolve: Resolve,
    reject: Reject,
  ): void {
    let done = false;
    // One closure per query: pg's callback, and (with `raw`) the client's error event or a throw.
    const settle: Settle = (err, res, raw) => {
      if (raw !== true) this.#log('query dispatched');
      if (meta.onError === settle) meta.onError = null;
      if (done) return;
      done = true;
      client.release(err ?? undefined);
      // pg's error comes from a socket event: it names nobody until the caller's frames are added.
      if (err) this.#frames.reject(resolve as never, reject, raw === true ? err : this.#secrets.error(err), APPEND);
      else resolve(res!);
    };
    meta.onError = settle;
    try {
      this.#log('dispatching query');
      client.query(text, values, settle);
    } catch (err) {
      settle(err as Error, undefined, true);
    }
  }
}
