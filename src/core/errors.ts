/** The phase of a resource's life in which an error happened. */
export type PoolPhase = 'wait' | 'create' | 'validate' | 'reset' | 'destroy' | 'close' | 'use' | 'options';

/** A snapshot of a pool's counts, carried by every {@link PoolError}. */
export interface PoolCounts {
  /** Live resources: creating + idle + borrowed + validating/resetting. */
  size: number;
  /** Idle resources, ready to lend. */
  idle: number;
  /** Resources lent out. */
  borrowed: number;
  /** Acquires waiting in the queue. */
  pending: number;
  /** Creates in flight. */
  creating: number;
  /** Option `max`: most resources alive at once. */
  max: number;
}

/**
 * @internal Every error code lido raises, written out once. Each has a class or a row in
 * the errors table of docs/concepts.md (a unit test checks both ways).
 */
export const ErrorCode = {
  /** {@link PoolError} without a more specific code. */
  pool: 'ERR_POOL',
  acquireTimeout: 'ERR_POOL_ACQUIRE_TIMEOUT',
  closed: 'ERR_POOL_CLOSED',
  queueFull: 'ERR_POOL_QUEUE_FULL',
  create: 'ERR_POOL_CREATE',
  validation: 'ERR_POOL_VALIDATION',
  options: 'ERR_POOL_OPTIONS',
  /** `factory.reset()` threw, rejected or timed out. */
  reset: 'ERR_POOL_RESET',
  /** `factory.destroy()` (or a watch's stop function) threw or rejected. */
  destroy: 'ERR_POOL_DESTROY',
  /** `factory.destroy()` had not settled after `destroyTimeoutMs` (it no longer counts against `max`). */
  destroyTimeout: 'ERR_POOL_DESTROY_TIMEOUT',
  /** `factory.isBroken()` threw after `use()`'s callback failed. */
  use: 'ERR_POOL_USE',
  /** A lease was garbage-collected without release (the reclaim's reason). */
  leak: 'ERR_POOL_LEAK',
  /** `pool.release(lease)` / `pool.destroy(lease)` with a lease of another pool. */
  foreignLease: 'ERR_POOL_FOREIGN_LEASE',
  /** `lease.resource` after the lease was released or revoked. */
  leaseReleased: 'ERR_POOL_LEASE_RELEASED',
  /** A cluster's read-only acquire found no healthy replica and may not fall back to the primary. */
  noReplica: 'ERR_POOL_NO_REPLICA',
} as const;

/** Options for constructing a {@link PoolError}. */
export interface PoolErrorOptions {
  /** Phase that failed. */
  phase?: PoolPhase;
  /** The pool's name. */
  pool?: string;
  /** The pool's counts at the time of the error. */
  counts?: PoolCounts;
  /** The underlying error. */
  cause?: unknown;
}

/** Base class of every error lido raises; `code` is stable and meant for programs. */
export class PoolError extends Error {
  /** Stable machine-readable code, e.g. `ERR_POOL_ACQUIRE_TIMEOUT`. */
  readonly code: string;
  /** Phase that failed: wait, create, validate, reset, destroy, close, use or options. */
  readonly phase: PoolPhase | undefined;
  /** Name of the pool that raised it. */
  readonly pool: string | undefined;
  /** The pool's counts when it was raised. */
  readonly counts: PoolCounts | undefined;

  constructor(
    message: string,
    code: string = ErrorCode.pool,
    options: PoolErrorOptions = {},
    phase: PoolPhase | undefined = options.phase,
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.phase = phase;
    this.pool = options.pool;
    this.counts = options.counts;
  }
}

/** An acquire waited longer than its timeout. `cause` is the last create error, if any. */
export class AcquireTimeoutError extends PoolError {
  constructor(message: string, options: PoolErrorOptions = {}) {
    super(message, ErrorCode.acquireTimeout, options, options.phase ?? 'wait');
  }
}

/** The pool is closed (or closing) and takes no more acquires. */
export class PoolClosedError extends PoolError {
  constructor(message: string, options: PoolErrorOptions = {}) {
    super(message, ErrorCode.closed, options, options.phase ?? 'wait');
  }
}

/** More than `maxWaiting` acquires are already queued. */
export class QueueFullError extends PoolError {
  constructor(message: string, options: PoolErrorOptions = {}) {
    super(message, ErrorCode.queueFull, options, options.phase ?? 'wait');
  }
}

/** The factory failed to create a resource; `cause` is what it threw. */
export class CreateError extends PoolError {
  constructor(message: string, options: PoolErrorOptions = {}) {
    super(message, ErrorCode.create, options, options.phase ?? 'create');
  }
}

/** A resource failed validation (or validation timed out). */
export class ValidationError extends PoolError {
  constructor(message: string, options: PoolErrorOptions = {}) {
    super(message, ErrorCode.validation, options, options.phase ?? 'validate');
  }
}

/** An option or argument had the wrong type or value. */
export class PoolOptionsError extends PoolError {
  constructor(message: string) {
    super(message, ErrorCode.options, undefined, 'options');
  }
}

// `name` lives on each class's prototype (as on Error.prototype), not on every instance:
// one store and one property fewer per error, which a timeout storm makes by the thousand.
// Writable data properties, so a subclass a user derives can still set its own. Literal
// names: a bundler may rename a class (`PoolError2`) when two modules clash.
for (const [ctor, name] of [
  [PoolError, 'PoolError'],
  [AcquireTimeoutError, 'AcquireTimeoutError'],
  [PoolClosedError, 'PoolClosedError'],
  [QueueFullError, 'QueueFullError'],
  [CreateError, 'CreateError'],
  [ValidationError, 'ValidationError'],
  [PoolOptionsError, 'PoolOptionsError'],
] as const) {
  Object.defineProperty(ctor.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
}

/** A caller's own copy of a create error shared by many (failFast): same message, counts and cause. */
export function ownCreateError(e: CreateError): CreateError {
  return new CreateError(e.message, { pool: e.pool, counts: e.counts, cause: e.cause });
}

/** Formats the counts the way every wait-phase message shows them. */
export function describeCounts(name: string, c: PoolCounts): string {
  return `pool "${name}": ${c.borrowed}/${c.max} borrowed, ${c.idle} idle, ${c.creating} creating, ${c.pending} waiting`;
}

/**
 * @internal Builds timeout errors without a stack trace. A timeout is raised from the
 * deadline timer's callback, whose stack shows only the pool's internals and Node's timer
 * list, and capturing it dominated a timeout storm (docs/performance.md). `stack` is then just
 * `AcquireTimeoutError: <message>`; name, code, phase, pool, counts and cause are unchanged.
 */
export function withoutStack<R>(make: () => R): R {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
