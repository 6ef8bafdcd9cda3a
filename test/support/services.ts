/**
 * Where the integration tests find PostgreSQL and Redis.
 *
 * Resolution, once per run (in the integration project's globalSetup, see
 * ./global-setup.ts) or once per process when used without it:
 *
 *   1. the address from the environment (DATABASE_URL or PGHOST/PGPORT/PGUSER/
 *      PGPASSWORD/PGDATABASE; REDIS_URL or REDIS_HOST/REDIS_PORT), defaulting to
 *      127.0.0.1:5432 user postgres database test, and 127.0.0.1:6379, probed with
 *      a plain TCP connect (no driver involved);
 *   2. if nothing answers there and a Docker engine is reachable (`docker info`),
 *      a throw-away container started with testcontainers;
 *   3. otherwise the service is unavailable: with CI set that is a FAILURE (the
 *      helpers throw, the describe wrappers register a failing test); anywhere else
 *      the tests that need it are skipped, with a loud warning on stderr.
 *
 * See docs/testing.md.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { describe, inject, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';

// ---------------------------------------------------------------------------
// Types

export interface PostgresConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  connectionString: string;
}

export interface RedisConfig {
  host: string;
  port: number;
  /** `redis://[:password@]host:port[/db]`, accepted as is by `new Redis(url)`. */
  url: string;
}

/** Where a service came from, or why there is none. Plain data: it crosses from
 * globalSetup to the test workers through vitest's provide/inject. */
export type ServiceState<C> =
  | { available: true; source: 'env' | 'container'; config: C }
  | { available: false; reason: string; config: C };

export interface ResolvedServices {
  postgres: ServiceState<PostgresConfig>;
  redis: ServiceState<RedisConfig>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    lidoServices: ResolvedServices;
  }
}

/** The key under which global-setup.ts provides the resolved services. */
export const PROVIDE_KEY = 'lidoServices';

// ---------------------------------------------------------------------------
// Environment

/** CI is "set" unless empty, "0" or "false": a missing service there is a failure. */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== '0' && v !== 'false';
}

function toPort(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65_535) {
    throw new Error(`${what}: expected a TCP port, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The PostgreSQL address the environment asks for (not probed). */
export function postgresFromEnv(env: NodeJS.ProcessEnv = process.env): PostgresConfig {
  if (env.DATABASE_URL) {
    const u = new URL(env.DATABASE_URL);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
      throw new Error(`DATABASE_URL: expected a postgres:// URL, got ${u.protocol}//…`);
    }
    const host = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    return {
      host,
      port: toPort(u.port, 5432, 'DATABASE_URL port'),
      user: decodeURIComponent(u.username) || 'postgres',
      password: decodeURIComponent(u.password),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'test',
      connectionString: env.DATABASE_URL,
    };
  }
  const host = env.PGHOST || '127.0.0.1';
  const port = toPort(env.PGPORT, 5432, 'PGPORT');
  const user = env.PGUSER || 'postgres';
  const password = env.PGPASSWORD ?? '';
  const database = env.PGDATABASE || 'test';
  return { host, port, user, password, database, connectionString: pgUrl({ host, port, user, password, database }) };
}

function pgUrl(c: Omit<PostgresConfig, 'connectionString'>): string {
  const auth = encodeURIComponent(c.user) + (c.password ? `:${encodeURIComponent(c.password)}` : '');
  const db = encodeURIComponent(c.database);
  if (c.host.startsWith('/')) {
    // Unix socket directory: libpq-style query parameter, understood by pg.
    return `postgres://${auth}@/${db}?host=${encodeURIComponent(c.host)}&port=${c.port}`;
  }
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  return `postgres://${auth}@${host}:${c.port}/${db}`;
}

