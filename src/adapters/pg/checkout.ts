import type { PoolInternals, WaitHandle } from '../../core/internal.js';
import { APPEND, REPLACE, type CallerFrames } from '../../core/util/caller-frames.js';
import type { Lease } from '../../core/lease.js';
import type { Clients } from './clients.js';
import type { Member } from './members.js';
import { PendingCheckout } from './pending.js';
import type { PgPoolClient } from './pool-types.js';
import type { RoutedCheckouts } from './routed.js';
import { isConnectionError, isQueryable } from './session.js';
import type { ClientLike } from './types.js';

/**
 * Checkouts of a PgPool. Without replicas they go straight to the primary's core pool:
 * an idle client is taken synchronously (no promise, no waiter entry); a checkout that
 * has to wait is queued in the core through `PoolInternals.acquireQueued` and listed with
 * its ticket, so a failed connection attempt can fail it the way an abort would, without
 * an `AbortController` per checkout. With replicas they go through the cluster
 * ({@link RoutedCheckouts}).
 */
export class Checkouts<C extends ClientLike> {
  readonly #primary: Member<C>;
  readonly #core: PoolInternals<C>;
  readonly #clients: Clients<C>;
  readonly #ticket: () => number;
  readonly #translate: (e: unknown) => unknown;
  readonly #frames: CallerFrames;
  /** Handed to `acquireQueued`, which fills in its waiter synchronously; read and cleared at once. */
  readonly #handle: WaitHandle<C> = { waiter: null };
  /** Null without replicas. */
  readonly routed: RoutedCheckouts<C> | null;

  constructor(options: {
    primary: Member<C>;
    clients: Clients<C>;
    routed: RoutedCheckouts<C> | null;
    /** PgPool's sequence. */
    ticket: () => number;
    /** Core errors in pg.Pool's words. */
    translate: (e: unknown) => unknown;
    /** Gives the errors of `connect()` the caller's async frames. */
    frames: CallerFrames;
  }) {
    this.#primary = options.primary;
    this.#core = options.primary.core;
    this.#clients = options.clients;
    this.routed = options.routed;
    this.#ticket = options.ticket;
    this.#translate = options.translate;
    this.#frames = options.frames;
  }

  /** A client for a `connect()` caller (with replicas, of a replica when `readOnly`). */
  connect(readOnly: boolean): Promise<PgPoolClient<C>> {
    if (this.routed !== null) return this.routed.checkout(readOnly);
    try {
      const lease = this.#core.tryAcquire();
      if (lease !== null) return Promise.resolve(this.#clients.lend(lease));
    } catch (e) {
      return Promise.reject(e);
    }
    const waiting = this.queue();
    // A reaction on the caller's chain: the error gets the frames of the functions awaiting connect().
    const failed = (e: unknown): never => {
      waiting.leave();
      const error = this.#translate(e);
      this.#frames.add(error, failed, error === e ? APPEND : REPLACE);
      throw error;
    };
    return waiting.acquired!.then((lease) => {
      waiting.leave();
      return this.#clients.lend(lease);
    }, failed);
  }

  /** Runs `fn` with a checked-out client and always releases it (destroyed if the connection broke). */
  async use<R>(readOnly: boolean, fn: (client: PgPoolClient<C>) => R | PromiseLike<R>): Promise<Awaited<R>> {
    const client = await this.connect(readOnly);
    let result: Awaited<R>;
    try {
      result = await fn(client);
    } catch (e) {
      client.release(!isQueryable(client) || isConnectionError(e) ? (e instanceof Error ? e : true) : undefined);
      throw e;
    }
    client.release();
    return result;
  }

  /** A lease of an idle client of the primary, now, or null (see `PoolInternals.tryAcquire`). */
  now(): Lease<C> | null {
    return this.#core.tryAcquire();
  }

  /**
   * Queues a checkout of the primary: the core's promise in `acquired`; listed with its
   * ticket while it waits. Call `leave()` once it settles.
   */
  queue(): PendingCheckout<C> {
    const checkout = new PendingCheckout<C>(this.#ticket());
    checkout.acquired = this.#core.acquireQueued(this.#handle);
    const waiter = this.#handle.waiter;
    if (waiter !== null) {
      this.#handle.waiter = null;
      checkout.target = waiter;
      this.#primary.waiters.push(checkout);
    }
    return checkout;
  }
}
