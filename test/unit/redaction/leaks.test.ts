/**
 * No secret however a lido object is printed. Every pool class is built with a secret
 * planted in every option that can hold one (classified-options.ts says which; a variant
 * per combination the options allow), taken through a life that produces every kind of
 * output (a resource lent and returned, creates failing with an error that echoes its
 * configuration as some drivers do, timeouts, a close), and every public surface is
 * searched for every secret:
 *
 * - the object itself: `util.inspect` at any depth (with and without `showHidden`),
 *   `JSON.stringify`, `String()` (a `console.log(pool)`, a logger, a crash dump);
 * - `stats()`, `config()`, `health()`, `advise()`;
 * - every event payload, every `diagnostics_channel` message, every `log` call, every
 *   process warning;
 * - every error a caller got (message, stack, causes, properties);
 * - the admin handler's answers, the OpenTelemetry metrics, the Prometheus scrape.
 *
 * The drivers' own objects (a pg `Client`, an ioredis connection, an undici `Client`)
 * are out of scope and left out of the printing. Real driver classes are used, made to
 * fail at once (a refused port, a connect that echoes its options); no server is needed.
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { KeyedPool, Pool, PoolCluster, type Factory } from '../../../src/index.js';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { RedisPool } from '../../../src/adapters/redis/index.js';
import { HttpPool } from '../../../src/adapters/http/index.js';
import { refusedPort } from '../../support/caller-chain.js';
import { ManualClock } from '../../support/manual-clock.js';
import {
  CLUSTER,
  HTTP_CONNECT,
  HTTP_POOL,
  KEYED,
  PG_POOL,
  POOL,
  REDIS_CONNECTION,
  REDIS_POOL,
  TLS,
  type Classes,
} from './classified-options.js';
import { Plant, Recorder, describeLeaks, type Variant } from './harness.js';

const POOL_EVENTS = ['create', 'destroy', 'acquire', 'release', 'timeout', 'leak', 'error'];

/** A factory whose fields and closures hold secrets (a user's factory for their own driver). */
function secretFactory(p: Plant, label: string, fail = true): Factory<{ id: number }> & Record<string, unknown> {
  const password = p.secret(`${label}.password`);
  let n = 0;
  return {
    dsn: p.url('postgres', `${label}.dsn`),
    password,
    async create() {
      if (fail && n > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      return { id: ++n };
    },
    destroy() {},
  };
}

/** A pg Client whose connect fails with an error echoing its whole configuration, as a careless driver might. */
class EchoPgClient extends pg.Client {
  readonly #config: Record<string, unknown>;
  constructor(config: Record<string, unknown>) {
    super(config);
    this.#config = config;
  }
  // @ts-expect-error pg's overloads; this double only fails
  override connect(callback?: (err: Error) => void): Promise<void> {
    const c = this.#config as { password?: unknown; connectionString?: unknown; ssl?: Record<string, unknown> };
    const err = Object.assign(
      new Error(
        `could not connect as ${JSON.stringify(c)} (password ${String(c.password)}, ${String(c.connectionString)}, ` +
          `key ${String(c.ssl?.key)}, passphrase ${String(c.ssl?.passphrase)})`,
      ),
      { config: { ...c, ssl: c.ssl === undefined ? undefined : { ...c.ssl } } },
    );
    setImmediate(() => callback?.(err));
    return callback === undefined ? Promise.reject(err) : Promise.resolve();
  }
}

/** An ioredis connection whose connect fails with an error echoing its options and the AUTH it sent. */
class EchoRedis extends Redis {
  override connect(): Promise<void> {
    const o = this.options as Record<string, unknown> & { tls?: Record<string, unknown> };
    const err = Object.assign(
      new Error(`WRONGPASS for ${JSON.stringify(o)} (password ${String(o.password)}, tls key ${String(o.tls?.key)})`),
      { command: { name: 'auth', args: [String(o.username ?? 'default'), String(o.password)] } },
    );
    return Promise.reject(err);
  }
}

const VARIANTS: Variant[] = [
  {
    name: 'Pool (a factory holding secrets)',
    classes: POOL,
    async run(p, r) {
      const clock = new ManualClock();
      const pool = new Pool({ name: 'leaks', factory: secretFactory(p, 'factory'), clock, max: 1, failFast: true });
      r.events_(pool, POOL_EVENTS);
      const lease = await pool.acquire();
      lease.release();
      pool.resize({ max: 2 });
      const held = await pool.acquire();
      await r.fails(() => pool.acquire()); // the second create fails: failFast
      await r.fails(() => pool.acquire({ timeoutMs: 5 }));
      held.release();
      return { object: pool as never, ...r, close: () => pool.close().then(() => {}) };
    },
  },
  {
    name: 'KeyedPool (keys are connection strings with passwords)',
    classes: KEYED,
    async run(p, r) {
      const clock = new ManualClock();
      const keyed = new KeyedPool<string, { id: number }>({
        name: 'tenants',
        clock,
        factory: (key) => secretFactory(p, `factory(${key.length})`),
        perKey: { max: 2, acquireTimeoutMs: 50 },
      });
      r.events_(keyed, [...POOL_EVENTS, 'evict']);
      const key = p.url('postgres', 'key (a tenant DSN)');
      const held = await keyed.acquire(key);
      const waiting = r.fails(() => keyed.acquire(key)); // its create fails until the wait times out
      await clock.advance(50);
      await waiting;
      held.release();
      // The `error` event hands back the key as the caller gave it (it is theirs, like an
      // abort's reason, and they look it up by identity): not a printing of lido's.
      for (const e of r.events) if (e[0] === 'error' && e[2] === key) e[2] = '[the key as given]';
      return { object: keyed as never, ...r, close: () => keyed.close().then(() => {}) };
    },
  },
  {
    name: 'PoolCluster (members built from options with secret factories)',
    classes: CLUSTER,
    async run(p, r) {
      const clock = new ManualClock();
      const cluster = new PoolCluster<{ id: number }>({
        name: 'db',
        clock,
        ejectAfter: 1,
        primary: { factory: secretFactory(p, 'primary'), max: 1, acquireTimeoutMs: 50 },
        replicas: [{ factory: secretFactory(p, 'replicas[0]'), max: 1, acquireTimeoutMs: 50 }],
      });
      r.events_(cluster, ['eject', 'readmit', 'error']);
      (await cluster.acquire({ readOnly: true })).release();
      const held = await cluster.acquire();
      const waiting = r.fails(() => cluster.acquire());
      await clock.advance(50);
      await waiting;
      held.release();
      return { object: cluster as never, ...r, close: () => cluster.close().then(() => {}) };
    },
  },
  ...[
    {
      name: 'PgPool (connection string, TLS, replicas as connection strings)',
      options: async (p: Plant) => ({
        connectionString: p.url('postgres', 'connectionString', `127.0.0.1:${await refusedPort()}/db`),
        ssl: p.tls('ssl'),
        replicas: [p.url('postgres', 'replicas[0]', `127.0.0.1:${await refusedPort()}/db`)],
      }),
    },
    {
      name: 'PgPool (password, TLS, a pass-through token; replicas as options)',
      options: async (p: Plant) => ({
        host: '127.0.0.1',
        port: await refusedPort(),
        user: 'lido_user',
        password: p.secret('password'),
        ssl: p.tls('ssl'),
        iamToken: p.secret('iamToken (a custom Client option)'),
        replicas: [
          { port: await refusedPort(), password: p.secret('replicas[0].password'), ssl: p.tls('replicas[0].ssl') },
        ],
      }),
    },
    {
      name: 'PgPool (a password function)',
      options: async (p: Plant) => {
        const secret = p.secret('password (what the function returns)');
        return { host: '127.0.0.1', port: await refusedPort(), password: async () => secret };
      },
    },
  ].map(
    ({ name, options }): Variant => ({
      name,
      classes: PG_POOL,
      async run(p, r) {
        const pool = new PgPool(
          { ...(await options(p)), max: 1, ejectAfter: 1, connectionTimeoutMillis: 2_000, log: r.log },
          EchoPgClient as never,
        );
        r.events_(pool, ['connect', 'acquire', 'release', 'remove', 'error', 'timeout', 'leak', 'eject', 'readmit']);
        await r.fails(() => pool.query('SELECT 1'));
        await r.fails(() => pool.connect());
        await r.fails(() => pool.query('SELECT 1', [], { readOnly: true }));
        await r.fails(() => pool.replica.query('SELECT 1'));
        await r.fails(() => new PgPool({ ...(pool.options as object), max: -1 } as never, EchoPgClient as never));
        return { object: pool as never, ...r, close: () => pool.end() };
      },
    }),
  ),
  ...[
    {
      name: 'RedisPool (a URL with user and password)',
      redis: async (p: Plant) => p.url('redis', 'redis', `127.0.0.1:${await refusedPort()}/0`),
    },
    {
      name: 'RedisPool (options: password, TLS, sentinels)',
      redis: async (p: Plant) => ({
        host: '127.0.0.1',
        port: await refusedPort(),
        username: 'lido_user',
        password: p.secret('redis.password'),
        tls: p.tls('redis.tls'),
        sentinelPassword: p.secret('redis.sentinelPassword'),
        sentinelTLS: p.tls('redis.sentinelTLS'),
      }),
    },
  ].map(
    ({ name, redis }): Variant => ({
      name,
      classes: REDIS_POOL,
      async run(p, r) {
        const pool = new RedisPool({ redis: await redis(p), Redis: EchoRedis as never, failFast: true, max: 1 });
        r.events_(pool, POOL_EVENTS);
        await r.fails(() => pool.acquire());
        await r.fails(() => pool.use(() => 1));
        await r.fails(() => pool.ready());
        return { object: pool as never, ...r, close: () => pool.close().then(() => {}) };
      },
    }),
  ),
  {
    name: 'HttpPool (TLS options, credentials in origins, request headers and query)',
    classes: HTTP_POOL,
    async run(p, r) {
      const port = await refusedPort();
      const listed = p.url('https', 'origins (a key)', `127.0.0.1:${port}`);
      const pool = new HttpPool({
        name: 'api',
        connect: p.tls('connect'),
        client: { tls: p.tls('client.tls') } as never,
        origins: { [listed]: { connect: p.tls('origins[].connect') } },
        acquireTimeoutMs: 2_000,
      });
      r.events_(pool, ['leak', 'error', 'connect', 'disconnect', 'connectionError', 'drain']);
      const headers = {
        authorization: `Bearer ${p.secret('headers.authorization')}`,
        'proxy-authorization': `Basic ${p.secret('headers.proxy-authorization')}`,
        cookie: `sid=${p.secret('headers.cookie')}`,
      };
      for (const origin of [listed, `http://lido_user:${p.secret('request origin')}@127.0.0.1:${port}`]) {
        await r.fails(() =>
          pool.request({ origin, path: `/x?access_token=${p.secret('request query')}`, method: 'GET', headers }),
        );
      }
      await r.fails(() => pool.request({ origin: p.url('ftp', 'a bad request origin'), path: '/', method: 'GET' }));
      await r.fails(() => new HttpPool({ origins: { [p.url('ftp', 'a bad origins key')]: {} } }));
      return { object: pool as never, ...r, close: () => pool.destroy() };
    },
  },
];

for (const variant of VARIANTS) describeLeaks(variant);

describe('the variants plant a secret in every option the list says can hold one', () => {
  it.each([
    ['Pool', POOL],
    ['KeyedPool', KEYED],
    ['PoolCluster', CLUSTER],
    ['PgPool', PG_POOL],
    ['RedisPool', REDIS_POOL],
    ['HttpPool', HTTP_POOL],
  ] as const)('%s', async (_name, classes: Classes) => {
    const planted = new Set<string>();
    for (const v of VARIANTS.filter((x) => x.classes === classes)) {
      const plant = new Plant();
      const run = await v.run(plant, new Recorder());
      await run.close();
      for (const o of plant.options()) planted.add(o);
    }
    // An option the list says can hold a secret, and no variant plants one in: add it to a variant above.
    expect(classes.secret.filter((k) => !planted.has(k))).toEqual([]);
  });

  it('the nested option lists are planted too (TLS keys, ioredis secrets, undici connect)', () => {
    const p = new Plant();
    const tls = p.tls('x');
    for (const k of TLS.secret.filter((k) => ['key', 'passphrase', 'pfx'].includes(k))) expect(tls).toHaveProperty(k);
    expect(REDIS_CONNECTION.secret).toEqual(expect.arrayContaining(['password', 'tls', 'sentinelPassword']));
    expect(HTTP_CONNECT.secret).toEqual(expect.arrayContaining(['key', 'passphrase', 'pfx']));
  });
});
