/**
 * The model-based test of `Pool<T>`: a {@link World} runs one pool on a manual clock with
 * a {@link ScriptedFactory} and keeps its own books (the model): which waiter holds
 * which resource, which are pending, which hook calls are in flight, which resources
 * exist. After every step it checks the invariants against the books and the factory's
 * ledger (see `check()`); `finish()` closes the pool and checks that nothing is left.
 *
 * Steps are plain data ({@link Op}), so a failing sequence prints as data and can be
 * pasted into `replay.test.ts`.
 */
import fc from 'fast-check';
import {
  AcquireTimeoutError,
  CreateError,
  type Lease,
  Pool,
  PoolClosedError,
  PoolError,
  QueueFullError,
  type CloseReport,
  type PoolStats,
} from '../../src/index.js';
import { flush } from '../support/manual-clock.js';
import { ScriptedFactory, type Behaviour, type Conn, type HookCall, type Hook } from '../support/scripted-factory.js';
import { StrictClock } from '../support/strict-clock.js';
import { TrackedClock } from '../support/tracked-clock.js';

/** One generated pool setup. Durations in ms; `null` stands for Infinity. */
/** Acquires a 'destroy' listener makes per sequence, at most. */
const REENTRANT_CAP = 40;

export interface Config {
  max: number;
  min: number;
  maxConcurrentCreates: number;
  acquireTimeoutMs: number | null;
  createTimeoutMs: number;
  validateTimeoutMs: number;
  resetTimeoutMs: number;
  validateAfterIdleMs: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  keepaliveMs: number;
  maxUses: number | null;
  maxWaiting: number | null;
  order: 'lifo' | 'fifo';
  failFast: boolean;
  hooks: { validate: boolean; reset: boolean; watch: boolean; isBroken: boolean };
  /** Per hook, the behaviours its calls take in turn (unless a `script` step queued one). */
  plans: Record<Hook, Behaviour[]>;
  slowMs: Record<Hook, number>;
  /** The pool's random source always returns this (jitter of lifetime and backoff). */
  random: number;
  /** 0: off; n: on every n-th `destroy` event a listener acquires (re-entrancy). */
  reentrant: number;
  /** Timeout of the final close. */
  closeTimeoutMs: number;
  /** Leak detection (0: off); its timers must be gone after close like any other. */
  leakDetectionMs?: number;
  /** How long a destroy counts as closing (against max); the pool's default when absent (older replays). */
  destroyTimeoutMs?: number;
}

/** One step. `i` picks among the candidates (modulo their number). */
export type Op =
  | { t: 'acquire'; timeoutMs?: number | null; signal: 'none' | 'aborted' | 'later' }
  | { t: 'use'; outcome: 'ok' | 'okAsync' | 'throw' | 'reject'; broken: boolean; timeoutMs?: number | null }
  | { t: 'release' | 'destroy' | 'again' | 'abort' | 'evict'; i: number }
  | { t: 'advance'; ms: number }
  | { t: 'resize'; min: number; max: number }
  | { t: 'evictIdle'; n: number }
  | { t: 'close'; timeoutMs: number }
  | { t: 'script'; hook: Hook; b: Behaviour }
  | { t: 'settle'; i: number; ok: boolean };

export const BASE_MS = 10;
export const CAP_MS = 80;
const inf = (v: number | null | undefined): number | undefined => (v === null ? Infinity : v);

// ---- arbitraries ---------------------------------------------------------------------

const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>): fc.WeightedArbitrary<T> => ({ weight, arbitrary });
const weighted = (pairs: [Behaviour, number][]): fc.Arbitrary<Behaviour> =>
  fc.oneof(...pairs.map(([b, n]) => w(n, fc.constant(b))));

/** Per hook, how likely each behaviour is: mostly well, sometimes badly. */
export const behaviourArb: Record<Hook, fc.Arbitrary<Behaviour>> = {
  create: weighted([
    ['ok', 8],
    ['slow', 3],
    ['fail', 2],
    ['throw', 1],
    ['slowFail', 1],
    ['never', 1],
    ['held', 1],
  ]),
  validate: weighted([
    ['ok', 5],
    ['sync', 3],
    ['slow', 2],
    ['invalid', 1],
    ['fail', 1],
    ['throw', 1],
    ['never', 1],
    ['held', 1],
  ]),
  reset: weighted([
    ['ok', 4],
    ['sync', 4],
    ['slow', 2],
    ['fail', 1],
    ['throw', 1],
    ['never', 1],
    ['held', 1],
  ]),
  destroy: weighted([
    ['sync', 5],
    ['ok', 3],
    ['slow', 1],
    ['fail', 1],
    ['throw', 1],
    ['never', 1],
    ['held', 1],
  ]),
};

const plan = (hook: Hook): fc.Arbitrary<Behaviour[]> =>
  fc.oneof(w(2, fc.constant<Behaviour[]>(['ok'])), w(3, fc.array(behaviourArb[hook], { minLength: 1, maxLength: 5 })));
// Never a multiple of 10, while every timeout is one: a slow hook never ties with its time limit.
const slow = fc.constantFrom(3, 17, 45, 133, 251);
const tens = (lo: number, hi: number): fc.Arbitrary<number> => fc.integer({ min: lo, max: hi }).map((n) => n * 10);

