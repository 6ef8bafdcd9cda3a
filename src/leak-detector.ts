import type { Clock } from './clock.js';
import type { Slot } from './slot.js';

/** What a leak report says. */
export interface LeakReport {
  /** Pool name. */
  pool: string;
  /** `held`: borrowed longer than `leakDetectionMs`; `returned`: a reported lease came back; `lost`: garbage-collected without release. */
  kind: 'held' | 'returned' | 'lost';
  /** How long the lease had been held, ms. */
  heldMs: number;
  /** Stack of the acquire that took the lease. */
  stack: string;
}

/** Watches borrowed slots. The disabled one is a null object: every call is a no-op. */
export interface LeakDetector<T> {
  borrowed(slot: Slot<T>, lease: object | null, now: number): void;
  returned(slot: Slot<T>, now: number): void;
}

/** Leak detection off. */
export class NoLeakDetector<T> implements LeakDetector<T> {
  borrowed(): void {}
  returned(): void {}
}

class Token {
  reported = false;
  timer: unknown = null;
  constructor(
    readonly stack: string,
    readonly since: number,
    readonly gen: number,
  ) {}
}

/** Leak detection on: one timer per borrowed lease, and a finalizer for lost leases. */
export class ActiveLeakDetector<T> implements LeakDetector<T> {
  readonly #registry: FinalizationRegistry<{ slot: Slot<T>; gen: number }>;

  constructor(
    readonly name: string,
    readonly thresholdMs: number,
    readonly clock: Clock,
    readonly report: (r: LeakReport) => void,
    /** Destroys a slot whose lease was collected while still borrowed. */
    readonly reclaim: (slot: Slot<T>, gen: number) => void,
  ) {
    this.#registry = new FinalizationRegistry(({ slot, gen }) => {
      const t = slot.leak as Token | null;
      if (slot.gen !== gen || t === null) return;
      this.report({ pool: this.name, kind: 'lost', heldMs: this.clock.now() - t.since, stack: t.stack });
      this.reclaim(slot, gen);
    });
  }

  borrowed(slot: Slot<T>, lease: object | null, now: number): void {
    const stack = (new Error('lease acquired here').stack ?? '').split('\n').slice(1).join('\n');
    const t = new Token(stack, now, slot.gen);
    slot.leak = t;
    t.timer = this.clock.setTimer(() => {
      t.timer = null;
      if (slot.leak !== t) return;
      t.reported = true;
      this.report({ pool: this.name, kind: 'held', heldMs: this.clock.now() - t.since, stack: t.stack });
    }, this.thresholdMs, false);
    // The held value must not reference the lease, or the lease could never be collected.
    if (lease !== null) this.#registry.register(lease, { slot, gen: slot.gen }, t);
  }

  returned(slot: Slot<T>, now: number): void {
    const t = slot.leak as Token | null;
    if (t === null) return;
    slot.leak = null;
    if (t.timer !== null) this.clock.clearTimer(t.timer);
    this.#registry.unregister(t);
    if (t.reported) this.report({ pool: this.name, kind: 'returned', heldMs: now - t.since, stack: t.stack });
  }
}
