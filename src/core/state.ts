import { Counters } from '../stats/counters.js';
import { RateWindow } from '../stats/rate-window.js';
import { DeadlineHeap } from './containers/deadline-heap.js';
import { IdleList } from './containers/idle-list.js';
import { SlotList } from './containers/slot.js';
import { WaiterQueue } from './containers/waiters.js';
import type { Factory } from './factory.js';
import type { ResolvedOptions } from './options.js';
import { CallerFrames } from './util/caller-frames.js';
import type { Clock } from './util/clock.js';
import { noPermits, type Permits } from './budget-link.js';

/**
 * @internal What the parts of one pool share: its options, its containers and the counts
 * every part reads. Each count has one writer, named on it; the containers are plain data
 * structures, and the policy that moves resources between them lives in the parts
 * (docs/architecture.md).
 */
export class PoolState<T> {
  readonly options: ResolvedOptions<T>;
  readonly factory: Factory<T>;
  readonly clock: Clock;
  readonly counters: Counters;
  /** Acquires, timeouts, creates and create errors over the health window (option `health.windowMs`). */
  readonly rates: RateWindow;
  /** Resources ready to lend. */
  readonly idle: IdleList<T>;
  /**
   * The slots of leases out, plus (for the length of a synchronous release) the one being
   * returned: a resource that goes straight to the next waiter stays linked, and only the
   * other ways out unlink it. Counts come from {@link leasesOut}.
   */
  readonly borrowed = new SlotList<T>();
  /** Acquires waiting, first come first served. */
  readonly waiters = new WaiterQueue<T>();
  /** Slots by their next idle deadline (idle timeout, lifetime, keepalive). Written by Deadlines; Retirement takes dead ones out. */
  readonly deadlines = new DeadlineHeap<T>();
  /** Resources alive: idle, borrowed, and being checked (not creating). Supply adds, Retirement takes away. */
  live = 0;
  /** Leases out: what stats call `borrowed`. Supply lends, the pool's release and Retirement take back. */
  leasesOut = 0;
  /** Resources out of the idle list being validated or reset. Written by Checks. */
  checking = 0;
  /** `close()` was called. Written by the pool. */
  closed = false;
  /**
   * The effective maximum: what creates are held to (live + creating + closing). `max`
   * unless lowered through `PoolInternals.setLimit`. Written by the pool.
   */
  limit: number;
  /**
   * The budget's permits: taken before each create, given back when a destroy settles
   * (`noPermits` without option `budget`). Set once by the assembly.
   */
  permits: Permits = noPermits;
  /** `validateAfterIdleMs`, with 0 ("always") as -1: idle time is never negative, so `> -1` always holds. */
  readonly validateAfterIdleMs: number;
  /** The factory has `validate` / `reset`: read on every acquire and release. */
  readonly hasValidate: boolean;
  readonly hasReset: boolean;
  /** How errors get their caller's async frames, within the pool's budget (see util/caller-frames.ts). Used by Waiting and `use()`. */
  readonly frames: CallerFrames;

  constructor(options: ResolvedOptions<T>) {
    this.options = options;
    this.factory = options.factory;
    this.clock = options.clock;
    this.counters = new Counters(options.clock.now());
    this.rates = new RateWindow(options.health.windowMs, options.clock.now());
    this.idle = new IdleList<T>(options.order);
    this.limit = options.max;
    this.validateAfterIdleMs = options.validateAfterIdleMs === 0 ? -1 : options.validateAfterIdleMs;
    this.hasValidate = typeof options.factory.validate === 'function';
    this.hasReset = typeof options.factory.reset === 'function';
    this.frames = new CallerFrames(() => options.clock.now());
  }
}
