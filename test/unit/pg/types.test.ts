/**
 * Compile-time contract of lido/pg (checked by `tsc --noEmit`; nothing connects).
 */
import type { PostgresPool } from 'kysely';
import pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import {
  PgPool,
  type PgFactory,
  type PgPoolClient,
  type ClientLike,
  type QueryResultLike,
} from '../../../src/adapters/pg/index.js';
import type { Lease, Pool } from '../../../src/index.js';

type PgClientPool = PgPool<pg.Client>;

describe('lido/pg types', () => {
  it("connect() gives the Client class's clients, with release() and disposal", () => {
    const connect = (p: PgClientPool) => p.connect();
    expectTypeOf<ReturnType<typeof connect>>().toEqualTypeOf<Promise<PgPoolClient<pg.Client>>>();
    expectTypeOf<PgPoolClient<pg.Client>>().toMatchTypeOf<pg.PoolClient>();
    expectTypeOf<PgPoolClient<pg.Client>>().toMatchTypeOf<AsyncDisposable & Disposable>();
  });

  it('the constructor infers the client type from the Client class', () => {
    const fromArgument = () => new PgPool({ max: 1 }, pg.Client);
    const fromOption = () => new PgPool({ Client: pg.Client });
    expectTypeOf<ReturnType<typeof fromArgument>>().toEqualTypeOf<PgClientPool>();
    expectTypeOf<ReturnType<typeof fromOption>>().toEqualTypeOf<PgClientPool>();
  });

  it('defaults to ClientLike without a Client', () => {
    expectTypeOf<PgPool>().toEqualTypeOf<PgPool<ClientLike>>();
  });

  it('is a Kysely PostgresPool as it is', () => {
    expectTypeOf<PgClientPool>().toMatchTypeOf<PostgresPool>();
    expectTypeOf<PgPool>().toMatchTypeOf<PostgresPool>();
  });

  it('query(): a promise of a typed result without a callback', () => {
    type Q = PgClientPool['query'];
    expectTypeOf<Q>().toBeCallableWith('SELECT 1');
    expectTypeOf<Q>().toBeCallableWith('SELECT $1', [1]);
    expectTypeOf<Q>().toBeCallableWith({ text: 'SELECT 1', rowMode: 'array' });
    expectTypeOf<Q>().toBeCallableWith('SELECT 1', () => {});
    expectTypeOf<Q>().toBeCallableWith('SELECT $1', [1], () => {});
    expectTypeOf<ReturnType<typeof q>>().toEqualTypeOf<Promise<QueryResultLike<{ n: number }>>>();
    function q(p: PgClientPool) {
      return p.query<{ n: number }>('SELECT 1 AS n');
    }
  });

  it('pgFactory plugs into the core Pool', () => {
    expectTypeOf<PgFactory<pg.Client>>().toMatchTypeOf<ConstructorParameters<typeof Pool<pg.Client>>[0]['factory']>();
    expectTypeOf<Lease<pg.Client>['resource']>().toEqualTypeOf<pg.Client>();
  });
});
