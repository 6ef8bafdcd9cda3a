import { describe, expect, it } from 'vitest';
import {
  APPEND,
  CallerFrames,
  FRAMES_PER_SECOND,
  FramesBudget,
  REPLACE,
  appendCallerFrames,
  rejectWithCallerFrames,
} from '../../../src/core/util/caller-frames.js';

/** A promise and its resolve function, as a pool's waiter holds them. */
function pending<T = never>(): { promise: Promise<T>; resolve: (v: PromiseLike<never>) => void } {
  let resolve!: (v: PromiseLike<never>) => void;
  const promise = new Promise<T>((r) => {
    resolve = r as unknown as (v: PromiseLike<never>) => void;
  });
  return { promise, resolve };
}

function stackless(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Awaits `promise` two async functions deep and returns what it rejected with. */
async function awaitedByCaller(promise: Promise<unknown>): Promise<unknown> {
  async function innerFunction() {
    await promise;
  }
  async function outerFunction() {
    await innerFunction();
  }
  return outerFunction().then(
    () => null,
    (e: unknown) => e,
  );
}

/** The two awaiting functions, in order. */
const CALLER = /at (async )?innerFunction [\s\S]*at (async )?outerFunction /;

/** The next turn of the event loop: a rejection from here has no caller on its stack. */
const later = (fn: () => void): void => void setImmediate(fn);

describe('rejectWithCallerFrames', () => {
  it("REPLACE: the error's stack becomes its message and the frames of the functions awaiting it", async () => {
    const w = pending();
    const error = stackless('acquire timed out');
    later(() => rejectWithCallerFrames(w.resolve, error, REPLACE));
    const e = (await awaitedByCaller(w.promise)) as Error;
    expect(e).toBe(error);
    const lines = e.stack!.split('\n');
    expect(lines[0]).toBe('Error: acquire timed out');
    // (vitest's source-map formatter prints async frames without `async `, as Node prints them with it)
    expect(lines[1]).toMatch(/^ {4}at (async )?innerFunction /);
    expect(lines[2]).toMatch(/^ {4}at (async )?outerFunction /);
    expect(e.stack).not.toMatch(/src.core.util.caller-frames/); // lido's own callback does not show
  });

  it('follows the chain through then() callbacks (use(), an adapter mapping the lease)', async () => {
    const w = pending();
    later(() => rejectWithCallerFrames(w.resolve, stackless('closed')));
    const e = (await awaitedByCaller(w.promise.then((x) => x).then((x) => x))) as Error;
    expect(e.stack).toMatch(CALLER);
  });

  it("APPEND: keeps the error's own frames and adds the caller's, put together when stack is read", async () => {
    const w = pending();
    let error!: Error;
    later(() => {
      error = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
      rejectWithCallerFrames(w.resolve, error, APPEND);
    });
    const e = (await awaitedByCaller(w.promise)) as Error;
    const lines = e.stack!.split('\n');
    expect(lines[0]).toBe('Error: WRONGTYPE Operation against a key holding the wrong kind of value');
    expect(lines[1]).toMatch(/caller-frames\.test\.ts/); // where it was made
    expect(e.stack).toMatch(CALLER);
    e.stack = 'replaced';
    expect(e.stack).toBe('replaced');
  });

  it('APPEND leaves a stack that already names the caller as it is (an error thrown by the caller after an await)', async () => {
    const callback = (async () => {
      await null;
      throw new Error('thrown by the callback');
    })();
    const passedOn = callback.then(undefined, function handler(e: unknown) {
      appendCallerFrames(e, handler);
      throw e;
    });
    const e = (await awaitedByCaller(passedOn)) as Error;
    expect(e.stack).toMatch(CALLER);
    expect(e.stack!.match(/innerFunction/g)).toHaveLength(1);
  });

  it('gives each of many rejections of one stretch its own frames, in order, none lost', async () => {
    const ws = Array.from({ length: 20 }, () => pending());
    const errors = ws.map((_, i) => stackless(`e${i}`));
    later(() => ws.forEach((w, i) => rejectWithCallerFrames(w.resolve, errors[i])));
    const got = await Promise.all(ws.map((w) => awaitedByCaller(w.promise)));
    expect(got).toEqual(errors);
    for (const e of got) expect((e as Error).stack).toMatch(CALLER);
  });

  it('rejects a promise nobody awaits in an async function (no frames to add) and primitives as they are', async () => {
    const a = pending();
    const b = pending();
    const frozen = Object.freeze(stackless('frozen'));
    later(() => {
      rejectWithCallerFrames(a.resolve, 'a string reason');
      rejectWithCallerFrames(b.resolve, frozen, APPEND);
    });
    await expect(a.promise).rejects.toBe('a string reason');
    await expect(b.promise).rejects.toBe(frozen);
    expect(frozen.stack).toBe('Error: frozen');
  });
});

describe('appendCallerFrames', () => {
  it('ignores objects without a stack of their own', () => {
    const o = { message: 'not an error' };
    appendCallerFrames(o, appendCallerFrames);
    expect(Object.getOwnPropertyNames(o)).toEqual(['message']);
  });
});

describe('FramesBudget', () => {
  it(`allows ${FRAMES_PER_SECOND} captures a second, counted from the first of each second`, () => {
    const budget = new FramesBudget();
    let allowed = 0;
    for (let i = 0; i < FRAMES_PER_SECOND + 50; i++) if (budget.take(10)) allowed++;
    expect(allowed).toBe(FRAMES_PER_SECOND);
    expect(budget.take(1_009.9)).toBe(false);
    expect(budget.take(1_010)).toBe(true);
  });
});

describe('CallerFrames', () => {
  it("rejects with the caller's frames while the budget lasts, then as it is", async () => {
    let now = 0;
    const frames = new CallerFrames(() => now);
    for (let i = 0; i < FRAMES_PER_SECOND; i++) expect(frames.take()).toBe(true);
    const spent = pending();
    let rejected: unknown = null;
    const error = stackless('over budget');
    frames.reject(spent.resolve, (e) => (rejected = e), error);
    expect(rejected).toBe(error);
    now = 1_000;
    const w = pending();
    later(() => frames.reject(w.resolve, () => {}, stackless('next second')));
    expect(((await awaitedByCaller(w.promise)) as Error).stack).toMatch(CALLER);
  });

  it("adds the caller's frames inside a reaction on the caller's chain", async () => {
    const frames = new CallerFrames(() => 0);
    const w = pending();
    const chained = w.promise.then(undefined, function handler(e: unknown) {
      frames.add(e, handler);
      throw e;
    });
    later(() => w.resolve(Promise.reject(stackless('made away'))));
    expect(((await awaitedByCaller(chained)) as Error).stack).toMatch(CALLER);
  });
});
