/**
 * A factory for model-based and chaos tests: every hook call behaves as scripted (per
 * call: from a queue, else from a plan that cycles, else ok), and a ledger records every
 * call and every resource, so a test can compare the pool's view with the truth and
 * catch what must never happen (a resource destroyed twice, a hook called on a dead
 * resource, a create beyond `max`).
 *
 * ```ts
 * const f = new ScriptedFactory({ clock, hooks: { validate: true }, plans: { create: ['ok', 'fail'] } });
 * f.next('create', 'never');         // the next create call never settles
 * f.settle(f.held()[0], true);       // settle a 'held' call now
 * f.violations                       // what went wrong, in words
 * ```
 */
import type { Clock } from '../../src/core/util/clock.js';
import type { Factory } from '../../src/core/factory.js';

/** A resource made by {@link ScriptedFactory}. */
export interface Conn {
  readonly id: number;
  /** Set once `destroy` was called on it. */
  dead: boolean;
}

export type Hook = 'create' | 'validate' | 'reset' | 'destroy';

/**
 * How one call behaves:
 * - `ok`: settles well on the next microtask; `sync`: returns at once (no promise; for
 *   create the same as `ok`);
 * - `fail`: rejects on the next microtask; `throw`: throws synchronously;
 * - `slow` / `slowFail`: settles well / badly after the hook's `slowMs` on the clock;
 * - `never`: never settles (and ignores its signal); `held`: settles when the test calls
 *   {@link ScriptedFactory.settle};
 * - `invalid`: validate resolves `false` (other hooks: like `ok`).
 */
export type Behaviour = 'ok' | 'sync' | 'fail' | 'throw' | 'slow' | 'slowFail' | 'never' | 'held' | 'invalid';

export const behaviours: readonly Behaviour[] = [
  'ok',
  'sync',
  'fail',
  'throw',
  'slow',
  'slowFail',
  'never',
  'held',
  'invalid',
];

/** One hook call. */
export interface HookCall {
  readonly seq: number;
  readonly hook: Hook;
  readonly behaviour: Behaviour;
  /** The resource it was called on (null for create). */
  readonly conn: Conn | null;
  readonly calledAt: number;
  /** create and validate get a signal. */
  readonly signal: AbortSignal | null;
  /** True when the hook returned a promise (or, for create, always). */
  readonly async: boolean;
  state: 'pending' | 'ok' | 'failed';
  settledAt: number;
  /** For create: the resource it delivered, if any. */
  made: Conn | null;
  /** Settles a pending call (behaviour `held`, or any pending call the test wants to end). */
  settle(ok: boolean): void;
}

/** What the ledger knows about one resource. */
export interface ConnRecord {
  readonly conn: Conn;
  readonly deliveredAt: number;
  /** Delivered after its create's signal had aborted: the pool must destroy it at once. */
  readonly stray: boolean;
  destroys: number;
  destroyedAt: number;
  /** The adapter reported it dead (watch). */
  evicted: boolean;
}

export interface ScriptedFactoryOptions {
  clock: Clock;
  /** Which optional hooks exist. */
  hooks?: { validate?: boolean; reset?: boolean; watch?: boolean; isBroken?: boolean };
  /** Per hook, behaviours used in turn (cycling) when nothing is queued. Default `['ok']`. */
  plans?: Partial<Record<Hook, readonly Behaviour[]>>;
  /** Delay of `slow` / `slowFail` per hook, ms. Default 7. */
  slowMs?: Partial<Record<Hook, number>>;
  /**
   * The pool's current `max`: a create call that would exceed it (resources alive, creates
   * in flight and, with `destroyTimeoutMs`, destroys still closing) is a violation.
   */
  limit?: () => number;
  /**
   * The pool's `destroyTimeoutMs`: a destroy still pending of a resource the pool took in
   * (see {@link ScriptedFactory.tookIn}) counts against `limit` until it settles or has
   * been pending this long. Without it, only alive and creating count.
   */
  destroyTimeoutMs?: number;
  /** Called for every destroy, before the ledger is updated (tests check who held it). */
  onDestroy?: (conn: Conn, record: ConnRecord | undefined) => void;
  /** Called for every create call, before it runs. */
  onCreate?: (call: HookCall) => void;
}

let errorSeq = 0;

