import type { AcquireOptions } from '../core/acquire-options.js';
import { Backoff } from '../core/util/backoff.js';
import { AcquireTimeoutError, CreateError, ValidationError } from '../core/errors.js';
import type { Health } from '../stats/health.js';
import type { Lease } from '../core/lease.js';
import type { ResolvedClusterOptions } from './options.js';
import type { Pool } from '../core/pool.js';
import type { PoolStats } from '../stats/counters.js';

/** A member's role in a cluster. */
export type MemberRole = 'primary' | 'replica';
/** `healthy` members take work; `ejected` replicas are only probed until they answer. */
export type MemberState = 'healthy' | 'ejected';

/**
 * One member in `cluster.stats()`: its pool's {@link PoolStats} (so exporters read members
 * like any pool), plus where it stands in the cluster.
 */
export type ClusterMemberStats = PoolStats & {
  /** Whether the member is the primary or a replica. */
  role: MemberRole;
  /** `ejected` replicas take no read-only work until a probe succeeds. */
  state: MemberState;
  /** Failures in a row (creates, validations, acquires); reset by any success. */
  consecutiveFailures: number;
  /** Times this member was ejected. */
  ejections: number;
  /** Acquires the cluster sent to this member. */
  routed: number;
};

/** One member in `cluster.health()`: its pool's health, its role and whether it is ejected. */
export interface ClusterMemberHealth extends Health {
  /** The member pool's name. */
  name: string;
  /** Whether the member is the primary or a replica. */
  role: MemberRole;
  /** An ejected replica's status is `down`. */
  state: MemberState;
}

/** @internal What a member tells its cluster. */
export interface MemberHooks {
  ejected(m: Member<unknown>, error: unknown): void;
  readmitted(m: Member<unknown>): void;
}

/** A failure that says the backend is unreachable or broken, not merely busy. */
function backendFailure(e: unknown): boolean {
  return (
    e instanceof CreateError ||
    e instanceof ValidationError ||
    (e instanceof AcquireTimeoutError && e.cause !== undefined)
  );
}

/**
 * @internal A cluster member: its pool, its failure count, and for replicas ejection after
 * `ejectAfter` failures in a row and probing with backoff until it answers again.
 */
export class Member<T> {
  state: MemberState = 'healthy';
  failures = 0;
  ejections = 0;
  routed = 0;
  /** Leases out (from pool events, `least-borrowed` only) and acquires in flight through the cluster. */
  borrowed = 0;
  pending = 0;
  lastError: unknown = undefined;
  readonly #options: ResolvedClusterOptions<T>;
  readonly #hooks: MemberHooks;
  readonly #backoff: Backoff;
  #probeTimer: unknown = null;
  #probe: AbortController | null = null;
  #stopped = false;
  #readmittedAt = -Infinity;

  constructor(
    readonly pool: Pool<T>,
    readonly role: MemberRole,
    o: ResolvedClusterOptions<T>,
    hooks: MemberHooks,
  ) {
    this.#options = o;
    this.#hooks = hooks;
    this.#backoff = new Backoff(o.probe.baseMs, o.probe.capMs, o.random);
    pool.on('error', (e) => {
      if (e.phase === 'create') this.fail(e);
    });
    // validate() => false, throwing or timing out all end in a destroy with this reason.
    pool.on('destroy', (_r, reason) => {
      if (reason === 'validation failed') this.fail(new ValidationError('validation failed', { pool: pool.name }));
    });
    pool.on('create', () => this.succeed());
    if (o.strategy === 'least-borrowed') {
      pool.on('acquire', () => this.borrowed++);
      pool.on('release', () => this.borrowed--);
    }
  }

  /** How busy it is, for `least-borrowed`: leases out plus acquires waiting. */
  get load(): number {
    return this.borrowed + this.pending;
  }

  /** Borrows from this member's pool, counting the outcome towards its health. */
  acquire(options: AcquireOptions | undefined): Promise<Lease<T>> {
    this.routed++;
    this.pending++;
    return this.pool.acquire(options).then(
      (lease) => {
        this.pending--;
        this.succeed();
        return lease;
      },
      (e) => {
        this.pending--;
        if (backendFailure(e)) this.fail(e);
        throw e;
      },
    );
  }

