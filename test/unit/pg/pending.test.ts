/**
 * PgPool's lists of waiting checkouts: the ring of the primary's core waiters and the
 * intrusive list of checkouts through the cluster.
 */
import { describe, expect, it } from 'vitest';
import { PendingCheckout, PendingList, WaitRing } from '../../../src/adapters/pg/pending.js';

function entries(ring: WaitRing<string>): [unknown, number][] {
  const out: [unknown, number][] = [];
  ring.forEach((w, t) => {
    out.push([w, t]);
    return true;
  });
  return out;
}

describe('WaitRing', () => {
  it('keeps entries oldest first, skips removed ones, and stops when the visitor says so', () => {
    const ring = new WaitRing<string>();
    const ids = ['a', 'b', 'c', 'd'].map((w, i) => ring.push(w, i + 1));
    ring.remove(ids[1]!);
    expect(entries(ring)).toEqual([
      ['a', 1],
      ['c', 3],
      ['d', 4],
    ]);
    const seen: unknown[] = [];
    ring.forEach((w) => {
      seen.push(w);
      return w !== 'c';
    });
    expect(seen).toEqual(['a', 'c']);
  });

  it('removing twice, or an entry never added (-1), changes nothing', () => {
    const ring = new WaitRing<string>();
    const a = ring.push('a', 1);
    ring.push('b', 2);
    ring.remove(a);
    ring.remove(a);
    ring.remove(-1);
    ring.remove(99);
    expect(entries(ring)).toEqual([['b', 2]]);
  });

  it('grows past its first size and wraps around, in order', () => {
    const ring = new WaitRing<string>();
    const live: number[] = [];
    let n = 0;
    // Wrap the 64-slot ring a few times, then grow it with 200 waiting at once.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50; i++) live.push(ring.push(`w${++n}`, n));
      while (live.length > 10) ring.remove(live.shift()!);
    }
    for (let i = 0; i < 200; i++) live.push(ring.push(`w${++n}`, n));
    ring.remove(live.splice(5, 1)[0]!); // a hole in the middle
    const got = entries(ring);
    expect(got).toHaveLength(209);
    expect(got.map(([, t]) => t)).toEqual([...got.map(([, t]) => t)].sort((x, y) => x - y));
    expect(got[0]).toEqual(['w241', 241]);
    expect(got.at(-1)).toEqual([`w${n}`, n]);
    for (const id of live) ring.remove(id);
    expect(entries(ring)).toEqual([]);
    ring.push('again', 1);
    expect(entries(ring)).toEqual([['again', 1]]);
  });
});

describe('PendingList', () => {
  it('appends, removes from anywhere, and moves a checkout pushed onto another list', () => {
    const a = new PendingList();
    const b = new PendingList();
    const [x, y, z] = [1, 2, 3].map((t) => new PendingCheckout(t, new AbortController()));
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
  });
});
