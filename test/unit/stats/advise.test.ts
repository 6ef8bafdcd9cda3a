import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Pool } from '../../../src/index.js';
import { type ManualClock, setup, type Res } from '../helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Offers `ratePerSec` acquires per second for `seconds`, each holding its lease `useMs`. */
async function workload(
  clock: ManualClock,
  pool: Pool<Res>,
  ratePerSec: number,
  useMs: number,
  seconds: number,
): Promise<void> {
  const every = 1_000 / ratePerSec;
  for (let t = 0; t < seconds * 1_000; t += every) {
    clock.setTimer(
      () => {
        pool.acquire().then(
          (l) => clock.setTimer(() => l.release(), useMs, true),
          () => {},
        );
      },
      t,
      true,
    );
  }
  await clock.advance(seconds * 1_000 + useMs);
}

describe('advise()', () => {
  it('no advice without a load to judge', async () => {
    const { pool } = setup();
    expect(pool.advise()).toEqual([]);
    await pool.close();
  });

  it("pool too small: suggests max from Little's law (arrival rate × mean use × 1.5)", async () => {
    const { clock, pool } = setup({ max: 2, acquireTimeoutMs: 1_000 });
    // 20 acquires/s, 200 ms each: 4 busy on average, 6 with headroom. max 2 cannot keep up.
    await workload(clock, pool, 20, 200, 30);
    const s = pool.stats();
    expect(s.timeouts).toBeGreaterThan(0);
    const advice = pool.advise();
    const max = advice.find((a) => a.option === 'max')!;
    expect(max).toBeDefined();
    expect(max.severity).toBe('critical');
    expect(max.value).toBe(6);
    expect(max.issue).toMatch(/^pool too small: \d+ acquire timeout\(s\), p99 wait [\d.]+ ms, peak 2\/2 borrowed$/);
    expect(max.evidence).toMatch(
      /^arrival rate (19|20)(\.\d+)?\/s × mean use 200 ms = (3\.9\d|4(\.\d+)?) busy on average; ×1.5 headroom ⇒ 6$/,
    );
    await clock.advance(2_000); // drain
    await pool.close();
  });

  it('pool too small without timeouts: saturated with long waits', async () => {
    const { clock, pool } = setup({ max: 2, acquireTimeoutMs: 60_000 });
    await workload(clock, pool, 11, 200, 20); // 2.2 busy: just over max, the queue grows slowly
    const max = pool.advise().find((a) => a.option === 'max');
    expect(max).toMatchObject({ severity: 'warning', option: 'max' });
    expect(max!.value).toBeGreaterThanOrEqual(3);
    await clock.advance(60_000); // drain the queue
    await pool.close();
  });

  it('pool too large: suggests a lower max', async () => {
    const { clock, pool } = setup({ max: 20 });
    await workload(clock, pool, 10, 50, 120); // 0.5 busy: peak 1
    const advice = pool.advise();
    expect(advice).toHaveLength(1);
    expect(advice[0]).toMatchObject({ severity: 'info', option: 'max', value: 2 });
    expect(advice[0].issue).toMatch(/^pool larger than needed: peak 1\/20 borrowed over 120 s$/);
    await pool.close();
  });

  it('min above what the load needs', async () => {
    const { clock, pool } = setup({ max: 20, min: 10 });
    await workload(clock, pool, 10, 50, 120);
    const min = pool.advise().find((a) => a.option === 'min');
    expect(min).toMatchObject({ severity: 'info', value: 1 });
    await pool.close();
  });

  it('leaks: tells to release every lease', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ leakDetectionMs: 1_000 });
    const l = await pool.acquire();
    await clock.advance(1_000);
    const leak = pool.advise().find((a) => a.issue.includes('lease(s) held too long'));
    expect(leak).toMatchObject({ severity: 'warning', issue: '1 lease(s) held too long or never released' });
    expect(leak!.suggestion).toMatch(/pool\.use\(\), `await using` or try\/finally/);
    l.release();
    await pool.close();
  });

  it('acquireTimeoutMs below twice the p99 wait', async () => {
    const { clock, pool } = setup({ max: 1, acquireTimeoutMs: 1_000 });
    // Bursts of 3 every second, 200 ms each: the third waits 400 ms.
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 3; k++) {
        clock.setTimer(
          () => void pool.acquire().then((l) => clock.setTimer(() => l.release(), 200, true)),
          i * 1_000,
          true,
        );
      }
    }
    await clock.advance(21_000);
    expect(pool.stats().timeouts).toBe(0);
    const t = pool.advise().find((a) => a.option === 'acquireTimeoutMs');
    expect(t).toBeUndefined(); // p99 400 ms: 2 × 400 < 1 000
    pool.resetStats();
    // Now bursts of 4: the fourth waits 600 ms: 2 × 600 > 1 000.
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 4; k++) {
        clock.setTimer(
          () => void pool.acquire().then((l) => clock.setTimer(() => l.release(), 200, true)),
          i * 1_000,
          true,
        );
      }
    }
    await clock.advance(21_000);
    expect(pool.stats().timeouts).toBe(0);
    const t2 = pool.advise().find((a) => a.option === 'acquireTimeoutMs');
    expect(t2).toMatchObject({ severity: 'warning' });
    expect(t2!.value).toBeGreaterThanOrEqual(1_200);
    expect(t2!.value).toBeLessThanOrEqual(1_400);
    await pool.close();
  });

  it('maxLifetimeMs short compared with create time', async () => {
    const { clock, pool } = setup({ max: 1, maxLifetimeMs: 10_000 }, { delayMs: { create: 50 } });
    const p = pool.acquire();
    await clock.advance(50);
    (await p).release();
    const a = pool.advise().find((x) => x.option === 'maxLifetimeMs');
    expect(a).toMatchObject({ severity: 'warning', value: 500_000 });
    await pool.close();
  });
});

describe('advise() and the create error rate', () => {
  it('a create error rate in its warning or critical band is advice of that severity', async () => {
    const { clock, f, pool } = setup({ max: 4, health: { errorRate: [0.2, 0.6] } });
    const leases = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    for (const l of leases) l.release();
    pool.evictIdle(3);
    expect(pool.advise().filter((a) => a.issue.startsWith('creates failing'))).toEqual([]);
    f.next('create', 'reject');
    const w = pool.acquire();
    await clock.advance(1_000); // the create failed once, its retry made one
    // 1 failed of 5 creates: 20 %, the warning band.
    const advice = pool.advise().find((a) => a.issue.startsWith('creates failing'));
    expect(advice).toMatchObject({ severity: 'warning' });
    expect(advice!.issue).toBe(
      'creates failing: 20 % of creates failed recently (1 create error(s) since stats reset, 1 resource(s) alive)',
    );
    expect(advice!.suggestion).toMatch(/reachable/);
    (await w).release();
    await pool.close();
  });
});
