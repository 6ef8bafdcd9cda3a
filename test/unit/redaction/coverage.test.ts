/**
 * The classified list (classified-options.ts) names every option each class validates,
 * no more and no less, and the drivers' own option lists: so a new option cannot escape
 * the leak test by not being listed. (Its options types are checked at compile time.)
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import * as lido from '../../../src/index.js';
import * as lidoRedis from '../../../src/adapters/redis/index.js';
import * as lidoPg from '../../../src/adapters/pg/index.js';
import { CLUSTER_OPTION_KEYS, CORE_OPTION_KEYS } from '../../../src/adapters/pg/options.js';
import { HttpPool } from '../../../src/adapters/http/index.js';
import {
  CLUSTER,
  CLUSTER_PROBE,
  HTTP_ORIGIN,
  HTTP_POOL,
  KEYED,
  LOCAL_BUDGET,
  PG_CLIENT,
  PG_POOL,
  POOL,
  REDIS_BUDGET,
  REDIS_CONNECTION,
  REDIS_FACTORY,
  REDIS_POOL,
  type Classes,
} from './classified-options.js';

const UNKNOWN = '__lido_unclassified__';
const factory = { create: async () => ({}), destroy: () => {} };

/** The keys a constructor validates, as its "unknown option" error lists them. */
function validated(build: (extra: Record<string, unknown>) => unknown): string[] {
  try {
    build({ [UNKNOWN]: 1 });
  } catch (e) {
    const m = /unknown option "__lido_unclassified__" \(known: ([^)]*)\)/.exec((e as Error).message);
    if (m !== null) return m[1]!.split(', ');
    throw e;
  }
  throw new Error('an unknown option was accepted: the class no longer checks its options');
}

const all = (c: Classes): string[] => [...c.secret, ...c.none].sort();

class QuietRedis extends Redis {
  constructor(options: object) {
    super({ ...options, lazyConnect: true });
  }
}

describe('the classified options name every option each class validates', () => {
  it('Pool', () => {
    expect(all(POOL)).toEqual(validated((x) => new lido.Pool({ factory, ...x } as never)).sort());
  });

  it('KeyedPool', () => {
    expect(all(KEYED)).toEqual(validated((x) => new lido.KeyedPool({ factory: () => factory, ...x } as never)).sort());
  });

  it('PoolCluster, and its probe', () => {
    expect(all(CLUSTER)).toEqual(
      validated((x) => new lido.PoolCluster({ primary: { factory }, ...x } as never)).sort(),
    );
    expect(all(CLUSTER_PROBE)).toEqual(
      validated((x) => new lido.PoolCluster({ primary: { factory }, probe: x } as never)).sort(),
    );
  });

  it('RedisPool (the core options, redis and Redis) and redisFactory', () => {
    const pool = validated((x) => new lidoRedis.RedisPool({ Redis: QuietRedis, ...x } as never));
    expect(all(REDIS_POOL)).toEqual([...pool.filter((k) => k !== 'factory'), 'redis', 'Redis'].sort());
    expect(all(REDIS_FACTORY)).toEqual(
      /\(known: ([^)]*)\)/
        .exec(
          (() => {
            try {
              lidoRedis.redisFactory({ Redis: QuietRedis, [UNKNOWN]: 1 } as never);
            } catch (e) {
              return (e as Error).message;
            }
            return '';
          })(),
        )![1]!
        .split(', ')
        .sort(),
    );
  });

  it('HttpPool, and an origin of it', () => {
    // Options are checked before undici is loaded: no module is needed to read the lists.
    expect(all(HTTP_POOL)).toEqual(validated((x) => new HttpPool(x as never)).sort());
    expect(all(HTTP_ORIGIN)).toEqual(
      validated((x) => new HttpPool({ origins: { 'https://api.example.com': x } } as never)).sort(),
    );
  });

  it('PgPool: its own options (core and cluster keys) and every client option pg knows', () => {
    const classified = new Set(all(PG_POOL));
    for (const k of [...CORE_OPTION_KEYS, ...CLUSTER_OPTION_KEYS]) expect(classified, k).toContain(k);
    const client = new Set(all(PG_CLIENT));
    for (const k of Object.keys(pg.defaults)) expect(client, `pg.defaults.${k}`).toContain(k);
  });

  it('ioredis: every option ioredis has a default for', () => {
    const classified = new Set(all(REDIS_CONNECTION));
    for (const k of Object.keys((Redis as unknown as { defaultOptions: object }).defaultOptions))
      expect(classified, `ioredis option ${k}`).toContain(k);
  });

  it('no option is classified twice', () => {
    for (const c of [POOL, KEYED, CLUSTER, PG_POOL, PG_CLIENT, REDIS_POOL, REDIS_CONNECTION, HTTP_POOL, HTTP_ORIGIN]) {
      const keys = all(c);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('localBudget and redisBudget', () => {
    expect(all(LOCAL_BUDGET)).toEqual(validated((x) => lido.localBudget({ max: 1, ...x } as never)).sort());
    expect(all(REDIS_BUDGET)).toEqual(
      validated((x) =>
        lidoRedis.redisBudget({ redis: 'redis://127.0.0.1:1', name: 'b', max: 1, ...x } as never),
      ).sort(),
    );
  });

  it('every exported budget maker is classified here', () => {
    // A new budget kind takes options that may hold secrets: it joins the list (and the leak test).
    const exported = [
      ...Object.keys(lido).filter((k) => /^[a-z]\w*Budget$/.test(k)),
      ...Object.keys(lidoRedis).filter((k) => /^[a-z]\w*Budget$/.test(k)),
      ...Object.keys(lidoPg).filter((k) => /^[a-z]\w*Budget$/.test(k)),
    ].sort();
    expect(exported).toEqual(['localBudget', 'redisBudget']);
  });
});
