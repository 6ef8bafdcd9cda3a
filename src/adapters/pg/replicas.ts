import { revealSecrets } from '../../core/util/hide-secrets.js';
import type { ClusterStrategy } from '../../cluster/options.js';
import { PoolOptionsError } from '../../core/errors.js';
import { checkInt, describe } from '../../core/options.js';
import { CLUSTER_OPTION_KEYS, type PgPoolOptions, type PgReplicaOptions } from './options.js';
import type { ClientLike } from './types.js';

const CLUSTER_KEYS = new Set<string>(CLUSTER_OPTION_KEYS);
/** What a connection string replaces in pg (it is read over the separate options). */
const LOCATION_KEYS = ['host', 'port', 'database', 'user', 'password'] as const;

/** The cluster options of a `PgPool`, validated, defaults filled in. */
export interface PgClusterSettings {
  strategy: ClusterStrategy;
  fallbackToPrimary: boolean;
  ejectAfter: number;
}

/**
 * @internal Validates `replicas`, `replicaStrategy`, `fallbackToPrimary` and `ejectAfter`
 * (`probe` is validated by the cluster), naming the option, whether or not replicas are given.
 */
export function clusterSettings(o: PgPoolOptions<any>): PgClusterSettings {
  if (o.replicas !== undefined && !Array.isArray(o.replicas)) {
    throw new PoolOptionsError(
      `replicas: expected an array of connection options or connection strings, got ${describe(o.replicas)}`,
    );
  }
  const strategy = o.replicaStrategy ?? 'round-robin';
  if (strategy !== 'round-robin' && strategy !== 'least-borrowed') {
    throw new PoolOptionsError(
      `replicaStrategy: expected "round-robin" or "least-borrowed", got ${describe(strategy)}`,
    );
  }
  const fallbackToPrimary = o.fallbackToPrimary ?? true;
  if (typeof fallbackToPrimary !== 'boolean')
    throw new PoolOptionsError(`fallbackToPrimary: expected a boolean, got ${describe(fallbackToPrimary)}`);
  const ejectAfter = checkInt('ejectAfter', o.ejectAfter ?? 3, 1);
  if (o.probe !== undefined && (o.probe === null || typeof o.probe !== 'object' || Array.isArray(o.probe))) {
    throw new PoolOptionsError(
      `probe: expected an object { baseMs, capMs, timeoutMs, check }, got ${describe(o.probe)}`,
    );
  }
  return { strategy, fallbackToPrimary, ejectAfter };
}

/** Own keys, with the secrets PgPool keeps hidden (not enumerable, at any depth) plain again. */
function ownOptions(o: Record<string, unknown>): Record<string, unknown> {
  const out = revealSecrets(o);
  return out === o ? Object.assign({}, o) : out;
}

/**
 * @internal The options of replica `i`: its own (a string is a `connectionString`) over the
 * primary's, without the cluster options; named `<name>:replica-<i>` unless it has a name.
 */
export function replicaOptions<C extends ClientLike>(
  primary: PgPoolOptions<C>,
  entry: unknown,
  i: number,
  name: string,
): PgReplicaOptions<C> {
  const where = `replicas[${i}]`;
  let own: Record<string, unknown>;
  if (typeof entry === 'string') {
    own = { connectionString: entry };
  } else if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    own = ownOptions(entry as Record<string, unknown>);
    for (const key of Object.keys(own)) {
      if (CLUSTER_KEYS.has(key))
        throw new PoolOptionsError(
          `${where}.${key}: a replica cannot have its own ${key} (it is an option of the PgPool)`,
        );
    }
  } else {
    // never show the value: it may be a connection string with a password, mistyped
    throw new PoolOptionsError(
      `${where}: expected connection options or a connection string, got ${entry === null ? 'null' : Array.isArray(entry) ? 'an array' : typeof entry}`,
    );
  }
  const inherited = ownOptions(primary as Record<string, unknown>);
  for (const key of CLUSTER_KEYS) delete inherited[key];
  delete inherited.name;
  // One budget per server: the primary's counts the primary's connections only.
  delete inherited.budget;
  // pg reads a connection string over host/port/user/password/database: a replica saying
  // only `{ host }` under a primary's connectionString would quietly connect to the primary.
  if (typeof inherited.connectionString === 'string' && own.connectionString === undefined) {
    const moved = LOCATION_KEYS.filter((k) => own[k] !== undefined);
    if (moved.length > 0) {
      throw new PoolOptionsError(
        `${where}: sets ${moved.join(', ')}, but the primary's connectionString would win over ${moved.length > 1 ? 'them' : 'it'} (pg reads it last); ` +
          'give this replica its own connectionString (a string works: replicas: ["postgres://…"])',
      );
    }
  }
  const merged = Object.assign(inherited, own) as PgReplicaOptions<C>;
  merged.name = typeof own.name === 'string' ? own.name : `${name}:replica-${i}`;
  return merged;
}

/** `{ readOnly }`, validated; an Error when wrong. */
function readOnlyOption(options: unknown, where: string): boolean | PoolOptionsError {
  if (typeof options !== 'object' || Array.isArray(options)) {
    return new PoolOptionsError(`${where}: expected an object { readOnly? }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options as object)) {
    if (key !== 'readOnly') return new PoolOptionsError(`${where}: unknown option "${key}" (known: readOnly)`);
  }
  const r = (options as { readOnly?: unknown }).readOnly;
  if (r !== undefined && typeof r !== 'boolean')
    return new PoolOptionsError(`readOnly: expected a boolean, got ${describe(r)}`);
  return r === true;
}

/**
 * @internal `pool.query(text, values, options)`: whether it only reads (`options.readOnly`
 * or the config object's `readOnly`), and the query as `client.query` gets it (a plain
 * config object loses its `readOnly`). An Error when the options are wrong.
 */
export function readOnlyQuery(
  text: unknown,
  options: unknown,
): { text: unknown; readOnly: boolean } | PoolOptionsError {
  let readOnly = false;
  if (options !== undefined && options !== null) {
    const r = readOnlyOption(options, 'query options');
    if (r instanceof PoolOptionsError) return r;
    readOnly = r;
  }
  if (text !== null && typeof text === 'object' && 'readOnly' in text) {
    const r = (text as { readOnly?: unknown }).readOnly;
    if (r !== undefined && typeof r !== 'boolean')
      return new PoolOptionsError(`readOnly: expected a boolean, got ${describe(r)}`);
    readOnly ||= r === true;
    const proto = Object.getPrototypeOf(text);
    if (proto === Object.prototype || proto === null) {
      const { readOnly: _, ...rest } = text as Record<string, unknown>;
      text = rest;
    }
  }
  return { text, readOnly };
}
