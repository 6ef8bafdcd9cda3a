import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { Arbiter } from '../../budget/arbiter.js';
import type { Budget, BudgetAccount, BudgetMember, BudgetStats } from '../../budget/budget.js';
import { BudgetError, ERR_BUDGET_LEASE_LOST, ERR_BUDGET_UNAVAILABLE } from '../../budget/errors.js';
import { checkBudgetName } from '../../budget/local.js';
import { PoolOptionsError } from '../../core/errors.js';
import { checkDuration, checkInt, describe, rejectUnknown } from '../../core/options.js';
import { type Clock, systemClock } from '../../core/util/clock.js';
import {
  type BudgetConnections,
  type BudgetRedisClient,
  checkRedisClass,
  connect,
  isClient,
} from './budget/connection.js';
import { FleetLease } from './budget/lease.js';
import { sanitize } from './errors.js';
import { describeConnection } from './factory.js';
import type { RedisConnectionOptions, RedisConstructor } from './types.js';

/** Options of {@link redisBudget}. */
export interface RedisBudgetOptions {
  /**
   * Where the fleet's budget lives: a `redis://` / `rediss://` URL, ioredis options (as
   * `RedisPool` takes them), or an ioredis client (the budget uses it for its calls and
   * opens one more connection, its subscriber, with `duplicate()`).
   */
  redis: string | RedisConnectionOptions | BudgetRedisClient;
  /** The budget's name: processes using the same name (and Redis) share one cap. */
  name: string;
  /** The cap: most resources alive at once across every process of the fleet. */
  max: number;
  /** How long a permit outlives its process: renewed every `leaseMs / 3`. Default 10 000. */
  leaseMs?: number;
  /**
   * While Redis does not answer: `'share'` (default) keeps creating up to an equal share
   * of `max` among the processes last seen (a process holding more sheds down to it);
   * `'block'` creates nothing new. Either way the budget emits `unavailable`, pools report
   * `degraded`, and nobody waits longer than their own timeouts.
   */
  onUnavailable?: 'share' | 'block';
  /** The ioredis `Redis` class, when `redis` is a URL or options. Default: the application's `ioredis`. */
  Redis?: RedisConstructor;
  /** The clock for timers (tests). Default: the system clock. */
  clock?: Clock;
}

/** Events of a {@link RedisBudget}. */
export interface RedisBudgetEvents {
  /** Redis stopped answering; `error.code` is `ERR_BUDGET_UNAVAILABLE`, `share` what this process may hold meanwhile. */
  unavailable: [error: BudgetError, share: number];
  /** Redis answers again (after `awayMs`); the lease is re-asserted. */
  available: [awayMs: number];
  /** The lease was gone (expired while frozen or cut off, or Redis restarted empty) or Redis counted fewer permits than held: `excess` are shed (reason `shrink`). */
  lost: [error: BudgetError, excess: number];
  /** An error on the budget's own connections (already scrubbed of secrets). */
  error: [error: Error];
}

const KNOWN = new Set(['redis', 'name', 'max', 'leaseMs', 'onUnavailable', 'Redis', 'clock']);

/**
 * A cap shared by every process of a fleet, kept in Redis: see {@link redisBudget}.
 * Events: `unavailable`, `available`, `lost`, `error` ({@link RedisBudgetEvents}).
 */
export class RedisBudget extends EventEmitter<RedisBudgetEvents> implements Budget {
  /** The budget's name (its Redis keys are `lido:budget:{name}:*`). */
  readonly name: string;
  /** The fleet's cap. */
  readonly max: number;
  /** How long a permit outlives a process that stopped renewing. */
  readonly leaseMs: number;
  /** What this process may do while Redis does not answer. */
  readonly onUnavailable: 'share' | 'block';
  readonly #arbiter: Arbiter;
  readonly #lease: FleetLease;
  readonly #conn: BudgetConnections;
  readonly #redis: RedisBudgetOptions['redis'];
  #closing: Promise<void> | null = null;

