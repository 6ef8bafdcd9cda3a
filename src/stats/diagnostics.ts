/**
 * `diagnostics_channel` channels for tracers and metrics exporters.
 *
 * - `lido:pool:acquire`: a TracingChannel (`tracing:lido:pool:acquire:start`, `:end`,
 *   `:asyncStart`, `:asyncEnd`, `:error`) around every `acquire()`; the context is an
 *   {@link AcquireContext}, which carries `waitMs` once the acquire settles.
 * - `lido:pool:create`, `lido:pool:destroy`, `lido:pool:release`, `lido:pool:timeout`,
 *   `lido:pool:leak`: plain channels, one message per event.
 *
 * The pool calls the `publish*` functions below. Each checks `hasSubscribers` first,
 * so when nobody subscribes nothing is published and no message object is allocated.
 * Messages name their pool by object (`pool`) and by name (`name`).
 */
import dc from 'node:diagnostics_channel';
import type { AcquireOptions } from '../core/acquire-options.js';
import type { LeakReport } from '../core/leak-detector.js';

/** The channel names, for `diagnostics_channel.subscribe(name, fn)` and `tracingChannel(name)`. */
export const CHANNELS = {
  /** The tracing channel around every `acquire()`; contexts are {@link AcquireContext}. */
  acquire: 'lido:pool:acquire',
  /** A resource was created; messages are {@link CreateMessage}. */
  create: 'lido:pool:create',
  /** A resource was destroyed; messages are {@link DestroyMessage}. */
  destroy: 'lido:pool:destroy',
  /** A lease came back; messages are {@link ReleaseMessage}. */
  release: 'lido:pool:release',
  /** An acquire timed out; messages are {@link TimeoutMessage}. */
  timeout: 'lido:pool:timeout',
  /** A lease leaked; messages are {@link LeakMessage}. */
  leak: 'lido:pool:leak',
} as const;

/** What a message says about its pool: the pool object itself (for identity) and its name. */
export interface PoolRef {
  /** The pool's name (option `name`). */
  readonly name: string;
}

/** The context of one traced `acquire()`, shared by its start, end, asyncStart, asyncEnd and error events. */
export interface AcquireContext {
  /** The pool acquired from. */
  pool: PoolRef;
  /** The pool's name. */
  name: string;
  /** The options passed to `acquire()`, if any. */
  options: AcquireOptions | undefined;
  /** When the acquire started, on the pool's clock (ms). */
  startedAt: number;
  /** Set when the acquire settles: ms from start to lease (or to failure). */
  waitMs?: number;
  /** Set by the tracing channel on success: the lease. */
  result?: unknown;
  /** Set by the tracing channel on failure: the error (timeout, abort, closed, queue full, …). */
  error?: unknown;
}

/** `lido:pool:create`: a resource was created. */
export interface CreateMessage {
  /** The pool that published the message. */
  pool: PoolRef;
  /** The pool's name. */
  name: string;
  /** The resource concerned. */
  resource: unknown;
  /** How long the create took, ms. */
  durationMs: number;
}

/** `lido:pool:destroy`: a resource was destroyed (retired, broken, evicted, closed). */
export interface DestroyMessage {
  /** The pool that published the message. */
  pool: PoolRef;
  /** The pool's name. */
  name: string;
  /** The resource concerned. */
  resource: unknown;
  /** Why: a string like `'max lifetime reached'`, or the error that broke it. */
  reason: unknown;
}

/** `lido:pool:release`: a lease came back (released or destroyed). */
export interface ReleaseMessage {
  /** The pool that published the message. */
  pool: PoolRef;
  /** The pool's name. */
  name: string;
  /** The resource concerned. */
  resource: unknown;
  /** How long the lease was held, ms. */
  heldMs: number;
}

/** `lido:pool:timeout`: an acquire timed out. */
export interface TimeoutMessage {
  /** The pool that published the message. */
  pool: PoolRef;
  /** The pool's name. */
  name: string;
  /** The `AcquireTimeoutError` the acquire rejected with. */
  error: Error;
}

