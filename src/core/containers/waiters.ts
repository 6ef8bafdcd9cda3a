import type { Lease } from '../lease.js';
import { held } from '../util/held.js';

const noop = (): void => {};

/**
 * One pending acquire. It sits in the FIFO queue and, once queued timeouts differ, in the
 * deadline list of its timeout too, so timing out or aborting removes it in O(1).
 *
 * Only what every waiter needs is a field here: a waiter that lives until its timeout is
 * copied twice by the young-generation collector, so every byte counts in a timeout storm.
 * What only some waiters have lives in {@link WaiterExtra}.
 */
export class Waiter<T> {
  /** Set by the acquire's promise executor right after construction (see `Pool`'s #enqueue). */
  resolve: (lease: Lease<T>) => void = noop;
  reject: (error: unknown) => void = noop;
  prev: Waiter<T> | null = null;
  next: Waiter<T> | null = null;
  queued = false;
  /** The signal, leak origin and deadline-list links, when it has any; see {@link withExtra}. */
  extra: WaiterExtra<T> | null = null;

  /**
   * Its hidden class, held (see util/held.ts): built as a real waiter is, with a fractional
   * clock reading and the default whole-ms timeout, so that it shares their map.
   */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held only to keep the class's hidden class alive
  static readonly #held = held(new Waiter<unknown>(0.5, 30_000));

  constructor(
    readonly enqueuedAt: number,
    readonly timeoutMs: number,
  ) {}

  /**
   * When it times out (Infinity: never). Computed, not stored: a stored fractional time is
   * one more heap-allocated number per waiter.
   */
  get deadline(): number {
    return this.enqueuedAt + this.timeoutMs;
  }

  /** Where the acquire was called, when leak detection is on. */
  get origin(): Error | null {
    return this.extra === null ? null : this.extra.origin;
  }

  /** Its rarely needed parts, made on first use. */
  withExtra(): WaiterExtra<T> {
    return this.extra ?? (this.extra = new WaiterExtra<T>());
  }
}

/** The parts of a waiter that only some waiters have (most have none of them). */
export class WaiterExtra<T> {
  /** Its hidden class, held (see util/held.ts). */
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: held only to keep the class's hidden class alive
  static readonly #held = held(new WaiterExtra<unknown>());
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;
  /** Where the acquire was called, when leak detection is on. */
  origin: Error | null = null;
  /** The deadline list it is in (only while queued timeouts differ), and its neighbours there. */
  group: DeadlineList<T> | null = null;
  deadlinePrev: Waiter<T> | null = null;
  deadlineNext: Waiter<T> | null = null;
}

/**
 * Waiters sharing one timeout value. Enqueue times only grow, so their deadlines are
 * already sorted: the head always expires first, and no heap is needed.
 */
class DeadlineList<T> {
  head: Waiter<T> | null = null;
  tail: Waiter<T> | null = null;
  length = 0;
}

/** The queue of pending acquires: first come, first served. */
export class WaiterQueue<T> {
  #head: Waiter<T> | null = null;
  #tail: Waiter<T> | null = null;
  length = 0;
  readonly #groups = new Map<number, DeadlineList<T>>();
  /**
   * While every queued waiter has the same timeout (the usual case), the queue itself is in
   * deadline order and the deadline lists stay empty: `#uniformMs` is that timeout. A waiter
   * with another timeout moves the queue to the lists (`#grouped`) until it empties.
   */
  #grouped = false;
  #uniformMs = 0;

  /** Appends a waiter; its deadline (if finite) joins its timeout's deadline list once timeouts differ. */
  push(w: Waiter<T>): void {
    if (this.length === 0) {
      this.#grouped = false;
      this.#uniformMs = w.timeoutMs;
    } else if (!this.#grouped && w.timeoutMs !== this.#uniformMs) {
      this.#grouped = true;
      for (let q = this.#head; q !== null; q = q.next) this.#group(q);
    }
    w.prev = this.#tail;
    if (this.#tail === null) this.#head = w;
    else this.#tail.next = w;
    this.#tail = w;
    this.length++;
    w.queued = true;
    if (this.#grouped) this.#group(w);
  }

  /** Appends a waiter to its timeout's deadline list (none for Infinity). */
  #group(w: Waiter<T>): void {
    if (w.timeoutMs !== Infinity) {
      let g = this.#groups.get(w.timeoutMs);
      if (g === undefined) this.#groups.set(w.timeoutMs, (g = new DeadlineList<T>()));
      const x = w.withExtra();
      x.group = g;
      x.deadlinePrev = g.tail;
      if (g.tail === null) g.head = w;
      else g.tail.extra!.deadlineNext = w;
      g.tail = w;
      g.length++;
    }
  }

  /** The oldest waiter, still queued, or null. */
  peek(): Waiter<T> | null {
    return this.#head;
  }

  /** Removes and returns the oldest waiter. */
  shift(): Waiter<T> | null {
    const w = this.#head;
    if (w !== null) this.remove(w);
    return w;
  }

  /** Removes a queued waiter in O(1); a no-op if it already left. */
  remove(w: Waiter<T>): void {
    if (!w.queued) return;
    w.queued = false;
    if (w.prev === null) this.#head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.#tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = w.next = null;
    this.length--;
    const x = w.extra;
    if (x !== null && x.group !== null) {
      const g = x.group;
      if (x.deadlinePrev === null) g.head = x.deadlineNext;
      else x.deadlinePrev.extra!.deadlineNext = x.deadlineNext;
      if (x.deadlineNext === null) g.tail = x.deadlinePrev;
      else x.deadlineNext.extra!.deadlinePrev = x.deadlinePrev;
      x.deadlinePrev = x.deadlineNext = null;
      x.group = null;
      if (--g.length === 0) this.#groups.delete(w.timeoutMs);
    }
  }

  /** The earliest deadline of any queued waiter, or Infinity. */
  nextDeadline(): number {
    if (!this.#grouped) return this.#head === null ? Infinity : this.#head.deadline;
    let next = Infinity;
    for (const g of this.#groups.values()) {
      if (g.head !== null && g.head.deadline < next) next = g.head.deadline;
    }
    return next;
  }

  /** Removes and returns every waiter whose deadline is at or before `now`, oldest first. */
  takeExpired(now: number): Waiter<T>[] {
    const out: Waiter<T>[] = [];
    if (!this.#grouped) {
      while (this.#head !== null && this.#head.deadline <= now) {
        const w = this.#head;
        this.remove(w);
        out.push(w);
      }
      return out;
    }
    for (const g of [...this.#groups.values()]) {
      while (g.head !== null && g.head.deadline <= now) {
        const w = g.head;
        this.remove(w);
        out.push(w);
      }
    }
    return out;
  }

  /** Removes and returns every queued waiter, oldest first. */
  drain(): Waiter<T>[] {
    const out: Waiter<T>[] = [];
    for (let w = this.shift(); w !== null; w = this.shift()) out.push(w);
    return out;
  }
}
