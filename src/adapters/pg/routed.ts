import type { PoolCluster } from '../../cluster/cluster.js';
import { CreateError } from '../../core/errors.js';
import type { Lease } from '../../core/lease.js';
import type { Pool } from '../../core/pool.js';
import { APPEND, REPLACE, type CallerFrames } from '../../core/util/caller-frames.js';
import type { Clock } from '../../core/util/clock.js';
import type { Clients } from './clients.js';
import type { Member } from './members.js';
import { PendingCheckout } from './pending.js';
import type { PgPoolClient } from './pool-types.js';
import type { ClientLike } from './types.js';

/** A checkout through the cluster: which member serves it is known once the cluster picked. */
class RoutedCheckout<C extends ClientLike> extends PendingCheckout<C> {
  member: Member<C> | null = null;
}

/**
 * Checkouts of a PgPool with replicas, through its {@link PoolCluster}: a read goes to a
 * healthy replica, everything else to the primary. If the replica refused the
 * connection (nothing was sent), the read is tried again through the cluster within the
 * same deadline: the failure counts towards that replica's ejection, and the next try
 * goes to another replica or the primary.
 */
export class RoutedCheckouts<C extends ClientLike> {
  readonly #cluster: PoolCluster<C>;
  readonly #members: Map<Pool<C>, Member<C>>;
  readonly #clients: Clients<C>;
  readonly #clock: Clock;
  readonly #acquireTimeoutMs: number;
  /** A read whose replica refused the connection is tried again at most this often. */
  readonly #maxRetries: number;
  readonly #ticket: () => number;
  readonly #ending: () => boolean;
  readonly #translate: (e: unknown) => unknown;
  readonly #frames: CallerFrames;
  /** The checkout being handed to the cluster, for the member it reaches (see {@link reached}). */
  #routing: RoutedCheckout<C> | null = null;

  constructor(options: {
    cluster: PoolCluster<C>;
    members: Map<Pool<C>, Member<C>>;
    clients: Clients<C>;
    clock: Clock;
    /** The primary's (a retry gets what is left of it). */
    acquireTimeoutMs: number;
    maxRetries: number;
    ticket: () => number;
    /** True once `end()` was called: no more retries. */
    ending: () => boolean;
    translate: (e: unknown) => unknown;
    /** Gives the errors of a checkout the caller's async frames. */
    frames: CallerFrames;
  }) {
    this.#cluster = options.cluster;
    this.#members = options.members;
    this.#clients = options.clients;
    this.#clock = options.clock;
    this.#acquireTimeoutMs = options.acquireTimeoutMs;
    this.#maxRetries = options.maxRetries;
    this.#ticket = options.ticket;
    this.#ending = options.ending;
    this.#translate = options.translate;
    this.#frames = options.frames;
  }

  /**
   * The cluster passed an acquire to `pool` (a `MemberPool` says so, synchronously, from
   * inside `cluster.acquire()`): that member's failed connection attempts may now fail
   * the checkout being routed. Acquires of the cluster's own (probes) are not PgPool's.
   */
  reached(pool: Pool<C>): void {
    const checkout = this.#routing;
    const member = this.#members.get(pool);
    if (checkout === null || member === undefined) return;
    checkout.member = member;
    member.waiters.push(checkout);
  }

  /** A client for a `connect()` caller or a `pool.query()`: of a replica when `readOnly`. */
  async checkout(readOnly: boolean): Promise<PgPoolClient<C>> {
    const started = this.#clock.now();
    for (let retries = 0; ; retries++) {
      const ac = new AbortController();
      const checkout = new RoutedCheckout<C>(this.#ticket());
      checkout.target = ac;
      let lease: Lease<C>;
      try {
        // A retry gets what is left of the first try's deadline.
        const again = retries > 0 && this.#acquireTimeoutMs !== Infinity;
        const timeoutMs = again ? this.#acquireTimeoutMs - (this.#clock.now() - started) : undefined;
        let acquired: Promise<Lease<C>>;
        this.#routing = checkout;
        try {
          acquired = this.#cluster.acquire(
            timeoutMs === undefined ? { readOnly, signal: ac.signal } : { readOnly, signal: ac.signal, timeoutMs },
          );
        } finally {
          this.#routing = null;
        }
        lease = await acquired;
      } catch (e) {
        if (readOnly && this.#mayRetry(checkout, e, retries, started)) continue;
        const error = this.#translate(e);
        // Resumed from its await, this function is on the caller's chain: its frame left out, the awaiting callers' kept.
        this.#frames.add(error, RoutedCheckouts.prototype.checkout, error === e ? APPEND : REPLACE);
        throw error;
      } finally {
        checkout.leave();
      }
      return this.#clients.lend(lease);
    }
  }

  /** A read failed on a replica before anything was sent (its connection attempt failed): try again? */
  #mayRetry(checkout: RoutedCheckout<C>, e: unknown, retries: number, started: number): boolean {
    if (checkout.member === null || !checkout.member.replica || this.#ending() || retries >= this.#maxRetries)
      return false;
    if (this.#acquireTimeoutMs - (this.#clock.now() - started) < 1) return false;
    const signal = (checkout.target as AbortController).signal;
    const refused = signal.aborted && signal.reason === e;
    return refused || e instanceof CreateError;
  }
}
