/**
 * The most common pooling mistake is a pool made per request (or per call, per job): each
 * one opens its own connections, none is reused, and the backend sees a storm of
 * connects. Pool constructors call {@link noteNewPool}; when 10 or more pools for the same
 * target are made within 60 s, one process warning (`LIDO_POOL_CHURN`) says so, once per
 * target. Only constructors call it: nothing here runs on acquire or release.
 *
 * For `Pool` and `PgPool` the target includes the call site: the first
 * {@link CALL_SITE_FRAMES} frames of the stack below the constructor (`new PgPool(…)`
 * itself and lido's frames left out). A pool made per request is made by the same code
 * every time and is reported; a test suite that makes a pool for the same database in
 * each of its tests makes them at different places and is not.
 */

/** Code of the process warning: many pools for one target made within a short time. */
export const LIDO_POOL_CHURN = 'LIDO_POOL_CHURN';

/** Options of a {@link ChurnDetector}. */
export interface ChurnOptions {
  /** Pools for one target that make churn. Default 10. */
  threshold?: number;
  /** Within this long, ms. Default 60 000. */
  windowMs?: number;
  /** Targets remembered at once; beyond it, targets not seen within the window are forgotten. Default 1 000. */
  maxTargets?: number;
  /** Called once per target that churns. Default: a process warning. */
  report?: (target: string, count: number, windowMs: number) => void;
}

/** The warning's text: what was seen, and what to do instead. */
export function churnMessage(target: string, count: number, windowMs: number): string {
  return (
    `lido: ${count} pools for ${target} were created within ${Math.round(windowMs / 1000)} s. ` +
    'Create one pool at start-up and share it (pass it to the code that uses it, or import it from ' +
    'a module) instead of creating one per request or call: each pool opens its own connections, ' +
    'and a new pool never reuses them.'
  );
}

function warn(target: string, count: number, windowMs: number): void {
  process.emitWarning(churnMessage(target, count, windowMs), { code: LIDO_POOL_CHURN });
}

/**
 * Counts pool creations per target in a sliding window (the last `threshold` creation
 * times, in a ring). Memory is bounded: at most `maxTargets` targets of `threshold`
 * numbers each, and the targets already reported.
 */
export class ChurnDetector {
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #maxTargets: number;
  readonly #report: (target: string, count: number, windowMs: number) => void;
  readonly #recent = new Map<string, { times: number[]; next: number }>();
  readonly #reported = new Set<string>();

  constructor(options: ChurnOptions = {}) {
    this.#threshold = options.threshold ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxTargets = options.maxTargets ?? 1_000;
    this.#report = options.report ?? warn;
  }

  /** A pool for `target` was made at `now` (ms, any monotonic clock). Reports on the `threshold`-th within the window. */
  note(target: string, now: number): void {
    if (this.#reported.has(target)) return;
    let entry = this.#recent.get(target);
    if (entry === undefined) {
      if (this.#recent.size >= this.#maxTargets) this.#forget(now);
      if (this.#recent.size >= this.#maxTargets) return; // every remembered target is live: skip this one
      entry = { times: [], next: 0 };
      this.#recent.set(target, entry);
    }
    // The ring holds the last `threshold` times; the slot written next holds the oldest of them.
    if (entry.times.length < this.#threshold) entry.times.push(now);
    else {
      entry.times[entry.next] = now;
      entry.next = (entry.next + 1) % this.#threshold;
    }
    if (entry.times.length < this.#threshold) return;
    const oldest = entry.times[entry.next]!;
    if (now - oldest >= this.#windowMs) return;
    this.#recent.delete(target);
    if (this.#reported.size < this.#maxTargets) this.#reported.add(target);
    this.#report(target, this.#threshold, this.#windowMs);
  }

  /** Drops the targets whose last creation is older than the window. */
  #forget(now: number): void {
    for (const [target, entry] of this.#recent) {
      const last = entry.times[(entry.next + entry.times.length - 1) % entry.times.length]!;
      if (now - last >= this.#windowMs) this.#recent.delete(target);
    }
  }
}

/**
 * @internal A static property of the `Pool` subclasses that report to the detector
 * themselves, with their own target (`RedisPool`): `Pool`'s constructor then does not.
 */
export const kOwnChurnTarget: unique symbol = Symbol('lido.ownChurnTarget');

/** Frames of the constructor's caller that make a `Pool`'s or `PgPool`'s call site. */
export const CALL_SITE_FRAMES = 3;

/**
 * Where the constructor `above` was called from: the first {@link CALL_SITE_FRAMES} frames
 * below it, as `file:line:column` (or `function (file:line:column)`), joined with ` < `.
 * Captured once per pool made, never on acquire or release; empty where stacks are off.
 */
export function callSite(above: Function): string {
  const holder: { stack?: unknown } = {};
  const limit = Error.stackTraceLimit;
  let stack: unknown;
  try {
    Error.stackTraceLimit = CALL_SITE_FRAMES;
    Error.captureStackTrace(holder, above);
    stack = holder.stack; // formatted here: a user's Error.prepareStackTrace may throw or return anything
  } catch {
    return '';
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (typeof stack !== 'string') return '';
  return stack
    .split('\n')
    .slice(1)
    .map((line) => line.trim().replace(/^at /, ''))
    .join(' < ');
}

/** The process-wide detector the pool constructors report to. */
const detector = new ChurnDetector();

/** Module-private: how many constructions of pools that belong to another pool are under way. */
let owned = 0;

/**
 * A pool for `target` was made at `now` (the pool's clock). `target` says what the pool
 * connects to, with its kind: `Pool "main"`, `RedisPool 127.0.0.1:6379/0`,
 * `HttpPool https://api.example.com`, `PgPool db:5432/app/user`. Ignored while
 * {@link ownedPools} runs (a pool made by another pool is that pool's business).
 */
export function noteNewPool(target: string, now: number): void {
  if (owned === 0) detector.note(target, now);
}

/**
 * {@link noteNewPool} for a pool whose target includes its call site (`Pool`, `PgPool`):
 * `above` is the constructor the user called (`new.target`). Nothing is captured while
 * {@link ownedPools} runs.
 */
export function noteNewPoolAt(target: string, now: number, above: Function): void {
  if (owned !== 0) return;
  const site = callSite(above);
  detector.note(site === '' ? target : `${target} (made at ${site})`, now);
}

/**
 * A `Pool` was made by the constructor `made` (`new.target`), named `name` (null: no name
 * given): counted by name and call site, unless the class reports itself ({@link kOwnChurnTarget}).
 */
export function notePoolMade(made: Function, name: string | null, now: number): void {
  if ((made as { [kOwnChurnTarget]?: true })[kOwnChurnTarget] === true) return;
  noteNewPoolAt(`Pool ${name === null ? '(unnamed)' : JSON.stringify(name)}`, now, made);
}

/**
 * Runs `make`, during which new pools are not counted: for pools another pool makes
 * (an `HttpPool`'s pool per origin, a `KeyedPool`'s pool per key, a `PgPool`'s core
 * pool), which would otherwise count a second time what the outer pool already counted.
 */
export function ownedPools<R>(make: () => R): R {
  owned++;
  try {
    return make();
  } finally {
    owned--;
  }
}
