import { EventEmitter } from 'node:events';
import type { AcquireTimeoutError, PoolError } from './errors.js';
import type { LeakReport } from './leak-detector.js';

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
}

/**
 * The event side of a pool: an EventEmitter that keeps two promises. A throwing listener
 * never leaves the pool half-way through a state change (its error is rethrown on the
 * next tick, as from a timer), and whether anyone listens to `acquire` / `release` is a
 * field read, so the hot path pays nothing when nobody does.
 */
export class PoolEmitter<T> extends EventEmitter<PoolEvents<T>> {
  #acquire = false;
  #release = false;

  constructor() {
    super({ captureRejections: false });
    this.#track();
  }

  /** True while an `acquire` listener is attached. */
  protected get hearsAcquire(): boolean {
    return this.#acquire;
  }

  /** True while a `release` listener is attached. */
  protected get hearsRelease(): boolean {
    return this.#release;
  }

  /** Emits `event` if anyone listens, without letting a listener's throw escape. */
  protected emitSafe<K extends keyof PoolEvents<T>>(event: K, ...args: PoolEvents<T>[K]): void {
    const self = this as EventEmitter;
    if (self.listenerCount(event as string) === 0) return;
    try {
      self.emit(event as string, ...args);
    } catch (e) {
      process.nextTick(() => {
        throw e;
      });
    }
  }

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
    this.#acquire = self.listenerCount('acquire') > 0;
    this.#release = self.listenerCount('release') > 0;
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
    if (event === 'acquire') this.#acquire = added || self.listenerCount('acquire') > 0;
    else if (event === 'release') this.#release = added || self.listenerCount('release') > 0;
  }
}
