/**
 * PgPool with read replicas, against fake clients (no server): options and how a
 * replica's are made from the primary's, routing of read-only work, connection failures
 * kept to the member they happened on, counters, events, stats, config, close.
 */
import { describe, expect, it } from 'vitest';
import { PgPool, PoolOptionsError } from '../../../src/adapters/pg/index.js';
import { Pool } from '../../../src/index.js';
import { fakePg, settle, type FakeClient } from './fake-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A primary and `n` replicas, each on its own fake server (a replica's `Client` says which). */
function setup(
  n = 2,
  options: Record<string, unknown> = {},
  replica: (i: number) => Record<string, unknown> = () => ({}),
) {
  const primary = fakePg();
  const replicas = Array.from({ length: n }, () => fakePg());
  const pool = new PgPool(
    {
      max: 2,
      name: 'db',
      probe: { baseMs: 10, capMs: 20, timeoutMs: 500 },
      replicas: replicas.map((r, i) => ({ Client: r.Client, ...replica(i) })),
      ...options,
    },
    primary.Client,
  );
  /** Which server ran the query, from the SQL texts each received. */
  const where = (sql: string): string[] =>
    [primary, ...replicas].flatMap((s, i) =>
      s.server.log.includes(sql) ? [i === 0 ? 'primary' : `replica-${i - 1}`] : [],
    );
  const serverOf = (client: unknown): string => {
    if (primary.server.clients.includes(client as FakeClient)) return 'primary';
    return `replica-${replicas.findIndex((r) => r.server.clients.includes(client as FakeClient))}`;
  };
  return { pool, primary, replicas, where, serverOf };
}

describe('PgPool replicas: options', () => {
  const { Client } = fakePg();
  it.each([
    [
      { replicas: 'postgres://r1/db' },
      /^replicas: expected an array of connection options or connection strings, got "postgres:\/\/r1\/db"$/,
    ],
    [{ replicas: [{}, 42] }, /^replicas\[1\]: expected connection options or a connection string, got number$/],
    [{ replicas: [null] }, /^replicas\[0\]: expected connection options or a connection string, got null$/],
    [{ replicas: [{ probe: {} }] }, /^replicas\[0\]\.probe: a replica cannot have its own probe/],
    [{ replicas: [{ replicas: [] }] }, /^replicas\[0\]\.replicas: a replica cannot have its own replicas/],
    [
      { replicas: [{}], replicaStrategy: 'random' },
      /^replicaStrategy: expected "round-robin" or "least-borrowed", got "random"$/,
    ],
    [{ replicaStrategy: 'random' }, /^replicaStrategy: expected/], // checked without replicas too
    [{ ejectAfter: 0 }, /^ejectAfter: expected a positive integer, got 0$/],
    [{ replicas: [{}], fallbackToPrimary: 'yes' }, /^fallbackToPrimary: expected a boolean, got "yes"$/],
    [{ replicas: [{}], probe: 5 }, /^probe: expected an object/],
    [{ replicas: [{}], probe: { every: 1 } }, /^probe: unknown option "every"/],
    [{ replicas: [{}, { order: 'random' }] }, /^replicas\[1\]\.order: expected "lifo" or "fifo", got "random"$/],
    [
      { replicas: [{ connectionTimeoutMillis: -1 }] },
      /^replicas\[0\]\.connectionTimeoutMillis: expected a non-negative number, got -1$/,
    ],
    [{ replicas: [{ resetOnRelease: 'nope' }] }, /^resetOnRelease: expected "rollback" or "discard", got "nope"$/],
  ])('rejects %o, naming the option', (options, message) => {
    expect(() => new PgPool(options as never, Client)).toThrow(PoolOptionsError);
    expect(() => new PgPool(options as never, Client)).toThrow(message);
  });

  it('refuses a replica that moves host/port under a primary connectionString (pg would read the string over them)', () => {
    const make = (replica: unknown) => () =>
      new PgPool({ connectionString: 'postgres://app:pw@primary/db', replicas: [replica as never] }, Client);
    expect(make({ host: 'replica-1', port: 5433 })).toThrow(
      /^replicas\[0\]: sets host, port, but the primary's connectionString would win over them .*give this replica its own connectionString/,
    );
    expect(make({ host: 'replica-1', connectionString: 'postgres://app:pw@replica-1/db' })).not.toThrow();
    expect(make('postgres://app:pw@replica-1/db')).not.toThrow();
    expect(make({ application_name: 'reader' })).not.toThrow(); // not a location: inherits the primary's string
  });

  it('a refused option never leaves a pool connecting', async () => {
    const primary = fakePg();
    const replica = fakePg();
    expect(
      () =>
        new PgPool({ min: 1, replicas: [{ Client: replica.Client }], probe: { every: 1 } } as never, primary.Client),
    ).toThrow(/probe/);
    expect(
      () =>
        new PgPool({ min: 1, replicas: [{ Client: replica.Client }, { order: 'random' as never }] }, primary.Client),
    ).toThrow(/replicas\[1\]\.order/);
    await settle(10);
    expect(primary.server.clients).toHaveLength(0);
    expect(replica.server.clients).toHaveLength(0);
  });

  it('an empty replicas list is the same as none', async () => {
    const { Client, server } = fakePg();
    const pool = new PgPool({ replicas: [] }, Client);
    expect(pool.cluster).toBeNull();
    await pool.query('SELECT 1', [], { readOnly: true });
    expect(server.log).toEqual(['SELECT 1']);
    await pool.end();
  });
});

