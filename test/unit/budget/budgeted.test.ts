import { describe, expect, it } from 'vitest';
import { budgeted } from '../../../src/budget/budgeted.js';
import { localBudget, Pool } from '../../../src/index.js';
import { FakeMember } from '../../support/budget-member.js';
import { ManualClock, flush } from '../../support/manual-clock.js';
import { type Res, TestFactory } from '../../support/test-factory.js';
import { watch } from '../helpers.js';

/** TestFactory's destroy settles `ms` later on the clock. */
function slowDestroy(f: TestFactory, clock: ManualClock, ms = 0): TestFactory {
  if (ms > 0) f.defaults.destroy = () => new Promise<void>((r) => clock.setTimer(r, ms, true));
  return f;
}

/** A pool whose factory is budgeted, next to a bare member holding the rest of the budget. */
function setup(max: number, delayMs: { create?: number; destroy?: number } = {}) {
  const clock = new ManualClock();
  const budget = localBudget({ max });
  const other = new FakeMember('other', budget, clock);
  const f = slowDestroy(new TestFactory({ clock, delayMs }), clock, delayMs.destroy);
  const member = new FakeMember('pool', budget, clock);
  const pool = new Pool<Res>({ name: 'p', max: 10, clock, factory: budgeted(f, member.account) });
  return { clock, budget, other, f, account: member.account, pool };
}

describe('budgeted factory', () => {
  it('takes a permit per create and gives it back only once the destroy settled', async () => {
    const { clock, budget, pool, account } = setup(2, { destroy: 50 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(account.held).toBe(2);
    const c = watch(pool.acquire({ timeoutMs: 1_000 }));
    await flush();
    expect(c.state).toBe('pending');
    expect(budget.stats().waiting).toBe(1);
    a.destroy(new Error('broken'));
    await clock.advance(49);
    expect(c.state).toBe('pending');
    expect(account.held).toBe(2);
    await clock.advance(1);
    expect(c.state).toBe('fulfilled');
    b.release();
    (c.value as { release(): void }).release();
    const closing = pool.close();
    await clock.advance(100);
    await closing;
    expect(account.held).toBe(0);
  });

  it('gives the permit back when the create fails, and waits in the budget with the create signal', async () => {
    const { clock, pool, account, f, other, budget } = setup(1);
    f.next('create', 'reject');
    const first = watch(pool.acquire({ timeoutMs: 10 }));
    await clock.advance(11);
    expect(first.state).toBe('rejected');
    expect(account.held).toBe(0);
    // The budget is full elsewhere: the create waits for a permit; close aborts it, nothing held.
    expect(other.createNow()).toBe(true);
    const second = watch(pool.acquire({ timeoutMs: 5_000 }));
    await clock.advance(1_000); // past the create's backoff
    expect(pool.stats().creating).toBe(1);
    expect(budget.stats().waiting).toBe(1);
    await pool.close();
    await flush();
    expect(second.state).toBe('rejected');
    expect(account.held).toBe(0);
  });

  it('keeps the permit of a create that outlives its timeout until the late resource is destroyed', async () => {
    const { clock, pool, account } = setup(1);
    const f = slowDestroy(new TestFactory({ clock, delayMs: { create: 100 } }), clock, 20);
    const p = new Pool<Res>({ name: 'q', max: 1, clock, createTimeoutMs: 30, factory: budgeted(f, account) });
    const t = watch(p.acquire({ timeoutMs: 50 }));
    await clock.advance(31);
    // The create timed out, but factory.create() still runs: its permit stays taken.
    expect(account.held).toBe(1);
    await clock.advance(69);
    // The late resource arrived and is being destroyed.
    expect(account.held).toBe(1);
    await clock.advance(20);
    expect(account.held).toBe(0);
    expect(t.state).not.toBe('fulfilled');
    await p.close();
    await pool.close();
  });
});
