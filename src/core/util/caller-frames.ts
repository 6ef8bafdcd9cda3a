/**
 * Errors that say where they were awaited: the frames of the async functions that await
 * the rejected promise (`at async innerFunction`, `at async outerFunction`).
 *
 * V8 adds those frames to a stack only when it is captured inside a promise reaction job
 * (a `then`/`catch` callback, an `await` continuation) whose chain of promises leads to the
 * awaiting functions. An error made in a timer callback (an acquire timeout), a socket
 * event (a query error) or another caller's `close()` has none, however deep its stack:
 * by then the caller's frames are gone. So lido captures the caller's frames where V8 can
 * still see them:
 *
 * - inside a reaction job that already lies on the caller's chain (an adapter's own
 *   `then` on the core's promise, `use()`'s callback settling): {@link captureCallerFrames}
 *   for an error lido made, {@link appendCallerFrames} for one it passes on;
 * - from anywhere else, {@link rejectWithCallerFrames}: the pending promise is resolved
 *   with a promise that rejects from such a job. Nothing is added to a promise that
 *   fulfils: an acquire that gets its resource pays nothing.
 *
 * Capturing records the frames (V8 formats them into text only when `stack` is read), and
 * that is the cost: in a timeout storm of 100,000 waiters, a capture per waiter made the
 * storm several times slower. So each pool has a {@link FramesBudget}: at most
 * {@link FRAMES_PER_SECOND} rejections a second carry their caller's frames; past it, an
 * error is rejected as it is (a timeout's stack is then its message alone).
 */

/** An error lido made off the caller's path (its stack shows nothing of the caller): replaced. */
export const REPLACE = 0;
/** An error lido passes on (a driver's, the user's): its stack is kept, the caller's frames added. */
export const APPEND = 1;
/** How {@link rejectWithCallerFrames} treats the error's own stack. */
export type FramesMode = typeof REPLACE | typeof APPEND;

/**
 * Replaces `error`'s stack with the frames of the functions awaiting the current reaction
 * job's promise chain, the frames above and including `above` left out (so that lido's
 * own callback does not show). For errors lido made: their own stack shows only lido's
 * internals, or nothing (timeouts are built stackless). Call it inside a reaction job on
 * the caller's chain; elsewhere it records only the current synchronous stack.
 */
export function captureCallerFrames(error: unknown, above: Function): void {
  if (error === null || typeof error !== 'object') return;
  try {
    Error.captureStackTrace(error, above);
  } catch {
    // frozen, or a `stack` that cannot be redefined: the error keeps what it has
  }
}

/**
 * Adds to `error`'s stack the frames of the functions awaiting the current reaction job's
 * promise chain (those above and including `above` left out), unless the stack already
 * names them: an error thrown in the caller's own code after an `await` has them, a
 * driver's error raised from a socket event does not. The error's own frames are kept,
 * and the text is put together only when `stack` is first read. For errors lido passes on
 * (a driver's, the user's); primitives and frozen errors are left as they are.
 */
export function appendCallerFrames(error: unknown, above: Function): void {
  if (error === null || typeof error !== 'object' || !Object.isExtensible(error)) return;
  const own = Object.getOwnPropertyDescriptor(error, 'stack');
  if (own === undefined || !own.configurable) return;
  const frames: { stack?: string } = {};
  Error.captureStackTrace(frames, above);
  let joined: string | undefined;
  Object.defineProperty(error, 'stack', {
    configurable: true,
    enumerable: false,
    get() {
      if (joined === undefined) {
        const mine = own.get !== undefined ? own.get.call(error) : own.value;
        joined = typeof mine === 'string' ? join(mine, frames.stack) : mine;
      }
      return joined;
    },
    set(value: unknown) {
      Object.defineProperty(error, 'stack', { value, writable: true, configurable: true, enumerable: false });
    },
  });
}

/**
 * `stack` followed by the frame lines of `captured` (but Node's own, the microtask runner
 * the capture ran in), unless `stack` already holds the first of them.
 */
function join(stack: string, captured: string | undefined): string {
  if (captured === undefined) return stack;
  const lines = captured.split('\n').filter((l) => l.startsWith('    at ') && !l.includes('(node:internal/'));
  if (lines.length === 0 || stack.includes(lines[0]!)) return stack;
  return `${stack}\n${lines.join('\n')}`;
}

/**
 * The rejections made in one synchronous stretch: their promises are resolved with
 * promises chained on one gate, opened by a microtask queued behind every adoption job,
 * so that each error is thrown (and its stack captured) only once its promise is linked
 * to the caller's chain. One gate, one closure and one microtask per stretch; per
 * rejection, one promise and three microtask hops more than a plain `reject`.
 */
class Batch {
  readonly errors: unknown[] = [];
  readonly modes: FramesMode[] = [];
  index = 0;
  open: () => void = noop;
  readonly gate = new Promise<void>((resolve) => {
    this.open = resolve;
  });
  /** The gate's callback, once per rejection, in the order they were made. */
  readonly next = (): never => {
    const i = this.index++;
    const error = this.errors[i];
    this.errors[i] = undefined;
    if (this.modes[i] === REPLACE) captureCallerFrames(error, this.next);
    else appendCallerFrames(error, this.next);
    throw error;
  };
}