describe("PgPool replicas: each replica's options are its own over the primary's", () => {
  it("merges a replica's options over the primary's; a string is a connectionString", async () => {
    const primary = fakePg();
    const r0 = fakePg();
    const r1 = fakePg();
    const pool = new PgPool(
      {
        name: 'main',
        max: 3,
        user: 'app',
        password: 'pw-primary',
        database: 'shop',
        application_name: 'api',
        statement_timeout: 1000,
        replicas: [
          { Client: r0.Client, host: 'replica-0', application_name: 'api-reader' },
          'postgres://reader:pw-r1@replica-1/shop',
        ],
        replicaStrategy: 'round-robin',
        ejectAfter: 2,
      },
      primary.Client,
    );
    // a string replica has no Client of its own: it gets the primary's
    await pool.query('R0', [], { readOnly: true });
    await pool.query('R1', [], { readOnly: true });
    const c0 = r0.server.clients[0]!.config;
    expect(c0).toMatchObject({
      host: 'replica-0',
      user: 'app',
      password: 'pw-primary',
      database: 'shop',
      application_name: 'api-reader',
      statement_timeout: 1000,
      max: 3,
      name: 'main:replica-0',
    });
    expect(c0).not.toHaveProperty('replicas');
    expect(c0).not.toHaveProperty('ejectAfter');
    const c1 = primary.server.clients.find((c) => c.config.connectionString !== undefined)!.config;
    expect(c1).toMatchObject({
      connectionString: 'postgres://reader:pw-r1@replica-1/shop',
      name: 'main:replica-1',
      application_name: 'api',
    });
    expect(pool.cluster!.replicas.map((p) => p.name)).toEqual(['main:replica-0', 'main:replica-1']);
    expect(r1.server.clients).toHaveLength(0);
    await pool.end();
  });

  it('a replica may have its own pool options and name', async () => {
    const { pool } = setup(2, { max: 5 }, (i) => (i === 1 ? { max: 2, min: 1, name: 'reporting' } : {}));
    const [r0, r1] = pool.cluster!.replicas;
    expect([r0!.name, r0!.stats().max, r1!.name, r1!.stats().max, r1!.stats().min]).toEqual([
      'db:replica-0',
      5,
      'reporting',
      2,
      1,
    ]);
    await pool.end();
  });

  it('keeps replica credentials out of pool.options when printed, and redacts them in config()', async () => {
    const { Client } = fakePg();
    const pool = new PgPool(
      {
        password: 'pw-primary',
        replicas: [{ host: 'r0', password: 'pw-replica-0' }, 'postgres://u:pw-replica-1@r1/db'],
      },
      Client,
    );
    expect(pool.options.replicas).toHaveLength(2);
    expect(Object.keys(pool.options)).not.toContain('replicas');
    const printed =
      JSON.stringify(pool.options) +
      JSON.stringify(pool.config()) +
      JSON.stringify(pool.stats()) +
      JSON.stringify(pool.health());
    for (const secret of ['pw-primary', 'pw-replica-0', 'pw-replica-1']) expect(printed).not.toContain(secret);
    const config = pool.config() as { replicas: { name: string; connection: Record<string, unknown> }[] } & Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({ replicaStrategy: 'round-robin', fallbackToPrimary: true, ejectAfter: 3 });
    expect(config.replicas.map((r) => r.name)).toEqual([`${pool.name}:replica-0`, `${pool.name}:replica-1`]);
    expect(config.replicas[0]!.connection).toMatchObject({ host: 'r0', password: '[redacted]' });
    expect(config.replicas[1]!.connection.connectionString).toBe('postgres://u:[redacted]@r1/db');
    expect(config.connection).not.toHaveProperty('replicas');
    await pool.end();
  });
});

