import type { Factory } from '../../src/factory.js';

/** A resource made by {@link TestFactory}. */
export interface Res {
  id: number;
  dead: boolean;
}

type Hook = 'create' | 'validate' | 'reset' | 'destroy';
/** How one hook call behaves: ok, throw, reject, hang forever, or a custom function. */
export type Behaviour = 'ok' | 'throw' | 'reject' | 'never' | ((res?: Res) => unknown);

/**
 * A scriptable factory: queue behaviours per hook (`next('create', 'reject')`) or set a
 * default; it records every resource made and how often each was destroyed.
 */
export class TestFactory implements Factory<Res> {
  seq = 0;
  readonly created: Res[] = [];
  readonly destroyCount = new Map<number, number>();
  readonly calls = { create: 0, validate: 0, reset: 0, destroy: 0 };
  readonly signals: AbortSignal[] = [];
  defaults: Record<Hook, Behaviour> = { create: 'ok', validate: 'ok', reset: 'ok', destroy: 'ok' };
  #queue: Record<Hook, Behaviour[]> = { create: [], validate: [], reset: [], destroy: [] };
  /** Pending create resolvers for `hold()`-style tests. */
  readonly held: { resolve: (r: Res) => void; reject: (e: unknown) => void }[] = [];
  validate?: Factory<Res>['validate'];
  reset?: Factory<Res>['reset'];

  constructor(opts: { validate?: boolean; reset?: boolean } = {}) {
    if (opts.validate) this.validate = (r, s) => this.#run('validate', r, s, true) as Promise<boolean> | boolean;
    if (opts.reset) this.reset = (r) => this.#run('reset', r, undefined, undefined) as Promise<void> | void;
  }

  next(hook: Hook, ...behaviours: Behaviour[]): this {
    this.#queue[hook].push(...behaviours);
    return this;
  }

  create(signal: AbortSignal): Promise<Res> {
    this.calls.create++;
    this.signals.push(signal);
    const b = this.#queue.create.shift() ?? this.defaults.create;
    if (b === 'ok') {
      const r = { id: ++this.seq, dead: false };
      this.created.push(r);
      return Promise.resolve(r);
    }
    if (b === 'throw') throw new Error('create threw');
    if (b === 'reject') return Promise.reject(new Error('connect ECONNREFUSED'));
    if (b === 'never') {
      return new Promise((resolve, reject) => this.held.push({
        resolve: (r) => { this.created.push(r); resolve(r); },
        reject,
      }));
    }
    return b() as Promise<Res>;
  }

  /** A fresh resource for resolving a held create. */
  make(): Res {
    return { id: ++this.seq, dead: false };
  }

  destroy(r: Res): Promise<void> | void {
    this.calls.destroy++;
    this.destroyCount.set(r.id, (this.destroyCount.get(r.id) ?? 0) + 1);
    r.dead = true;
    const b = this.#queue.destroy.shift() ?? this.defaults.destroy;
    if (b === 'ok') return;
    if (b === 'throw') throw new Error('destroy threw');
    if (b === 'reject') return Promise.reject(new Error('destroy rejected'));
    if (b === 'never') return new Promise(() => {});
    return b(r) as void;
  }

  #run(hook: 'validate' | 'reset', r: Res, _signal: AbortSignal | undefined, okValue: unknown): unknown {
    this.calls[hook]++;
    const b = this.#queue[hook].shift() ?? this.defaults[hook];
    if (b === 'ok') return okValue;
    if (b === 'throw') throw new Error(`${hook} threw`);
    if (b === 'reject') return Promise.reject(new Error(`${hook} rejected`));
    if (b === 'never') return new Promise(() => {});
    return b(r);
  }

  /** Resources created and not destroyed. */
  alive(): Res[] {
    return this.created.filter((r) => !this.destroyCount.has(r.id));
  }

  /** Every created resource destroyed exactly once. */
  allDestroyedOnce(): boolean {
    return this.created.every((r) => this.destroyCount.get(r.id) === 1) && [...this.destroyCount.values()].every((n) => n === 1);
  }
}
