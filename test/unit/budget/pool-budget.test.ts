/**
 * Option `budget` on the core Pool, on a manual clock: a permit before each create, given
 * back when the destroy settles (or `destroyTimeoutMs` passes), give-back of idle resources
 * above `min` for a waiting sibling pool, `stats().budget`, leave on close, the thaw
 * re-check, and the option's validation.
 */
import { describe, expect, it } from 'vitest';
import type { Budget, BudgetAccount, BudgetMember } from '../../../src/budget/budget.js';
import { localBudget, Pool, PoolOptionsError } from '../../../src/index.js';
import { poolInternals } from '../../../src/core/pool.js';
import { FakeMember } from '../../support/budget-member.js';
import { ManualClock, flush } from '../../support/manual-clock.js';
import { type Res, TestFactory } from '../../support/test-factory.js';
import { watch } from '../helpers.js';

/** TestFactory whose destroy settles `ms` later on the clock (`Infinity`: never). */
function factory(clock: ManualClock, destroyMs = 0): TestFactory {
  const f = new TestFactory({ clock });
  if (destroyMs === Infinity) f.defaults.destroy = () => new Promise<void>(() => {});
  else if (destroyMs > 0) f.defaults.destroy = () => new Promise<void>((r) => clock.setTimer(r, destroyMs, true));
  return f;
}

/** A budget that records what its one pool does with it, over a local budget. */
function spy(inner: Budget): { budget: Budget; calls: string[]; member: () => BudgetMember } {
  const calls: string[] = [];
  let joined: BudgetMember | null = null;
  const budget: Budget = {
    name: inner.name,
    max: inner.max,
    stats: () => inner.stats(),
    close: () => inner.close(),
    join(member) {
      joined = member;
      const a = inner.join(member);
      const account: BudgetAccount = {
        get cap() {
          return a.cap;
        },
        get held() {
          return a.held;
        },
        tryTake: () => (calls.push('tryTake'), a.tryTake()),
        take: (signal) => (calls.push('take'), a.take(signal)),
        give: () => (calls.push('give'), a.give()),
        stats: () => a.stats(),
        health: () => a.health(),
        thaw: () => (calls.push('thaw'), a.thaw()),
        leave: () => (calls.push('leave'), a.leave()),
      };
      return account;
    },
  };
  return { budget, calls, member: () => joined! };
}

