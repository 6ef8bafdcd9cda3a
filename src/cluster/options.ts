import { systemClock, type Clock } from '../core/util/clock.js';
import { PoolOptionsError } from '../core/errors.js';
import { checkDuration, checkInt, describe, rejectUnknown, type PoolOptions } from '../core/options.js';
import { Pool } from '../core/pool.js';

/** How read-only acquires pick a healthy replica. */
export type ClusterStrategy = 'round-robin' | 'least-borrowed';

/** Background probing of an ejected replica: exponential backoff with jitter between attempts. */
export interface ClusterProbeOptions<T = unknown> {
  /** Delay before the first probe after an ejection, in ms. Default 1 000. */
  baseMs?: number;
  /** Longest delay between probes, in ms. Default 30 000. */
  capMs?: number;
  /** How long one probe may take, in ms. Default 5 000. */
  timeoutMs?: number;
  /**
   * The probe: resolves when the replica may take work again (e.g. a replication-lag
   * query through `pool.use`). Default: borrow one resource and give it back.
   */
  check?: (pool: Pool<T>, signal: AbortSignal) => Promise<unknown>;
}

/** Options of {@link PoolCluster}. A member is a {@link Pool} or the options to build one. */
export interface PoolClusterOptions<T> {
  /** Takes every write (and reads when no replica is healthy and `fallbackToPrimary`). Required. */
  primary: Pool<T> | PoolOptions<T>;
  /** Take read-only acquires. Default none. */
  replicas?: (Pool<T> | PoolOptions<T>)[];
  /** How a read-only acquire picks among healthy replicas. Default `'round-robin'`. */
  strategy?: ClusterStrategy;
  /** With no healthy replica, read-only acquires go to the primary (else they reject). Default true. */
  fallbackToPrimary?: boolean;
  /** A replica is ejected after this many failures in a row (creates, validations, acquires). Default 3. */
  ejectAfter?: number;
  /** Probing of ejected replicas. */
  probe?: ClusterProbeOptions<T>;
  /** Name shown in errors and stats; members built from options are named `<name>:primary`, `<name>:replica-<i>`. Default `cluster-<n>`. */
  name?: string;
  /** Time source for probes, and for members built from options. Default: the system clock. */
  clock?: Clock;
  /** Random source in [0, 1) for probe jitter. Default `Math.random`. */
  random?: () => number;
}

/** @internal Options after defaults and validation; members are pools. */
export interface ResolvedClusterOptions<T> {
  primary: Pool<T>;
  replicas: Pool<T>[];
  strategy: ClusterStrategy;
  fallbackToPrimary: boolean;
  ejectAfter: number;
  probe: Required<Omit<ClusterProbeOptions<T>, 'check'>> & Pick<ClusterProbeOptions<T>, 'check'>;
  name: string;
  clock: Clock;
  random: () => number;
}

const KNOWN = new Set([
  'primary',
  'replicas',
  'strategy',
  'fallbackToPrimary',
  'ejectAfter',
  'probe',
  'name',
  'clock',
  'random',
]);
let clusterCounter = 0;

function member<T>(what: string, v: unknown, name: string, clock: Clock): Pool<T> {
  if (v instanceof Pool) return v as Pool<T>;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new PoolOptionsError(`${what}: expected a Pool or pool options, got ${describe(v)}`);
  try {
    return new Pool<T>({ name, clock, ...(v as PoolOptions<T>) });
  } catch (e) {
    if (!(e instanceof PoolOptionsError)) throw e;
    throw new PoolOptionsError(
      e.message.startsWith('Pool options: ') ? `${what}: ${e.message.slice(14)}` : `${what}.${e.message}`,
    );
  }
}

/** @internal Validates `PoolCluster` options eagerly, naming the bad option, and builds member pools. */
export function resolveClusterOptions<T>(input: PoolClusterOptions<T>): ResolvedClusterOptions<T> {
  if (input === null || typeof input !== 'object')
    throw new PoolOptionsError(`PoolCluster options: expected an object, got ${describe(input)}`);
  rejectUnknown('PoolCluster options', input, KNOWN);
  const name = input.name ?? `cluster-${++clusterCounter}`;
  if (typeof name !== 'string' || name.length === 0)
    throw new PoolOptionsError(`name: expected a non-empty string, got ${describe(name)}`);
  const strategy = input.strategy ?? 'round-robin';
  if (strategy !== 'round-robin' && strategy !== 'least-borrowed')
    throw new PoolOptionsError(`strategy: expected "round-robin" or "least-borrowed", got ${describe(strategy)}`);
  const fallbackToPrimary = input.fallbackToPrimary ?? true;
  if (typeof fallbackToPrimary !== 'boolean')
    throw new PoolOptionsError(`fallbackToPrimary: expected a boolean, got ${describe(fallbackToPrimary)}`);
  const ejectAfter = checkInt('ejectAfter', input.ejectAfter ?? 3, 1);
  const p = (input.probe ?? {}) as ClusterProbeOptions<T>;
  if (p === null || typeof p !== 'object')
    throw new PoolOptionsError(`probe: expected an object { baseMs, capMs, timeoutMs }, got ${describe(p)}`);
  rejectUnknown('probe', p, new Set(['baseMs', 'capMs', 'timeoutMs', 'check']));
  if (p.check !== undefined && typeof p.check !== 'function')
    throw new PoolOptionsError(`probe.check: expected a function (pool, signal) => Promise, got ${describe(p.check)}`);
  const probe = {
    check: p.check,
    baseMs: checkDuration('probe.baseMs', p.baseMs ?? 1_000, true),
    capMs: checkDuration('probe.capMs', p.capMs ?? 30_000, true),
    timeoutMs: checkDuration('probe.timeoutMs', p.timeoutMs ?? 5_000, true),
  };
  if (probe.capMs < probe.baseMs)
    throw new PoolOptionsError(`probe.capMs: expected at least probe.baseMs (${probe.baseMs}), got ${probe.capMs}`);
  const clock = input.clock ?? systemClock;
  if (
    typeof clock?.now !== 'function' ||
    typeof clock.setTimer !== 'function' ||
    typeof clock.clearTimer !== 'function'
  ) {
    throw new PoolOptionsError(`clock: expected a Clock { now, setTimer, clearTimer }, got ${describe(clock)}`);
  }
  const random = input.random ?? Math.random;
  if (typeof random !== 'function')
    throw new PoolOptionsError(`random: expected a function returning [0, 1), got ${describe(random)}`);
  const replicas = input.replicas ?? [];
  if (!Array.isArray(replicas))
    throw new PoolOptionsError(`replicas: expected an array of Pools or pool options, got ${describe(replicas)}`);
  const built: Pool<T>[] = [];
  const make = (what: string, v: unknown, memberName: string): Pool<T> => {
    const pool = member<T>(what, v, memberName, clock);
    if (pool !== v) built.push(pool);
    return pool;
  };
  try {
    const primary = make('primary', input.primary, `${name}:primary`);
    const pools = replicas.map((r, i) => make(`replicas[${i}]`, r, `${name}:replica-${i}`));
    const all = [primary, ...pools];
    if (new Set(all).size !== all.length)
      throw new PoolOptionsError(
        'replicas: expected distinct pools, got the same Pool twice (or the primary as a replica)',
      );
    return { primary, replicas: pools, strategy, fallbackToPrimary, ejectAfter, probe, name, clock, random };
  } catch (e) {
    // Pools built here for a cluster that will not exist are closed, not leaked.
    for (const pool of built) void pool.close();
    throw e;
  }
}
