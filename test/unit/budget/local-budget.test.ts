import { describe, expect, it } from 'vitest';
import { BudgetError, localBudget, PoolOptionsError } from '../../../src/index.js';
import { Arbiter, type PermitSource } from '../../../src/budget/arbiter.js';
import { FakeMember } from '../../support/budget-member.js';
import { ManualClock, flush } from '../../support/manual-clock.js';
import { watch } from '../helpers.js';

describe('localBudget', () => {
  it('takes permits synchronously while some are free, and not beyond max', () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 3, name: 'db' });
    const a = new FakeMember('a', budget, clock);
    const b = new FakeMember('b', budget, clock);
    expect(a.createNow()).toBe(true);
    expect(a.createNow()).toBe(true);
    expect(b.createNow()).toBe(true);
    expect(b.createNow()).toBe(false);
    expect(a.createNow()).toBe(false);
    expect(budget.stats()).toEqual({ name: 'db', max: 3, held: 3, fleetHeld: 3, waiting: 0 });
    expect(a.account.stats()).toEqual({ name: 'db', max: 3, held: 2, fleetHeld: 3, waiting: 0 });
    a.account.give();
    expect(b.createNow()).toBe(true);
    expect(b.account.held).toBe(2);
  });

  it('serves waiting takes first come, first served across pools', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 2 });
    const a = new FakeMember('a', budget, clock);
    const b = new FakeMember('b', budget, clock);
    const c = new FakeMember('c', budget, clock);
    a.createNow();
    a.createNow();
    a.borrowed = 2;
    a.idle = 0;
    c.waiters = 1;
    b.waiters = 1;
    const order: string[] = [];
    const tc = c.createFor().then(() => order.push('c'));
    const tb = b.createFor().then(() => order.push('b'));
    await flush();
    expect(order).toEqual([]);
    // A free permit while others wait is not taken synchronously: nobody jumps the line.
    a.account.give();
    expect(a.createNow()).toBe(false);
    await flush();
    expect(order).toEqual(['c']);
    a.account.give();
    await Promise.all([tc, tb]);
    expect(order).toEqual(['c', 'b']);
    expect(budget.stats().waiting).toBe(0);
  });

  it('rejects an aborted take with the signal reason; the next take gets the permit', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1 });
    const a = new FakeMember('a', budget, clock);
    const b = new FakeMember('b', budget, clock);
    a.createNow();
    const ac = new AbortController();
    const first = watch(b.account.take(ac.signal));
    const second = watch(b.account.take(new AbortController().signal));
    expect(b.account.stats().waiting).toBe(2);
    const reason = new Error('gave up');
    ac.abort(reason);
    await flush();
    expect(first.state).toBe('rejected');
    expect(first.error).toBe(reason);
    a.account.give();
    await flush();
    expect(second.state).toBe('fulfilled');
    expect(b.account.held).toBe(1);
    // An already aborted signal rejects at once, taking nothing.
    const done = AbortSignal.abort(reason);
    await expect(a.account.take(done)).rejects.toBe(reason);
    expect(a.account.held).toBe(0);
  });

  it('closes idle resources above min of other pools for a pool that waits; the permit comes when the destroy settles', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 4 });
    const a = new FakeMember('a', budget, clock, 1, 20);
    const b = new FakeMember('b', budget, clock);
    for (let i = 0; i < 4; i++) a.createNow();
    b.waiters = 1;
    const t = watch(b.createFor());
    await flush();
    expect(a.asked.length).toBeGreaterThan(0);
    expect(a.idle).toBe(3);
    expect(a.closing).toBe(1);
    // The permit is still held while the destroy runs: the cap counts closing resources.
    await clock.advance(19);
    expect(t.state).toBe('pending');
    await clock.advance(1);
    expect(t.state).toBe('fulfilled');
    expect(a.account.held).toBe(3);
    expect(b.account.held).toBe(1);
  });

  it('never closes idle resources at or below min, nor for a take that only refills min', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 3 });
    const a = new FakeMember('a', budget, clock, 2);
    const b = new FakeMember('b', budget, clock);
    a.createNow();
    a.createNow();
    b.createNow();
    b.idle = 0;
    b.borrowed = 1;
    b.waiters = 1;
    const t = watch(b.createFor());
    await clock.advance(100);
    expect(a.asked.length).toBeGreaterThan(0);
    expect(a.idle).toBe(2);
    expect(a.closing).toBe(0);
    expect(a.account.cap).toBe(Infinity);
    expect(t.state).toBe('pending');
    const c = new FakeMember('c', budget, clock);
    c.waiters = 0; // a refill: no acquire waits for it
    const refill = watch(c.createFor());
    a.account.give(); // (as if a's resource died) the oldest take gets it
    a.idle--;
    await flush();
    expect(t.state).toBe('fulfilled');
    expect(refill.state).toBe('pending');
  });

  it('makes the pool holding the most give one back at its next release for a pool that holds none', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 3 });
    const a = new FakeMember('a', budget, clock);
    const b = new FakeMember('b', budget, clock);
    for (let i = 0; i < 3; i++) a.createNow();
    a.idle = 0;
    a.borrowed = 3;
    b.waiters = 1;
    const t = watch(b.createFor());
    await flush();
    expect(a.account.cap).toBe(2);
    expect(a.capChanges).toBe(1);
    a.release(); // above its cap: closed instead of kept
    expect(a.closing).toBe(1);
    await clock.advance(5);
    expect(t.state).toBe('fulfilled');
    expect(a.account.cap).toBe(Infinity);
    expect(a.account.held).toBe(2);
  });

  it('forgives what a pool owes once the take it owed for gives up', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 2 });
    const a = new FakeMember('a', budget, clock);
    const b = new FakeMember('b', budget, clock);
    a.createNow();
    a.createNow();
    a.idle = 0;
    a.borrowed = 2;
    b.waiters = 1;
    const ac = new AbortController();
    const t = watch(b.account.take(ac.signal));
    await flush();
    expect(a.account.cap).toBe(1);
    b.waiters = 0;
    ac.abort(new Error('timeout'));
    await flush();
    expect(t.state).toBe('rejected');
    expect(a.account.cap).toBe(Infinity);
  });

  it('rejects the waiting takes of a pool that leaves, and every take once closed', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1, name: 'b1' });
    const a = new FakeMember('a', budget, clock);
    const b = new FakeMember('b', budget, clock);
    a.createNow();
    const t = watch(b.account.take(new AbortController().signal));
    b.account.leave();
    await flush();
    expect(t.state).toBe('rejected');
    expect(t.error).toBeInstanceOf(BudgetError);
    expect((t.error as BudgetError).code).toBe('ERR_BUDGET_CLOSED');
    expect((t.error as BudgetError).message).toContain('pool "b" left budget "b1"');
    const c = new FakeMember('c', budget, clock);
    const u = watch(c.account.take(new AbortController().signal));
    await budget.close();
    await flush();
    expect(u.state).toBe('rejected');
    expect((u.error as BudgetError).message).toBe('budget "b1" is closed');
    await expect(a.account.take(new AbortController().signal)).rejects.toThrow('is closed');
    expect(a.account.tryTake()).toBe(false);
  });

  it('ignores a give without a take: the cap never grows', () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1 });
    const a = new FakeMember('a', budget, clock);
    a.account.give();
    expect(a.createNow()).toBe(true);
    expect(a.createNow()).toBe(false);
  });

  it('validates its options', () => {
    expect(() => localBudget({ max: -1 })).toThrow(new PoolOptionsError('max: expected a positive integer, got -1'));
    expect(() => localBudget({ max: 1.5 })).toThrow('max: expected a positive integer, got 1.5');
    expect(() => localBudget({ max: 2, name: '' })).toThrow('name: expected a non-empty string, got ""');
    expect(() => localBudget({ max: 2, size: 3 } as never)).toThrow(
      'localBudget options: unknown option "size" (known: max, name)',
    );
    expect(() => localBudget(null as never)).toThrow(
      'localBudget options: expected an object { max, name? }, got null',
    );
  });
});

