/**
 * No secret however a lido object is printed, where a real server is needed to produce the
 * output: the real Redis refusing an AUTH (ioredis' reply error carries the command and
 * its arguments), a local HTTP server whose response body is left unread (the leak report
 * and its process warning carry the request's path and query), the real PostgreSQL with a
 * password function and TLS options. The same harness and surfaces as the unit leak test
 * (test/unit/redaction/leaks.test.ts).
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { describe } from 'vitest';
import { PgPool } from '../../src/adapters/pg/index.js';
import { RedisPool } from '../../src/adapters/redis/index.js';
import { HttpPool } from '../../src/adapters/http/index.js';
import { HTTP_POOL, PG_POOL, REDIS_POOL } from '../unit/redaction/classified-options.js';
import { describeLeaks, type Variant } from '../unit/redaction/harness.js';
import { postgresFromEnv, redisFromEnv } from '../support/services.js';
import { startServer, waitFor } from './http-servers.js';

const redis = redisFromEnv();
const postgres = postgresFromEnv();

const VARIANTS: Variant[] = [
  ...[
    {
      name: 'RedisPool on the real Redis, AUTH refused (a URL with an unknown user and a password)',
      options: (secret: string) => `redis://lido_leak_user:${secret}@${redis.host}:${redis.port}/0`,
    },
    {
      name: 'RedisPool on the real Redis, AUTH refused (options with an unknown user and a password)',
      options: (secret: string) => ({
        host: redis.host,
        port: redis.port,
        username: 'lido_leak_user',
        password: secret,
      }),
    },
  ].map(
    ({ name, options }): Variant => ({
      name,
      classes: REDIS_POOL,
      async run(p, r) {
        const pool = new RedisPool({ redis: options(p.secret('redis.password')), Redis, failFast: true, max: 1 });
        r.events_(pool, ['create', 'destroy', 'acquire', 'release', 'timeout', 'leak', 'error']);
        await r.fails(() => pool.acquire());
        await r.fails(() => pool.use((c) => c.ping()));
        return { object: pool as never, ...r, close: () => pool.close().then(() => {}) };
      },
    }),
  ),
  ...[true, false].map(
    (listening): Variant => ({
      name: `HttpPool, a response body left unread (reported ${listening ? 'to a leak listener' : 'as a process warning'}), a token in the query`,
      classes: HTTP_POOL,
      async run(p, r) {
        const s = await startServer({ handler: (_req, res) => res.end(Buffer.alloc(1 << 20, 'x')) });
        const pool = new HttpPool({ name: 'api', leakDetectionMs: 50 });
        r.events_(pool, listening ? ['leak', 'error', 'connect', 'disconnect'] : ['error']);
        const warned = new Promise<void>((resolve) => {
          if (listening) pool.once('leak', () => resolve());
          else process.once('warning', () => resolve());
        });
        const forgotten = await request(`${s.origin}/report?access_token=${p.secret('request query')}`, {
          dispatcher: pool,
          headers: {
            authorization: `Bearer ${p.secret('headers.authorization')}`,
            cookie: `sid=${p.secret('headers.cookie')}`,
          },
        });
        await warned;
        await r.fails(() => Promise.reject(new Error('(no error in this run)')));
        return {
          object: pool as never,
          ...r,
          close: async () => {
            forgotten.body.destroy();
            await waitFor(() => pool.stats().total.borrowed === 0);
            await pool.destroy();
            await s.close();
          },
        };
      },
    }),
  ),
  {
    name: 'PgPool on the real PostgreSQL (a password function, TLS options to the server)',
    classes: PG_POOL,
    async run(p, r) {
      const secret = p.secret('password (what the function returns)');
      const pool = new PgPool(
        {
          host: postgres.host,
          port: postgres.port,
          user: postgres.user,
          database: postgres.database,
          password: async () => secret,
          ssl: { ...p.tls('ssl'), rejectUnauthorized: false },
          max: 1,
          connectionTimeoutMillis: 5_000,
          log: r.log,
        },
        pg.Client,
      );
      r.events_(pool, ['connect', 'acquire', 'release', 'remove', 'error', 'timeout']);
      await r.fails(() => pool.query('SELECT 1'));
      await r.fails(() => pool.connect());
      return { object: pool as never, ...r, close: () => pool.end() };
    },
  },
];

describe('redaction against real servers', () => {
  for (const variant of VARIANTS) describeLeaks(variant);
});
