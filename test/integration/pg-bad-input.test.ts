/**
 * Bad input: a bad connection string, a wrong password, an unknown database, an
 * unknown role, an unreachable server. Each error names the problem and never shows
 * the password: not in the message, the stack, the causes, util.inspect, the logs,
 * stats, health or config.
 *
 * The local server trusts every connection from 127.0.0.1 (pg_hba `trust`), so it
 * never checks a password. The wrong-password case therefore runs against a small
 * stand-in server speaking the PostgreSQL protocol: it asks for a cleartext password
 * and refuses it with SQLSTATE 28P01, as PostgreSQL does. A second stand-in echoes
 * the password back in its error, to prove lido scrubs it even then.
 */
import net from 'node:net';
import util from 'node:util';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { PgPool, type PgPoolOptions } from '../../src/adapters/pg/index.js';
import { describeWithPostgres, type PostgresConfig } from '../support/services.js';

const SECRET = 'Sup3r-S3cret-pw';

/** Everything a user could see of a failure, as one string. */
function exposure(pool: PgPool<pg.Client>, err: unknown, logs: unknown[]): string {
  return [
    err instanceof Error ? err.message : '',
    err instanceof Error ? err.stack : '',
    util.inspect(err, { depth: 6, showHidden: false }),
    JSON.stringify(pool.stats()),
    JSON.stringify(pool.health()),
    JSON.stringify(pool.config()),
    util.inspect(pool.options),
    logs.map((l) => util.inspect(l, { depth: 6 })).join('\n'),
  ].join('\n');
}

/** A stand-in PostgreSQL that asks for a cleartext password and refuses it. */
async function passwordRefusingServer(
  echo: boolean,
): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let startup = true;
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (startup) {
          if (buf.length < 4) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          buf = buf.subarray(len);
          startup = false;
          // AuthenticationCleartextPassword
          const auth = Buffer.alloc(9);
          auth.write('R', 0);
          auth.writeInt32BE(8, 1);
          auth.writeInt32BE(3, 5);
          socket.write(auth);
          continue;
        }
        if (buf.length < 5) return;
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const type = String.fromCharCode(buf[0]!);
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'p') {
          const password = body.toString('utf8').replace(/\0$/, '');
          received.push(password);
          const message = echo
            ? `password authentication failed for user "app" (got "${password}")`
            : 'password authentication failed for user "app"';
          const fields = Buffer.concat(
            [
              ['S', 'FATAL'],
              ['V', 'FATAL'],
              ['C', '28P01'],
              ['M', message],
            ]
              .map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8'))
              .concat([Buffer.from([0])]),
          );
          const head = Buffer.alloc(5);
          head.write('E', 0);
          head.writeInt32BE(fields.length + 4, 1);
          socket.end(Buffer.concat([head, fields]));
          return;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describeWithPostgres('bad input: errors name the problem, never the password', (cfg: PostgresConfig) => {
  const pools: PgPool<pg.Client>[] = [];
  const logs: unknown[] = [];
  const make = (options: PgPoolOptions<pg.Client>) => {
    const pool = new PgPool<pg.Client>({ log: (...m: unknown[]) => logs.push(m), ...options }, pg.Client);
    pools.push(pool);
    return pool;
  };
  afterEach(async () => {
    logs.length = 0;
    await Promise.all(pools.splice(0).map((p) => p.end().catch(() => {})));
  });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a failure');
      },
      (e: Error & { code?: string }) => e,
    );

  it('a malformed connection string', async () => {
    const pool = make({ connectionString: `postgres://app:${SECRET}@127.0.0.1:notaport/test` });
    const err = await failure(pool.query('SELECT 1'));
    expect(err.message).toMatch(
      /invalid connection string "postgres:\/\/app:\[redacted\]@127\.0\.0\.1:notaport\/test": Invalid URL/,
    );
    expect(err.code).toBe('ERR_INVALID_URL');
    expect(exposure(pool, err, logs)).not.toContain(SECRET);
  });

  it('a wrong password (stand-in server: the real one trusts 127.0.0.1)', async () => {
    const fake = await passwordRefusingServer(false);
    try {
      const pool = make({ host: '127.0.0.1', port: fake.port, user: 'app', database: 'test', password: SECRET });
      const err = await failure(pool.connect());
      expect(fake.received).toEqual([SECRET]); // the password really was sent and refused
      expect(err.code).toBe('28P01');
      expect(err.message).toBe('password authentication failed for user "app"');
      expect(exposure(pool, err, logs)).not.toContain(SECRET);
    } finally {
      await fake.close();
    }
  });

  it('a wrong password from a password function, with a server that echoes it back: scrubbed', async () => {
    const fake = await passwordRefusingServer(true);
    try {
      let calls = 0;
      const pool = make({
        host: '127.0.0.1',
        port: fake.port,
        user: 'app',
        database: 'test',
        password: async () => `${SECRET}-${++calls}`,
      });
      const first = await failure(pool.connect());
      const second = await failure(pool.query('SELECT 1'));
      expect(fake.received).toEqual([`${SECRET}-1`, `${SECRET}-2`]); // evaluated at each connect
      for (const err of [first, second]) {
        expect(err.code).toBe('28P01');
        expect(err.message).toBe('password authentication failed for user "app" (got "[redacted]")');
        expect(exposure(pool, err, logs)).not.toContain(SECRET);
      }
    } finally {
      await fake.close();
    }
  });

  it('an unknown database', async () => {
    const pool = make({
      host: cfg.host,
      port: cfg.port,
      user: cfg.user,
      database: 'lido_no_such_db',
      password: SECRET,
    });
    const err = await failure(pool.query('SELECT 1'));
    expect(err.code).toBe('3D000');
    expect(err.message).toBe('database "lido_no_such_db" does not exist');
    expect(exposure(pool, err, logs)).not.toContain(SECRET);
  });

  it('an unknown database in a connection string with a password', async () => {
    const pool = make({ connectionString: `postgres://${cfg.user}:${SECRET}@${cfg.host}:${cfg.port}/lido_no_such_db` });
    const err = await failure(pool.connect());
    expect(err.message).toBe('database "lido_no_such_db" does not exist');
    const seen = exposure(pool, err, logs);
    expect(seen).not.toContain(SECRET);
    expect(JSON.stringify(pool.config())).toContain(`postgres://${cfg.user}:[redacted]@`);
  });

  it('an unknown role', async () => {
    const pool = make({
      host: cfg.host,
      port: cfg.port,
      user: 'lido_no_such_role',
      database: cfg.database,
      password: SECRET,
    });
    const err = await failure(pool.query('SELECT 1'));
    expect(err.code).toBe('28000');
    expect(err.message).toBe('role "lido_no_such_role" does not exist');
    expect(exposure(pool, err, logs)).not.toContain(SECRET);
  });

  it('an unreachable server (nothing listens on the port)', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r)); // a port where nothing listens now
    const pool = make({ connectionString: `postgresql://app:${SECRET}@127.0.0.1:${port}/db` });
    const err = await failure(pool.query('SELECT 1'));
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(exposure(pool, err, logs)).not.toContain(SECRET);
  });
});