/** Errors the factory raises carry what they were. */
export class HookError extends Error {
  constructor(
    readonly hook: Hook,
    readonly behaviour: Behaviour,
  ) {
    super(`${hook} ${behaviour === 'throw' ? 'threw' : 'failed'} (#${++errorSeq})`);
  }
}

export class ScriptedFactory implements Factory<Conn> {
  readonly clock: Clock;
  readonly calls: HookCall[] = [];
  readonly conns = new Map<number, ConnRecord>();
  readonly violations: string[] = [];
  readonly count = { create: 0, validate: 0, reset: 0, destroy: 0 };
  /** Evict callbacks of watched resources, by id. */
  readonly evictors = new Map<number, (reason: unknown) => void>();
  unwatched = 0;
  /** Ids of the resources the pool took in (its `create` event): the others it destroys as strays. */
  readonly takenIn = new Set<number>();
  /** Highest number of resources alive plus creates active, seen at any create call. */
  peak = 0;
  validate?: Factory<Conn>['validate'];
  reset?: Factory<Conn>['reset'];
  watch?: Factory<Conn>['watch'];
  isBroken?: Factory<Conn>['isBroken'];
  #seq = 0;
  #ids = 0;
  #queue: Record<Hook, Behaviour[]> = { create: [], validate: [], reset: [], destroy: [] };
  #turn: Record<Hook, number> = { create: 0, validate: 0, reset: 0, destroy: 0 };
  readonly #plans: Record<Hook, readonly Behaviour[]>;
  readonly #slowMs: Record<Hook, number>;
  readonly #o: ScriptedFactoryOptions;

  constructor(o: ScriptedFactoryOptions) {
    this.#o = o;
    this.clock = o.clock;
    this.#plans = { create: ['ok'], validate: ['ok'], reset: ['ok'], destroy: ['ok'], ...o.plans };
    this.#slowMs = { create: 7, validate: 7, reset: 7, destroy: 7, ...o.slowMs };
    const h = o.hooks ?? {};
    if (h.validate) this.validate = (c, signal) => this.#hook('validate', c, signal) as Promise<boolean> | boolean;
    if (h.reset) this.reset = (c) => this.#hook('reset', c, null) as Promise<void> | void;
    if (h.watch) {
      this.watch = (c, evict) => {
        this.evictors.set(c.id, evict);
        return () => {
          this.unwatched++;
          this.evictors.delete(c.id);
        };
      };
    }
    if (h.isBroken) this.isBroken = (error) => (error as { broken?: unknown } | null)?.broken === true;
  }

  /** Queues behaviours for the next calls of `hook`. */
  next(hook: Hook, ...b: Behaviour[]): this {
    this.#queue[hook].push(...b);
    return this;
  }

  /** Creates called and neither settled nor abandoned (signal aborted). */
  creating(): number {
    let n = 0;
    for (const c of this.calls) if (c.hook === 'create' && c.state === 'pending' && !c.signal!.aborted) n++;
    return n;
  }

  /** The pool took `conn` in (call it from the pool's `create` event). */
  tookIn(conn: Conn): void {
    this.takenIn.add(conn.id);
  }

  /**
   * Destroys called and not settled, nor pending for `destroyTimeoutMs` or longer, of
   * resources the pool took in: still open on the backend, and counted by the pool against
   * `max`. 0 without `destroyTimeoutMs`.
   */
  closing(): number {
    const ms = this.#o.destroyTimeoutMs;
    if (ms === undefined) return 0;
    const now = this.clock.now();
    let n = 0;
    // A stray (one the pool never took in: its create was abandoned first) never had a place.
    for (const c of this.calls)
      if (c.hook === 'destroy' && c.state === 'pending' && now < c.calledAt + ms && this.takenIn.has(c.conn!.id)) n++;
    return n;
  }

  /** Resources delivered to the pool (not strays) and not destroyed. */
  alive(): ConnRecord[] {
    return [...this.conns.values()].filter((r) => !r.stray && r.destroys === 0);
  }

  /** Calls still pending. */
  pending(hook?: Hook): HookCall[] {
    return this.calls.filter((c) => c.state === 'pending' && (hook === undefined || c.hook === hook));
  }

  /** Pending calls of behaviour `held`. */
  held(): HookCall[] {
    return this.calls.filter((c) => c.state === 'pending' && c.behaviour === 'held');
  }

  /** Settles a pending call now. */
  settle(call: HookCall, ok: boolean): void {
    call.settle(ok);
  }