export const configArb: fc.Arbitrary<Config> = fc
  .record({
    max: fc.integer({ min: 1, max: 4 }),
    min: fc.integer({ min: 0, max: 2 }),
    maxConcurrentCreates: fc.integer({ min: 1, max: 3 }),
    acquireTimeoutMs: fc.constantFrom(30, 100, 250, 1000, null),
    createTimeoutMs: tens(2, 30),
    validateTimeoutMs: tens(2, 20),
    resetTimeoutMs: tens(2, 20),
    validateAfterIdleMs: fc.constantFrom(0, 50, 500),
    idleTimeoutMs: fc.constantFrom(0, 0, 200, 600),
    maxLifetimeMs: fc.constantFrom(0, 0, 400, 1500),
    keepaliveMs: fc.constantFrom(0, 0, 150),
    maxUses: fc.constantFrom(null, null, 1, 3),
    maxWaiting: fc.constantFrom(null, null, null, null, null, null, 0, 2),
    order: fc.constantFrom('lifo', 'fifo'),
    failFast: fc.constantFrom(false, false, false, false, false, true),
    hooks: fc.record({ validate: fc.boolean(), reset: fc.boolean(), watch: fc.boolean(), isBroken: fc.boolean() }),
    plans: fc.record({
      create: plan('create'),
      validate: plan('validate'),
      reset: plan('reset'),
      destroy: plan('destroy'),
    }),
    slowMs: fc.record({ create: slow, validate: slow, reset: slow, destroy: slow }),
    random: fc.integer({ min: 0, max: 9 }).map((n) => n / 10),
    reentrant: fc.constantFrom(0, 0, 0, 1, 2),
    closeTimeoutMs: fc.constantFrom(0, 50, 500),
    leakDetectionMs: fc.constantFrom(0, 0, 0, 100),
    destroyTimeoutMs: fc.constantFrom(100, 300, 5000),
  })
  .map((c) => ({
    ...c,
    min: Math.min(c.min, c.max),
    keepaliveMs: c.hooks.validate ? c.keepaliveMs : 0,
  }));

const timeoutArb = fc.option(fc.constantFrom(20, 60, 150, 400, null), { nil: undefined });
const idx = fc.nat({ max: 15 });

/** Every kind of step, weighted: mostly acquires, releases and time; a close now and then. */
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  w(
    8,
    fc.record(
      {
        t: fc.constant('acquire' as const),
        timeoutMs: timeoutArb,
        signal: fc.constantFrom(
          'none' as const,
          'none' as const,
          'aborted' as const,
          'later' as const,
          'later' as const,
        ),
      },
      { requiredKeys: ['t', 'signal'] },
    ),
  ),
  w(4, fc.record({ t: fc.constant('acquire' as const), signal: fc.constant('none' as const) })),
  w(
    5,
    fc.record(
      {
        t: fc.constant('use' as const),
        outcome: fc.constantFrom('ok' as const, 'okAsync' as const, 'throw' as const, 'reject' as const),
        broken: fc.boolean(),
        timeoutMs: timeoutArb,
      },
      { requiredKeys: ['t', 'outcome', 'broken'] },
    ),
  ),
  w(10, fc.record({ t: fc.constant('release' as const), i: idx })),
  w(2, fc.record({ t: fc.constant('destroy' as const), i: idx })),
  w(1, fc.record({ t: fc.constant('again' as const), i: idx })),
  w(3, fc.record({ t: fc.constant('abort' as const), i: idx })),
  w(2, fc.record({ t: fc.constant('evict' as const), i: idx })),
  w(6, fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 60 }) })),
  w(3, fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 60, max: 400 }) })),
  w(
    1,
    fc.record({
      t: fc.constant('resize' as const),
      min: fc.integer({ min: 0, max: 2 }),
      max: fc.integer({ min: 1, max: 5 }),
    }),
  ),
  w(1, fc.record({ t: fc.constant('evictIdle' as const), n: fc.integer({ min: 0, max: 3 }) })),
  w(
    4,
    fc
      .record({
        t: fc.constant('script' as const),
        hook: fc.constantFrom<Hook>('create', 'validate', 'reset', 'destroy'),
      })
      .chain((s) => behaviourArb[s.hook].map((b) => ({ ...s, b }))),
  ),
  w(3, fc.record({ t: fc.constant('settle' as const), i: idx, ok: fc.boolean() })),
  w(1, fc.record({ t: fc.constant('close' as const), timeoutMs: fc.constantFrom(0, 50, 500) })),
);

/** A step as a fast-check command; it prints as the data of its step. */
export class OpCommand implements fc.AsyncCommand<object, World> {
  constructor(readonly op: Op) {}
  check(): boolean {
    return true;
  }
  async run(_model: object, world: World): Promise<void> {
    await world.apply(this.op);
  }
  toString(): string {
    return fc.stringify(this.op);
  }
}

/** Up to `maxCommands` steps. */
export function commandsArb(maxCommands: number): fc.Arbitrary<Iterable<fc.AsyncCommand<object, World>>> {
  return fc.commands([opArb.map((op) => new OpCommand(op))], { maxCommands, size: 'max' });
}

/** What a batch of runs exercised: printed so a run that tests nothing shows it. */
export const coverage = {
  sequences: 0,
  steps: 0,
  granted: 0,
  timeouts: 0,
  aborted: 0,
  rejectedClosed: 0,
  queueFull: 0,
  failFast: 0,
  creates: 0,
  createFailures: 0,
  strays: 0,
  validates: 0,
  resets: 0,
  evictions: 0,
  forcedCloses: 0,
  reentrant: 0,
  destroyed: 0,
};

/** Runs one sequence end to end: every step, then close and the final checks. */
/**
 * The property every model-based run checks: the pool applies a random sequence of
 * commands on a random configuration, then closes, with every invariant holding.
 */
export function poolProperty(steps: number) {
  return fc.asyncProperty(configArb, commandsArb(steps), async (config, cmds) => {
    let world: World | null = null;
    try {
      await fc.asyncModelRun(() => {
        world = new World(config);
        return { model: {}, real: world };
      }, cmds);
      await world!.finish();
    } finally {
      (world as World | null)?.dispose();
    }
  });
}

