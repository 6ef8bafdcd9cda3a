import { describe, expect, it } from 'vitest';
import { FleetLimits, LEVEL_GRACE_MS } from '../../../src/adapters/redis/budget/limits.js';
import { Ticker } from '../../../src/adapters/redis/budget/ticker.js';
import { ManualClock } from '../../support/manual-clock.js';

const settings = (onUnavailable: 'share' | 'block') => ({
  name: 'db',
  max: 20,
  leaseMs: 3_000,
  onUnavailable,
  clock: new ManualClock(),
  timeoutMs: 750,
});

describe('FleetLimits', () => {
  it('reads the fleet figures and the fair level of a reply (-1: no level); a level is in force after its grace', async () => {
    const o = settings('share');
    const l = new FleetLimits(o, '127.0.0.1:6379');
    l.read([1, 18, 2, 6, 4], 1);
    expect(l.fleet).toEqual({ used: 18, queued: 2, procs: 6 });
    // Idle resources go back first: holders shed to the level only if the fleet still waits.
    expect(l.level).toBe(Infinity);
    expect(l.pendingMs()).toBe(LEVEL_GRACE_MS);
    await o.clock.advance(LEVEL_GRACE_MS);
    expect(l.pendingMs()).toBeNull();
    expect(l.level).toBe(4);
    expect(l.limit(10)).toBe(4);
    l.read([1, 5, 0, 6, -1], 1);
    expect(l.level).toBe(Infinity);
    expect(l.limit(10)).toBe(Infinity);
  });

  it('follows the broadcasts: a waiter announces the level, an empty queue lifts it', async () => {
    const o = settings('share');
    const l = new FleetLimits(o, 'h:1');
    expect(l.broadcast('w host/1/ab 3')).toBe(true);
    await o.clock.advance(LEVEL_GRACE_MS);
    expect(l.level).toBe(3);
    expect(l.fleet.queued).toBe(1);
    expect(l.broadcast('e')).toBe(false);
    expect(l.level).toBe(Infinity);
    expect(l.fleet.queued).toBe(0);
    expect(l.broadcast('x')).toBe(false);
  });

  it("'share' while Redis is away: an equal share among the processes last seen, none if never seen", () => {
    const never = new FleetLimits(settings('share'), 'h:1');
    expect(never.down(100)).toBe(0);
    expect(never.limit(0)).toBe(0);
    const l = new FleetLimits(settings('share'), 'h:1');
    l.read([1, 12, 0, 3, -1], 1);
    l.up();
    expect(l.down(1_000)).toBe(6);
    expect(l.limit(9)).toBe(6);
    expect(l.describe(3_500)).toBe(
      'budget "db": Redis at h:1 unreachable for 2500 ms (onUnavailable: share: this process keeps to 6 of 20)',
    );
    expect(l.up()).toBe(1_000);
    expect(l.limit(9)).toBe(Infinity);
    expect(l.describe(4_000)).toBeNull();
  });

  it("'block' while Redis is away: no limit to shed to, and says why", () => {
    const l = new FleetLimits(settings('block'), 'h:1');
    l.up();
    l.down(0);
    expect(l.limit(4)).toBe(Infinity);
    expect(l.describe(10)).toContain('onUnavailable: block: no new creates');
  });

  it('stops growth while the lease is re-checked, and sheds to what fits after a re-assertion', () => {
    const l = new FleetLimits(settings('share'), 'h:1');
    l.suspect = true;
    expect(l.limit(7)).toBe(7);
    expect(l.describe(0)).toBe('budget "db": re-checking the lease');
    l.suspect = false;
    l.shedTo = 4;
    expect(l.limit(7)).toBe(4);
    expect(l.describe(0)).toBe('budget "db": lease lost or short; shedding down to 4 permit(s)');
  });
});

describe('Ticker', () => {
  it('ticks every period, tells how late, never keeps the process alive, and stops', async () => {
    const clock = new ManualClock();
    const late: number[] = [];
    const t = new Ticker(clock, 100, (ms) => late.push(ms));
    t.start();
    t.start(); // idempotent
    expect(clock.pending).toBe(1);
    expect(clock.keepingAlive).toBe(0);
    await clock.advance(250);
    expect(late).toEqual([0, 0]);
    t.stop();
    expect(t.running).toBe(false);
    await clock.advance(1_000);
    expect(late).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });
});