/** The Redis address the environment asks for (not probed). */
export function redisFromEnv(env: NodeJS.ProcessEnv = process.env): RedisConfig {
  if (env.REDIS_URL) {
    const u = new URL(env.REDIS_URL);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
      throw new Error(`REDIS_URL: expected a redis:// URL, got ${u.protocol}//…`);
    }
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
    return { host, port: toPort(u.port, 6379, 'REDIS_URL port'), url: env.REDIS_URL };
  }
  const host = env.REDIS_HOST || '127.0.0.1';
  const port = toPort(env.REDIS_PORT, 6379, 'REDIS_PORT');
  return { host, port, url: `redis://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

// ---------------------------------------------------------------------------
// Probing

/** True if something accepts a TCP connection there within `timeoutMs`. A host that
 * starts with '/' is a PostgreSQL socket directory: `<dir>/.s.PGSQL.<port>`. */
export function tcpProbe(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = host.startsWith('/')
      ? net.connect({ path: `${host}/.s.PGSQL.${port}` })
      : net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True if `docker info` succeeds, i.e. a container engine answers (testcontainers
 * can then start services). */
export function dockerAvailable(timeoutMs = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      execFile('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: timeoutMs }, (err) => resolve(!err));
    } catch {
      resolve(false);
    }
  });
}

// ---------------------------------------------------------------------------
// Containers (testcontainers, loaded only when needed)

interface Stoppable {
  stop(): Promise<unknown>;
}
const startedContainers: Stoppable[] = [];

async function startPostgresContainer(): Promise<PostgresConfig> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const image = process.env.LIDO_TEST_PG_IMAGE || 'postgres:17-alpine';
  const c = await new PostgreSqlContainer(image)
    .withDatabase('test')
    .withUsername('postgres')
    .withPassword('postgres')
    .start();
  startedContainers.push(c);
  const cfg = { host: c.getHost(), port: c.getPort(), user: 'postgres', password: 'postgres', database: 'test' };
  return { ...cfg, connectionString: pgUrl(cfg) };
}

async function startRedisContainer(): Promise<RedisConfig> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const image = process.env.LIDO_TEST_REDIS_IMAGE || 'redis:7-alpine';
  const c = await new RedisContainer(image).start();
  startedContainers.push(c);
  const host = c.getHost();
  const port = c.getPort();
  return { host, port, url: `redis://${host}:${port}` };
}

/** Stops every container this process started (globalSetup's teardown calls it;
 * elsewhere testcontainers' reaper removes them when the process exits). */
export async function stopContainers(): Promise<void> {
  const all = startedContainers.splice(0);
  await Promise.allSettled(all.map((c) => c.stop()));
}

// ---------------------------------------------------------------------------
// Resolution

let dockerCheck: Promise<boolean> | undefined;
const docker = () => (dockerCheck ??= dockerAvailable());

async function resolveOne<C extends { host: string; port: number }>(
  label: string,
  wanted: C,
  start: () => Promise<C>,
): Promise<ServiceState<C>> {
  if (await tcpProbe(wanted.host, wanted.port)) return { available: true, source: 'env', config: wanted };
  const where = `${wanted.host}:${wanted.port}`;
  if (!(await docker())) {
    return { available: false, reason: `${label} not reachable at ${where} and no Docker`, config: wanted };
  }
  try {
    return { available: true, source: 'container', config: await start() };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return {
      available: false,
      reason: `${label} not reachable at ${where}; starting a container failed: ${msg}`,
      config: wanted,
    };
  }
}

/** Probes (and if need be starts) both services. Never throws for a missing
 * service: the answer says why it is missing. */
export async function resolveServices(): Promise<ResolvedServices> {
  const [postgres, redis] = await Promise.all([
    resolveOne('PostgreSQL', postgresFromEnv(), startPostgresContainer),
    resolveOne('Redis', redisFromEnv(), startRedisContainer),
  ]);
  return { postgres, redis };
}

/** What globalSetup provided, if this runs in a vitest worker of a project that has
 * it; undefined otherwise (outside vitest, or a project without that globalSetup). */
function injected(): ResolvedServices | undefined {
  try {
    return inject(PROVIDE_KEY) ?? undefined;
  } catch {
    return undefined; // not inside a vitest worker
  }
}

let local: Promise<ResolvedServices> | undefined;

/** The resolved services: from globalSetup when it ran, else resolved once here. */
export function services(): Promise<ResolvedServices> {
  const fromSetup = injected();
  if (fromSetup) return Promise.resolve(fromSetup);
  return (local ??= resolveServices());
}

// ---------------------------------------------------------------------------
// Policy: fail in CI, skip loudly elsewhere

const warned = new Set<string>();

/** The loud line printed when a service is missing outside CI. */
export function skipWarning(reason: string): string {
  return `!!! ${reason}: integration tests SKIPPED (set CI=1 to make this a failure; see docs/testing.md)`;
}

/** The error a missing service is in CI. */
export function ciError(reason: string): Error {
  return new Error(`${reason}: integration tests cannot run, and in CI that is a failure (see docs/testing.md)`);
}

function warnOnce(reason: string): void {
  // Under the integration project's globalSetup the warning is printed there, once
  // per run (before and after the summary), not once per test file.
  if (warned.has(reason) || injected()) return;
  warned.add(reason);
  process.stderr.write(`\n${skipWarning(reason)}\n\n`);
}

function settle<C>(state: ServiceState<C>): C | null {
  if (state.available) return state.config;
  if (isCI()) throw ciError(state.reason);
  warnOnce(state.reason);
  return null;
}

/** PostgreSQL's address, or null (after a loud warning) when it is missing outside
 * CI; throws when it is missing in CI. Usable at a test file's top level:
 * `const pgc = await postgresConfig(); describe.skipIf(!pgc)(…)`. */
export async function postgresConfig(): Promise<PostgresConfig | null> {
  return settle((await services()).postgres);
}

/** Redis' address, or null (after a loud warning) when it is missing outside CI;
 * throws when it is missing in CI. */