describe('PgPool replicas: routing', () => {
  it('sends read-only queries to the replicas in turn, everything else to the primary', async () => {
    const { pool, where } = setup(2);
    await pool.query('W1');
    await pool.query('R1', [], { readOnly: true });
    await pool.query('R2', undefined, { readOnly: true });
    await pool.query({ text: 'R3', readOnly: true });
    await pool.replica.query('R4');
    await pool.replica.query({ text: 'R5' }, []);
    await pool.query('W2', [], { readOnly: false });
    await pool.query({ text: 'W3', readOnly: false });
    await pool.query('W4', [], {});
    expect(['W1', 'R1', 'R2', 'R3', 'R4', 'R5', 'W2', 'W3', 'W4'].map((q) => `${q}@${where(q).join()}`)).toEqual([
      'W1@primary',
      'R1@replica-0',
      'R2@replica-1',
      'R3@replica-0',
      'R4@replica-1',
      'R5@replica-0',
      'W2@primary',
      'W3@primary',
      'W4@primary',
    ]);
    expect(pool.stats()).toMatchObject({
      name: 'db',
      role: 'primary',
      routed: 4,
      healthyReplicas: 2,
      strategy: 'round-robin',
    });
    expect(pool.stats().replicas!.map((r) => [r.name, r.routed])).toEqual([
      ['db:replica-0', 3],
      ['db:replica-1', 2],
    ]);
    await pool.end();
  });

  it("callback forms: (text, values, options, cb), (text, values, cb), and the replica view's", async () => {
    const { pool, where } = setup(1);
    const run = (f: (cb: (err: Error | undefined, res: unknown) => void) => void) =>
      new Promise((resolve, reject) => f((err, res) => (err ? reject(err) : resolve(res))));
    let sync = true;
    const p = run((cb) =>
      pool.query('R1', [], { readOnly: true }, (err, res) => {
        expect(sync).toBe(false);
        cb(err, res);
      }),
    );
    sync = false;
    await p;
    await run((cb) => pool.query('W1', [], cb));
    await run((cb) => pool.query('W2', cb));
    await run((cb) => pool.replica.query('R2', [], cb));
    await run((cb) => pool.replica.query('R3', cb));
    expect(['R1', 'W1', 'W2', 'R2', 'R3'].map((q) => where(q).join())).toEqual([
      'replica-0',
      'primary',
      'primary',
      'replica-0',
      'replica-0',
    ]);
    expect(pool.query('X', [], { readOnly: true }, () => {})).toBeUndefined();
    await pool.end();
  });

  it('removes readOnly from a plain config object before client.query sees it', async () => {
    const primary = fakePg();
    const seen: unknown[] = [];
    class Recording extends primary.Client {
      override query(text: any, values?: any, cb?: any) {
        if (text !== '' && text !== 'ROLLBACK') seen.push(text);
        return super.query(text, values, cb);
      }
    }
    const pool = new PgPool({ replicas: [{}] }, Recording);
    await pool.query({ text: 'R1', values: [1], readOnly: true });
    await pool.query({ text: 'W1', rowMode: 'array', readOnly: false });
    expect(seen).toEqual([
      { text: 'R1', values: [1] },
      { text: 'W1', rowMode: 'array' },
    ]);
    await pool.end();
  });

  it('rejects bad per-query options (asynchronously), naming them', async () => {
    const { pool } = setup(1);
    await expect(pool.query('R', [], { readOnly: 'yes' } as never)).rejects.toThrow(
      /^readOnly: expected a boolean, got "yes"$/,
    );
    await expect(pool.query('R', [], { readonly: true } as never)).rejects.toThrow(
      /^query options: unknown option "readonly" \(known: readOnly\)$/,
    );
    await expect(pool.query('R', [], 42 as never)).rejects.toThrow(
      /^query options: expected an object \{ readOnly\? \}, got 42$/,
    );
    await expect(pool.query({ text: 'R', readOnly: 1 } as never)).rejects.toThrow(PoolOptionsError);
    const err = await new Promise<Error | undefined>((resolve) =>
      pool.query('R', [], { nope: 1 } as never, (e) => resolve(e)),
    );
    expect(err).toBeInstanceOf(PoolOptionsError);
    await pool.end();
  });

  it("pool.replica.connect() and .use() check out a replica's client; connect() and use() the primary's", async () => {
    const { pool, serverOf } = setup(2);
    const c = await pool.replica.connect();
    expect(serverOf(c)).toBe('replica-0');
    c.release();
    expect(await pool.replica.use((client) => serverOf(client))).toBe('replica-1');
    const viaCallback = await new Promise<string>((resolve, reject) =>
      pool.replica.connect((err, client, release) => {
        if (err) return reject(err);
        resolve(serverOf(client));
        release();
      }),
    );
    expect(viaCallback).toBe('replica-0');
    expect(await pool.use((client) => serverOf(client))).toBe('primary');
    const w = await pool.connect();
    expect(serverOf(w)).toBe('primary');
    w.release();
    await pool.end();
  });

  it('least-borrowed sends reads to the replica with the fewest clients out (ties in turn)', async () => {
    const { pool, serverOf } = setup(2, { replicaStrategy: 'least-borrowed', max: 5 });
    const a = await pool.replica.connect(); // 0/0: a tie
    const b = await pool.replica.connect(); // 1/0
    const c = await pool.replica.connect(); // 1/1: a tie
    b.release();
    await settle();
    const d = await pool.replica.connect(); // 2/0
    expect([a, b, c, d].map(serverOf)).toEqual(['replica-0', 'replica-1', 'replica-0', 'replica-1']);
    for (const x of [a, c, d]) x.release();
    await pool.end();
  });

  it('without replicas, read-only work runs on the primary through the plain core pool (no cluster in the way)', async () => {
    const { Client, server } = fakePg();
    const pool = new PgPool({ max: 2 }, Client);
    expect(pool.cluster).toBeNull();
    expect(Object.getPrototypeOf(pool.corePool)).toBe(Pool.prototype);
    await pool.query('R1', [], { readOnly: true });
    await pool.query({ text: 'R2', readOnly: true });
    await pool.replica.query('R3');
    expect(await pool.replica.use(() => 'ok')).toBe('ok');
    expect(server.log).toEqual(['R1', 'R2', 'R3']);
    expect(pool.stats()).not.toHaveProperty('replicas');
    expect(pool.health()).not.toHaveProperty('members');
    await pool.end();
  });
});

