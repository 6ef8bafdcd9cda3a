/**
 * Kysely (PostgresDialect) and Drizzle (drizzle-orm/node-postgres) run unchanged on
 * PgPool: queries, and transactions that stay on one connection.
 */
import { sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import { Kysely, PostgresDialect, sql, type Generated } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgPool } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, pgQuery, type PostgresConfig } from '../support/services.js';

interface Db {
  lido_orm_items: { id: Generated<number>; name: string; qty: number };
}

const items = pgTable('lido_orm_items', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  qty: integer('qty').notNull(),
});

/** This run's schema (runs in other checkouts share the server), first on every connection's search_path. */
const SCHEMA = `lido_orm_${process.pid}`;

describeWithPostgres('PgPool under Kysely and Drizzle', (cfg: PostgresConfig) => {
  const conn = {
    host: cfg.host,
    port: cfg.port,
    user: cfg.user,
    password: cfg.password,
    database: cfg.database,
    options: `-c search_path=${SCHEMA}`,
  };

  beforeAll(async () => {
    await pgQuery(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}`, [], cfg);
    await pgQuery(
      `CREATE TABLE ${SCHEMA}.lido_orm_items (id serial PRIMARY KEY, name text NOT NULL, qty int NOT NULL)`,
      [],
      cfg,
    );
  });
  afterAll(async () => {
    await pgQuery(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`, [], cfg);
  });

  it('Kysely: queries run through PgPool', async () => {
    const pool = new PgPool({ ...conn, max: 4 }, pg.Client);
    const db = new Kysely<Db>({ dialect: new PostgresDialect({ pool }) });
    try {
      await db.deleteFrom('lido_orm_items').execute();
      await db
        .insertInto('lido_orm_items')
        .values([
          { name: 'a', qty: 1 },
          { name: 'b', qty: 2 },
        ])
        .execute();
      const rows = await db.selectFrom('lido_orm_items').select(['name', 'qty']).orderBy('name').execute();
      expect(rows).toEqual([
        { name: 'a', qty: 1 },
        { name: 'b', qty: 2 },
      ]);
      const many = await Promise.all(
        Array.from({ length: 10 }, (_, i) => sql<{ n: number }>`SELECT ${i}::int AS n`.execute(db)),
      );
      expect(many.map((r) => r.rows[0]!.n)).toEqual([...Array(10).keys()]);
      expect(pool.stats().acquired).toBeGreaterThanOrEqual(13);
    } finally {
      await db.destroy(); // calls pool.end()
    }
    expect(pool.ended).toBe(true);
  });

  it('Kysely: a transaction stays on one connection; commit and rollback both work', async () => {
    const pool = new PgPool({ ...conn, max: 4 }, pg.Client);
    const db = new Kysely<Db>({ dialect: new PostgresDialect({ pool }) });
    try {
      await db.deleteFrom('lido_orm_items').execute();
      const pids = await db.transaction().execute(async (trx) => {
        const seen: number[] = [];
        for (let i = 0; i < 5; i++) {
          await trx
            .insertInto('lido_orm_items')
            .values({ name: `t${i}`, qty: i })
            .execute();
          seen.push((await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid);
        }
        const xid = await sql<{ x: string }>`SELECT txid_current_if_assigned()::text AS x`.execute(trx);
        expect(xid.rows[0]!.x).not.toBeNull();
        return seen;
      });
      expect(new Set(pids).size).toBe(1);
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('lido_orm_items').values({ name: 'gone', qty: 0 }).execute();
          throw new Error('roll it back');
        }),
      ).rejects.toThrow('roll it back');
      const names = (await db.selectFrom('lido_orm_items').select('name').orderBy('name').execute()).map((r) => r.name);
      expect(names).toEqual(['t0', 't1', 't2', 't3', 't4']);
    } finally {
      await db.destroy();
    }
  });

  it('Drizzle: queries run through PgPool', async () => {
    const pool = new PgPool({ ...conn, max: 4 }, pg.Client);
    // Drizzle's types name pg.Pool; at run time it only needs query()/connect() (and a
    // constructor name containing "Pool" to run transactions on one client).
    const db = drizzle({ client: pool as unknown as pg.Pool });
    try {
      await db.delete(items);
      await db.insert(items).values([
        { name: 'x', qty: 10 },
        { name: 'y', qty: 20 },
      ]);
      const rows = await db.select({ name: items.name, qty: items.qty }).from(items).orderBy(items.name);
      expect(rows).toEqual([
        { name: 'x', qty: 10 },
        { name: 'y', qty: 20 },
      ]);
      const r = await db.execute(dsql`SELECT 41 + 1 AS answer`);
      expect(r.rows).toEqual([{ answer: 42 }]);
    } finally {
      await pool.end();
    }
  });

  it('Drizzle: a transaction stays on one connection; a throw rolls it back', async () => {
    const pool = new PgPool({ ...conn, max: 4 }, pg.Client);
    const db = drizzle({ client: pool as unknown as pg.Pool });
    try {
      await db.delete(items);
      const pids = await db.transaction(async (tx) => {
        const seen: number[] = [];
        for (let i = 0; i < 5; i++) {
          await tx.insert(items).values({ name: `d${i}`, qty: i });
          const r = await tx.execute<{ pid: number }>(dsql`SELECT pg_backend_pid() AS pid`);
          seen.push(r.rows[0]!.pid);
        }
        return seen;
      });
      expect(new Set(pids).size).toBe(1);
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(items).values({ name: 'never', qty: 0 });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const rows = await db.select({ name: items.name }).from(items).orderBy(items.name);
      expect(rows.map((r) => r.name)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
      expect(pool.stats().borrowed).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
