import { envSourcesOf } from '../../config/sources.js';
import { ownedPools } from '../../stats/churn.js';
import { PoolCluster } from '../../cluster/cluster.js';
import type { AcquireOptions } from '../../core/acquire-options.js';
import { PoolOptionsError } from '../../core/errors.js';
import type { PoolInternals } from '../../core/internal.js';
import type { Lease } from '../../core/lease.js';
import { defaults, type PoolOptions } from '../../core/options.js';
import { Pool, poolInternals } from '../../core/pool.js';
import { systemClock } from '../../core/util/clock.js';
import type { PoolStats } from '../../stats/counters.js';
import type { Clients } from './clients.js';
import { IdleReaper } from './idle.js';
import { createPgFactory, type PgFactory, type PgFactoryHooks } from './factory.js';
import { connectionOptions, toCoreOptions, type PgPoolOptions, type PgReplicaOptions } from './options.js';
import { PendingList } from './pending.js';
import { ServerRefusals } from './refusals.js';
import { redact, type Secrets } from '../../core/util/redact.js';
import { clusterSettings, replicaOptions, type PgClusterSettings } from './replicas.js';
import type { ClientConstructor, ClientLike } from './types.js';

/** One core pool of a PgPool (the primary, or a replica) and what PgPool tracks for it. */
export interface Member<C extends ClientLike> {
  readonly pool: Pool<C>;
  readonly core: PoolInternals<C>;
  /** Checkouts waiting on this pool, oldest first, for its failed connection attempts (see {@link PendingList}). */
  readonly waiters: PendingList<C>;
  /**
   * The errors of this pool's failed connection attempts, with each attempt's ticket, until
   * the core reports them (its `error` event, phase `create`, whose `cause` is the error).
   */
  readonly failedAttempts: WeakMap<object, number>;
  /** `maxLifetimeMs` of this pool (for `expiredCount`). */
  readonly lifetimeMs: number;
  /** Its idle clients' idle timeout and end of life, exact (see {@link IdleReaper}). */
  readonly reaper: IdleReaper<C>;
  /** The server's refusals (`53300`) of this pool's connection attempts. */
  readonly refusals: ServerRefusals;
  readonly replica: boolean;
  /** A replica's options (merged over the primary's); null for the primary. */
  readonly options: PgReplicaOptions<C> | null;
}

/** The pools of a PgPool, built from its options. */
export interface Members<C extends ClientLike> {
  readonly primary: Member<C>;
  readonly replicas: Member<C>[];
  /** Every member, by its pool. */
  readonly byPool: Map<Pool<C>, Member<C>>;
  /** Null without replicas: then every checkout goes straight to the primary's pool. */
  readonly cluster: PoolCluster<C> | null;
  readonly settings: PgClusterSettings;
  /** The primary's factory (its `Client` is `pool.Client`). */
  readonly factory: PgFactory<C>;
  /** The primary's core options, as resolved from the pg ones. */
  readonly core: CoreOptions<C>;
}

type CoreOptions<C> = ReturnType<typeof toCoreOptions<C & ClientLike>>;

/**
 * A core pool that says when an acquire reaches it: the cluster picks a member and
 * calls its `acquire()` synchronously, so PgPool learns which member serves the
 * checkout it is making (and a failed connection attempt there goes to that checkout).
 */
export class MemberPool<C> extends Pool<C> {
  readonly #reached: (pool: Pool<C>) => void;

  constructor(options: PoolOptions<C>, reached: (pool: Pool<C>) => void) {
    super(options);
    this.#reached = reached;
  }

  override acquire(options?: AcquireOptions): Promise<Lease<C>> {
    this.#reached(this);
    return super.acquire(options);
  }
}

let pools = 0;

/** What building the members needs from PgPool. */
export interface MemberContext<C extends ClientLike> {
  readonly clients: Clients<C>;
  readonly secrets: Secrets;
  /** The factory hooks every member shares; `attempt` is added per member. */
  readonly hooks: Omit<PgFactoryHooks<C>, 'attempt'>;
  /** PgPool's sequence (checkouts and connection attempts are numbered from the same one). */
  readonly ticket: () => number;
  /** A checkout through the cluster reached `pool` (see {@link MemberPool}). */
  readonly reached: (pool: Pool<C>) => void;
}

/**
 * Builds the primary's pool and, with `replicas`, each replica's and the cluster. Replica
 * options and factories are checked before any pool exists; a pool or the cluster
 * refusing its options closes the pools already made (none has connected yet).
 */
