import { SlotList, type Slot } from './slot.js';

/**
 * Idle resources. `lifo` hands out the most recently returned one (keeps a small hot
 * set and lets the rest reach their idle timeout); `fifo` spreads use evenly.
 */
export class IdleList<T> {
  readonly #list = new SlotList<T>();
  readonly #lifo: boolean;

  constructor(order: 'lifo' | 'fifo') {
    this.#lifo = order === 'lifo';
  }

  get length(): number {
    return this.#list.length;
  }

  /** Returns a slot to the idle set (at the recent end). */
  push(s: Slot<T>): void {
    this.#list.push(s);
  }

  /** The next slot to hand out, or null. */
  take(): Slot<T> | null {
    return this.#list.take(this.#lifo);
  }

  /** Removes a specific slot (eviction, reaping). */
  remove(s: Slot<T>): void {
    this.#list.remove(s);
  }

  /** Snapshot, least recently returned first. */
  toArray(): Slot<T>[] {
    return this.#list.toArray();
  }
}