describe('PgPool replicas: connection failures', () => {
  it('a read whose replica refuses the connection is tried on the next replica; the caller never sees it', async () => {
    const { pool, replicas, where } = setup(2);
    replicas[0]!.server.connectError = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const res = await pool.query('R1', [], { readOnly: true });
    expect(res.rows).toHaveLength(1);
    expect(where('R1')).toEqual(['replica-1']);
    expect(pool.stats().replicas!.map((r) => [r.consecutiveFailures, r.state])).toEqual([
      [1, 'healthy'],
      [0, 'healthy'],
    ]);
    await pool.end();
  });

  it('a read tried again keeps its first deadline (connectionTimeoutMillis is for the whole read)', async () => {
    const { pool, replicas } = setup(2, { connectionTimeoutMillis: 300 });
    replicas[0]!.server.connectDelayMs = 150;
    replicas[0]!.server.connectError = new Error('replica-0 refused');
    replicas[1]!.server.hang = true; // accepts, never answers
    const t0 = performance.now();
    await expect(pool.query('R1', [], { readOnly: true })).rejects.toThrow(/timeout/);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(450); // not 150 + 300
    expect(replicas[1]!.server.clients).toHaveLength(1); // it was tried again, on replica-1
    await pool.close({ timeoutMs: 100 });
  });

  it("a replica's failed connection never fails a checkout waiting on the primary (or on another replica)", async () => {
    const { pool, primary, replicas } = setup(2, { fallbackToPrimary: true });
    primary.server.connectDelayMs = 30; // the write is waiting on the primary while the replica fails
    replicas[1]!.server.connectDelayMs = 30;
    replicas[0]!.server.connectError = new Error('replica-0 is down');
    const write = pool.query('W1');
    const read0 = pool.query('R1', [], { readOnly: true }); // replica-0: refused, tried again
    const read1 = pool.query('R2', [], { readOnly: true }); // replica-1
    await expect(Promise.all([write, read0, read1])).resolves.toHaveLength(3);
    await pool.end();
  });

  it('ejects a replica after ejectAfter refused connections, reads go on elsewhere, and a probe takes it back', async () => {
    const { pool, replicas, where } = setup(2, { ejectAfter: 2, createRetry: { baseMs: 5, capMs: 20 } });
    const events: string[] = [];
    pool.on('eject', (name) => events.push(`eject ${name}`));
    pool.on('readmit', (name) => events.push(`readmit ${name}`));
    replicas[0]!.server.connectError = new Error('replica-0 is down');
    for (let i = 0; i < 6; i++) await pool.query(`R${i}`, [], { readOnly: true });
    expect(events).toEqual(['eject db:replica-0']);
    expect([0, 1, 2, 3, 4, 5].flatMap((i) => where(`R${i}`))).toEqual(Array(6).fill('replica-1'));
    expect(pool.stats().replicas![0]).toMatchObject({ state: 'ejected', ejections: 1 });
    expect(pool.health()).toMatchObject({ status: 'degraded' });
    expect(pool.health().members!.map((m) => `${m.name}:${m.status}`)).toEqual([
      'db:ok',
      'db:replica-0:down',
      'db:replica-1:ok',
    ]);

    replicas[0]!.server.connectError = null;
    for (let i = 0; i < 100 && events.length < 2; i++) await sleep(10);
    expect(events).toEqual(['eject db:replica-0', 'readmit db:replica-0']);
    await pool.query('A1', [], { readOnly: true });
    await pool.query('A2', [], { readOnly: true });
    expect([...where('A1'), ...where('A2')].sort()).toEqual(['replica-0', 'replica-1']);
    // Serving again; its refused connections stay in its create error rate for the health window.
    expect(pool.health().members!.map((m) => `${m.name}:${m.status}`)).toEqual([
      'db:ok',
      'db:replica-0:degraded',
      'db:replica-1:ok',
    ]);
    expect(pool.health().members![1]!.reasons[0]).toMatch(/^create errors [\d.]+ % of \d+ creates in the last 60 s/);
    await pool.end();
  });

  it('with every replica down, reads go to the primary; with fallbackToPrimary false they fail with ERR_POOL_NO_REPLICA', async () => {
    for (const fallbackToPrimary of [true, false]) {
      const { pool, replicas, where } = setup(2, { fallbackToPrimary, ejectAfter: 1 });
      for (const r of replicas) r.server.connectError = new Error('down');
      const read = pool.query('R1', [], { readOnly: true });
      if (fallbackToPrimary) {
        await read;
        expect(where('R1')).toEqual(['primary']);
        expect(pool.health().reasons).toContain('no healthy replica: read-only work goes to the primary');
      } else {
        await expect(read).rejects.toMatchObject({ code: 'ERR_POOL_NO_REPLICA' });
        await expect(pool.replica.query('R2')).rejects.toMatchObject({ code: 'ERR_POOL_NO_REPLICA' });
        await pool.query('W1');
        expect(where('W1')).toEqual(['primary']);
      }
      expect(pool.stats().healthyReplicas).toBe(0);
      await pool.end();
    }
  });

  it('a read that was sent is never sent again: a query error on a replica reaches the caller and does not count against it', async () => {
    const { pool, replicas, where } = setup(2);
    replicas[0]!.server.failQuery = /^BAD/;
    await expect(pool.query('BAD 1', [], { readOnly: true })).rejects.toThrow(/syntax error in BAD 1/);
    expect(where('BAD 1')).toEqual(['replica-0']);
    expect(pool.stats().replicas![0]).toMatchObject({ state: 'healthy', consecutiveFailures: 0 });
    await pool.end();
  });

  it('eject events carry the error with secrets redacted', async () => {
    const { pool, replicas } = setup(1, { ejectAfter: 1 }, () => ({ password: 'sekret-pw' }));
    replicas[0]!.server.connectError = new Error('auth failed for password sekret-pw');
    const ejected = new Promise<unknown>((resolve) => pool.once('eject', (_name, error) => resolve(error)));
    await pool.query('R1', [], { readOnly: true }); // refused, then the primary
    const error = (await ejected) as Error & { cause?: Error };
    expect(JSON.stringify({ m: error.message, c: error.cause?.message, s: error.stack })).not.toContain('sekret-pw');
    expect(JSON.stringify(pool.health())).not.toContain('sekret-pw');
    await pool.end();
  });
});