export async function runOps(config: Config, ops: Op[]): Promise<World> {
  const world = new World(config);
  try {
    for (const op of ops) await world.apply(op);
    await world.finish();
  } finally {
    world.dispose();
  }
  return world;
}

// ---- the world -----------------------------------------------------------------------

/** One acquire or use, as the model sees it. */
interface Borrow {
  n: number;
  /**
   * Acquires whose call was still running when this one was made (by a listener, inside
   * that call): which of the two queued first is up to the pool, so FIFO is not checked
   * between them.
   */
  within: Borrow[];
  kind: 'acquire' | 'use' | 'reentrant';
  at: number;
  timeoutMs: number;
  deadline: number;
  ac: AbortController | null;
  /** When its signal was aborted (Infinity: never; the acquire's own time for `aborted`). */
  abortedAt: number;
  abortedBefore: boolean;
  closedAtCall: boolean;
  fullAtCall: boolean;
  /** pending: waiting; held: has a lease; done: gave it back; rejected; revoked: taken back by a forced close. */
  state: 'pending' | 'held' | 'done' | 'rejected' | 'revoked';
  settledAt: number;
  error: unknown;
  lease: Lease<Conn> | null;
  conn: Conn | null;
  /** use(): the callback ran / what it threw / whether the error says "broken". */
  ran: boolean;
  useError: Error | null;
  broken: boolean;
}

export class Violation extends Error {}

