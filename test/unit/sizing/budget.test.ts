// autoSize under a budget: the controller asks for more, the budget's cap wins.
import { afterEach, describe, expect, it } from 'vitest';
import { localBudget } from '../../../src/budget/local.js';
import { ManualClock } from '../../support/manual-clock.js';
import { Callers, sizedPool } from './workload.js';

const open: { close(o?: { timeoutMs?: number }): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close({ timeoutMs: 0 });
});

describe('autoSize under a budget', () => {
  it('the limit and what the pool holds never exceed what the budget grants, while the load asks for more', async () => {
    const clock = new ManualClock();
    const budget = localBudget({ max: 6 });
    const { pool, resizes } = sizedPool(clock, { max: 32, budget });
    open.push(pool);
    const callers = new Callers(pool, clock, () => 20); // flat hold times: alone, it would grow to max
    callers.add(48);
    let most = 0;
    for (let t = 0; t < 20_000; t += 100) {
      await clock.advance(100);
      const s = pool.stats();
      expect(s.limit).toBeLessThanOrEqual(6);
      expect(s.size + s.closing).toBeLessThanOrEqual(6);
      expect(s.budget!.held).toBeLessThanOrEqual(6);
      most = Math.max(most, s.size);
    }
    expect(resizes.some((r) => r.reason === 'grow' && r.to > 6)).toBe(true); // the controller asked for more
    expect(most).toBe(6); // and the pool used what the budget grants
    await callers.stop();
  });
});
