import { ErrorCode, PoolError } from './errors.js';
import { kRelease, type LeaseOwner } from './internal.js';
import { Slot } from './containers/slot.js';
import { held } from './util/held.js';

/** The owner of the held lease below: owns nothing. */
const nobody: LeaseOwner<unknown> = { name: '', [kRelease]: () => false };

/** The slot of the held lease below, with the fractional `borrowedAt` a lent slot carries (see util/held.ts). */
function heldSlot(): Slot<unknown> {
  const s = new Slot<unknown>(null, 0.5, Infinity);
  s.borrowedAt = 0.5;
  return s;
}

/**
 * A borrowed resource. Release it exactly once: `release()`, `destroy(reason)`, or
 * `using` / `await using` (both dispose by releasing). Further calls are no-ops.
 */
export class Lease<T> implements Disposable, AsyncDisposable {
  #owner: LeaseOwner<T>;
  #slot: Slot<T>;
  /** The slot's generation when lent; -1 once released or destroyed (one field fewer per lease). */
  #gen: number;
  /** Its hidden class, held (see util/held.ts). */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held only to keep the class's hidden class alive
  static readonly #held = held(new Lease<unknown>(nobody, heldSlot(), 0));

  /**
   * Every acquire resolves a promise with a lease, and V8 then looks `then` up along the
   * lease's whole prototype chain, ending in `Object.prototype`'s dictionary, a measurable
   * part of every acquire. An own `then` of the prototype, `undefined`, ends
   * that lookup one step up; not being callable, it leaves the lease an ordinary value (the
   * promise fulfils with it, `typeof lease.then` is `'undefined'`). See docs/performance.md,
   * "Resolving with a lease". In a static block so that it stays with the class in any build.
   */
  static {
    Object.defineProperty(Lease.prototype, 'then', {
      value: undefined,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  /** @internal Leases are made by the pool. */
  constructor(owner: LeaseOwner<T>, slot: Slot<T>, gen: number) {
    this.#owner = owner;
    this.#slot = slot;
    this.#gen = gen;
  }

  /**
   * The borrowed resource. Throws `ERR_POOL_LEASE_RELEASED` once the lease is released,
   * or once the pool took the resource back (a forced close, a lost-lease reclaim).
   */
  get resource(): T {
    if (this.#slot.gen !== this.#gen) {
      const why = this.#gen === -1 ? 'was already released' : 'was revoked by the pool (closed or reclaimed)';
      throw new PoolError(`lease of pool "${this.#owner.name}" ${why}; acquire again`, ErrorCode.leaseReleased, {
        phase: 'use',
        pool: this.#owner.name,
      });
    }
    return this.#slot.resource;
  }

  /** True once released or destroyed (or force-destroyed by `close()`). */
  get released(): boolean {
    return this.#slot.gen !== this.#gen; // -1 never matches: generations start at 1
  }

  /** True when this lease was handed out by `pool`. */
  isFrom(pool: object): boolean {
    return this.#owner === pool;
  }

  /** Returns the resource to the pool. Idempotent. */
  release(): void {
    const gen = this.#gen;
    if (gen === -1) return;
    this.#gen = -1;
    this.#owner[kRelease](this.#slot, gen, null, undefined);
  }

  /** Discards the resource: it is broken and must not be handed out again. Idempotent. */
  destroy(reason?: unknown): void {
    const gen = this.#gen;
    if (gen === -1) return;
    this.#gen = -1;
    this.#owner[kRelease](this.#slot, gen, 'broken', reason);
  }

  /** `using lease = await pool.acquire()` releases at the end of the block. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** `await using lease = await pool.acquire()` releases at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

/**
 * @internal `lease`, when `owner` lent it; otherwise throws `ERR_POOL_FOREIGN_LEASE`
 * (`pool.release(lease)` and `pool.destroy(lease)` refuse a lease of another pool).
 */
export function ownLease<T>(owner: LeaseOwner<T>, lease: Lease<T>, verb: string): Lease<T> {
  if (!(lease instanceof Lease) || !lease.isFrom(owner)) {
    const got = lease instanceof Lease ? 'a lease of another pool' : typeof lease;
    throw new PoolError(`${verb}: expected a lease of pool "${owner.name}", got ${got}`, ErrorCode.foreignLease, {
      phase: 'use',
      pool: owner.name,
    });
  }
  return lease;
}