export class World {
  /** Stops at the first broken invariant a hook or callback recorded, even mid-advance. */
  readonly clock = new StrictClock({ check: () => this.#throwIfFailed() });
  readonly tclock = new TrackedClock(this.clock);
  readonly f: ScriptedFactory;
  readonly pool: Pool<Conn>;
  readonly borrows: Borrow[] = [];
  /** Conn id → the borrow holding it. */
  readonly holders = new Map<number, Borrow>();
  readonly log: string[] = [];
  max: number;
  min: number;
  /** Alive + creating + closing may exceed `max` only after a shrink, and then never grows. */
  bound: number;
  readonly destroyTimeoutMs: number;
  closedAt = -1;
  closeTimeoutMs = 0;
  closing: Promise<CloseReport> | null = null;
  closeResult: CloseReport | null = null;
  /** Start of the current wave of create failures, as the pool reported them. */
  waveStart: number | null = null;
  lastCreateFailureAt = -Infinity;
  /** The pool's last create failure since its last successful create. */
  lastCreateError: CreateError | null = null;
  letGo = 0;
  granted = 0;
  timeouts = 0;
  aborted = 0;
  #seq = 0;
  readonly #calling: Borrow[] = [];
  readonly #uses = new Map<number, number>();
  /** Conn id → index in the factory's call list when its last lease ended. */
  readonly #returnedAt = new Map<number, number>();
  /** Conn id → when it was last given back or lent. */
  readonly #goodAt = new Map<number, number>();
  #destroyEvents = 0;
  readonly #failures: string[] = [];

  constructor(readonly cfg: Config) {
    this.destroyTimeoutMs = cfg.destroyTimeoutMs ?? 5000;
    this.max = cfg.max;
    this.min = cfg.min;
    this.bound = cfg.max;
    this.f = new ScriptedFactory({
      clock: this.clock,
      hooks: cfg.hooks,
      plans: cfg.plans,
      slowMs: cfg.slowMs,
      limit: () => this.max,
      destroyTimeoutMs: this.destroyTimeoutMs,
      onCreate: () => this.#onCreateCall(),
      onDestroy: (conn) => this.#onDestroyCall(conn),
    });
    this.pool = new Pool<Conn>({
      name: 'model',
      factory: this.f,
      clock: this.tclock,
      random: () => cfg.random,
      max: cfg.max,
      min: cfg.min,
      maxConcurrentCreates: cfg.maxConcurrentCreates,
      acquireTimeoutMs: inf(cfg.acquireTimeoutMs),
      createTimeoutMs: cfg.createTimeoutMs,
      validateTimeoutMs: cfg.validateTimeoutMs,
      resetTimeoutMs: cfg.resetTimeoutMs,
      validateAfterIdleMs: cfg.validateAfterIdleMs,
      idleTimeoutMs: cfg.idleTimeoutMs,
      maxLifetimeMs: cfg.maxLifetimeMs,
      keepaliveMs: cfg.keepaliveMs,
      maxUses: inf(cfg.maxUses),
      maxWaiting: inf(cfg.maxWaiting),
      order: cfg.order,
      failFast: cfg.failFast,
      createRetry: { baseMs: BASE_MS, capMs: CAP_MS },
      leakDetectionMs: cfg.leakDetectionMs ?? 0,
      destroyTimeoutMs: this.destroyTimeoutMs,
    });
    this.pool.on('error', (e, r) => this.#onError(e, r));
    this.pool.on('create', (conn) => {
      this.f.tookIn(conn);
      this.waveStart = null;
      this.lastCreateError = null;
    });
    this.pool.on('destroy', () => {
      // Bounded: a listener that acquires on every destroy, with a validate that always fails,
      // is a loop in user code (each acquire validates an idle resource, which fails, which
      // destroys it, which acquires…); the pool does what it must each time, without end.
      if (
        this.cfg.reentrant > 0 &&
        ++this.#destroyEvents % this.cfg.reentrant === 0 &&
        this.#destroyEvents <= REENTRANT_CAP * this.cfg.reentrant &&
        !this.pool.closed
      ) {
        this.#start('reentrant', 50, 'none');
      }
    });
  }

  get now(): number {
    return this.clock.now();
  }

  #fail(message: string): void {
    this.#failures.push(`at ${this.now} ms: ${message}`);
  }

  // ---- steps ---------------------------------------------------------------------------

  async apply(op: Op): Promise<void> {
    if (this.log.length === 0) await flush(); // let the pool start filling `min` first
    this.log.push(fc.stringify(op));
    switch (op.t) {
      case 'acquire':
        this.#start('acquire', op.timeoutMs, op.signal);
        break;
      case 'use':
        this.#use(op);
        break;
      case 'release':
      case 'destroy':
        this.#giveBack(op.t, op.i);
        break;
      case 'again':
        this.#again(op.i);
        break;
      case 'abort': {
        const withSignal = this.borrows.filter((b) => b.ac !== null && !b.ac.signal.aborted);
        if (withSignal.length === 0) break;
        const b = withSignal[op.i % withSignal.length];
        b.abortedAt = this.now;
        b.ac!.abort(new Error(`abort of #${b.n}`));
        break;
      }
      case 'evict':
        this.#evict(op.i);
        break;
      case 'advance':
        await this.clock.advance(op.ms);
        break;
      case 'resize': {
        const max = op.max;
        const min = Math.min(op.min, max);
        this.max = max;
        this.min = min;
        this.pool.resize({ min, max });
        this.bound = Math.max(this.bound, max);
        break;
      }
      case 'evictIdle': {
        const idle = this.f.alive().filter((r) => !this.holders.has(r.conn.id) && !this.#checkingIds().has(r.conn.id));
        const destroysBefore = this.f.count.destroy;
        const n = this.pool.evictIdle(op.n);
        const want = Math.min(op.n, idle.length);
        // With re-entrant listeners an idle one may be borrowed half-way: fewer, never more.
        if (n > want || (n < want && this.cfg.reentrant === 0))
          this.#fail(`evictIdle(${op.n}) evicted ${n} of ${idle.length} idle, expected ${want}`);
        if (this.f.count.destroy - destroysBefore < n)
          this.#fail(`evictIdle(${op.n}) said ${n} but destroyed ${this.f.count.destroy - destroysBefore}`);
        for (const r of idle)
          if (r.destroys > 0 && this.holders.has(r.conn.id)) this.#fail(`evictIdle destroyed lent conn ${r.conn.id}`);
        break;
      }
      case 'close':
        this.#close(op.timeoutMs);
        break;
      case 'script':
        if ((op.hook === 'validate' && !this.cfg.hooks.validate) || (op.hook === 'reset' && !this.cfg.hooks.reset))
          break;
        this.f.next(op.hook, op.b);
        break;
      case 'settle': {
        const held = this.f.held();
        if (held.length > 0) this.f.settle(held[op.i % held.length], op.ok);
        break;
      }
    }
    await flush();
    this.check();
  }

  #start(kind: Borrow['kind'], timeoutMs: number | null | undefined, signal: 'none' | 'aborted' | 'later'): Borrow {
    const b = this.#borrow(kind, timeoutMs, signal !== 'none');
    const options: { timeoutMs?: number; signal?: AbortSignal } = {};
    if (timeoutMs !== undefined) options.timeoutMs = inf(timeoutMs);
    if (b.ac !== null) options.signal = b.ac.signal;
    if (signal === 'aborted') {
      b.abortedAt = this.now;
      b.abortedBefore = true;
      b.ac!.abort(new Error(`abort of #${b.n} before its acquire`));
    }
    this.#calling.push(b);
    const p = this.pool.acquire(timeoutMs === undefined && b.ac === null ? undefined : options);
    this.#called(b);
    p.then(
      (lease) => {
        let conn: Conn;
        try {
          conn = lease.resource;
        } catch (e) {
          this.#fail(`#${b.n} got a lease whose resource throws: ${String(e)}`);
          return;
        }
        this.#grant(b, conn, lease);
      },
      (e) => this.#rejected(b, e),
    );
    return b;
  }

  #borrow(kind: Borrow['kind'], timeoutMs: number | null | undefined, signal: boolean): Borrow {
    const t = timeoutMs === undefined ? inf(this.cfg.acquireTimeoutMs)! : inf(timeoutMs)!;
    const pending = this.borrows.filter((x) => x.state === 'pending').length;
    const b: Borrow = {
      n: ++this.#seq,
      within: [...this.#calling],
      kind,
      at: this.now,
      timeoutMs: t,
      deadline: this.now + t,
      ac: signal ? new AbortController() : null,
      abortedAt: Infinity,
      abortedBefore: false,
      closedAtCall: this.pool.closed,
      fullAtCall: pending >= inf(this.cfg.maxWaiting)!,
      state: 'pending',
      settledAt: -1,
      error: undefined,
      lease: null,
      conn: null,
      ran: false,
      useError: null,
      broken: false,
    };
    this.borrows.push(b);
    return b;
  }

  /** The acquire call of `b` returned; acquires made inside it (listeners) may have filled the queue. */
  #called(b: Borrow): void {
    this.#calling.pop();
    if (this.borrows.some((o) => o.within.includes(b))) {
      const pending = this.borrows.filter((o) => o !== b && o.state === 'pending').length;
      if (pending >= inf(this.cfg.maxWaiting)!) b.fullAtCall = true;
    }
  }

  #use(op: Extract<Op, { t: 'use' }>): void {
    const b = this.#borrow('use', op.timeoutMs, false);
    const error = Object.assign(new Error(`use #${b.n} failed`), { broken: op.broken });
    b.broken = op.broken;
    const fn = (conn: Conn): unknown => {
      b.ran = true;
      this.#grant(b, conn, null);
      const giveBack = (): void => {
        this.holders.delete(conn.id);
        this.letGo++;
        this.#returned(conn);
      };
      switch (op.outcome) {
        case 'ok':
          giveBack();
          return b.n;
        case 'throw':
          giveBack();
          b.useError = error;
          throw error;
        case 'okAsync':
        case 'reject':
          return Promise.resolve().then(() => {
            giveBack();
            if (op.outcome === 'okAsync') return b.n;
            b.useError = error;
            throw error;
          });
      }
    };
    this.#calling.push(b);
    const p = op.timeoutMs === undefined ? this.pool.use(fn) : this.pool.use(fn, { timeoutMs: inf(op.timeoutMs) });
    this.#called(b);
    p.then(
      (v) => {
        b.state = 'done';
        b.settledAt = this.now;
        if (!b.ran || v !== b.n) this.#fail(`use #${b.n} resolved with ${String(v)} without its callback's value`);
        if (op.outcome === 'throw' || op.outcome === 'reject')
          this.#fail(`use #${b.n} resolved although its callback failed`);
      },
      (e) => {
        if (!b.ran) return this.#rejected(b, e);
        b.state = 'done';
        b.settledAt = this.now;
        if (e !== b.useError) this.#fail(`use #${b.n} rejected with ${String(e)}, not its callback's error`);
        const r = this.f.conns.get(b.conn!.id)!;
        if (b.broken && this.cfg.hooks.isBroken && r.destroys !== 1)
          this.#fail(`use #${b.n}: isBroken said broken, conn ${b.conn!.id} was not destroyed`);
      },
    );
  }

