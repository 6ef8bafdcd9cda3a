import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Lease, LeakReport } from '../../../src/index.js';
import { EarlyTimersClock } from '../../support/manual-clock.js';
import { flush, setup, type Res } from '../helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

afterEach(() => {
  vi.restoreAllMocks();
});

// Named so the stack shows it.
function acquireForReport(pool: { acquire(): Promise<Lease<Res>> }): Promise<Lease<Res>> {
  return pool.acquire();
}

function releaseFromElsewhere(lease: Lease<Res>): void {
  lease.release();
}

describe('leak detection', () => {
  it('a threshold timer that fires early by the clock waits out the rest: no report says less than leakDetectionMs', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ clock: new EarlyTimersClock(), leakDetectionMs: 50 });
    const reports: LeakReport[] = [];
    pool.on('leak', (r) => reports.push(r));
    const lease = await pool.acquire();
    await clock.advance(49.6); // the 50 ms timer fires here
    expect(reports).toHaveLength(0);
    await clock.advance(1);
    expect(reports).toHaveLength(1);
    expect(reports[0].kind).toBe('held');
    expect(reports[0].heldMs).toBeGreaterThanOrEqual(50);
    lease.release();
    await pool.close();
  });

  it('reports a lease held too long once, with the acquire stack, and again when it returns', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ leakDetectionMs: 1_000 });
    const reports: LeakReport[] = [];
    pool.on('leak', (r) => reports.push(r));
    const lease = await acquireForReport(pool);
    await clock.advance(999);
    expect(reports).toHaveLength(0);
    await clock.advance(1);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ pool: 'x', kind: 'held', heldMs: 1_000 });
    expect(reports[0].stack).toContain('acquireForReport');
    expect(reports[0].stack).toContain('leak-detection.test.ts');
    expect(reports[0].stack).not.toMatch(/^Error/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/^lido: pool "x" lease held for 1000 ms; acquired at:\n.*acquireForReport/s);
    expect(warn.mock.calls[0][1]).toEqual({ code: 'LIDO_LEAK' });
    await clock.advance(60_000);
    expect(reports).toHaveLength(1); // once
    lease.release();
    expect(reports).toHaveLength(2);
    expect(reports[1]).toMatchObject({ kind: 'returned', heldMs: 61_000 });
    expect(reports[1].stack).toContain('acquireForReport');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(pool.stats().leaks).toBe(1);
    await pool.close();
  });

  it("the stack is the acquire caller's even when the lease was handed over by someone else's release", async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ max: 1, leakDetectionMs: 100 });
    const reports: LeakReport[] = [];
    pool.on('leak', (r) => reports.push(r));
    const first = await pool.acquire();
    const waiting = acquireForReport(pool);
    releaseFromElsewhere(first);
    const second = await waiting;
    await clock.advance(100);
    expect(reports).toHaveLength(1);
    expect(reports[0].stack).toContain('acquireForReport');
    expect(reports[0].stack).not.toContain('releaseFromElsewhere');
    second.release();
    await pool.close();
  });

  it('a lease released in time is never reported', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ leakDetectionMs: 1_000 });
    const l = await pool.acquire();
    await clock.advance(999);
    l.release();
    await clock.advance(10_000);
    await pool.use(async () => clock.advance(500));
    await clock.advance(10_000);
    expect(warn).not.toHaveBeenCalled();
    expect(pool.stats().leaks).toBe(0);
    expect(clock.pending).toBeLessThanOrEqual(1); // only the housekeeper
    await pool.close();
  });

  it('use() held too long is reported too', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ leakDetectionMs: 100 });
    const reports: LeakReport[] = [];
    pool.on('leak', (r) => reports.push(r));
    const p = pool.use(() => new Promise<void>((r) => clock.setTimer(r, 500, true)));
    await clock.advance(500);
    await p;
    expect(reports.map((r) => r.kind)).toEqual(['held', 'returned']);
    await pool.close();
  });

  it('off by default: no timers, no reports', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { clock, pool } = setup({ idleTimeoutMs: 0, maxLifetimeMs: 0 });
    await pool.acquire();
    expect(clock.pending).toBe(0);
    await clock.advance(10_000_000);
    expect(warn).not.toHaveBeenCalled();
    const closing = pool.close({ timeoutMs: 0 });
    await clock.advance(0);
    expect(await closing).toEqual({ forced: 1, unsettledDestroys: 0 });
  });

  it('a lease garbage-collected without release is reported and its resource destroyed', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { f, pool } = setup({ max: 1, leakDetectionMs: 60_000 });
    const reports: LeakReport[] = [];
    pool.on('leak', (r) => reports.push(r));
    const destroyed: unknown[] = [];
    pool.on('destroy', (_r, why) => destroyed.push(why));
    await (async () => {
      const lease = await acquireForReport(pool);
      expect(lease.resource.id).toBe(1);
    })();
    for (let i = 0; i < 50 && reports.length === 0; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ pool: 'x', kind: 'lost' });
    expect(reports[0].stack).toContain('acquireForReport');
    expect(f.destroyCount.get(1)).toBe(1);
    expect((destroyed[0] as Error).message).toBe('lease was garbage-collected without release');
    expect(warn.mock.calls[0][0]).toMatch(/^lido: pool "x" lease garbage-collected without release; acquired at:/);
    expect(pool.stats()).toMatchObject({ leaks: 1, borrowed: 0, size: 0 });
    expect(pool.stats().destroyedBy.shrink).toBe(1); // a lost lease is a shrink
    // The pool serves again.
    const l = await pool.acquire();
    expect(l.resource.id).toBe(2);
    l.release();
    await flush();
    await pool.close();
  });
});
