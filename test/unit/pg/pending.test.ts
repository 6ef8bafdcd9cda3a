/**
 * PgPool's list of waiting checkouts: order, removal from anywhere, and which checkout a
 * failed connection attempt fails.
 */
import { describe, expect, it } from 'vitest';
import type { PoolInternals, QueuedAcquire } from '../../../src/core/internal.js';
import { PendingCheckout, PendingList } from '../../../src/adapters/pg/pending.js';

function checkout(ticket: number, target: PendingCheckout<string>['target'] = null): PendingCheckout<string> {
  const c = new PendingCheckout<string>(ticket);
  c.target = target;
  return c;
}

describe('PendingList', () => {
  it('appends, removes from anywhere, and moves a checkout pushed onto another list', () => {
    const a = new PendingList<string>();
    const b = new PendingList<string>();
    const [x, y, z] = [1, 2, 3].map((t) => checkout(t));
    a.push(x!);
    a.push(y!);
    a.push(z!);
    a.remove(y!);
    a.remove(y!); // not in it any more: nothing happens
    expect([a.head?.ticket, a.head?.next?.ticket, a.tail?.ticket]).toEqual([1, 3, 3]);
    b.push(x!); // leaves `a` first
    expect(a.head).toBe(z);
    expect(b.head).toBe(x);
    expect([y!.prev, y!.next, y!.list]).toEqual([null, null, null]);
    z!.leave();
    expect(a.head).toBe(null);
  });

  it('failOldest fails the oldest checkout that was waiting when the attempt started, passing over served ones', () => {
    const withdrawn: unknown[] = [];
    const served = new Set<unknown>(['w1']);
    const core = {
      withdraw: (w: unknown, reason: unknown) => {
        if (served.has(w)) return false;
        withdrawn.push([w, reason]);
        return true;
      },
    } as unknown as PoolInternals<string>;
    const list = new PendingList<string>();
    const ac = new AbortController();
    const entries = [
      checkout(1, 'w1' as unknown as QueuedAcquire<string>), // already served: passed over
      checkout(2, ac), // through the cluster: aborted with the error
      checkout(3, 'w3' as unknown as QueuedAcquire<string>),
      checkout(9, 'w9' as unknown as QueuedAcquire<string>), // came after the attempt
    ];
    for (const e of entries) list.push(e);
    const cause = new Error('refused');
    expect(list.failOldest(5, cause, core)).toBe(true);
    expect(ac.signal.reason).toBe(cause);
    expect(list.head?.ticket).toBe(3); // the served one and the failed one left the list
    expect(list.failOldest(5, cause, core)).toBe(true);
    expect(withdrawn).toEqual([['w3', cause]]);
    // only a checkout newer than the attempt is left: it gets its own attempt
    expect(list.failOldest(5, cause, core)).toBe(false);
    expect(list.head?.ticket).toBe(9);
  });
});
