import type { Checks } from './checks.js';
import type { Slot } from './containers/slot.js';
import { Creator } from './creator.js';
import { Deadlines } from './deadlines.js';
import { ErrorCode, PoolError, type PoolCounts } from './errors.js';
import { type Announcer, announcer, type PoolEmitter } from './events.js';
import type { LeaseOwner } from './internal.js';
import { ActiveLeakDetector, type LeakDetector, NoLeakDetector } from './leak-detector.js';
import { type PoolOptions, resolveOptions } from './options.js';
import { Reporter } from './reporting.js';
import { Retirement } from './retirement.js';
import { PoolState } from './state.js';
import { Supply } from './supply.js';
import type { Waiting } from './waiting.js';
import { AutoSizer, NoSizer, type Sizer } from '../sizing/auto-sizer.js';

/** @internal The parts a pool is made of (docs/architecture.md). */
export interface PoolParts<T> {
  state: PoolState<T>;
  events: Announcer<T>;
  report: Reporter<T>;
  leaks: LeakDetector<T>;
  retirement: Retirement<T>;
  creator: Creator<T>;
  waiting: Waiting<T>;
  checks: Checks<T>;
  supply: Supply<T>;
  deadlines: Deadlines<T>;
  /** What moves the effective limit: `autoSize`, or a null object. */
  sizer: Sizer;
  /** `factory.isBroken`, reported (and taken as broken) when it throws; null without one. */
  isBroken: ((error: unknown, resource: T) => boolean) | null;
}

/** What only the pool itself can do for its parts. */
export interface PoolHooks<T> {
  /** Takes back the slot of a lease lost without release, destroying it (leak detection). */
  reclaim(slot: Slot<T>, gen: number, detail: PoolError): void;
  /** Something in flight ended (a create, check or destroy): `close()` may be waiting for it. */
  ended(): void;
}

/**
 * @internal Validates `options` and makes the parts of `pool`, each given the others it
 * calls. The supply, made last, makes the waiting queue and the checks, which call back
 * into it on the hot path; the parts made before it call it back through a function.
 */
export function assemble<T>(
  pool: PoolEmitter<T> & LeaseOwner<T>,
  options: PoolOptions<T>,
  hooks: PoolHooks<T>,
): PoolParts<T> {
  const o = resolveOptions(options);
  const state = new PoolState<T>(o);
  const events = announcer(pool);
  const ended = (): void => hooks.ended();
  let supply!: Supply<T>;
  const dispatch = (now?: number): void => supply.dispatch(now);
  let creator!: Creator<T>;
  const counts = (): PoolCounts => countsOf(state, creator);
  const report = new Reporter<T>({ name: o.name, clock: o.clock, counters: state.counters, events, counts });
  const leaks =
    o.leakDetectionMs > 0
      ? new ActiveLeakDetector<T>({
          name: o.name,
          thresholdMs: o.leakDetectionMs,
          clock: o.clock,
          report: (r, first) => report.leak(r, first),
          reclaim: (s, gen) =>
            hooks.reclaim(s, gen, new PoolError('lease was garbage-collected without release', ErrorCode.leak)),
        })
      : new NoLeakDetector<T>();
  const retirement = new Retirement<T>({ state, leaks, report, events, dispatch, ended });
  creator = new Creator<T>({
    factory: o.factory,
    clock: o.clock,
    name: o.name,
    timeoutMs: o.createTimeoutMs,
    retry: o.createRetry,
    random: o.random,
    host: {
      created: (resource, startedAt) => supply.created(resource, startedAt),
      failed: (error) => supply.createFailed(error, o.clock.now()),
      stray: (resource) => retirement.destroyStray(resource),
      retry: () => supply.dispatch(),
      // A create or retry for `min` alone (nobody waiting) must not keep an idle process alive.
      keepAlive: () => state.waiters.length > 0 || !o.allowExitOnIdle,
      errorOptions: () => report.errorOptions(),
    },
  });
  const deadlines = new Deadlines<T>({
    state,
    retirement,
    events,
    validate: (s, keepalive) => supply.checks.validate(s, keepalive),
    dispatch,
  });
  supply = new Supply<T>({ state, owner: pool, retirement, deadlines, creator, leaks, report, events, ended });
  const { waiting, checks } = supply;
  const sizer: Sizer =
    o.autoSize === false
      ? NoSizer
      : new AutoSizer<T>({ state, setLimit: (n) => supply.setLimit(n), resized: (i) => events.resized(i) }, o.autoSize);
  const isBroken = o.factory.isBroken;
  return {
    state,
    events,
    report,
    leaks,
    retirement,
    creator,
    waiting,
    checks,
    supply,
    deadlines,
    sizer,
    isBroken:
      isBroken === undefined
        ? null
        : (error, resource) => {
            try {
              return isBroken.call(o.factory, error, resource) === true;
            } catch (e) {
              report.failure(e, 'use', resource);
              return true;
            }
          },
  };
}

/** A pool's counts now, as errors carry them and stats show them. */
export function countsOf<T>(state: PoolState<T>, creator: Creator<T>): PoolCounts {
  const creating = creator.creating;
  return {
    size: state.live + creating,
    idle: state.idle.length,
    borrowed: state.leasesOut,
    pending: state.waiters.length,
    creating,
    max: state.options.max,
  };
}