  #giveBack(how: 'release' | 'destroy', i: number): void {
    const held = this.borrows.filter((b) => b.state === 'held' && b.kind !== 'use');
    if (held.length === 0) return;
    const b = held[i % held.length];
    const conn = b.conn!;
    const r = this.f.conns.get(conn.id)!;
    this.holders.delete(conn.id);
    b.state = 'done';
    this.letGo++;
    if (how === 'release') this.#returned(conn);
    if (how === 'release') b.lease!.release();
    else b.lease!.destroy(new Error(`destroyed by #${b.n}`));
    if (how === 'destroy' && r.destroys !== 1)
      this.#fail(`lease.destroy() of #${b.n} did not destroy conn ${conn.id} at once`);
    if (how === 'release' && r.evicted && r.destroys !== 1)
      this.#fail(`release of evicted conn ${conn.id} (#${b.n}) did not destroy it at once`);
    if (how === 'release' && this.pool.closed && r.destroys !== 1)
      this.#fail(`release of conn ${conn.id} (#${b.n}) after close did not destroy it at once`);
  }

  #again(i: number): void {
    const gone = this.borrows.filter((b) => b.lease !== null && (b.state === 'done' || b.state === 'revoked'));
    if (gone.length === 0) return;
    const b = gone[i % gone.length];
    const before = this.#counters();
    const destroys = this.f.count.destroy;
    try {
      if (i % 2 === 0) b.lease!.release();
      else b.lease!.destroy(new Error('again'));
    } catch (e) {
      this.#fail(`a second release/destroy of #${b.n} threw ${String(e)}`);
    }
    const after = this.#counters();
    if (JSON.stringify(before) !== JSON.stringify(after) || destroys !== this.f.count.destroy) {
      this.#fail(
        `a second release/destroy of #${b.n} changed the pool: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`,
      );
    }
    if (!b.lease!.released) this.#fail(`lease of #${b.n} does not say released`);
  }

  #counters(): Partial<PoolStats> {
    const s = this.pool.stats();
    return {
      size: s.size,
      idle: s.idle,
      borrowed: s.borrowed,
      released: s.released,
      destroyed: s.destroyed,
      checking: s.checking,
    };
  }

  #evict(i: number): void {
    if (!this.cfg.hooks.watch) return;
    const alive = this.f.alive().filter((r) => this.f.evictors.has(r.conn.id));
    if (alive.length === 0) return;
    const r = alive[i % alive.length];
    const idle = !this.holders.has(r.conn.id) && !this.#checkingIds().has(r.conn.id);
    this.f.evict(r.conn);
    if (idle && r.destroys !== 1) this.#fail(`evicting idle conn ${r.conn.id} did not destroy it at once`);
  }

  #close(timeoutMs: number): void {
    if (this.closing !== null) {
      if (this.pool.close({ timeoutMs }) !== this.closing) this.#fail('a second close() returned another promise');
      return;
    }
    this.closedAt = this.now;
    this.closeTimeoutMs = timeoutMs;
    this.closing = this.pool.close({ timeoutMs });
    this.closing.then(
      (r) => (this.closeResult = r),
      (e) => this.#fail(`close() rejected: ${String(e)}`),
    );
  }

  // ---- what the pool and the factory tell us ---------------------------------------------

  #grant(b: Borrow, conn: Conn, lease: Lease<Conn> | null): void {
    const now = this.now;
    const r = this.f.conns.get(conn.id);
    const who = `#${b.n} (${b.kind})`;
    if (b.state !== 'pending') this.#fail(`${who} granted while ${b.state}`);
    if (r === undefined || r.stray)
      this.#fail(`${who} got conn ${conn.id}, which the factory never delivered to the pool`);
    if (conn.dead) this.#fail(`${who} got conn ${conn.id}, already destroyed`);
    if (r?.evicted) this.#fail(`${who} got conn ${conn.id}, evicted by the adapter`);
    const why = this.#condemned(conn);
    if (why !== null) this.#fail(`${who} got conn ${conn.id} after its ${why}`);
    const other = this.holders.get(conn.id);
    if (other !== undefined) this.#fail(`conn ${conn.id} in two leases: #${other.n} and ${who}`);
    if (this.closedAt >= 0) this.#fail(`${who} granted after close()`);
    if (b.ac?.signal.aborted)
      this.#fail(`${who} granted after its signal aborted (a resource lost to a waiter that left)`);
    if (now > b.deadline) this.#fail(`${who} granted at ${now}, after its deadline ${b.deadline}`);
    if (this.#checkingIds().has(conn.id))
      this.#fail(`${who} got conn ${conn.id} while a validate/reset of it is in flight`);
    for (const o of this.borrows) {
      if (o.n >= b.n || o.state !== 'pending' || b.within.includes(o)) continue;
      const left = o.ac?.signal.aborted || o.deadline < now || this.closedAt >= 0;
      if (!left) this.#fail(`FIFO: ${who} served before #${o.n} (waiting since ${o.at} ms)`);
    }
    b.state = 'held';
    b.settledAt = now;
    b.lease = lease;
    b.conn = conn;
    this.granted++;
    this.holders.set(conn.id, b);
    // At most maxUses leases; never past its lifetime; after a lease, only once reset succeeded.
    const uses = (this.#uses.get(conn.id) ?? 0) + 1;
    this.#uses.set(conn.id, uses);
    if (uses > (inf(this.cfg.maxUses) ?? Infinity))
      this.#fail(`conn ${conn.id} lent ${uses} times, maxUses ${this.cfg.maxUses}`);
    if (
      r !== undefined &&
      this.cfg.maxLifetimeMs > 0 &&
      now >= r.deliveredAt + this.cfg.maxLifetimeMs * (1 - 0.1 * this.cfg.random)
    ) {
      this.#fail(`conn ${conn.id} lent at ${now}, past its lifetime (delivered at ${r.deliveredAt})`);
    }
    const since = this.#returnedAt.get(conn.id);
    if (since !== undefined && this.cfg.hooks.reset) {
      const reset = this.f.calls.slice(since).find((c) => c.hook === 'reset' && c.conn === conn);
      const ok =
        reset !== undefined &&
        reset.state === 'ok' &&
        (!reset.async || reset.settledAt < reset.calledAt + this.cfg.resetTimeoutMs);
      if (!ok) this.#fail(`conn ${conn.id} lent again without a successful reset since its last lease`);
    }
    this.#returnedAt.delete(conn.id);
    // Lent from idle after more than validateAfterIdleMs since it was last known good: validated first.
    if (this.cfg.hooks.validate) {
      const good = this.#lastGood(conn);
      if (now - good > this.cfg.validateAfterIdleMs)
        this.#fail(
          `conn ${conn.id} lent ${now - good} ms after it was last known good, unvalidated (validateAfterIdleMs ${this.cfg.validateAfterIdleMs})`,
        );
    }
    this.#goodAt.set(conn.id, now);
  }

  #rejected(b: Borrow, e: unknown): void {
    const now = this.now;
    const who = `#${b.n} (${b.kind})`;
    if (b.state !== 'pending') this.#fail(`${who} rejected while ${b.state}`);
    b.state = 'rejected';
    b.settledAt = now;
    b.error = e;
    if (b.ac !== null && e === b.ac.signal.reason) {
      if (!b.ac.signal.aborted || b.abortedAt > now)
        this.#fail(`${who} rejected with its abort reason before it aborted`);
      if (!b.abortedBefore) this.aborted++;
      return;
    }
    if (e instanceof AcquireTimeoutError) {
      this.timeouts++;
      if (now < b.deadline || now > b.deadline + 1)
        this.#fail(`${who} timed out at ${now}; its deadline was ${b.deadline}`);
      if (
        e.code !== 'ERR_POOL_ACQUIRE_TIMEOUT' ||
        e.counts === undefined ||
        !e.message.includes(`after ${b.timeoutMs} ms`)
      ) {
        this.#fail(`${who} timeout error lacks code, counts or duration: ${e.message}`);
      }
      // While creates fail, the timeout says why: its cause is what the last create failed with.
      const why = this.lastCreateError?.cause;
      if (e.cause !== why)
        this.#fail(`${who} timeout cause is ${String(e.cause)}, the last create failed with ${String(why)}`);
      return;
    }
    if (e instanceof PoolClosedError) {
      if (!b.closedAtCall && (this.closedAt < 0 || now < this.closedAt))
        this.#fail(`${who} rejected as closed before close()`);
      return;
    }
    if (e instanceof QueueFullError) {
      if (!b.fullAtCall)
        this.#fail(`${who} rejected as queue full with fewer than maxWaiting (${this.cfg.maxWaiting}) waiting`);
      return;
    }
    if (e instanceof CreateError && this.cfg.failFast) {
      if (e.cause === undefined) this.#fail(`${who} failFast CreateError without cause`);
      return;
    }
    this.#fail(
      `${who} rejected with an unexpected error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  }

  #onError(e: PoolError, _r: Conn | undefined): void {
    if (!(e instanceof PoolError) || typeof e.code !== 'string' || e.phase === undefined)
      this.#fail(`error event without code/phase: ${String(e)}`);
    if (e.phase === 'create' && e instanceof CreateError) {
      this.lastCreateError = e;
      this.lastCreateFailureAt = this.now;
      if (this.waveStart === null) this.waveStart = this.now;
    }
  }

  /** The factory was asked to create: never after close, never before the backoff allows. */
  #onCreateCall(): void {
    if (this.closedAt >= 0) this.#fail('create called after close()');
    if (this.waveStart !== null && this.now < this.waveStart + BASE_MS / 2) {
      this.#fail(
        `create retried ${this.now - this.waveStart} ms after a failed create (backoff at least ${BASE_MS / 2} ms)`,
      );
    }
    this.waveStart = null;
  }

  /** The pool destroys a resource: never one that is lent, except by a forced close. */
  #onDestroyCall(conn: Conn): void {
    const b = this.holders.get(conn.id);
    if (b === undefined) return;
    const forced = this.closedAt >= 0 && this.now >= this.closedAt + this.closeTimeoutMs && b.kind !== 'use';
    if (!forced) {
      this.#fail(`conn ${conn.id} destroyed while lent to #${b.n}`);
      return;
    }
    this.holders.delete(conn.id);
    b.state = 'revoked';
  }

  /** Why `conn` must never be lent again (a failed validation or reset), or null. */
  /** A lease of `conn` ended well: before its next lease, reset must succeed. */
  #returned(conn: Conn): void {
    this.#returnedAt.set(conn.id, this.f.calls.length);
    this.#goodAt.set(conn.id, this.now);
  }

  /** When `conn` was last known good: delivered, given back, reset or validated well. */
  #lastGood(conn: Conn): number {
    let good = Math.max(this.f.conns.get(conn.id)?.deliveredAt ?? -Infinity, this.#goodAt.get(conn.id) ?? -Infinity);
    for (const c of this.f.calls) {
      if (c.conn !== conn || c.state !== 'ok' || (c.hook !== 'validate' && c.hook !== 'reset')) continue;
      const limit = c.hook === 'validate' ? this.cfg.validateTimeoutMs : this.cfg.resetTimeoutMs;
      if (c.behaviour === 'invalid' || (c.async && c.settledAt >= c.calledAt + limit)) continue;
      good = Math.max(good, c.settledAt);
    }
    return good;
  }

  #condemned(conn: Conn): string | null {
    for (const c of this.f.calls) {
      if (c.conn !== conn) continue;
      if (c.hook === 'validate') {
        if (
          c.state === 'failed' ||
          c.behaviour === 'invalid' ||
          (c.signal!.aborted && (c.state === 'pending' || c.settledAt >= c.calledAt + this.cfg.validateTimeoutMs))
        )
          return `failed validation (call ${c.seq}, ${c.behaviour})`;
      } else if (c.hook === 'reset') {
        const late =
          c.async &&
          (c.state === 'pending'
            ? this.now >= c.calledAt + this.cfg.resetTimeoutMs
            : c.settledAt >= c.calledAt + this.cfg.resetTimeoutMs);
        if (c.state === 'failed' || late) return `failed reset (call ${c.seq}, ${c.behaviour})`;
      }
    }
    return null;
  }

  /** Validate/reset calls the pool is still waiting for. */
  #activeChecks(): HookCall[] {
    return this.f.calls.filter(
      (c) =>
        c.state === 'pending' &&
        c.async &&
        ((c.hook === 'validate' && !c.signal!.aborted) ||
          (c.hook === 'reset' && this.now < c.calledAt + this.cfg.resetTimeoutMs)),
    );
  }

  #checkingIds(): Set<number> {
    return new Set(this.#activeChecks().map((c) => c.conn!.id));
  }

  // ---- invariants --------------------------------------------------------------------------

  #throwIfFailed(): void {
    if (this.#failures.length > 0 || this.f.violations.length > 0) this.check();
  }

  /** Every invariant, against the books and the ledger. Throws a {@link Violation}. */
  check(): void {
    const now = this.now;
    for (const v of this.f.violations) this.#fail(v);
    this.f.violations.length = 0;
    const s = this.pool.stats();
    const alive = this.f.alive();
    const creating = this.f.creating();
    const closing = this.f.closing();
    const checks = this.#activeChecks();
    const checkingIds = new Set(checks.map((c) => c.conn!.id));
    const pending = this.borrows.filter((b) => b.state === 'pending');
    const lent = this.borrows.filter((b) => b.state === 'held');
    const idle = alive.filter((r) => !this.holders.has(r.conn.id) && !checkingIds.has(r.conn.id));
    const expect = (what: string, got: number, want: number): void => {
      if (got !== want) this.#fail(`stats.${what} is ${got}, the model says ${want}`);
    };
    // Stats agree with the model.
    expect('pending', s.pending, pending.length);
    expect('borrowed', s.borrowed, lent.length);
    expect('creating', s.creating, creating);
    expect('checking', s.checking, checks.length);
    expect('closing', s.closing, closing);
    // Every destroy has exactly one reason.
    expect(
      'destroyedBy (sum)',
      Object.values(s.destroyedBy).reduce((a, b) => a + b, 0),
      s.destroyed,
    );
    expect('size', s.size, alive.length + creating);
    expect('idle', s.idle, idle.length);
    expect('created - destroyed', s.created - s.destroyed, alive.length);
    expect('created', s.created, this.f.conns.size);
    expect('destroyed', s.destroyed, [...this.f.conns.values()].filter((r) => r.destroys > 0).length);
    expect('acquired', s.acquired, this.granted);
    expect('timeouts', s.timeouts, this.timeouts);
    expect('aborted', s.aborted, this.aborted);
    if (checks.length !== checkingIds.size)
      this.#fail(`two checks of one conn in flight: ${checks.map((c) => `${c.hook}(${c.conn!.id})`).join(', ')}`);
    // Never more than max, counting destroys not yet settled (the backend still sees them);
    // after a shrink, never growing while above it; idle ones go first.
    const live = alive.length + creating + closing;
    if (live > this.bound)
      this.#fail(`${live} alive, creating or closing (${closing} closing), max ${this.max} (bound ${this.bound})`);
    this.bound = Math.max(this.max, live);
    if (alive.length > this.max && idle.length > 0)
      this.#fail(`${alive.length} alive above max ${this.max} with ${idle.length} idle`);
    // One resource, one lease.
    const seen = new Set<number>();
    for (const b of lent) {
      if (seen.has(b.conn!.id)) this.#fail(`conn ${b.conn!.id} in two leases`);
      seen.add(b.conn!.id);
      if (b.conn!.dead) this.#fail(`#${b.n} holds conn ${b.conn!.id}, destroyed under it`);
    }
    // Idle resources are fit: not evicted, not condemned, not destroyed.
    for (const r of idle) {
      if (r.evicted) this.#fail(`evicted conn ${r.conn.id} is idle`);
      const why = this.#condemned(r.conn);
      if (why !== null) this.#fail(`conn ${r.conn.id} is idle after its ${why}`);
    }
    // Every waiter is pending for a reason, holds a lease or was rejected (checked as it happened).
    for (const b of pending) {
      if (this.closedAt >= 0) this.#fail(`#${b.n} still pending after close()`);
      if (b.ac?.signal.aborted) this.#fail(`#${b.n} still pending after its signal aborted`);
      if (now >= b.deadline) this.#fail(`#${b.n} still pending at ${now}, past its deadline ${b.deadline}`);
    }
    // Nothing stalls: a waiter never waits while a resource idles, nor while room to create is unused outside a backoff.
    if (this.closedAt < 0) {
      if (pending.length > checks.length && idle.length > 0)
        this.#fail(`${pending.length} waiting, ${checks.length} checks in flight, yet ${idle.length} idle`);
      const room = live < this.max && creating < this.cfg.maxConcurrentCreates;
      const backingOff = now - this.lastCreateFailureAt < CAP_MS;
      if (room && !backingOff && pending.length > checks.length + creating)
        this.#fail(
          `${pending.length} waiting, ${checks.length} checks and ${creating} creates in flight, room to create, no backoff: stalled`,
        );
      if (room && !backingOff && alive.length + creating < this.min)
        this.#fail(`${alive.length} alive + ${creating} creating below min ${this.min}, no backoff: stalled`);
    }
    if (this.#failures.length > 0) {
      throw new Violation(
        `${this.#failures.join('\n')}\n  stats: ${JSON.stringify(s, (k, v) => (k.endsWith('Time') ? undefined : v))}\n  steps: [${this.log.join(', ')}]`,
      );
    }
  }

  /** Closes (if no step did), lets every timer run out, and checks that nothing is left. */
  async finish(): Promise<void> {
    if (this.closing === null) this.#close(this.cfg.closeTimeoutMs);
    for (let i = 0; i < 40 && this.closeResult === null; i++) await this.clock.advance(25);
    if (this.closeResult === null)
      this.#fail(
        `close() still pending ${this.now - this.closedAt} ms after it was called (timeout ${this.closeTimeoutMs} ms)`,
      );
    this.check();
    // Right after close only the time limits of checks and destroys in flight may remain; they run out by themselves.
    const limits = new Set([this.cfg.validateTimeoutMs, this.cfg.resetTimeoutMs, this.destroyTimeoutMs]);
    for (const t of this.tclock.armed())
      if (!limits.has(t.ms)) this.#fail(`a ${t.ms} ms pool timer is still armed after close resolved`);
    // A slow create abandoned before close delivers late and its destroy counts until it
    // settles or times out: wait for the slowest hook, then for a destroy to time out.
    await this.clock.advance(
      Math.max(this.cfg.validateTimeoutMs, this.cfg.resetTimeoutMs, ...Object.values(this.cfg.slowMs)) +
        this.destroyTimeoutMs +
        10,
    );
    this.#final('after close');
    // Hooks that never settled settle now, late: what they deliver is destroyed, nothing else changes.
    for (const c of this.f.pending()) c.settle(c.seq % 2 === 0);
    await flush();
    // (A create settled here delivers a stray, whose destroy may itself never settle: it counts until its timeout.)
    await this.clock.advance(300 + this.destroyTimeoutMs);
    this.#final('after late settles');
    for (const b of this.borrows) if (b.lease !== null) b.lease.release(); // no-ops now, never throw
    this.check();
  }

  #final(when: string): void {
    this.check();
    const s = this.pool.stats();
    if (
      s.size !== 0 ||
      s.idle !== 0 ||
      s.borrowed !== 0 ||
      s.pending !== 0 ||
      s.creating !== 0 ||
      s.checking !== 0 ||
      s.closing !== 0
    ) {
      this.#fail(`${when}: pool not empty: ${JSON.stringify(s, (k, v) => (k.endsWith('Time') ? undefined : v))}`);
    }
    if (s.created !== s.destroyed) this.#fail(`${when}: created ${s.created} != destroyed ${s.destroyed}`);
    for (const r of this.f.conns.values())
      if (r.destroys !== 1) this.#fail(`${when}: conn ${r.conn.id} destroyed ${r.destroys} times`);
    if (this.tclock.armed().length > 0)
      this.#fail(
        `${when}: ${this.tclock.armed().length} pool timer(s) still armed (${this.tclock
          .armed()
          .map((t) => t.ms)
          .join(', ')} ms)`,
      );
    if (this.borrows.some((b) => b.state === 'pending')) this.#fail(`${when}: waiters still pending`);
    this.check();
  }

  dispose(): void {
    this.pool.removeAllListeners();
    const c = coverage;
    const s = this.pool.stats();
    c.sequences++;
    c.steps += this.log.length;
    c.granted += this.granted;
    c.timeouts += this.timeouts;
    c.aborted += this.aborted;
    for (const b of this.borrows) {
      if (b.error instanceof PoolClosedError) c.rejectedClosed++;
      if (b.error instanceof QueueFullError) c.queueFull++;
      if (b.error instanceof CreateError) c.failFast++;
      if (b.kind === 'reentrant') c.reentrant++;
    }
    c.creates += this.f.count.create;
    c.createFailures += s.createErrors;
    c.strays += [...this.f.conns.values()].filter((r) => r.stray).length;
    c.validates += this.f.count.validate;
    c.resets += this.f.count.reset;
    c.evictions += [...this.f.conns.values()].filter((r) => r.evicted).length;
    c.forcedCloses += this.closeResult !== null && this.closeResult.forced > 0 ? 1 : 0;
    c.destroyed += s.destroyed;
  }
}