describe('option budget', () => {
  it('takes a permit before each create; acquire and release never call the budget', async () => {
    const clock = new ManualClock();
    const s = spy(localBudget({ max: 5, name: 'db' }));
    const f = factory(clock);
    const pool = new Pool<Res>({ name: 'p', max: 5, clock, factory: f, budget: s.budget });
    const lease = await pool.acquire();
    expect(s.calls).toEqual(['tryTake']);
    expect(f.created).toHaveLength(1);
    lease.release();
    for (let i = 0; i < 10; i++) (await pool.acquire()).release();
    await pool.use(async () => {});
    expect(s.calls).toEqual(['tryTake']);
    expect(pool.stats().budget).toEqual({ name: 'db', max: 5, held: 1, fleetHeld: 1, waiting: 0 });
  });

  it('waits for a permit before calling factory.create(); the wait is not a create timeout', async () => {
    const clock = new ManualClock();
    const inner = localBudget({ max: 1 });
    const other = new FakeMember('other', inner, clock);
    await other.createFor(); // borrowed: nothing idle to give back
    const f = factory(clock);
    const { budget, calls } = spy(inner);
    const pool = new Pool<Res>({ name: 'p', max: 5, clock, factory: f, budget, createTimeoutMs: 100 });
    const w = watch(pool.acquire({ timeoutMs: 1_000 }));
    await clock.advance(500);
    expect(f.created).toHaveLength(0);
    expect(w.state).toBe('pending');
    expect(pool.stats()).toMatchObject({ creating: 1, createErrors: 0, budget: { held: 0, waiting: 1 } });
    // The other pool's resource is destroyed: the permit comes, and the create runs.
    other.borrowed = 0;
    other.account.give();
    await clock.advance(0);
    await flush();
    expect(w.state).toBe('fulfilled');
    expect(pool.stats().budget).toMatchObject({ held: 1, waiting: 0 });
    // The permit that came was used, not given back and asked for again.
    expect(calls).toEqual(['tryTake', 'take']);
    expect(f.created).toHaveLength(1);
  });

  it('a waiter for a permit still times out at acquireTimeoutMs, and aborts; a permit that comes later is given back', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1 });
    const other = new FakeMember('other', budget, clock);
    await other.createFor();
    const f = factory(clock);
    const pool = new Pool<Res>({ name: 'p', max: 5, clock, factory: f, budget });
    const timedOut = watch(pool.acquire({ timeoutMs: 200 }));
    const ac = new AbortController();
    const aborted = watch(pool.acquire({ signal: ac.signal }));
    await clock.advance(100);
    ac.abort(new Error('gave up'));
    await flush();
    expect(aborted.state).toBe('rejected');
    await clock.advance(100);
    expect(timedOut.state).toBe('rejected');
    expect((timedOut.error as { code: string }).code).toBe('ERR_POOL_ACQUIRE_TIMEOUT');
    other.borrowed = 0;
    other.account.give();
    await flush();
    // Nobody waits any more: the permit went back without a create.
    expect(f.created).toHaveLength(0);
    expect(pool.stats().budget).toMatchObject({ held: 0, waiting: 0 });
    expect(budget.stats().held).toBe(0);
  });

  it('gives a permit back only when the destroy settles', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1 });
    const pool = new Pool<Res>({ name: 'p', max: 1, clock, factory: factory(clock, 50), budget });
    const sibling = new Pool<Res>({ name: 's', max: 1, clock, factory: factory(clock), budget });
    const lease = await pool.acquire();
    const w = watch(sibling.acquire({ timeoutMs: 1_000 }));
    await flush();
    lease.destroy(new Error('broken'));
    await clock.advance(49);
    expect(pool.stats()).toMatchObject({ closing: 1, budget: { held: 1 } });
    expect(w.state).toBe('pending');
    await clock.advance(1);
    await flush();
    expect(pool.stats().budget?.held).toBe(0);
    expect(w.state).toBe('fulfilled');
  });

  it('gives a permit back after destroyTimeoutMs when the destroy never settles', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1 });
    const pool = new Pool<Res>({
      name: 'p',
      max: 1,
      clock,
      factory: factory(clock, Infinity),
      budget,
      destroyTimeoutMs: 300,
    });
    pool.on('error', () => {});
    const lease = await pool.acquire();
    lease.destroy(new Error('broken'));
    await clock.advance(299);
    expect(budget.stats().held).toBe(1);
    await clock.advance(1);
    expect(budget.stats().held).toBe(0);
    expect(pool.stats().closing).toBe(0);
  });

  it('gives the permit back when a create fails', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1 });
    const f = factory(clock);
    f.next('create', 'reject');
    const pool = new Pool<Res>({ name: 'p', max: 1, clock, factory: f, budget });
    pool.on('error', () => {});
    const w = watch(pool.acquire({ timeoutMs: 5_000 }));
    await flush();
    expect(pool.stats().createErrors).toBe(1);
    expect(budget.stats().held).toBe(0);
    await clock.advance(1_000); // past the backoff
    expect(w.state).toBe('fulfilled');
    expect(budget.stats().held).toBe(1);
  });

  it('keeps the permit of a create that outlives createTimeoutMs until the late resource is destroyed', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 1 });
    const f = new TestFactory({ clock, delayMs: { create: 100 } });
    f.defaults.destroy = () => new Promise<void>((r) => clock.setTimer(r, 20, true));
    const pool = new Pool<Res>({ name: 'p', max: 1, clock, factory: f, budget, createTimeoutMs: 30 });
    pool.on('error', () => {});
    const t = watch(pool.acquire({ timeoutMs: 50 }));
    await clock.advance(31);
    // The create timed out, but factory.create() still runs: its permit stays taken.
    expect(budget.stats().held).toBe(1);
    await clock.advance(69);
    // The late resource arrived and is being destroyed.
    expect(budget.stats().held).toBe(1);
    await clock.advance(20);
    expect(budget.stats().held).toBe(0);
    expect(t.state).toBe('rejected');
    await pool.close();
  });

  it('closes idle resources above min of a sibling pool for a pool that waits (reason shrink)', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 4 });
    const a = new Pool<Res>({ name: 'a', min: 1, max: 4, clock, factory: factory(clock, 10), budget });
    const b = new Pool<Res>({ name: 'b', max: 4, clock, factory: factory(clock), budget });
    const leases = await Promise.all([a.acquire(), a.acquire(), a.acquire(), a.acquire()]);
    for (const l of leases) l.release();
    expect(a.stats()).toMatchObject({ idle: 4, budget: { held: 4 } });
    const got = [watch(b.acquire({ timeoutMs: 1_000 })), watch(b.acquire({ timeoutMs: 1_000 }))];
    await flush();
    // Two closes started at once; the permits come back as they settle.
    expect(a.stats()).toMatchObject({ idle: 2, closing: 2 });
    expect(a.stats().destroyedBy.shrink).toBe(2);
    await clock.advance(10);
    await flush();
    expect(got.map((g) => g.state)).toEqual(['fulfilled', 'fulfilled']);
    const more = [watch(b.acquire({ timeoutMs: 100 })), watch(b.acquire({ timeoutMs: 100 }))];
    await clock.advance(10);
    await flush();
    // a keeps its min: one more goes, the last waiter times out.
    expect(a.stats().idle).toBe(1);
    expect(more[0].state).toBe('fulfilled');
    await clock.advance(100);
    expect(more[1].state).toBe('rejected');
    expect(budget.stats().held).toBe(4);
  });

  it('keeps the limit an auto-sizer sets (PoolInternals.setLimit) within what the budget grants', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 4 });
    const a = new Pool<Res>({ name: 'a', max: 6, clock, factory: factory(clock), budget });
    const b = new Pool<Res>({ name: 'b', max: 6, clock, factory: factory(clock), budget });
    const held = await Promise.all([a.acquire(), a.acquire(), a.acquire(), a.acquire()]);
    // b holds nothing and waits: a owes it one, so a may hold 3 now.
    const w = watch(b.acquire({ timeoutMs: 1_000 }));
    await flush();
    expect(a.stats().limit).toBe(3);
    poolInternals(a).setLimit(6);
    expect(a.stats().limit).toBe(3);
    held[0].release(); // above the cap: closed, its permit goes to b
    await flush();
    expect(w.state).toBe('fulfilled');
    expect(a.stats().destroyedBy.shrink).toBe(1);
    // Nothing owed any more: the limit set is in force again, within the budget's max.
    expect(a.stats().limit).toBe(4);
    poolInternals(a).setLimit(2);
    expect(a.stats().limit).toBe(2);
  });

  it('stats().budget is null without a budget', () => {
    const pool = new Pool<Res>({ name: 'p', factory: new TestFactory() });
    expect(pool.stats().budget).toBeNull();
    expect(pool.config().budget).toBeNull();
  });

  it('shows the budget by name in config()', () => {
    const pool = new Pool<Res>({ name: 'p', factory: new TestFactory(), budget: localBudget({ max: 3, name: 'db' }) });
    expect(pool.config().budget).toBe('db');
  });

  it('leaves the budget on close, once every destroy settled', async () => {
    const clock = new ManualClock();
    const s = spy(localBudget({ max: 2 }));
    const pool = new Pool<Res>({ name: 'p', max: 2, clock, factory: factory(clock, 20), budget: s.budget });
    (await pool.acquire()).release();
    const closed = watch(pool.close());
    await flush();
    expect(s.calls).not.toContain('leave');
    await clock.advance(20);
    await flush();
    expect(closed.state).toBe('fulfilled');
    expect(s.calls.slice(-2)).toEqual(['give', 'leave']);
  });

  it('asks the budget to re-check after a thaw, and validates idle resources only once it did', async () => {
    const clock = new ManualClock();
    let recheck!: () => void;
    const s = spy(localBudget({ max: 2 }));
    const f = new TestFactory({ clock, validate: true });
    let validated = 0;
    f.defaults.validate = () => (validated++, true);
    const join = s.budget.join;
    s.budget.join = (m) => {
      const a = join(m);
      const thaw = a.thaw;
      return Object.assign(a, {
        thaw: () => {
          thaw();
          return new Promise<void>((r) => (recheck = r));
        },
      });
    };
    const pool = new Pool<Res>({ name: 'p', max: 1, clock, factory: f, budget: s.budget, idleTimeoutMs: 60_000 });
    const thaws: number[] = [];
    pool.on('thaw', (t) => thaws.push(t.awayMs));
    (await pool.acquire()).release();
    clock.stall(20_000);
    const w = watch(pool.acquire());
    await flush();
    expect(thaws).toHaveLength(1);
    expect(s.calls).toContain('thaw');
    expect(validated).toBe(0);
    expect(w.state).toBe('pending');
    recheck();
    await flush();
    expect(validated).toBe(1);
    expect(w.state).toBe('fulfilled');
  });

  it('degrades health with the budget reason', () => {
    const inner = localBudget({ max: 2 });
    const budget: Budget = {
      ...inner,
      name: 'db',
      max: 2,
      stats: () => inner.stats(),
      close: () => inner.close(),
      join: (m) => Object.assign(inner.join(m), { health: () => 'Redis unreachable' }),
    };
    const pool = new Pool<Res>({ name: 'p', factory: new TestFactory(), budget });
    expect(pool.health()).toMatchObject({ status: 'degraded', reasons: ['budget: Redis unreachable'] });
  });

  it('rejects a budget option that is not a Budget, naming it', () => {
    const f = new TestFactory();
    expect(() => new Pool<Res>({ factory: f, budget: 20 as never })).toThrow(PoolOptionsError);
    expect(() => new Pool<Res>({ factory: f, budget: { max: 20 } as never })).toThrow(
      /^budget: expected a Budget from localBudget\(\) or redisBudget\(\) .*, got an object$/,
    );
  });
});
