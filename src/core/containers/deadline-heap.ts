import type { Slot } from './slot.js';

/**
 * A binary min-heap of slots by `slot.deadline`, each slot knowing its place
 * (`slot.heapIndex`): the earliest is at hand in O(1), and adding, removing or re-keying
 * any slot costs O(log n).
 */
export class DeadlineHeap<T> {
  readonly #items: Slot<T>[] = [];

  get length(): number {
    return this.#items.length;
  }

  /** The slot with the earliest deadline, or null. */
  peek(): Slot<T> | null {
    return this.#items.length === 0 ? null : this.#items[0];
  }

  /** Adds a slot that is not in the heap, keyed by its `deadline`. */
  push(s: Slot<T>): void {
    s.heapIndex = this.#items.length;
    this.#items.push(s);
    this.#up(s.heapIndex);
  }

  /** Removes a slot that is in the heap. */
  remove(s: Slot<T>): void {
    const items = this.#items;
    const i = s.heapIndex;
    const last = items.pop()!;
    s.heapIndex = -1;
    if (last === s) return;
    items[i] = last;
    last.heapIndex = i;
    this.#down(i);
    this.#up(last.heapIndex);
  }

  /** Moves a slot to its place after its `deadline` changed. */
  update(s: Slot<T>): void {
    this.#up(s.heapIndex);
    this.#down(s.heapIndex);
  }

  /** Empties the heap. */
  clear(): void {
    for (const s of this.#items) s.heapIndex = -1;
    this.#items.length = 0;
  }

  #up(i: number): void {
    const items = this.#items;
    const s = items[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p.deadline <= s.deadline) break;
      items[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    items[i] = s;
    s.heapIndex = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const s = items[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1].deadline < items[child].deadline) child++;
      const c = items[child];
      if (c.deadline >= s.deadline) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = s;
    s.heapIndex = i;
  }
}
