import { afterEach, describe, expect, it, vi } from 'vitest';
import { setup, watch } from '../helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('health()', () => {
  it('ok when serving normally', async () => {
    const { pool } = setup({ min: 1 });
    await pool.ready();
    await pool.use(() => {});
    expect(pool.health()).toEqual({ status: 'ok', reasons: [] });
    await pool.close();
  });

  it('down when creates fail and nothing is alive; back to ok once a create succeeds', async () => {
    const { clock, f, pool } = setup({ min: 1 });
    f.next('create', 'reject', 'reject');
    await pool.ready().catch(() => {});
    const h = pool.health();
    expect(h.status).toBe('down');
    expect(h.reasons).toEqual([
      'creates failing: 1 in a row (last: create failed: connect ECONNREFUSED); no resource alive',
    ]);
    await clock.advance(1_000);
    expect(pool.health()).toEqual({ status: 'ok', reasons: [] });
    await pool.close();
  });

  it('degraded when creates fail but resources remain', async () => {
    const { f, pool } = setup({ min: 2 });
    f.next('create', 'ok', 'reject');
    await pool.ready().catch(() => {});
    const h = pool.health();
    expect(h.status).toBe('degraded');
    expect(h.reasons[0]).toMatch(/^creates failing: 1 in a row/);
    await pool.close();
  });

  it('degraded while acquires wait long, and for a minute after a timeout', async () => {
    const { clock, pool } = setup({ max: 1, acquireTimeoutMs: 10_000 });
    const a = await pool.acquire();
    const w = watch(pool.acquire());
    await clock.advance(1_000);
    expect(pool.health()).toEqual({ status: 'ok', reasons: [] });
    await clock.advance(1);
    expect(pool.health()).toEqual({
      status: 'degraded',
      reasons: ['1 acquire(s) waiting, the oldest for 1001 ms (1/1 borrowed)'],
    });
    await clock.advance(9_000);
    expect(w.state).toBe('rejected');
    expect(pool.health()).toEqual({
      status: 'degraded',
      reasons: ['acquire timeouts in the last 60 s (1 since stats reset)'],
    });
    await clock.advance(60_000);
    expect(pool.health().status).toBe('ok');
    a.release();
    await pool.close();
  });

  it('degraded for a minute after a leak', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ leakDetectionMs: 100 });
    const l = await pool.acquire();
    await clock.advance(100);
    expect(pool.health()).toEqual({
      status: 'degraded',
      reasons: ['leaked leases in the last 60 s (1 since stats reset)'],
    });
    l.release();
    await clock.advance(60_000);
    expect(pool.health().status).toBe('ok');
    await pool.close();
  });

  it('down once closed', async () => {
    const { pool } = setup();
    await pool.close();
    expect(pool.health()).toEqual({ status: 'down', reasons: ['pool is closed'] });
  });
});