  /** The adapter reports `conn` dead. */
  evict(conn: Conn, reason: unknown = new Error(`conn ${conn.id} died`)): boolean {
    const e = this.evictors.get(conn.id);
    if (e === undefined) return false;
    const r = this.conns.get(conn.id);
    if (r !== undefined) r.evicted = true;
    e(reason);
    return true;
  }

  /** Every resource ever delivered (strays too) destroyed exactly once. */
  allDestroyedOnce(): boolean {
    for (const r of this.conns.values()) if (r.destroys !== 1) return false;
    return true;
  }

  #pick(hook: Hook): Behaviour {
    const q = this.#queue[hook].shift();
    if (q !== undefined) return q;
    const plan = this.#plans[hook];
    return plan[this.#turn[hook]++ % plan.length];
  }

  create(signal: AbortSignal): Promise<Conn> {
    this.count.create++;
    const limit = this.#o.limit?.();
    const closing = this.closing();
    const live = this.alive().length + this.creating() + closing;
    if (live + 1 > this.peak) this.peak = live + 1;
    if (limit !== undefined && live + 1 > limit) {
      const what = closing > 0 ? `alive, creating or closing (${closing} closing)` : 'alive or creating';
      this.violations.push(`create #${this.count.create} at ${this.clock.now()} ms with ${live} ${what}, max ${limit}`);
      // Hang from now on: a pool that creates beyond max may do so in a loop that never yields.
      return new Promise<Conn>(() => {});
    }
    return this.#hook('create', null, signal) as Promise<Conn>;
  }

  destroy(conn: Conn): Promise<void> | void {
    this.count.destroy++;
    const r = this.conns.get(conn.id);
    this.#o.onDestroy?.(conn, r);
    if (r === undefined) this.violations.push(`destroy of conn ${conn.id}, which was never delivered`);
    else {
      r.destroys++;
      if (r.destroys === 1) r.destroyedAt = this.clock.now();
      else this.violations.push(`conn ${conn.id} destroyed ${r.destroys} times`);
    }
    conn.dead = true;
    return this.#hook('destroy', conn, null) as Promise<void> | void;
  }

  #hook(hook: Hook, conn: Conn | null, signal: AbortSignal | null): unknown {
    if (hook !== 'create') this.count[hook]++;
    if (conn !== null && hook !== 'destroy' && conn.dead)
      this.violations.push(`${hook} called on conn ${conn.id} after it was destroyed`);
    const b = this.#pick(hook);
    const now = this.clock.now();
    const async = hook === 'create' || (b !== 'sync' && b !== 'throw');
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {}); // a hook the pool gave up on may reject unobserved
    const okValue = (): unknown => {
      if (hook === 'validate') return b !== 'invalid';
      if (hook !== 'create') return undefined;
      const made: Conn = { id: ++this.#ids, dead: false };
      this.conns.set(made.id, {
        conn: made,
        deliveredAt: this.clock.now(),
        stray: signal!.aborted,
        destroys: 0,
        destroyedAt: -1,
        evicted: false,
      });
      call.made = made;
      return made;
    };
    const call: HookCall = {
      seq: ++this.#seq,
      hook,
      behaviour: b,
      conn,
      calledAt: now,
      signal,
      async,
      state: 'pending',
      settledAt: -1,
      made: null,
      settle: (ok) => {
        if (call.state !== 'pending') return;
        call.state = ok ? 'ok' : 'failed';
        call.settledAt = this.clock.now();
        if (ok) resolve(okValue());
        else reject(new HookError(hook, b));
      },
    };
    this.calls.push(call);
    if (hook === 'create') this.#o.onCreate?.(call);
    switch (b) {
      case 'throw':
        call.state = 'failed';
        call.settledAt = now;
        throw new HookError(hook, b);
      case 'sync':
        if (hook !== 'create') {
          call.state = 'ok';
          call.settledAt = now;
          return hook === 'validate' ? true : undefined;
        }
        call.settle(true);
        return promise;
      case 'ok':
      case 'invalid':
        call.settle(true);
        return promise;
      case 'fail':
        call.settle(false);
        return promise;
      case 'slow':
      case 'slowFail':
        this.clock.setTimer(() => call.settle(b === 'slow'), this.#slowMs[hook], true);
        return promise;
      case 'never':
      case 'held':
        return promise;
    }
  }
}
