/** Where a slot is in its life. */
export const enum SlotState {
  Idle = 0,
  Borrowed = 1,
  Checking = 2, // validating or resetting: out of the idle list, not yet handed out
  Dead = 3,
}

/**
 * The pool's record of one live resource. It is the node of whichever intrusive list
 * holds it (idle or borrowed), so moving it between lists allocates nothing.
 */
export class Slot<T> {
  state = SlotState.Checking;
  /** Bumped at every hand-out; a lease is valid only while its generation matches. */
  gen = 0;
  uses = 0;
  idleSince: number;
  /** When it was last known good (created, returned from use, validated). */
  lastGood: number;
  /** Set when the adapter reported the resource dead while it was not idle. */
  broken: unknown = undefined;
  borrowedAt = 0;
  prev: Slot<T> | null = null;
  next: Slot<T> | null = null;
  unwatch: (() => void) | null = null;
  /** Leak detector's token while borrowed. */
  leak: unknown = null;
  /**
   * Its place in the deadline heap, or -1 when it is not in it. It stays in the heap while
   * borrowed, with the key it had when it last went idle (see `Deadlines`).
   */
  heapIndex = -1;
  /** Its key in the deadline heap: no later than its next idle deadline. */
  deadline = Infinity;

  constructor(
    readonly resource: T,
    readonly createdAt: number,
    /** Retirement time (creation + lifetime minus jitter); Infinity = never. */
    readonly expiresAt: number,
  ) {
    this.idleSince = createdAt;
    this.lastGood = createdAt;
  }
}

/** An intrusive doubly linked list of slots: O(1) push, pop at either end and removal. */
export class SlotList<T> {
  head: Slot<T> | null = null;
  tail: Slot<T> | null = null;
  length = 0;

  /** Appends at the tail (most recent end). */
  push(s: Slot<T>): void {
    s.prev = this.tail;
    s.next = null;
    if (this.tail === null) this.head = s;
    else this.tail.next = s;
    this.tail = s;
    this.length++;
  }

  /** Takes the most recent (`lifo`) or the oldest (`fifo`) slot. */
  take(lifo: boolean): Slot<T> | null {
    const s = lifo ? this.tail : this.head;
    if (s !== null) this.remove(s);
    return s;
  }

  /** Removes a slot that is in this list. */
  remove(s: Slot<T>): void {
    if (s.prev === null) this.head = s.next;
    else s.prev.next = s.next;
    if (s.next === null) this.tail = s.prev;
    else s.next.prev = s.prev;
    s.prev = s.next = null;
    this.length--;
  }

  /** A snapshot, oldest first: safe to iterate while removing. */
  toArray(): Slot<T>[] {
    const out: Slot<T>[] = [];
    for (let s = this.head; s !== null; s = s.next) out.push(s);
    return out;
  }
}