describe('Arbiter limit', () => {
  class Source implements PermitSource {
    wanted = 0;
    want(n: number): void {
      this.wanted = n;
    }
    returned(): boolean {
      return true;
    }
    spare(): boolean {
      return true;
    }
    fleetHeld(): number {
      return 0;
    }
    health(): string | null {
      return null;
    }
    thaw(): Promise<void> {
      return Promise.resolve();
    }
  }

  it('sheds down to a lower limit from the pools holding the most, and stops creates meanwhile', async () => {
    const clock = new ManualClock();
    const arbiter = new Arbiter('f', 10, new Source(), 10, false);
    const budget = { name: 'f', max: 10, join: (m: never) => arbiter.join(m) } as never;
    const a = new FakeMember('a', budget, clock);
    const b = new FakeMember('b', budget, clock);
    for (let i = 0; i < 5; i++) a.createNow();
    for (let i = 0; i < 2; i++) b.createNow();
    a.borrowed = 3;
    a.idle = 2;
    arbiter.setLimit(4);
    // a holds the most: it sheds 3 (its 2 idle at once, 1 borrowed at release), b keeps its 2.
    expect(a.account.cap).toBe(2);
    expect(b.account.cap).toBe(Infinity);
    expect(a.closing).toBe(2);
    expect(a.createNow()).toBe(false);
    await clock.advance(5);
    expect(a.account.held).toBe(3);
    a.release();
    await clock.advance(5);
    expect(a.account.held).toBe(2);
    expect(arbiter.used).toBe(4);
    expect(a.account.cap).toBe(Infinity);
    expect(b.createNow()).toBe(false);
    arbiter.setLimit(Infinity);
    expect(b.createNow()).toBe(true);
  });

  it('a take that waited while its pool shed is served when the limit rises again', async () => {
    const clock = new ManualClock();
    const arbiter = new Arbiter('f', 2, new Source(), 2, false);
    const budget = { name: 'f', max: 2, join: (m: never) => arbiter.join(m) } as never;
    const a = new FakeMember('a', budget, clock);
    a.createNow();
    a.borrowed = 1;
    arbiter.setLimit(0); // a sheds its one permit at release: its cap is 0
    a.waiters = 1;
    const take = watch(a.createFor());
    await flush();
    expect(take.state).toBe('pending');
    arbiter.setLimit(Infinity); // a's cap rises with it: the free permit goes to the take
    await flush();
    expect(take.state).toBe('fulfilled');
    expect(arbiter.used).toBe(2);
  });

  it('asks its source for the permits waiting takes lack, within the limit', async () => {
    const clock = new ManualClock();
    const source = new Source();
    const arbiter = new Arbiter('f', 10, source, 0, false);
    const budget = { name: 'f', max: 10, join: (m: never) => arbiter.join(m) } as never;
    const a = new FakeMember('a', budget, clock);
    a.waiters = 3;
    const takes = [watch(a.createFor()), watch(a.createFor()), watch(a.createFor())];
    expect(source.wanted).toBe(3);
    arbiter.setLimit(1);
    expect(source.wanted).toBe(1);
    arbiter.supply(1);
    await flush();
    expect(takes.map((t) => t.state)).toEqual(['fulfilled', 'pending', 'pending']);
    expect(source.wanted).toBe(0);
  });
});