export async function redisConfig(): Promise<RedisConfig | null> {
  return settle((await services()).redis);
}

/** Both, for a test that needs both: null if either is missing (outside CI). */
export async function requireServices(): Promise<{ postgres: PostgresConfig; redis: RedisConfig } | null> {
  const s = await services();
  const postgres = settle(s.postgres);
  const redis = settle(s.redis);
  return postgres && redis ? { postgres, redis } : null;
}

/** Throws (in CI or not) if the service is missing: for the helpers below, which run
 * inside tests already gated by the wrappers. */
async function mustHave<C>(pick: (s: ResolvedServices) => ServiceState<C>): Promise<C> {
  const state = pick(await services());
  if (!state.available) throw new Error(`${state.reason} (see docs/testing.md)`);
  return state.config;
}

type SuiteBody<C> = (config: C) => void | Promise<void>;

function describeWith<C>(
  label: string,
  pick: (s: ResolvedServices) => ServiceState<C>,
  name: string,
  body: SuiteBody<C>,
): void {
  const register = (state: ServiceState<C>, suiteName: string) => {
    if (state.available) {
      describe(suiteName, () => body(state.config));
    } else if (isCI()) {
      // One explicit failing test, counted as failed in the report. (A failing
      // beforeAll would only mark the tests skipped.)
      describe(suiteName, () => {
        it(`requires ${label}`, () => {
          throw ciError(state.reason);
        });
      });
    } else {
      warnOnce(state.reason);
      // Collected but not run: every test inside is reported as skipped.
      describe.skip(`${suiteName} [SKIPPED: ${state.reason}]`, () => body(state.config));
    }
  };
  const fromSetup = injected();
  if (fromSetup) {
    register(pick(fromSetup), name);
  } else {
    // No globalSetup: resolve while collecting (vitest awaits async suite factories).
    describe(name, async () => {
      register(pick(await services()), `with ${label}`);
    });
  }
}

/** `describe` for tests that need PostgreSQL: runs them when it is there, fails in
 * CI when it is not, and elsewhere reports them as skipped with a loud warning. */
export function describeWithPostgres(name: string, body: SuiteBody<PostgresConfig>): void {
  describeWith('PostgreSQL', (s) => s.postgres, name, body);
}

/** `describe` for tests that need Redis; same rules as describeWithPostgres. */
export function describeWithRedis(name: string, body: SuiteBody<RedisConfig>): void {
  describeWith('Redis', (s) => s.redis, name, body);
}

/** `describe` for tests that need both services. */
export function describeWithServices(
  name: string,
  body: (config: { postgres: PostgresConfig; redis: RedisConfig }) => void | Promise<void>,
): void {
  describeWith(
    'PostgreSQL and Redis',
    (s): ServiceState<{ postgres: PostgresConfig; redis: RedisConfig }> => {
      const config = { postgres: s.postgres.config, redis: s.redis.config };
      if (s.postgres.available && s.redis.available) return { available: true, source: s.postgres.source, config };
      const reason = [s.postgres, s.redis].flatMap((x) => (x.available ? [] : [x.reason])).join('; ');
      return { available: false, reason, config };
    },
    name,
    body,
  );
}

// ---------------------------------------------------------------------------
// Small driver helpers for tests

/** A connected `pg.Client` (caller ends it). */
export async function pgClient(config?: PostgresConfig): Promise<pg.Client> {
  const cfg = config ?? (await mustHave((s) => s.postgres));
  const client = new pg.Client({
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  return client;
}

/** Runs `fn` with a fresh connected client and always ends it. */
export async function withPgClient<R>(fn: (client: pg.Client) => Promise<R>, config?: PostgresConfig): Promise<R> {
  const client = await pgClient(config);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs one SQL statement on a fresh connection and returns its rows. */
export async function pgQuery<R extends Record<string, unknown> = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
  config?: PostgresConfig,
): Promise<R[]> {
  return withPgClient(async (c) => (await c.query<R>(sql, params)).rows, config);
}

/** A connected ioredis client that fails fast instead of retrying (caller quits it). */
export async function redisClient(config?: RedisConfig): Promise<Redis> {
  const cfg = config ?? (await mustHave((s) => s.redis));
  const client = new Redis(cfg.url, {
    lazyConnect: true,
    connectTimeout: 10_000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {}); // surfaced through the rejected commands
  await client.connect();
  return client;
}

/** Runs `fn` with a fresh connected client and always closes it. */
export async function withRedis<R>(fn: (client: Redis) => Promise<R>, config?: RedisConfig): Promise<R> {
  const client = await redisClient(config);
  try {
    return await fn(client);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/** Runs one Redis command on a fresh connection: `await redisCommand('SET', 'k', 'v')`. */
export async function redisCommand(command: string, ...args: (string | number | Buffer)[]): Promise<unknown> {
  return withRedis((c) => c.call(command, ...args));
}