/** `lido:pool:leak`: a lease was held too long, came back late, or was lost. */
export interface LeakMessage {
  /** The pool that published the message. */
  pool: PoolRef;
  /** The pool's name. */
  name: string;
  /** What leaked, for how long, and where it was acquired. */
  report: LeakReport;
}

/** The acquire tracing channel. Subscribe with `acquireChannel.subscribe({ start, asyncEnd, … })`. */
export const acquireChannel = dc.tracingChannel<unknown, AcquireContext>(CHANNELS.acquire);
/** The `lido:pool:create` channel; messages are {@link CreateMessage}. */
export const createChannel = dc.channel(CHANNELS.create);
/** The `lido:pool:destroy` channel; messages are {@link DestroyMessage}. */
export const destroyChannel = dc.channel(CHANNELS.destroy);
/** The `lido:pool:release` channel; messages are {@link ReleaseMessage}. */
export const releaseChannel = dc.channel(CHANNELS.release);
/** The `lido:pool:timeout` channel; messages are {@link TimeoutMessage}. */
export const timeoutChannel = dc.channel(CHANNELS.timeout);
/** The `lido:pool:leak` channel; messages are {@link LeakMessage}. */
export const leakChannel = dc.channel(CHANNELS.leak);

/** True when someone listens to the acquire tracing channel: the pool then routes acquires through {@link traceAcquire}. */
export function tracingAcquire(): boolean {
  return acquireChannel.hasSubscribers;
}

/**
 * Runs `acquire` inside the `lido:pool:acquire` tracing channel: start and end around
 * the synchronous part, asyncStart and asyncEnd when the promise settles (error first
 * when it rejects). `waitMs` is set on the context, from `clock`, before asyncStart.
 * Without subscribers it just calls `acquire`.
 */
export function traceAcquire<L>(
  pool: PoolRef,
  options: AcquireOptions | undefined,
  clock: { now(): number },
  acquire: () => Promise<L>,
): Promise<L> {
  if (!acquireChannel.hasSubscribers) return acquire();
  const context: AcquireContext = { pool, name: pool.name, options, startedAt: clock.now() };
  return acquireChannel.tracePromise(
    () =>
      acquire().then(
        (lease) => {
          context.waitMs = clock.now() - context.startedAt;
          return lease;
        },
        (error: unknown) => {
          context.waitMs = clock.now() - context.startedAt;
          throw error;
        },
      ),
    context,
  );
}

/** Publishes on `lido:pool:create` if anyone listens. */
export function publishCreate(pool: PoolRef, resource: unknown, durationMs: number): void {
  if (createChannel.hasSubscribers)
    createChannel.publish({ pool, name: pool.name, resource, durationMs } satisfies CreateMessage);
}

/** Publishes on `lido:pool:destroy` if anyone listens. */
export function publishDestroy(pool: PoolRef, resource: unknown, reason: unknown): void {
  if (destroyChannel.hasSubscribers)
    destroyChannel.publish({ pool, name: pool.name, resource, reason } satisfies DestroyMessage);
}

/** Publishes on `lido:pool:release` if anyone listens. */
export function publishRelease(pool: PoolRef, resource: unknown, heldMs: number): void {
  if (releaseChannel.hasSubscribers)
    releaseChannel.publish({ pool, name: pool.name, resource, heldMs } satisfies ReleaseMessage);
}

/** Publishes on `lido:pool:timeout` if anyone listens. */
export function publishTimeout(pool: PoolRef, error: Error): void {
  if (timeoutChannel.hasSubscribers) timeoutChannel.publish({ pool, name: pool.name, error } satisfies TimeoutMessage);
}

/** Publishes on `lido:pool:leak` if anyone listens. */
export function publishLeak(pool: PoolRef, report: LeakReport): void {
  if (leakChannel.hasSubscribers) leakChannel.publish({ pool, name: pool.name, report } satisfies LeakMessage);
}
