/**
 * The hook matrix: one pool per combination of ok / error / slow / never for create,
 * validate, reset and destroy (4^4 = 256), each driven by concurrent borrowers with tiny
 * acquire timeouts and aborts, then closed. {@link runPool} drives one pool and returns
 * what went wrong (an empty list when every invariant held).
 */
import {
  AcquireTimeoutError,
  Pool,
  PoolClosedError,
  type CloseReport,
  type Clock,
  type Lease,
} from '../../src/index.js';
import { ScriptedFactory, type Behaviour, type Conn, type Hook } from '../support/scripted-factory.js';
import { TrackedClock } from '../support/tracked-clock.js';

export type Mode = 'ok' | 'error' | 'slow' | 'never';
export const modes: readonly Mode[] = ['ok', 'error', 'slow', 'never'];
export type Combo = Record<Hook, Mode>;

/** Every combination, create varying slowest. */
export function combos(): Combo[] {
  const out: Combo[] = [];
  for (const create of modes)
    for (const validate of modes)
      for (const reset of modes)
        for (const destroy of modes) {
          out.push({ create, validate, reset, destroy });
        }
  return out;
}

export const name = (c: Combo): string =>
  `create=${c.create} validate=${c.validate} reset=${c.reset} destroy=${c.destroy}`;

/** What each mode means for a hook: error alternates a rejection and a synchronous throw (validate also says `false`). */
function plan(hook: Hook, m: Mode): Behaviour[] {
  if (m === 'ok') return hook === 'create' ? ['ok'] : ['ok', 'sync'];
  if (m === 'slow') return ['slow'];
  if (m === 'never') return ['never'];
  return hook === 'validate' ? ['fail', 'throw', 'invalid'] : ['fail', 'throw'];
}

/** A small deterministic random source (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MatrixTiming {
  /** Acquire timeouts borrowers pick from. */
  timeouts: number[];
  /** Delay of a `slow` hook. */
  slowMs: number;
  /** Limits of create, validate and reset. */
  hookLimitMs: number;
  closeTimeoutMs: number;
  /** How long a borrower holds a lease, at most. */
  holdMs: number;
}

export interface PoolRun {
  combo: Combo;
  pool: Pool<Conn>;
  f: ScriptedFactory;
  tclock: TrackedClock;
  /** Resolves when every borrower is done (each of their acquires settled). */
  borrowers: Promise<void>;
  started: number;
  settled: number;
  outcomes: Record<string, number>;
  problems: string[];
  close(): Promise<CloseReport>;
  closed: CloseReport | null;
}

/**
 * Starts one pool of the matrix and its borrowers. `clock` is the shared time source
 * (a ManualClock or the system clock); the pool gets a tracking wrapper around it.
 */
export function startPool(
  combo: Combo,
  clock: Clock,
  seed: number,
  t: MatrixTiming,
  borrowerCount = 6,
  rounds = 6,
): PoolRun {
  const random = rng(seed);
  const tclock = new TrackedClock(clock);
  const problems: string[] = [];
  const max = 3;
  const f = new ScriptedFactory({
    clock,
    hooks: { validate: true, reset: true, watch: false, isBroken: true },
    plans: {
      create: plan('create', combo.create),
      validate: plan('validate', combo.validate),
      reset: plan('reset', combo.reset),
      destroy: plan('destroy', combo.destroy),
    },
    slowMs: { create: t.slowMs, validate: t.slowMs, reset: t.slowMs, destroy: t.slowMs },
    limit: () => max,
    destroyTimeoutMs: t.hookLimitMs,
  });
  const pool = new Pool<Conn>({
    name: name(combo),
    factory: f,
    clock: tclock,
    random,
    max,
    min: seed % 2,
    maxConcurrentCreates: 2,
    acquireTimeoutMs: t.timeouts[0],
    createTimeoutMs: t.hookLimitMs,
    validateTimeoutMs: t.hookLimitMs,
    resetTimeoutMs: t.hookLimitMs,
    destroyTimeoutMs: t.hookLimitMs,
    validateAfterIdleMs: seed % 3 === 0 ? 0 : 2,
    createRetry: { baseMs: 2, capMs: 10 },
  });
  pool.on('error', () => {}); // failures are the point here; errors are checked in the unit tests
  pool.on('create', (conn) => f.tookIn(conn));
  const held = new Set<number>();
  const outcomes: Record<string, number> = {};
  const run: PoolRun = {
    combo,
    pool,
    f,
    tclock,
    borrowers: Promise.resolve(),
    started: 0,
    settled: 0,
    outcomes,
    problems,
    closed: null,
    close: () => pool.close({ timeoutMs: t.closeTimeoutMs }).then((r) => (run.closed = r)),
  };
  const count = (what: string): void => {
    outcomes[what] = (outcomes[what] ?? 0) + 1;
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimer(r, ms, true));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const take = (conn: Conn): void => {
    if (conn.dead) problems.push(`lent conn ${conn.id} after it was destroyed`);
    if (held.has(conn.id)) problems.push(`conn ${conn.id} in two leases`);
    held.add(conn.id);
  };
  const expected = (e: unknown, signal: AbortSignal | undefined, own?: unknown): boolean =>
    e instanceof AcquireTimeoutError ||
    (signal !== undefined && e === signal.reason) ||
    (own !== undefined && e === own);

  const borrower = async (): Promise<void> => {
    for (let i = 0; i < rounds; i++) {
      const r = random();
      const timeoutMs = pick(t.timeouts);
      let signal: AbortSignal | undefined;
      if (random() < 0.3) {
        const ac = new AbortController();
        signal = ac.signal;
        if (random() < 0.2) ac.abort(new Error('aborted before'));
        else clock.setTimer(() => ac.abort(new Error('aborted')), Math.floor(random() * timeoutMs), true);
      }
      run.started++;
      if (r < 0.65) {
        let lease: Lease<Conn>;
        try {
          lease = await pool.acquire({ timeoutMs, signal });
        } catch (e) {
          run.settled++;
          count(e instanceof AcquireTimeoutError ? 'timeout' : 'aborted');
          if (!expected(e, signal)) problems.push(`acquire rejected with ${String(e)}`);
          continue;
        }
        run.settled++;
        count('lease');
        const conn = lease.resource;
        take(conn);
        await sleep(Math.floor(random() * t.holdMs));
        if (conn.dead) problems.push(`conn ${conn.id} destroyed while lent`);
        held.delete(conn.id);
        if (random() < 0.15) lease.destroy(new Error('broken'));
        else lease.release();
      } else {
        const own = Object.assign(new Error('use failed'), { broken: random() < 0.5 });
        const fails = random() < 0.5;
        try {
          await pool.use(
            async (conn) => {
              take(conn);
              await sleep(Math.floor(random() * t.holdMs));
              if (conn.dead) problems.push(`conn ${conn.id} destroyed while in use()`);
              held.delete(conn.id);
              if (fails) throw own;
            },
            { timeoutMs, signal },
          );
          count('use');
        } catch (e) {
          count(e === own ? 'use threw' : e instanceof AcquireTimeoutError ? 'timeout' : 'aborted');
          if (!expected(e, signal, own)) problems.push(`use rejected with ${String(e)}`);
        }
        run.settled++;
      }
    }
  };
  run.borrowers = Promise.all(Array.from({ length: borrowerCount }, borrower)).then(() => {});
  return run;
}