describe('PgPool replicas: counts, events, stats, close', () => {
  it("totalCount, idleCount and waitingCount count every member's clients and waits", async () => {
    const { pool } = setup(2, { max: 1 });
    const w = await pool.connect();
    const r0 = await pool.replica.connect();
    const r1 = await pool.replica.connect();
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([3, 0, 0]);
    const waiting = pool.replica.connect(); // replica-0 is full
    await settle();
    expect(pool.waitingCount).toBe(1);
    r0.release();
    (await waiting).release();
    r1.release();
    w.release();
    await settle();
    expect([pool.totalCount, pool.idleCount, pool.waitingCount]).toEqual([3, 3, 0]);
    expect(pool.stats()).toMatchObject({ size: 1, idle: 1 }); // stats() top level: the primary
    expect(pool.stats().replicas!.map((r) => r.size)).toEqual([1, 1]);
    await pool.end();
    expect(pool.totalCount).toBe(0);
  });

  it('emits connect, acquire, release and remove for replica clients too', async () => {
    const { pool, serverOf } = setup(1);
    const seen: string[] = [];
    for (const e of ['connect', 'acquire', 'remove'] as const)
      pool.on(e, (client: unknown) => seen.push(`${e} ${serverOf(client)}`));
    pool.on('release', (_err, client) => seen.push(`release ${serverOf(client)}`));
    await pool.query('R1', [], { readOnly: true });
    await pool.query('W1');
    await pool.end();
    expect(seen).toEqual([
      'connect replica-0',
      'acquire replica-0',
      'release replica-0',
      'connect primary',
      'acquire primary',
      'release primary',
      ...seen.slice(6).sort(), // removals, in whichever order the members close
    ]);
    expect(seen.slice(6).sort()).toEqual(['remove primary', 'remove replica-0']);
  });

  it('an idle replica client that dies is evicted and reported through the error event, never thrown', async () => {
    const { pool, replicas } = setup(1);
    const errors: Error[] = [];
    pool.on('error', (err) => errors.push(err));
    await pool.query('R1', [], { readOnly: true });
    replicas[0]!.server.clients[0]!.die();
    await settle();
    expect(errors).toHaveLength(1);
    expect(pool.totalCount).toBe(0);
    await pool.end();
  });

  it('resize(), resetStats() and advise() cover every member', async () => {
    const { pool } = setup(2);
    pool.resize({ max: 7 });
    expect([pool.stats().max, ...pool.stats().replicas!.map((r) => r.max)]).toEqual([7, 7, 7]);
    await pool.query('R1', [], { readOnly: true });
    pool.resetStats();
    expect(pool.stats().replicas!.map((r) => r.acquired)).toEqual([0, 0]);
    expect(Array.isArray(pool.advise())).toBe(true);
    await pool.end();
  });

  it('end() closes every member and ends every client; later calls fail as in pg.Pool', async () => {
    const { pool, primary, replicas } = setup(2, { min: 1 });
    await pool.ready();
    await pool.query('R1', [], { readOnly: true });
    await pool.query('R2', [], { readOnly: true });
    const held = await pool.replica.connect();
    const ended = pool.end();
    expect(pool.ending).toBe(true);
    await expect(pool.replica.query('R3')).rejects.toThrow('Cannot use a pool after calling end on the pool');
    held.release();
    await ended;
    expect(pool.ended).toBe(true);
    for (const s of [primary, ...replicas]) expect(s.server.clients.every((c) => c.ended)).toBe(true);
    expect(pool.cluster!.closed).toBe(true);
    expect(pool.health().status).toBe('down');
  });
});
