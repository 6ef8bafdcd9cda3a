import type { Clock } from '../../src/core/util/clock.js';
import type { Factory } from '../../src/core/factory.js';

/** A resource made by {@link TestFactory}. */
export interface Res {
  id: number;
  dead: boolean;
}

type Hook = 'create' | 'validate' | 'reset' | 'destroy';
/**
 * How one hook call behaves: ok, throw (synchronously), reject, hang forever ('never',
 * ignoring the signal), hang until the signal aborts ('abortable'), or a custom function.
 */
export type Behaviour = 'ok' | 'throw' | 'reject' | 'never' | 'abortable' | ((res?: Res) => unknown);

/** Options of {@link TestFactory}. */
export interface TestFactoryOptions {
  /** Provide a `validate` hook. */
  validate?: boolean;
  /** Provide a `reset` hook. */
  reset?: boolean;
  /** Provide a `watch` hook: `evict(id, reason)` reports a resource dead. */
  watch?: boolean;
  /** Provide an `isBroken` hook. */
  isBroken?: (error: unknown, res: Res) => boolean;
  /** Clock for `delayMs`. */
  clock?: Clock;
  /** An 'ok' call of these hooks settles only after this many ms on `clock`. */
  delayMs?: Partial<Record<Hook, number>>;
}

/**
 * A scriptable factory: queue behaviours per hook (`next('create', 'reject')`) or set a
 * default; it records every resource made, how often each was destroyed, and the peak
 * number of resources alive at once counting creates in flight.
 */
export class TestFactory implements Factory<Res> {
  seq = 0;
  readonly created: Res[] = [];
  readonly destroyCount = new Map<number, number>();
  readonly calls = { create: 0, validate: 0, reset: 0, destroy: 0 };
  /** Times (on `clock`) of every create call. */
  readonly createTimes: number[] = [];
  readonly signals: AbortSignal[] = [];
  defaults: Record<Hook, Behaviour> = { create: 'ok', validate: 'ok', reset: 'ok', destroy: 'ok' };
  #queue: Record<Hook, Behaviour[]> = { create: [], validate: [], reset: [], destroy: [] };
  /** Pending create resolvers for 'never' creates. */
  readonly held: { resolve: (r: Res) => void; reject: (e: unknown) => void }[] = [];
  /** Creates called and not settled yet. */
  inFlight = 0;
  /** Created (resolved) and not yet destroyed. */
  alive = 0;
  /** Highest `inFlight + alive` seen. */
  peak = 0;
  /** Evict callbacks of watched resources, by id. */
  readonly evictors = new Map<number, (reason: unknown) => void>();
  /** How many times an unwatch function was called. */
  unwatched = 0;
  readonly clock: Clock | undefined;
  readonly delayMs: Partial<Record<Hook, number>>;
  validate?: Factory<Res>['validate'];
  reset?: Factory<Res>['reset'];
  watch?: Factory<Res>['watch'];
  isBroken?: Factory<Res>['isBroken'];

  constructor(opts: TestFactoryOptions = {}) {
    this.clock = opts.clock;
    this.delayMs = opts.delayMs ?? {};
    if (opts.validate) this.validate = (r, s) => this.#run('validate', r, s, true) as Promise<boolean> | boolean;
    if (opts.reset) this.reset = (r) => this.#run('reset', r, undefined, undefined) as Promise<void> | void;
    if (opts.watch) {
      this.watch = (r, evict) => {
        this.evictors.set(r.id, evict);
        return () => {
          this.unwatched++;
          this.evictors.delete(r.id);
        };
      };
    }
    if (opts.isBroken) this.isBroken = opts.isBroken;
  }

  next(hook: Hook, ...behaviours: Behaviour[]): this {
    this.#queue[hook].push(...behaviours);
    return this;
  }

