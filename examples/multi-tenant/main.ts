// Multi-tenant Postgres with one lido pool per tenant under a global connection cap.
//   npx tsx examples/multi-tenant/main.ts
// Uses DATABASE_URL, else PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, else
// postgres@127.0.0.1:5432/test. Creates schemas tenant_1 … tenant_12 and drops them at the end.
import pg from 'pg';
import { pgFactory } from '../../src/adapters/pg/index.js';
import { KeyedPool, type Factory } from '../../src/index.js';

const TENANTS = 12;
const MAX_TOTAL = 8; // the database allows this app 8 connections, whatever the number of tenants
const REQUESTS = 300;
const CONCURRENCY = 16;

const base: pg.ClientConfig = process.env.DATABASE_URL
  ? { connectionString: process.env.DATABASE_URL }
  : {
      host: process.env.PGHOST ?? '127.0.0.1',
      port: Number(process.env.PGPORT ?? 5432),
      user: process.env.PGUSER ?? 'postgres',
      password: process.env.PGPASSWORD,
      database: process.env.PGDATABASE ?? 'test',
    };
const schema = (tenant: number): string => `tenant_${tenant}`;

// A tenant's identity is fixed when its connection is opened (search_path and
// application_name in the startup packet), so a connection of tenant 3 can only ever
// see tenant 3's tables. Nothing tenant-specific is ever SET on a pooled connection.
// pgFactory also hands clients over clean: a transaction left open is rolled back.
const tenantFactory = (tenant: number): Factory<pg.Client> =>
  pgFactory<pg.Client>({
    ...base,
    Client: pg.Client,
    application_name: `lido-example-${schema(tenant)}`,
    options: `-c search_path=${schema(tenant)}`,
  });

const admin = new pg.Client(base);
try {
  await admin.connect();
} catch (e) {
  console.error(`cannot reach Postgres (${(e as Error).message}); set DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE`);
  process.exit(1);
}
for (let t = 1; t <= TENANTS; t++) {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema(t)} CASCADE; CREATE SCHEMA ${schema(t)}`);
  await admin.query(
    `CREATE TABLE ${schema(t)}.notes (id serial PRIMARY KEY, author text NOT NULL, body text NOT NULL)`,
  );
}

const tenants = new KeyedPool<number, pg.Client>({
  name: 'tenants',
  factory: tenantFactory,
  perKey: { max: 4, acquireTimeoutMs: 10_000, idleTimeoutMs: 30_000, validateAfterIdleMs: 1_000 },
  maxTotal: MAX_TOTAL,
  idlePoolTimeoutMs: 60_000,
});

/** One request: its tenant picks the pool; its user travels in the transaction on its own lease. */
async function handle(tenant: number, user: string, body: string): Promise<void> {
  await tenants.use(tenant, async (client) => {
    await client.query('BEGIN');
    // Transaction-local (is_local = true): gone at COMMIT, never seen by the next borrower.
    await client.query(`SELECT set_config('app.user', $1, true)`, [user]);
    await client.query(`INSERT INTO notes (author, body) VALUES (current_setting('app.user'), $1)`, [body]);
    const { rows } = await client.query<{ schema: string; who: string }>(
      `SELECT current_schema() AS schema, current_setting('app.user') AS who`,
    );
    if (rows[0].schema !== schema(tenant) || rows[0].who !== user)
      throw new Error(`request of ${user}@${schema(tenant)} ran as ${rows[0].who}@${rows[0].schema}`);
    await client.query('COMMIT');
  });
}

// Traffic, as in most SaaS: tenant 1 is hot (60 %), tenants 2-4 are warm (30 %), and the
// long tail 5-12 sends the last 10 %. A fixed sequence, so every run is the same.
const tenantOf = (i: number): number => {
  const r = (i * 7919) % 100;
  return r < 60 ? 1 : r < 90 ? 2 + (i % 3) : 5 + (i % (TENANTS - 4));
};
let peakConnections = 0;
const watcher = setInterval(() => {
  void admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'lido-example-%'`).then(
    ({ rows }) => (peakConnections = Math.max(peakConnections, rows[0].n)),
    () => {},
  );
}, 20);
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < REQUESTS) {
      const i = next++;
      await handle(tenantOf(i), `user-${i % 7}`, `note ${i}`);
    }
  }),
);
clearInterval(watcher);
const ms = performance.now() - started;

const s = tenants.stats();
console.log(`${REQUESTS} requests for ${TENANTS} tenants in ${ms.toFixed(0)} ms, ${CONCURRENCY} at a time`);
console.log(
  `connections: ${s.total.created} opened, at most ${peakConnections} at once seen by the server (maxTotal ${MAX_TOTAL})`,
);
console.log(
  `room under the cap: ${s.evictions} idle connections of other tenants evicted, ${s.reclaims} given back by busy tenants`,
);
console.log(
  `tenant pools open now: ${s.keys}; waits p99 per tenant: ${s.perKey.map((k) => `${k.key}:${k.waitTime.p99.toFixed(0)}ms`).join(' ')}`,
);
for (let t = 1; t <= TENANTS; t++) {
  const { rows } = await admin.query<{ n: number; authors: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT author)::int AS authors FROM ${schema(t)}.notes`,
  );
  if (t <= 3) console.log(`${schema(t)}: ${rows[0].n} notes by ${rows[0].authors} users`);
}

await tenants.close();
for (let t = 1; t <= TENANTS; t++) await admin.query(`DROP SCHEMA ${schema(t)} CASCADE`);
await admin.end();