function noop(): void {}

let current: Batch | null = null;

function openCurrent(): void {
  const batch = current!;
  current = null;
  batch.open();
}

/**
 * Rejects a pending promise, through its `resolve` function, with `error` carrying the
 * frames of the async functions that await it (see the module's comment): `REPLACE` for
 * an error lido made (its stack becomes its message and the caller's frames), `APPEND`
 * for one it passes on. The promise settles three microtask hops later than with
 * `reject`. `resolve` must belong to a promise that is still pending.
 */
export function rejectWithCallerFrames(
  resolve: (value: PromiseLike<never>) => void,
  error: unknown,
  mode: FramesMode = REPLACE,
): void {
  let batch = current;
  if (batch === null) {
    batch = current = new Batch();
    queueMicrotask(openCurrent);
  }
  batch.errors.push(error);
  batch.modes.push(mode);
  resolve(batch.gate.then(batch.next));
}

/** Rejections a second that carry their caller's frames, per {@link FramesBudget}. */
export const FRAMES_PER_SECOND = 1_000;

/**
 * How many more rejections may carry their caller's frames now: {@link FRAMES_PER_SECOND}
 * per second, counted from the first one of each second. One per pool (and per adapter
 * that rejects its own promises), read with the pool's clock.
 */
export class FramesBudget {
  #left = 0;
  #windowEnd = -Infinity;

  /** True if one more rejection at `now` (ms, the pool's clock) may capture its caller's frames. */
  take(now: number): boolean {
    if (now >= this.#windowEnd) {
      this.#windowEnd = now + 1_000;
      this.#left = FRAMES_PER_SECOND;
    }
    if (this.#left === 0) return false;
    this.#left--;
    return true;
  }
}

/**
 * A pool's (or an adapter's) means of giving its errors the caller's frames, within its
 * {@link FramesBudget}: one per pool, reading the pool's clock only when an error is raised.
 */
export class CallerFrames {
  readonly #budget = new FramesBudget();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Rejects a pending promise with `error` from outside the caller's chain (a timer, an I/O
   * callback): through `resolve`, with the caller's frames (see
   * {@link rejectWithCallerFrames}), or through `reject` as it is once the budget is spent.
   */
  reject(
    resolve: (value: PromiseLike<never>) => void,
    reject: (error: unknown) => void,
    error: unknown,
    mode: FramesMode = REPLACE,
    now = this.#now(),
  ): void {
    if (this.#budget.take(now)) rejectWithCallerFrames(resolve, error, mode);
    else reject(error);
  }

  /**
   * Gives `error` the caller's frames from inside a reaction job on the caller's chain
   * (`above`: the callback running, left out of the stack), while the budget lasts.
   */
  add(error: unknown, above: Function, mode: FramesMode = REPLACE): void {
    if (!this.#budget.take(this.#now())) return;
    if (mode === REPLACE) captureCallerFrames(error, above);
    else appendCallerFrames(error, above);
  }

  /** True while the budget lasts (one more capture taken): for an error made here, on the caller's own stack. */
  take(now = this.#now()): boolean {
    return this.#budget.take(now);
  }
}

/** Frames captured now, formatted only when `stack` is read (see {@link framesAbove}). */
export interface CapturedFrames {
  readonly stack?: string;
}

/**
 * The frames of the functions that called `above`, captured now (`above` and what it called
 * left out), for an error raised later that should name them: a request queued by an undici
 * `Dispatcher`, whose caller's promise lido never sees. Formatted only when read.
 */
export function framesAbove(above: Function): CapturedFrames {
  const frames: { stack?: string } = {};
  Error.captureStackTrace(frames, above);
  return frames;
}

/**
 * Gives `error`, one lido made, frames captured earlier: its stack becomes its message and
 * those frames, put together when `stack` is first read. Primitives and frozen errors are
 * left as they are.
 */
export function useFrames(error: unknown, frames: CapturedFrames): void {
  if (error === null || typeof error !== 'object' || !Object.isExtensible(error)) return;
  const own = Object.getOwnPropertyDescriptor(error, 'stack');
  if (own !== undefined && !own.configurable) return;
  let text: string | undefined;
  Object.defineProperty(error, 'stack', {
    configurable: true,
    enumerable: false,
    get() {
      if (text === undefined) {
        const mine = own === undefined ? undefined : own.get !== undefined ? own.get.call(error) : own.value;
        const e = error as { name?: unknown; message?: unknown };
        const head = typeof mine === 'string' ? mine.split('\n    at ')[0] : `${String(e.name)}: ${String(e.message)}`;
        const lines = (frames.stack ?? '').split('\n').filter((l) => l.startsWith('    at '));
        text = lines.length === 0 ? head : `${head}\n${lines.join('\n')}`;
      }
      return text;
    },
    set(value: unknown) {
      Object.defineProperty(error, 'stack', { value, writable: true, configurable: true, enumerable: false });
    },
  });
}