  /** The adapter reports resource `id` dead. */
  evict(id: number, reason: unknown = new Error(`resource ${id} died`)): void {
    const e = this.evictors.get(id);
    if (e === undefined) throw new Error(`resource ${id} is not watched`);
    e(reason);
  }

  #bump(): void {
    if (this.inFlight + this.alive > this.peak) this.peak = this.inFlight + this.alive;
  }

  #born(r: Res): Res {
    this.inFlight--;
    this.alive++;
    this.created.push(r);
    this.#bump();
    return r;
  }

  #failed(e: unknown): never {
    this.inFlight--;
    throw e;
  }

  #delay<R>(hook: Hook, value: () => R): R | Promise<R> {
    const ms = this.delayMs[hook];
    if (ms === undefined || ms <= 0) return value();
    if (this.clock === undefined) throw new Error('delayMs needs a clock');
    const clock = this.clock;
    return new Promise<R>((resolve) => clock.setTimer(() => resolve(value()), ms, true));
  }

  create(signal: AbortSignal): Promise<Res> {
    this.calls.create++;
    this.createTimes.push(this.clock?.now() ?? 0);
    this.signals.push(signal);
    const b = this.#queue.create.shift() ?? this.defaults.create;
    if (b === 'throw') throw new Error('create threw');
    this.inFlight++;
    this.#bump();
    if (b === 'ok') {
      return Promise.resolve(this.#delay('create', () => this.#born(this.make())));
    }
    if (b === 'reject') {
      return Promise.resolve(this.#delay('create', () => undefined)).then(() =>
        this.#failed(new Error('connect ECONNREFUSED')),
      );
    }
    if (b === 'never') {
      return new Promise((resolve, reject) =>
        this.held.push({
          resolve: (r) => resolve(this.#born(r)),
          reject: (e) => {
            this.inFlight--;
            reject(e);
          },
        }),
      );
    }
    if (b === 'abortable') {
      return new Promise((_, reject) => {
        const onAbort = (): void => {
          this.inFlight--;
          reject(signal.reason);
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    }
    return Promise.resolve(b()).then(
      (r) => (r === undefined || r === null ? (this.inFlight--, r as unknown as Res) : this.#born(r as Res)),
      (e) => this.#failed(e),
    );
  }

  /** A fresh resource for resolving a held create. */
  make(): Res {
    return { id: ++this.seq, dead: false };
  }

  destroy(r: Res): Promise<void> | void {
    this.calls.destroy++;
    const n = this.destroyCount.get(r.id) ?? 0;
    this.destroyCount.set(r.id, n + 1);
    if (n === 0) this.alive--;
    r.dead = true;
    const b = this.#queue.destroy.shift() ?? this.defaults.destroy;
    if (b === 'ok') return;
    if (b === 'throw') throw new Error('destroy threw');
    if (b === 'reject') return Promise.reject(new Error('destroy rejected'));
    if (b === 'never' || b === 'abortable') return new Promise(() => {});
    return b(r) as void;
  }

  #run(hook: 'validate' | 'reset', r: Res, signal: AbortSignal | undefined, okValue: unknown): unknown {
    this.calls[hook]++;
    if (signal !== undefined) this.signals.push(signal);
    const b = this.#queue[hook].shift() ?? this.defaults[hook];
    if (b === 'ok') return this.#delay(hook, () => okValue);
    if (b === 'throw') throw new Error(`${hook} threw`);
    if (b === 'reject') return Promise.reject(new Error(`${hook} rejected`));
    if (b === 'never' || b === 'abortable') return new Promise(() => {});
    return b(r);
  }

  /** Resources created and not destroyed. */
  aliveResources(): Res[] {
    return this.created.filter((r) => !this.destroyCount.has(r.id));
  }

  /** Every created resource destroyed exactly once. */
  allDestroyedOnce(): boolean {
    return (
      this.created.every((r) => this.destroyCount.get(r.id) === 1) &&
      [...this.destroyCount.values()].every((n) => n === 1)
    );
  }
}
