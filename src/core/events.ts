import { EventEmitter } from 'node:events';
import {
  publishCreate,
  publishDestroy,
  publishLeak,
  publishRelease,
  publishTimeout,
  type PoolRef,
} from '../stats/diagnostics.js';
import type { AcquireTimeoutError, PoolError } from './errors.js';
import type { LeakReport } from './leak-detector.js';
import type { ResizeInfo } from '../sizing/resize.js';

/** Events a pool emits, with their arguments. */
export interface PoolEvents<T> {
  /** A resource was created. */
  create: [resource: T];
  /** A resource was destroyed; `reason` is a string like `'max lifetime reached'` or the error that broke it. */
  destroy: [resource: T, reason: unknown];
  /** A resource was lent out. */
  acquire: [resource: T];
  /** A lease came back (released or destroyed). */
  release: [resource: T];
  /** An acquire timed out waiting. */
  timeout: [error: AcquireTimeoutError];
  /** A lease was held too long, came back late, or was lost. */
  leak: [report: LeakReport];
  /** A create, validate, reset or destroy failed (only emitted while someone listens; never thrown). */
  error: [error: PoolError, resource?: T];
  /** The process was frozen (see option `thawAfterMs`): idle resources are checked before they are lent again. */
  thaw: [info: ThawInfo];
  /** `autoSize` moved the effective limit (`stats().limit`). */
  resize: [info: ResizeInfo];
}

/** What the `thaw` event says. */
export interface ThawInfo {
  /** How long the process was away (frozen), as far as the pool can tell, ms. */
  awayMs: number;
}

let announcerOf: <T>(emitter: PoolEmitter<T>) => Announcer<T>;

/**
 * The event side of a pool: an EventEmitter whose parts announce through an
 * {@link Announcer} (see {@link announcer}).
 */
export abstract class PoolEmitter<T> extends EventEmitter<PoolEvents<T>> {
  readonly #announcer: Announcer<T>;

  constructor() {
    super({ captureRejections: false });
    this.#announcer = new Announcer<T>(this);
    this.#track();
  }

  /** The pool's name, as diagnostics messages show it. */
  abstract get name(): string;

  /** Removes listeners like EventEmitter's, keeping the pool's own listener tracking in place. */
  override removeAllListeners(...args: Parameters<EventEmitter<PoolEvents<T>>['removeAllListeners']>): this {
    super.removeAllListeners(...args);
    const self = this as EventEmitter;
    if (self.listenerCount('newListener') === 0 || self.listenerCount('removeListener') === 0) {
      const base = EventEmitter.prototype.removeAllListeners;
      base.call(this, 'newListener');
      base.call(this, 'removeListener');
      this.#track();
    }
    this.#announcer.hearsAcquire = self.listenerCount('acquire') > 0;
    this.#announcer.hearsRelease = self.listenerCount('release') > 0;
    return this;
  }

  #track(): void {
    const self = this as EventEmitter;
    self.on('newListener', (event: string | symbol) => this.#changed(event, true));
    self.on('removeListener', (event: string | symbol) => this.#changed(event, false));
  }

  /** `newListener` fires before the listener is added, `removeListener` after it is removed. */
  #changed(event: string | symbol, added: boolean): void {
    const self = this as EventEmitter;
    if (event === 'acquire') this.#announcer.hearsAcquire = added || self.listenerCount('acquire') > 0;
    else if (event === 'release') this.#announcer.hearsRelease = added || self.listenerCount('release') > 0;
  }

  static {
    announcerOf = (emitter) => emitter.#announcer;
  }
}

/** @internal The {@link Announcer} of a pool's events, for the parts of the pool. */
export function announcer<T>(emitter: PoolEmitter<T>): Announcer<T> {
  return announcerOf(emitter);
}

/**
 * @internal How the parts of a pool tell the world about a moment of a resource's life: the
 * pool's event first (only when someone listens), then its `diagnostics_channel` message
 * (only when someone subscribes). A listener that throws never leaves the pool half-way
 * through a change: its error is rethrown on the next tick, as from a timer. Whether anyone
 * listens to `acquire` / `release` is a field read, so the hot path pays nothing more when
 * nobody does.
 */
export class Announcer<T> {
  /** True while an `acquire` listener is attached. */
  hearsAcquire = false;
  /** True while a `release` listener is attached. */
  hearsRelease = false;
  readonly #pool: PoolEmitter<T> & PoolRef;

  constructor(pool: PoolEmitter<T>) {
    this.#pool = pool;
  }

  /** True while anyone listens to `event`. */
  listens(event: keyof PoolEvents<T>): boolean {
    return this.#pool.listenerCount(event) > 0;
  }

  created(resource: T, durationMs: number): void {
    this.#emit('create', resource);
    publishCreate(this.#pool, resource, durationMs);
  }

  destroyed(resource: T, reason: unknown): void {
    this.#emit('destroy', resource, reason);
    publishDestroy(this.#pool, resource, reason);
  }

  /** A lease went out; call only while {@link hearsAcquire}. */
  acquired(resource: T): void {
    this.#emit('acquire', resource);
  }

  released(resource: T, heldMs: number): void {
    if (this.hearsRelease) this.#emit('release', resource);
    publishRelease(this.#pool, resource, heldMs);
  }

  timedOut(error: AcquireTimeoutError): void {
    this.#emit('timeout', error);
    publishTimeout(this.#pool, error);
  }

  leaked(report: LeakReport): void {
    this.#emit('leak', report);
    publishLeak(this.#pool, report);
  }

  failed(error: PoolError, resource?: T): void {
    this.#emit('error', error, resource);
  }

  thawed(awayMs: number): void {
    this.#emit('thaw', { awayMs });
  }

  resized(info: ResizeInfo): void {
    this.#emit('resize', info);
  }

  #emit<K extends keyof PoolEvents<T>>(event: K, ...args: PoolEvents<T>[K]): void {
    const emitter = this.#pool as EventEmitter;
    if (emitter.listenerCount(event as string) === 0) return;
    try {
      emitter.emit(event as string, ...args);
    } catch (e) {
      process.nextTick(() => {
        throw e;
      });
    }
  }
}
