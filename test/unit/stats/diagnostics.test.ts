import dc from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHANNELS,
  acquireChannel,
  publishCreate,
  publishDestroy,
  publishLeak,
  publishRelease,
  publishTimeout,
  traceAcquire,
  tracingAcquire,
  type AcquireContext,
} from '../../../src/stats/diagnostics.js';
import { ManualClock } from '../../support/manual-clock.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function listen(name: string): unknown[] {
  const got: unknown[] = [];
  const fn = (m: unknown): void => void got.push(m);
  dc.subscribe(name, fn);
  cleanups.push(() => dc.unsubscribe(name, fn));
  return got;
}

/** A pool stand-in whose name must not be read: proves a publish without subscribers touched nothing. */
const untouchable = {
  get name(): string {
    throw new Error('read pool.name without subscribers');
  },
};

type Events = Record<'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error', AcquireContext[]>;

function traceEvents(): Events {
  const ev: Events = { start: [], end: [], asyncStart: [], asyncEnd: [], error: [] };
  const handlers = {
    start: (m: AcquireContext) => ev.start.push({ ...m }),
    end: (m: AcquireContext) => ev.end.push({ ...m }),
    asyncStart: (m: AcquireContext) => ev.asyncStart.push({ ...m }),
    asyncEnd: (m: AcquireContext) => ev.asyncEnd.push({ ...m }),
    error: (m: AcquireContext) => ev.error.push({ ...m }),
  };
  acquireChannel.subscribe(handlers);
  cleanups.push(() => acquireChannel.unsubscribe(handlers));
  return ev;
}

describe('diagnostics channels', () => {
  it('publishes nothing and reads nothing when nobody subscribes', async () => {
    expect(dc.hasSubscribers(CHANNELS.create)).toBe(false);
    expect(tracingAcquire()).toBe(false);
    publishCreate(untouchable, {}, 1);
    publishDestroy(untouchable, {}, 'x');
    publishRelease(untouchable, {}, 1);
    publishTimeout(untouchable, new Error('t'));
    publishLeak(untouchable, { pool: 'p', kind: 'held', heldMs: 1, stack: '' });
    const p = Promise.resolve('lease');
    expect(traceAcquire(untouchable, undefined, new ManualClock(), () => p)).toBe(p);
  });

  it('publishes create, destroy, release, timeout and leak messages to subscribers', () => {
    const pool = { name: 'main' };
    const res = { id: 1 };
    const create = listen(CHANNELS.create);
    const destroy = listen(CHANNELS.destroy);
    const release = listen(CHANNELS.release);
    const timeout = listen(CHANNELS.timeout);
    const leak = listen(CHANNELS.leak);
    const error = new Error('acquire timed out');
    const report = { pool: 'main', kind: 'held' as const, heldMs: 5_000, stack: 'at x' };
    publishCreate(pool, res, 12);
    publishDestroy(pool, res, 'max lifetime reached');
    publishRelease(pool, res, 7);
    publishTimeout(pool, error);
    publishLeak(pool, report);
    expect(create).toEqual([{ pool, name: 'main', resource: res, durationMs: 12 }]);
    expect(destroy).toEqual([{ pool, name: 'main', resource: res, reason: 'max lifetime reached' }]);
    expect(release).toEqual([{ pool, name: 'main', resource: res, heldMs: 7 }]);
    expect(timeout).toEqual([{ pool, name: 'main', error }]);
    expect(leak).toEqual([{ pool, name: 'main', report }]);
  });

  it('stops publishing once the last subscriber leaves', () => {
    const got: unknown[] = [];
    const fn = (m: unknown): void => void got.push(m);
    dc.subscribe(CHANNELS.create, fn);
    publishCreate({ name: 'a' }, 1, 1);
    dc.unsubscribe(CHANNELS.create, fn);
    publishCreate(untouchable, 2, 1);
    expect(got).toHaveLength(1);
  });
});

describe('lido:pool:acquire tracing channel', () => {
  it('traces a successful acquire with its wait time on the pool clock', async () => {
    const ev = traceEvents();
    expect(tracingAcquire()).toBe(true);
    const clock = new ManualClock();
    const pool = { name: 'main' };
    let resolve!: (v: string) => void;
    const traced = traceAcquire(pool, { timeoutMs: 100 }, clock, () => new Promise<string>((r) => (resolve = r)));
    expect(ev.start).toHaveLength(1);
    expect(ev.end).toHaveLength(1);
    expect(ev.start[0]).toMatchObject({ pool, name: 'main', options: { timeoutMs: 100 }, startedAt: 0 });
    expect(ev.asyncEnd).toHaveLength(0);
    await clock.advance(25);
    resolve('lease');
    expect(await traced).toBe('lease');
    expect(ev.asyncStart).toHaveLength(1);
    expect(ev.asyncEnd[0]).toMatchObject({ waitMs: 25, result: 'lease' });
    expect(ev.error).toHaveLength(0);
  });

  it('traces a rejected acquire through error and asyncEnd', async () => {
    const ev = traceEvents();
    const clock = new ManualClock();
    const failure = new Error('acquire timed out after 10 ms');
    let reject!: (e: unknown) => void;
    const traced = traceAcquire({ name: 'p' }, undefined, clock, () => new Promise<string>((_, r) => (reject = r)));
    await clock.advance(10);
    reject(failure);
    await expect(traced).rejects.toBe(failure);
    expect(ev.error).toHaveLength(1);
    expect(ev.error[0].error).toBe(failure);
    expect(ev.asyncEnd[0]).toMatchObject({ waitMs: 10, error: failure });
  });

  it('traces an acquire that throws synchronously (bad options) and rethrows', () => {
    const ev = traceEvents();
    const bad = new TypeError('timeoutMs: expected a positive duration in ms, got -1');
    expect(() =>
      traceAcquire({ name: 'p' }, undefined, new ManualClock(), () => {
        throw bad;
      }),
    ).toThrow(bad);
    expect(ev.start).toHaveLength(1);
    expect(ev.error[0].error).toBe(bad);
    expect(ev.end).toHaveLength(1);
  });
});
