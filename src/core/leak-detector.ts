import { setTimerAtLeast, type Clock } from './util/clock.js';
import type { Slot } from './containers/slot.js';

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
  /**
   * Captures where an acquire that has to wait was called, so a later report shows the
   * caller and not whoever freed the resource. Null when detection is off.
   */
  origin(): Error | null;
  /** A slot was lent; `origin` is the waiting acquire's capture, or null to capture now. */
  borrowed(slot: Slot<T>, now: number, origin: Error | null): void;
  /** The lease of a slot just lent: when it is collected while still held, the slot is reclaimed. */
  leased(lease: object, slot: Slot<T>): void;
  /** A slot came back (or was destroyed while borrowed). */
  returned(slot: Slot<T>, now: number): void;
}

/** Leak detection off. */
export class NoLeakDetector<T> implements LeakDetector<T> {
  origin(): null {
    return null;
  }
  borrowed(): void {}
  leased(): void {}
  returned(): void {}
}

/** Called with each report; `first` is true for the first report of a lease's leak. */
export type LeakSink = (report: LeakReport, first: boolean) => void;

class Token {
  reported = false;
  timer: unknown = null;
  constructor(
    /** Captured at acquire; formatted only when reported. */
    readonly origin: Error,
    readonly since: number,
  ) {}

  get stack(): string {
    return (this.origin.stack ?? '').split('\n').slice(1).join('\n');
  }
}

/** What an {@link ActiveLeakDetector} is made of. */
export interface LeakDetectorOptions<T> {
  /** The pool's name, for reports. */
  name: string;
  /** `leakDetectionMs`. */
  thresholdMs: number;
  clock: Clock;
  report: LeakSink;
  /** Destroys a slot whose lease was collected while still borrowed. */
  reclaim: (slot: Slot<T>, gen: number) => void;
}

/** Leak detection on: one timer per borrowed lease, and a finalizer for lost leases. */
export class ActiveLeakDetector<T> implements LeakDetector<T> {
  readonly #registry: FinalizationRegistry<{ slot: Slot<T>; gen: number }>;
  readonly name: string;
  readonly thresholdMs: number;
  readonly clock: Clock;
  readonly report: LeakSink;
  readonly reclaim: (slot: Slot<T>, gen: number) => void;

  constructor(options: LeakDetectorOptions<T>) {
    this.name = options.name;
    this.thresholdMs = options.thresholdMs;
    this.clock = options.clock;
    this.report = options.report;
    this.reclaim = options.reclaim;
    this.#registry = new FinalizationRegistry(({ slot, gen }) => {
      const t = slot.leak as Token | null;
      if (slot.gen !== gen || t === null) return;
      // Detach first: reclaiming must not report the lease again as "returned".
      slot.leak = null;
      if (t.timer !== null) this.clock.clearTimer(t.timer);
      this.report({ pool: this.name, kind: 'lost', heldMs: this.clock.now() - t.since, stack: t.stack }, !t.reported);
      this.reclaim(slot, gen);
    });
  }

  origin(): Error {
    return new Error('lease acquired here');
  }

  borrowed(slot: Slot<T>, now: number, origin: Error | null): void {
    const t = new Token(origin ?? new Error('lease acquired here'), now);
    slot.leak = t;
    // At least the threshold by this clock, so a report never says a lease was held for less.
    setTimerAtLeast(
      this.clock,
      now,
      this.thresholdMs,
      false,
      (h) => (t.timer = h),
      (at) => {
        t.timer = null;
        if (slot.leak !== t) return;
        t.reported = true;
        this.report({ pool: this.name, kind: 'held', heldMs: at - t.since, stack: t.stack }, true);
      },
    );
  }

  leased(lease: object, slot: Slot<T>): void {
    // The held value must not reference the lease, or the lease could never be collected.
    this.#registry.register(lease, { slot, gen: slot.gen }, slot.leak as Token);
  }

  returned(slot: Slot<T>, now: number): void {
    const t = slot.leak as Token | null;
    if (t === null) return;
    slot.leak = null;
    if (t.timer !== null) this.clock.clearTimer(t.timer);
    this.#registry.unregister(t);
    if (t.reported) this.report({ pool: this.name, kind: 'returned', heldMs: now - t.since, stack: t.stack }, false);
  }
}