  /** Runs `fn` on this member's pool (`Pool.use`); only acquire failures count against it. */
  use<R>(fn: (resource: T) => R | PromiseLike<R>, options: AcquireOptions | undefined): Promise<Awaited<R>> {
    this.routed++;
    this.pending++;
    let started = false;
    return this.pool
      .use((r) => {
        started = true;
        this.pending--;
        this.succeed();
        return fn(r);
      }, options)
      .catch((e) => {
        if (!started) {
          this.pending--;
          if (backendFailure(e)) this.fail(e);
        }
        throw e;
      });
  }

  /** A success: the failure streak ends. (An ejected replica comes back only through a probe.) */
  succeed(): void {
    this.failures = 0;
  }

  /** A failure: after `ejectAfter` in a row a healthy replica is ejected and probed. */
  fail(error: unknown): void {
    this.failures++;
    this.lastError = error;
    if (
      this.role === 'replica' &&
      this.state === 'healthy' &&
      this.failures >= this.#options.ejectAfter &&
      !this.#stopped
    ) {
      this.state = 'ejected';
      this.ejections++;
      // A replica that flaps (ejected again soon after a probe took it back) is probed less and less often.
      if (this.#options.clock.now() - this.#readmittedAt > this.#options.probe.capMs) this.#backoff.succeed();
      this.#schedule();
      this.#hooks.ejected(this as Member<unknown>, error);
    }
  }

  /** Stops probing (the cluster is closing). */
  stop(): void {
    this.#stopped = true;
    if (this.#probeTimer !== null) this.#options.clock.clearTimer(this.#probeTimer);
    this.#probeTimer = null;
    this.#probe?.abort(new Error('cluster closed'));
  }

  stats(): ClusterMemberStats {
    return {
      ...this.pool.stats(),
      role: this.role,
      state: this.state,
      consecutiveFailures: this.failures,
      ejections: this.ejections,
      routed: this.routed,
    };
  }

  health(): ClusterMemberHealth {
    const h = this.pool.health();
    if (this.state === 'ejected') {
      const why = this.lastError instanceof Error ? this.lastError.message : String(this.lastError);
      return {
        name: this.pool.name,
        role: this.role,
        state: this.state,
        status: 'down',
        reasons: [`ejected after ${this.#options.ejectAfter} failures in a row (last: ${why}); probing`, ...h.reasons],
      };
    }
    return { name: this.pool.name, role: this.role, state: this.state, ...h };
  }

  #readmit(): void {
    this.state = 'healthy';
    this.failures = 0;
    this.#readmittedAt = this.#options.clock.now();
    this.#hooks.readmitted(this as Member<unknown>);
  }

  #schedule(): void {
    const delay = this.#backoff.fail(this.#options.clock.now());
    this.#probeTimer = this.#options.clock.setTimer(() => this.#run(), Math.ceil(delay), false);
  }

  /** One probe: an acquire on the replica's pool; success takes it back, failure waits longer. */
  #run(): void {
    this.#probeTimer = null;
    if (this.state !== 'ejected' || this.#stopped) return;
    const ac = (this.#probe = new AbortController());
    const { timeoutMs, check } = this.#options.probe;
    const timer = this.#options.clock.setTimer(
      () => ac.abort(new Error(`probe timed out after ${timeoutMs} ms`)),
      timeoutMs,
      false,
    );
    const probe =
      check === undefined
        ? this.pool.use(() => {}, { timeoutMs, signal: ac.signal })
        : Promise.race([
            check(this.pool, ac.signal),
            new Promise((_, reject) =>
              ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }),
            ),
          ]);
    probe
      .finally(() => this.#options.clock.clearTimer(timer))
      .then(
        () => {
          this.#probe = null;
          if (this.state === 'ejected' && !this.#stopped) this.#readmit();
        },
        (e) => {
          this.#probe = null;
          if (this.state !== 'ejected' || this.#stopped) return;
          this.lastError = e;
          this.#schedule();
        },
      );
  }
}