export function buildMembers<C extends ClientLike>(
  options: PgPoolOptions<C>,
  Client: ClientConstructor<C> | undefined,
  context: MemberContext<C>,
): Members<C> {
  const settings = clusterSettings(options);
  const core = coreOptions(options, '', context.clients);
  const byPool = new Map<Pool<C>, Member<C>>();
  const replicaList = options.replicas ?? [];
  // Each member's failed connection attempts go to checkouts waiting on it (see events.ts).
  const attempts: WeakMap<object, number>[] = [];
  const factoryOf = (o: PgReplicaOptions<C>, cls: ClientConstructor<C> | undefined, i: number): PgFactory<C> => {
    const failed = (attempts[i] = new WeakMap<object, number>());
    const attempt = (): ((error: unknown) => void) => {
      const ticket = context.ticket();
      return (error) => {
        if (error !== null && typeof error === 'object') failed.set(error, ticket);
      };
    };
    return createPgFactory<C>(o, cls, { ...context.hooks, attempt }, context.secrets);
  };
  const factory = factoryOf(options, Client, 0);
  const add = (pool: Pool<C>, i: number, c: CoreOptions<C>, o: PgReplicaOptions<C> | null): Member<C> => {
    const m: Member<C> = {
      pool,
      core: poolInternals(pool),
      waiters: new PendingList<C>(),
      failedAttempts: attempts[i]!,
      lifetimeMs: c.maxLifetimeMs ?? defaults.maxLifetimeMs,
      reaper: new IdleReaper<C>({ idleTimeoutMs: idleOf.get(c)!, pool, clock: c.clock ?? systemClock }),
      refusals: new ServerRefusals(c.clock ?? systemClock),
      replica: o !== null,
      options: o,
    };
    byPool.set(pool, m);
    return m;
  };
  if (replicaList.length === 0) {
    // No replicas: the pool pg.Pool users get, with no cluster in the way.
    const primary = add(
      ownedPools(() => new Pool<C>({ ...core, factory })), // counted once, as the PgPool
      0,
      core,
      null,
    );
    return { primary, replicas: [], byPool, cluster: null, settings, factory, core };
  }
  const name = core.name!;
  const specs = replicaList.map((r, i) => {
    const o = replicaOptions<C>(options, r, i, name);
    const rc = coreOptions(o, `replicas[${i}].`, context.clients);
    return { o, rc, factory: factoryOf(o, factory.Client, i + 1) };
  });
  const built: Pool<C>[] = [];
  try {
    const primary = add(new MemberPool<C>({ ...core, factory }, context.reached), 0, core, null);
    built.push(primary.pool);
    const replicas = specs.map(({ o, rc, factory: f }, i) => {
      const pool = replicaPool(`replicas[${i}]`, () => new MemberPool<C>({ ...rc, factory: f }, context.reached));
      built.push(pool);
      return add(pool, i + 1, rc, o);
    });
    const cluster = new PoolCluster<C>({
      name,
      primary: primary.pool,
      replicas: replicas.map((m) => m.pool),
      strategy: settings.strategy,
      fallbackToPrimary: settings.fallbackToPrimary,
      ejectAfter: settings.ejectAfter,
      ...(options.probe !== undefined && { probe: options.probe }),
      ...(core.clock !== undefined && { clock: core.clock }),
      ...(options.random !== undefined && { random: options.random }),
    });
    return { primary, replicas, byPool, cluster, settings, factory, core };
  } catch (e) {
    for (const pool of built) void pool.close();
    throw e;
  }
}

/** Core options of one pool, from pg-style options, naming the replica in an error; its `random` watched. */
function coreOptions<C extends ClientLike>(o: PgReplicaOptions<C>, where: string, clients: Clients<C>): CoreOptions<C> {
  let core: CoreOptions<C>;
  try {
    core = toCoreOptions(o);
  } catch (e) {
    if (where !== '' && e instanceof PoolOptionsError) throw new PoolOptionsError(`${where}${e.message}`);
    throw e;
  }
  core.random = clients.watchRandom(core.random ?? Math.random);
  core.name ??= `pg-${++pools}`;
  // PgPool times its idle clients out itself, exactly (see IdleReaper); the core's sweep
  // would only reap them up to a quarter of the timeout late.
  idleOf.set(core, core.idleTimeoutMs ?? defaults.idleTimeoutMs);
  core.idleTimeoutMs = 0;
  return core;
}

/** The idle timeout each pool's options asked for (the core's is 0). */
const idleOf = new WeakMap<object, number>();

/** Builds a replica's pool, naming the replica in an option error. */
function replicaPool<C>(where: string, build: () => Pool<C>): Pool<C> {
  try {
    return build();
  } catch (e) {
    if (!(e instanceof PoolOptionsError)) throw e;
    throw new PoolOptionsError(
      e.message.startsWith('Pool options: ') ? `${where}: ${e.message.slice(14)}` : `${where}.${e.message}`,
    );
  }
}

/** `pool.config()`: effective pool and connection options, secrets redacted; with replicas, each replica's and the cluster options. */
export function membersConfig<C extends ClientLike>(
  members: Members<C>,
  options: PgPoolOptions<C>,
  secrets: Secrets,
): Record<string, unknown> {
  const config: Record<string, unknown> = {
    ...members.primary.pool.config(),
    idleTimeoutMs: members.primary.reaper.idleTimeoutMs,
    connection: redact(connectionOptions(options), { secrets }),
  };
  // The core pool's options hold idleTimeoutMs 0 (PgPool's reaper keeps the real one), so
  // its fromEnv misses that option: read the sources off the options as the user passed them.
  const fromEnv = envSourcesOf(options);
  if (fromEnv !== undefined) config.fromEnv = { ...(config.fromEnv as object | undefined), ...fromEnv };
  if (members.cluster === null) return config;
  const { strategy, fallbackToPrimary, ejectAfter } = members.settings;
  const probe = options.probe === undefined ? {} : { ...options.probe };
  if (typeof probe.check === 'function') (probe as Record<string, unknown>).check = 'function';
  config.replicaStrategy = strategy;
  config.fallbackToPrimary = fallbackToPrimary;
  config.ejectAfter = ejectAfter;
  config.probe = probe;
  config.replicas = members.replicas.map((m) => ({
    ...m.pool.config(),
    idleTimeoutMs: m.reaper.idleTimeoutMs,
    connection: redact(connectionOptions(m.options as Record<string, unknown>), { secrets }),
  }));
  return config;
}

/** A count summed over every member's stats (the primary's alone without replicas). */
export function sumStats<C extends ClientLike>(members: Members<C>, count: (s: PoolStats) => number): number {
  if (members.cluster === null) return count(members.primary.pool.stats());
  let n = 0;
  for (const pool of members.byPool.keys()) n += count(pool.stats());
  return n;
}
