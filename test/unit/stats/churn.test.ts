import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ChurnDetector,
  LIDO_POOL_CHURN,
  callSite,
  churnMessage,
  noteNewPool,
  ownedPools,
} from '../../../src/stats/churn.js';
import { ManualClock } from '../../support/manual-clock.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function detector(options: ConstructorParameters<typeof ChurnDetector>[0] = {}) {
  const reports: string[] = [];
  const d = new ChurnDetector({ ...options, report: (target) => reports.push(target) });
  return { d, reports };
}

describe('ChurnDetector', () => {
  it('reports at the 10th pool for one target within 60 s, not at the 9th', async () => {
    const clock = new ManualClock();
    const { d, reports } = detector();
    for (let i = 0; i < 9; i++) {
      d.note('Pool "db"', clock.now());
      await clock.advance(6_000); // 9 pools over 54 s
    }
    expect(reports).toEqual([]);
    d.note('Pool "db"', clock.now()); // the 10th, 54 s after the first
    expect(reports).toEqual(['Pool "db"']);
  });

  it('does not report 10 pools spread over more than 60 s', async () => {
    const clock = new ManualClock();
    const { d, reports } = detector();
    for (let i = 0; i < 30; i++) {
      d.note('Pool "db"', clock.now());
      await clock.advance(6_700); // any 10 in a row span 60.3 s
    }
    expect(reports).toEqual([]);
  });

  it('counts a sliding window: a burst after a slow start is found', async () => {
    const clock = new ManualClock();
    const { d, reports } = detector();
    for (let i = 0; i < 5; i++) {
      d.note('t', clock.now());
      await clock.advance(30_000);
    }
    expect(reports).toEqual([]);
    // now = 150 s; the 5 so far were at 0, 30, 60, 90 and 120 s
    for (let i = 0; i < 8; i++) d.note('t', clock.now());
    expect(reports).toEqual([]); // the 10 latest began at 90 s: 60 s ago, not within
    d.note('t', clock.now());
    expect(reports).toEqual(['t']);
  });

  it('reports once per target; targets are counted apart', () => {
    const { d, reports } = detector();
    for (let i = 0; i < 9; i++) {
      d.note('a', 0);
      d.note('b', 0);
    }
    expect(reports).toEqual([]);
    d.note('a', 0);
    expect(reports).toEqual(['a']);
    for (let i = 0; i < 50; i++) d.note('a', 1);
    d.note('b', 1);
    expect(reports).toEqual(['a', 'b']);
  });

  it('bounds its memory: at most maxTargets targets, stale ones forgotten first', () => {
    const { d, reports } = detector({ maxTargets: 3 });
    d.note('old-1', 0);
    d.note('old-2', 0);
    d.note('old-3', 0);
    // A fourth target while the others are live is not tracked at all...
    for (let i = 0; i < 10; i++) d.note('new', 10_000);
    expect(reports).toEqual([]);
    // ...but once they are older than the window, they make room for it.
    for (let i = 0; i < 10; i++) d.note('new', 70_000);
    expect(reports).toEqual(['new']);
  });

  it('takes its threshold and window as options', () => {
    const { d, reports } = detector({ threshold: 3, windowMs: 1_000 });
    d.note('x', 0);
    d.note('x', 500);
    d.note('x', 1_000); // 3 within 1000 ms? the first is 1000 ms old: no
    expect(reports).toEqual([]);
    d.note('x', 1_400);
    expect(reports).toEqual(['x']);
  });
});

describe('the process-wide detector', () => {
  it('warns LIDO_POOL_CHURN, telling the user to create one pool at start-up and share it', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    for (let i = 0; i < 9; i++) noteNewPool('Pool "churn-test"', 1_000);
    expect(warn).not.toHaveBeenCalled();
    noteNewPool('Pool "churn-test"', 1_000);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(churnMessage('Pool "churn-test"', 10, 60_000), { code: LIDO_POOL_CHURN });
    expect(warn.mock.calls[0]![0]).toMatch(
      /^lido: 10 pools for Pool "churn-test" were created within 60 s\. Create one pool at start-up and share it/,
    );
    for (let i = 0; i < 20; i++) noteNewPool('Pool "churn-test"', 1_000);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('does not count pools made inside ownedPools()', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    ownedPools(() => {
      for (let i = 0; i < 20; i++) noteNewPool('Pool "owned"', 0);
    });
    expect(warn).not.toHaveBeenCalled();
    expect(() =>
      ownedPools(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    for (let i = 0; i < 10; i++) noteNewPool('Pool "owned-after"', 0); // counting resumed after the throw
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('callSite()', () => {
  function Made(): string {
    return callSite(Made);
  }
  function caller(): string {
    return Made();
  }

  it("is the first 3 frames below the constructor, the constructor's own left out", () => {
    const before = Error.stackTraceLimit;
    const site = caller();
    const frames = site.split(' < ');
    expect(frames).toHaveLength(3);
    expect(frames[0]).toMatch(/^caller \(.*churn\.test\.ts:\d+:\d+\)$/);
    expect(site).not.toContain('Made');
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('is empty, and restores the limit, when a prepareStackTrace throws or returns something else', () => {
    const original = Error.prepareStackTrace;
    const before = Error.stackTraceLimit;
    try {
      Error.prepareStackTrace = () => {
        throw new Error('no stacks here');
      };
      expect(caller()).toBe('');
      Error.prepareStackTrace = () => 42;
      expect(caller()).toBe('');
    } finally {
      Error.prepareStackTrace = original;
    }
    expect(Error.stackTraceLimit).toBe(before);
  });
});