  /** Use {@link redisBudget}. */
  constructor(options: RedisBudgetOptions) {
    super({ captureRejections: false });
    if (options === null || typeof options !== 'object')
      throw new PoolOptionsError(
        `redisBudget options: expected an object { redis, name, max }, got ${describe(options)}`,
      );
    rejectUnknown('redisBudget options', options, KNOWN);
    if (options.name === undefined) throw new PoolOptionsError('name: expected a non-empty string, got undefined');
    this.name = checkBudgetName(options.name, '');
    this.max = checkInt('max', options.max, 1);
    this.leaseMs = options.leaseMs === undefined ? 10_000 : checkDuration('leaseMs', options.leaseMs, true);
    if (this.leaseMs < 300) throw new PoolOptionsError(`leaseMs: expected at least 300, got ${this.leaseMs}`);
    const policy = options.onUnavailable ?? 'share';
    if (policy !== 'share' && policy !== 'block')
      throw new PoolOptionsError(`onUnavailable: expected 'share' or 'block', got ${describe(policy)}`);
    this.onUnavailable = policy;
    checkRedisClass(options.Redis);
    const clock = options.clock ?? systemClock;
    this.#redis = options.redis;
    this.#conn = connect(options.redis, options.Redis, (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e as Error);
    });
    const settings = {
      name: this.name,
      max: this.max,
      leaseMs: this.leaseMs,
      onUnavailable: policy,
      clock,
      timeoutMs: Math.min(1_000, this.leaseMs / 4),
    };
    this.#lease = new FleetLease(settings, this.#conn, {
      unavailable: (cause, share) => this.#unavailable(cause, share),
      available: (awayMs) => this.emit('available', awayMs),
      lost: (excess, renewed) => this.#lost(excess, renewed),
    });
    this.#arbiter = new Arbiter(this.name, this.max, this.#lease, 0, false);
    this.#lease.arbiter = this.#arbiter;
    this.#lease.start();
  }

  /** Where the budget lives: `host:port` or a socket path, never credentials. */
  get target(): string {
    return this.#conn.target;
  }

  /** This process's id in the fleet (`host/pid/random`). */
  get processId(): string {
    return this.#lease.pid;
  }

  /** The fence of this process's current lease: it grows each time the lease is (re)made. */
  get fence(): number {
    return this.#lease.fence;
  }

  /** Resolves once the lease was first registered (or Redis found unreachable). */
  ready(): Promise<void> {
    return this.#lease.started;
  }

  join(member: BudgetMember): BudgetAccount {
    return this.#arbiter.join(member);
  }

  stats(): BudgetStats {
    const a = this.#arbiter;
    return {
      name: this.name,
      max: this.max,
      held: a.used + a.available,
      fleetHeld: this.#lease.fleetHeld(),
      waiting: a.waiting,
    };
  }

  /** Why the budget degrades its pools now, or null. */
  health(): string | null {
    return this.#lease.health();
  }

  /** The effective options, with the connection's credentials redacted. */
  config(): Record<string, unknown> {
    return {
      name: this.name,
      max: this.max,
      leaseMs: this.leaseMs,
      onUnavailable: this.onUnavailable,
      redis: isClient(this.#redis) ? `an ioredis client (${this.#conn.target})` : describeConnection(this.#redis),
    };
  }

  /**
   * Leaves the fleet (this process's permits return at once), stops the heartbeat, closes
   * the connections the budget opened (never a client passed in). Waiting takes reject.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#arbiter.close();
      await this.#lease.close();
      this.#conn.subscriber.disconnect();
      if (this.#conn.ownsCommands) this.#conn.commands.disconnect();
    })();
    return this.#closing;
  }

  /** `await using budget = redisBudget(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** What `util.inspect` shows: the figures and where, never the URL or password. */
  [inspect.custom](): string {
    const s = this.stats();
    return `RedisBudget { name: ${JSON.stringify(this.name)}, max: ${this.max}, target: ${JSON.stringify(this.target)}, held: ${s.held}, fleetHeld: ${s.fleetHeld}, waiting: ${s.waiting} }`;
  }

  #unavailable(cause: unknown, share: number): void {
    const safe = sanitize(cause, this.#conn.secrets);
    const policy = this.onUnavailable === 'block' ? 'no new creates' : `up to ${share} of ${this.max} in this process`;
    const error = new BudgetError(
      `budget "${this.name}": Redis at ${this.target} unreachable (${safe.message}); onUnavailable '${this.onUnavailable}': ${policy}`,
      ERR_BUDGET_UNAVAILABLE,
      this.name,
      { cause: safe },
    );
    this.emit('unavailable', error, share);
  }

  #lost(excess: number, renewed: boolean): void {
    const why = renewed
      ? 'the lease was gone (it expired while the process was frozen or cut off, or Redis restarted empty)'
      : 'Redis counted fewer permits than this process holds';
    const error = new BudgetError(
      `budget "${this.name}": ${why}; re-asserted, ${excess} permit(s) over the cap to shed`,
      ERR_BUDGET_LEASE_LOST,
      this.name,
    );
    this.emit('lost', error, excess);
  }
}

/**
 * One cap on resources shared by every process of a fleet, kept in the Redis you
 * already run: 50 processes with `max: 20` each under `redisBudget({ max: 200 })` never
 * hold more than 200 connections together.
 *
 * Permits are leases renewed by a heartbeat every `leaseMs / 3`, their expiry computed on
 * the Redis server's clock; a crashed process's permits return within `leaseMs`.
 * Processes that wait are served first come, first served (a ticket queue) and woken by
 * pub/sub; while one waits, the others close idle resources above `min`, and those
 * holding more than a fair share give back at release. A lease found gone (the process
 * was frozen, Redis restarted empty) is re-asserted and the excess shed (reason
 * `shrink`). See docs/fleet.md.
 *
 * ```ts
 * import { redisBudget } from 'lido/redis';
 * import { PgPool } from 'lido/pg';
 *
 * const budget = redisBudget({ redis: process.env.REDIS_URL, name: 'orders-db', max: 80 });
 * const pool = new PgPool({ connectionString, max: 20, budget });
 * ```
 */
export function redisBudget(options: RedisBudgetOptions): RedisBudget {
  return new RedisBudget(options);
}