/** Checks right after close() resolved: nothing pending, only documented timers left. */
export function checkClosed(run: PoolRun, t: MatrixTiming): void {
  const { pool, f, problems } = run;
  if (run.closed === null) problems.push('close() did not resolve');
  if (run.settled !== run.started) problems.push(`${run.started - run.settled} acquire(s) never settled`);
  const s = pool.stats();
  if (s.pending !== 0 || s.borrowed !== 0 || s.creating !== 0)
    problems.push(`after close: ${s.pending} pending, ${s.borrowed} borrowed, ${s.creating} creating`);
  // Left by a close that timed out: time limits of validate/reset/destroy calls in flight, which run out by themselves.
  for (const a of run.tclock.armed())
    if (a.ms !== t.hookLimitMs) problems.push(`a ${a.ms} ms pool timer still armed after close`);
  if (f.peak > pool.stats().max) problems.push(`peak ${f.peak} alive, creating or closing, max ${pool.stats().max}`);
  problems.push(...f.violations);
}

/** Checks once every timer ran out and every hook that never settled was settled late. */
export function checkDrained(run: PoolRun): void {
  const { pool, f, problems } = run;
  const s = pool.stats();
  if (s.size !== 0 || s.idle !== 0 || s.checking !== 0 || s.closing !== 0)
    problems.push(`after drain: size ${s.size}, idle ${s.idle}, checking ${s.checking}, closing ${s.closing}`);
  if (s.created !== s.destroyed) problems.push(`created ${s.created}, destroyed ${s.destroyed}`);
  // Every destroy has exactly one reason.
  const byReason = Object.values(s.destroyedBy).reduce((a, b) => a + b, 0);
  if (byReason !== s.destroyed) problems.push(`destroyedBy adds up to ${byReason}, destroyed ${s.destroyed}`);
  if (s.created !== f.conns.size) problems.push(`stats.created ${s.created}, factory delivered ${f.conns.size}`);
  for (const r of f.conns.values())
    if (r.destroys !== 1) problems.push(`conn ${r.conn.id} destroyed ${r.destroys} times`);
  if (run.tclock.armed().length > 0) problems.push(`${run.tclock.armed().length} pool timer(s) armed after drain`);
  if (s.acquired !== (run.outcomes.lease ?? 0) + (run.outcomes.use ?? 0) + (run.outcomes['use threw'] ?? 0)) {
    problems.push(`stats.acquired ${s.acquired} != leases and uses ${JSON.stringify(run.outcomes)}`);
  }
  if (s.timeouts !== (run.outcomes.timeout ?? 0))
    problems.push(`stats.timeouts ${s.timeouts} != ${run.outcomes.timeout ?? 0}`);
  problems.push(...f.violations);
}

export { PoolClosedError };
