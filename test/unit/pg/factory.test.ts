/**
 * pgFactory() with the core Pool, the session helpers, option mapping, redaction and
 * lazy loading of pg: no server (a fake client).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Pool } from '../../../src/index.js';
import { PgPool, pgFactory, redactConnectionString } from '../../../src/adapters/pg/index.js';
import { loadPgClient } from '../../../src/adapters/pg/load-pg.js';
import { toCoreOptions } from '../../../src/adapters/pg/options.js';
import { Secrets, redact } from '../../../src/core/util/redact.js';
import { TxTracker } from '../../../src/adapters/pg/session.js';
import { fakePg, settle } from './fake-client.js';

describe('pgFactory with the core Pool', () => {
  it('creates, validates after idle, resets and destroys clients', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client, host: 'db' }), validateAfterIdleMs: 0 });
    const n = await pool.use(async (c) => (await c.query('SELECT 1')).rows.length);
    expect(n).toBe(1);
    await pool.use((c) => c.query('SELECT 2'));
    // validateAfterIdleMs 0: the second acquire pre-pinged with the empty query
    expect(server.log).toEqual(['SELECT 1', '', 'SELECT 2']);
    expect(server.clients[0]!.config.host).toBe('db');
    await pool.close();
    expect(server.clients[0]!.ended).toBe(true);
  });

  it('rolls back a transaction left open on release', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client }) });
    await pool.use(async (c) => {
      await c.query('BEGIN');
      await c.query('INSERT 1');
    });
    await settle();
    expect(server.log).toEqual(['BEGIN', 'INSERT 1', 'ROLLBACK']);
    expect(server.clients[0]!.getTransactionStatus()).toBe('I');
    await pool.close();
  });

  it('sends nothing on release when the session is clean', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client }) });
    await pool.use((c) => c.query('BEGIN').then(() => c.query('COMMIT')));
    await settle();
    expect(server.log).toEqual(['BEGIN', 'COMMIT']);
    await pool.close();
  });

  it('destroys a client whose ROLLBACK fails', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client }) });
    pool.on('error', () => {});
    await pool.use(async (c) => {
      await c.query('BEGIN');
      server.failQuery = /ROLLBACK/;
    });
    await settle();
    expect(server.clients[0]!.ended).toBe(true);
    expect(pool.stats().resetFailures).toBe(1);
    await pool.close();
  });

  it('resetOnRelease "discard": DISCARD ALL, forgets prepared statements and borrower listeners', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client, resetOnRelease: 'discard' }) });
    await pool.use(async (c) => {
      c.connection.parsedStatements.q1 = 'SELECT 1';
      c.on('notification', () => {});
      await c.query('BEGIN');
    });
    await settle();
    expect(server.log).toEqual(['BEGIN', 'ROLLBACK', 'DISCARD ALL']);
    const c = server.clients[0]!;
    expect(c.connection.parsedStatements).toEqual({});
    expect(c.listenerCount('notification')).toBe(0);
    await pool.close();
  });

  it('waits for queries the borrower left running before judging the transaction state', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client }) });
    const lease = await pool.acquire();
    const c = lease.resource as unknown as { query(q: string): Promise<unknown>; _activeQuery: unknown };
    void c.query('BEGIN');
    c._activeQuery = {}; // pg's marker of a query in flight
    lease.release();
    c._activeQuery = null;
    await settle(10);
    expect(server.log).toEqual(['BEGIN', '', 'ROLLBACK']);
    await pool.close();
  });

  it('evicts an idle client the server ends, without an unhandled error', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client }) });
    await pool.use((c) => c.query('SELECT 1'));
    await settle();
    server.clients[0]!.die();
    await settle();
    expect(pool.stats().size).toBe(0);
    server.clients[0]!.emit('error', new Error('a late second error')); // swallowed after removal
    await pool.close();
  });

  it('isBroken: connection errors destroy, SQL errors keep the client', async () => {
    const { Client, server } = fakePg();
    const pool = new Pool({ factory: pgFactory({ Client }) });
    server.failQuery = /BAD/;
    await expect(pool.use((c) => c.query('BAD'))).rejects.toThrow();
    await settle();
    expect(pool.stats().size).toBe(1);
    await expect(
      pool.use(async () => {
        throw Object.assign(new Error('terminating connection'), { code: '57P01' });
      }),
    ).rejects.toThrow();
    await settle();
    expect(pool.stats().size).toBe(0);
    await pool.close();
  });

  it('evaluates a password function at each connect and passes the value, hidden, to the Client', async () => {
    const { Client, server } = fakePg();
    let n = 0;
    const pool = new Pool({ factory: pgFactory({ Client, password: async () => `rotated-${++n}` }), max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(server.clients.map((c) => c.config.password)).toEqual(['rotated-1', 'rotated-2']);
    expect(Object.keys(server.clients[0]!.config)).not.toContain('password');
    a.release();
    b.release();
    await pool.close();
  });

  it('a password function that throws fails the connect, its message scrubbed', async () => {
    const { Client } = fakePg();
    const pg = new PgPool({ Client, password: () => Promise.reject(new Error('vault down')) });
    await expect(pg.connect()).rejects.toThrow('vault down');
    await pg.end();
  });
});

describe('TxTracker', () => {
  it('uses getTransactionStatus() when the driver has it', () => {
    const c = { getTransactionStatus: () => 'T' } as never;
    const t = new TxTracker(c);
    expect(t.source).toBe('driver');
    expect(t.status(c)).toBe('T');
  });

  it('falls back to the ReadyForQuery messages of client.connection', () => {
    const connection = new EventEmitter();
    const c = { connection, query() {} } as never;
    const t = new TxTracker(c);
    expect(t.source).toBe('protocol');
    connection.emit('readyForQuery', { status: 'T' });
    expect(t.status(c)).toBe('T');
    connection.emit('readyForQuery', { status: 'I' });
    expect(t.status(c)).toBe('I');
  });

  it('else follows BEGIN / COMMIT in the statements sent', () => {
    const sent: string[] = [];
    const c = { query: (q: string | { text: string }) => sent.push(typeof q === 'string' ? q : q.text) } as unknown as {
      query(q: unknown): void;
    };
    const t = new TxTracker(c as never);
    expect(t.source).toBe('text');
    c.query('  begin');
    expect(t.status(c as never)).toBe('T');
    c.query('ROLLBACK TO SAVEPOINT a');
    expect(t.status(c as never)).toBe('T');
    c.query({ text: 'COMMIT' });
    expect(t.status(c as never)).toBe('I');
    c.query('START TRANSACTION');
    expect(t.status(c as never)).toBe('T');
    c.query('end');
    expect(t.status(c as never)).toBe('I');
    expect(sent).toHaveLength(5);
  });
});

describe('option mapping', () => {
  it('pg defaults', () => {
    expect(toCoreOptions({})).toMatchObject({
      max: 10,
      min: 0,
      maxUses: Infinity,
      idleTimeoutMs: 10_000,
      maxConcurrentCreates: 10, // pg.Pool opens a connection for every connect() that finds none idle
      allowExitOnIdle: true,
    });
    // lido's defaults apply: waiting and connecting are bounded (30 s), clients retire after 30 min
    expect(toCoreOptions({}).acquireTimeoutMs).toBeUndefined();
    expect(toCoreOptions({}).createTimeoutMs).toBeUndefined();
    expect(toCoreOptions({}).maxLifetimeMs).toBeUndefined();
    // given as 0 (or null), pg's "no limit"
    expect(toCoreOptions({ connectionTimeoutMillis: 0 })).toMatchObject({
      acquireTimeoutMs: Infinity,
      createTimeoutMs: Infinity,
    });
  });

  it('pg names', () => {
    expect(
      toCoreOptions({
        max: 0,
        poolSize: 4,
        min: 1,
        idleTimeoutMillis: 0,
        connectionTimeoutMillis: 2500,
        maxUses: 7,
        maxLifetimeSeconds: 60,
      }),
    ).toMatchObject({
      max: 4,
      min: 1,
      idleTimeoutMs: 0,
      acquireTimeoutMs: 2500,
      createTimeoutMs: 2500,
      maxUses: 7,
      maxLifetimeMs: 60_000,
    });
    expect(toCoreOptions({ idleTimeoutMillis: null }).idleTimeoutMs).toBe(0);
  });

  it('core names win', () => {
    expect(
      toCoreOptions({ connectionTimeoutMillis: 100, createTimeoutMs: 900, maxLifetimeSeconds: 5, maxLifetimeMs: 1234 }),
    ).toMatchObject({
      acquireTimeoutMs: 100,
      createTimeoutMs: 900,
      maxLifetimeMs: 1234,
    });
  });

  it('rejects bad pg values', () => {
    expect(() => toCoreOptions({ idleTimeoutMillis: -1 })).toThrow(
      /idleTimeoutMillis: expected a non-negative number, got -1/,
    );
    expect(() => toCoreOptions({ maxLifetimeSeconds: '5' as unknown as number })).toThrow(/maxLifetimeSeconds/);
    expect(() => toCoreOptions({ allowExitOnIdle: 'yes' as unknown as boolean })).toThrow(/allowExitOnIdle/);
  });
});

describe('redaction', () => {
  it('connection strings', () => {
    expect(redactConnectionString('postgres://app:s3cr%40t@db:5432/main?sslmode=require')).toBe(
      'postgres://app:[redacted]@db:5432/main?sslmode=require',
    );
    expect(redactConnectionString('postgresql://app@db/main')).toBe('postgresql://app@db/main');
    expect(redactConnectionString('host=db user=app password=hunter22 dbname=x')).toBe(
      'host=db user=app password=[redacted] dbname=x',
    );
    expect(redactConnectionString("host=db password='a b c' dbname=x")).toBe('host=db password=[redacted] dbname=x');
    expect(redactConnectionString('postgres://db/main?password=hunter22&x=1')).toBe(
      'postgres://db/main?password=[redacted]&x=1',
    );
  });

  it('errors: message, stack, string properties and causes', () => {
    const s = new Secrets();
    s.add('hunter22');
    s.addUrl('postgres://u:p%40ss-word@h/db');
    const inner = Object.assign(new TypeError('Invalid URL'), { input: 'postgres://u:p%40ss-word@h:xx/db' });
    const e = new Error('failed with hunter22 and p@ss-word', { cause: inner });
    s.error(e);
    const all = `${e.message} ${e.stack} ${inner.message} ${inner.stack} ${inner.input}`;
    expect(all).not.toMatch(/hunter22|p@ss-word|p%40ss-word/);
    expect(e.message).toBe('failed with [redacted] and [redacted]');
  });

  it('config output', () => {
    const s = new Secrets();
    const out = redact(
      {
        connectionString: 'postgres://u:pw123@h/db',
        password: 'pw123',
        ssl: { key: 'KEY', rejectUnauthorized: true },
        onConnect: function hook() {},
      },
      { secrets: s },
    );
    expect(out).toEqual({
      connectionString: 'postgres://u:[redacted]@h/db',
      password: '[redacted]',
      ssl: { key: '[redacted]', rejectUnauthorized: true },
      onConnect: '[function hook]',
    });
  });
});

describe('loading pg', () => {
  it("finds the application's pg", async () => {
    const pg = await import('pg');
    expect(loadPgClient()).toBe(pg.default.Client);
  });

  it('says clearly when pg is not installed', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'pg'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadPgClient(missing)).toThrow(
      /the "pg" package is not installed; install it \(npm install pg\) or pass a Client class/,
    );
  });

  it('rejects a pg without Client', () => {
    expect(() => loadPgClient(() => ({}))).toThrow(/no Client class/);
  });
});
