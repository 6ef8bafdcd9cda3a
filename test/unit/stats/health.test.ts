import { afterEach, describe, expect, it, vi } from 'vitest';
import { PoolOptionsError } from '../../../src/index.js';
import { RateWindow } from '../../../src/stats/rate-window.js';
import { setup, watch } from '../helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const quiet = {
  saturation: 0,
  timeoutRate: 0,
  errorRate: 0,
  bands: { saturation: 'ok', timeoutRate: 'ok', errorRate: 'ok' },
};

describe('health()', () => {
  it('ok when serving normally, with every figure and its band', async () => {
    const { pool } = setup({ min: 1 });
    await pool.ready();
    await pool.use(() => {});
    expect(pool.health()).toEqual({ status: 'ok', reasons: [], ...quiet });
    await pool.close();
  });

  it('down when creates fail and nothing is alive; degraded by the error rate once a create succeeds', async () => {
    const { clock, f, pool } = setup({ min: 1 });
    f.next('create', 'reject', 'reject');
    await pool.ready().catch(() => {});
    const h = pool.health();
    expect(h.status).toBe('down');
    expect(h.reasons).toEqual([
      'creates failing: 1 in a row (last: create failed: connect ECONNREFUSED); no resource alive',
      'create errors 100 % of 1 creates in the last 60 s (critical at 1 %)',
    ]);
    expect(h.bands.errorRate).toBe('critical');
    await clock.advance(1_000);
    // The retry failed too (2 of 3), then one succeeded: something serves, the rate stays for the window.
    const after = pool.health();
    expect(after.status).toBe('degraded');
    expect(after.errorRate).toBeCloseTo(2 / 3);
    expect(after.reasons).toEqual(['create errors 66.67 % of 3 creates in the last 60 s (critical at 1 %)']);
    await clock.advance(60_000);
    expect(pool.health()).toEqual({ status: 'ok', reasons: [], ...quiet });
    await pool.close();
  });

  it('degraded when creates fail but resources remain', async () => {
    const { f, pool } = setup({ min: 2 });
    f.next('create', 'ok', 'reject');
    await pool.ready().catch(() => {});
    const h = pool.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons).toContain('create errors 50 % of 2 creates in the last 60 s (critical at 1 %)');
    expect(h.reasons.some((r) => r.startsWith('creates failing: 1 in a row'))).toBe(true);
    await pool.close();
  });

  it('saturation: ok below 80 %, warning from 80 %, critical from 95 %, never down', async () => {
    const { pool } = setup({ max: 20 });
    const leases = [];
    for (let i = 0; i < 15; i++) leases.push(await pool.acquire());
    expect(pool.health()).toMatchObject({ status: 'ok', saturation: 0.75, bands: { saturation: 'ok' } });
    leases.push(await pool.acquire());
    expect(pool.health()).toEqual({
      status: 'degraded',
      reasons: ['saturation 80 % (warning at 80 %): 16/20 borrowed'],
      ...quiet,
      saturation: 0.8,
      bands: { ...quiet.bands, saturation: 'warning' },
    });
    for (let i = 0; i < 3; i++) leases.push(await pool.acquire());
    expect(pool.health()).toMatchObject({ status: 'degraded', saturation: 0.95, bands: { saturation: 'critical' } });
    expect(pool.health().reasons).toEqual(['saturation 95 % (critical at 95 %): 19/20 borrowed']);
    leases.push(await pool.acquire());
    expect(pool.health()).toMatchObject({ status: 'degraded', saturation: 1 });
    for (const l of leases) l.release();
    expect(pool.health().status).toBe('ok');
    await pool.close();
  });

  it('timeout rate over the window: 1 timeout in 200 acquires is ok, 1 in 99 a warning, 1 in 19 critical', async () => {
    const { clock, pool } = setup({ max: 1, acquireTimeoutMs: 10 });
    const timeOutOne = async (): Promise<void> => {
      const held = await pool.acquire();
      const w = watch(pool.acquire());
      await clock.advance(10);
      expect(w.state).toBe('rejected');
      held.release();
    };
    // 199 served + 1 timeout (its holder's acquire counts too): 1 / 201 < 1 %.
    for (let i = 0; i < 199; i++) await pool.use(() => {});
    await timeOutOne();
    expect(pool.health()).toMatchObject({ status: 'ok', bands: { timeoutRate: 'ok' } });
    expect(pool.health().timeoutRate).toBeCloseTo(1 / 201);
    // A minute later the window is empty again.
    await clock.advance(60_000);
    for (let i = 0; i < 97; i++) await pool.use(() => {});
    await timeOutOne();
    const warn = pool.health();
    expect(warn.timeoutRate).toBeCloseTo(1 / 99);
    expect(warn).toMatchObject({ status: 'degraded', bands: { timeoutRate: 'warning' } });
    expect(warn.reasons).toEqual(['acquire timeouts 1.01 % of 99 acquires in the last 60 s (warning at 1 %)']);
    await clock.advance(60_000);
    for (let i = 0; i < 17; i++) await pool.use(() => {});
    await timeOutOne();
    expect(pool.health()).toMatchObject({ status: 'degraded', bands: { timeoutRate: 'critical' } });
    await clock.advance(60_000);
    expect(pool.health()).toEqual({ status: 'ok', reasons: [], ...quiet });
    await pool.close();
  });

  it('degraded while acquires wait long', async () => {
    const { clock, pool } = setup({ max: 2, acquireTimeoutMs: 10_000, health: { saturation: [1, 1] } });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const w = watch(pool.acquire());
    await clock.advance(1_000);
    expect(pool.health().status).toBe('degraded'); // saturation 100 % (critical at 100 %)
    await clock.advance(1);
    expect(pool.health().reasons).toContain('1 acquire(s) waiting, the oldest for 1001 ms (2/2 borrowed)');
    a.release();
    expect(w.state).toBe('pending');
    await clock.advance(0);
    expect(w.state).toBe('fulfilled');
    b.release();
    (w.value as { release(): void }).release();
    expect(pool.health().status).toBe('ok');
    await pool.close();
  });

  it('degraded for a window after a leak', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ leakDetectionMs: 100 });
    const l = await pool.acquire();
    await clock.advance(100);
    expect(pool.health()).toMatchObject({
      status: 'degraded',
      reasons: ['leaked leases in the last 60 s (1 since stats reset)'],
    });
    l.release();
    await clock.advance(60_000);
    expect(pool.health().status).toBe('ok');
    await pool.close();
  });

  it('takes partial overrides of the bands and the window', async () => {
    const { clock, f, pool } = setup({ max: 4, health: { saturation: [0.5, 0.75], windowMs: 10_000 } });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(pool.health()).toMatchObject({ status: 'degraded', bands: { saturation: 'warning' } });
    a.release();
    b.release();
    f.next('create', 'reject');
    pool.evictIdle(2);
    const w = watch(pool.acquire());
    await clock.advance(0);
    expect(pool.health().reasons).toContain('create errors 33.33 % of 3 creates in the last 10 s (critical at 1 %)');
    await clock.advance(500);
    (await w.promise).release();
    await clock.advance(10_000);
    expect(pool.health().status).toBe('ok');
    expect(pool.config().health).toEqual({
      saturation: [0.5, 0.75],
      timeoutRate: [0.01, 0.05],
      errorRate: [0.001, 0.01],
      windowMs: 10_000,
    });
    await pool.close();
  });

  it('resetStats() empties the window', async () => {
    const { f, pool } = setup({ min: 1 });
    f.next('create', 'reject');
    await pool.ready().catch(() => {});
    expect(pool.health().bands.errorRate).toBe('critical');
    pool.resetStats();
    expect(pool.health().errorRate).toBe(0);
    await pool.close();
  });

  it('rejects bad bands, naming the option', () => {
    const bad: [unknown, string][] = [
      [
        { saturation: [0.95, 0.8] },
        'health.saturation: expected [warning, critical] with 0 < warning <= critical <= 1, got [0.95, 0.8]',
      ],
      [
        { timeoutRate: [0, 0.1] },
        'health.timeoutRate: expected [warning, critical] with 0 < warning <= critical <= 1, got [0, 0.1]',
      ],
      [
        { errorRate: 0.01 },
        'health.errorRate: expected [warning, critical] with 0 < warning <= critical <= 1, got 0.01',
      ],
      [
        { errorRate: [0.1, 2] },
        'health.errorRate: expected [warning, critical] with 0 < warning <= critical <= 1, got [0.1, 2]',
      ],
      [{ windowMs: 0 }, 'health.windowMs: expected a positive duration in ms, got 0'],
      [{ window: 5 }, 'health: unknown option "window"'],
      ['high', 'health: expected an object { saturation?, timeoutRate?, errorRate?, windowMs? }, got "high"'],
    ];
    for (const [health, message] of bad) {
      let error: unknown;
      try {
        setup({ health: health as never });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PoolOptionsError);
      expect((error as Error).message.startsWith(message)).toBe(true);
    }
  });

  it('down once closed', async () => {
    const { pool } = setup();
    await pool.close();
    expect(pool.health()).toMatchObject({ status: 'down', reasons: ['pool is closed'] });
  });
});

describe('RateWindow', () => {
  it('counts in buckets and forgets a bucket once the window has passed it', () => {
    const w = new RateWindow(60_000, 0);
    for (let i = 0; i < 99; i++) w.acquired(1_000);
    w.timedOut(1_000, 1);
    w.created(2_000);
    w.createFailed(2_000);
    expect(w.rates(29_999)).toEqual({
      acquired: 99,
      timeouts: 1,
      created: 1,
      createErrors: 1,
      timeoutRate: 0.01,
      errorRate: 0.5,
    });
    // 30 s later, more acquires; at 61 s the first bucket (0–5 s) is gone.
    for (let i = 0; i < 10; i++) w.acquired(30_000);
    expect(w.rates(60_000).acquired).toBe(10);
    expect(w.rates(60_000).timeoutRate).toBe(0);
    expect(w.rates(89_999).acquired).toBe(10);
    expect(w.rates(90_000).acquired).toBe(0);
    // A long quiet spell empties everything.
    w.acquired(500_000);
    expect(w.rates(500_000).acquired).toBe(1);
    w.reset(500_000);
    expect(w.rates(500_000).acquired).toBe(0);
  });
});
