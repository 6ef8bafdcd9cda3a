// PgPool with read replicas: reads spread, a cut replica ejected and taken back.
//   npx tsx examples/read-replicas/main.ts
// Uses DATABASE_URL, else PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, else
// postgres@127.0.0.1:5432/test. The two "replicas" are TCP proxies on 127.0.0.1 to that
// same server, so one of them can be cut off. Changes nothing on the server; exits by
// itself (within 60 s at worst).
import net from 'node:net';
import pg from 'pg';
import { PgPool } from '../../src/adapters/pg/index.js';

const deadline = setTimeout(() => {
  console.error('example took longer than 60 s; giving up');
  process.exit(1);
}, 60_000);
deadline.unref();

const url = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : null;
const server = {
  host: url ? decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') : (process.env.PGHOST ?? '127.0.0.1'),
  port: Number(url?.port || process.env.PGPORT || 5432),
  user: url ? decodeURIComponent(url.username) : (process.env.PGUSER ?? 'postgres'),
  password: url ? decodeURIComponent(url.password) : process.env.PGPASSWORD,
  database: url ? decodeURIComponent(url.pathname.slice(1)) || 'test' : (process.env.PGDATABASE ?? 'test'),
};

/** A TCP proxy to the server: `cut()` refuses new connections and drops open ones; `restore()` listens again. */
async function proxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  const onConnection = (client: net.Socket): void => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  };
  let listener: net.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection).once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        listener = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    cut() {
      listener?.close();
      listener = null;
      for (const s of sockets) s.destroy();
    },
    restore: listen,
    close() {
      this.cut();
    },
  };
}

const proxies = [await proxy(server), await proxy(server)];
const pool = new PgPool<pg.Client>(
  {
    ...server,
    name: 'app',
    application_name: 'primary',
    max: 4,
    connectionTimeoutMillis: 5_000,
    // Each replica is only where it is and its own name; everything else comes from above.
    replicas: proxies.map((p, i) => ({ host: '127.0.0.1', port: p.port, application_name: `replica-${i}` })),
    ejectAfter: 3,
    probe: { baseMs: 250, capMs: 1_000 },
  },
  pg.Client,
);

const started = Date.now();
const log = (...m: unknown[]): void => console.log(`${String(Date.now() - started).padStart(5)} ms `, ...m);
pool.on('eject', (name, error) =>
  log(
    `eject   ${name} (${(error as Error).message}; cause: ${((error as Error).cause as Error | undefined)?.message ?? 'none'})`,
  ),
);
pool.on('readmit', (name) => log(`readmit ${name}`));
pool.on('error', (err) => log(`idle client dropped: ${err.message}`)); // a cut replica's idle connections

const WHERE = "SELECT current_setting('application_name') AS app";
/** Runs `n` read-only queries, 4 at a time, and counts where they ran. */
async function reads(n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  let left = n;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (left-- > 0) {
        const { rows } = await pool.query<{ app: string }>(WHERE, [], { readOnly: true });
        seen[rows[0]!.app] = (seen[rows[0]!.app] ?? 0) + 1;
      }
    }),
  );
  return seen;
}
const until = async (what: () => boolean): Promise<Record<string, number>> => {
  const seen: Record<string, number> = {};
  while (!what()) for (const [k, v] of Object.entries(await reads(4))) seen[k] = (seen[k] ?? 0) + v;
  return seen;
};
const state = () =>
  pool
    .stats()
    .replicas!.map((r) => `${r.name}: ${r.state}`)
    .join(', ');

try {
  log('40 reads           ', await reads(40));
  log('a write goes to    ', (await pool.query<{ app: string }>(WHERE)).rows[0]!.app);
  log('pool.replica.query ', (await pool.replica.query<{ app: string }>(WHERE)).rows[0]!.app);

  log('cutting replica-0 (new connections refused, open ones dropped)');
  proxies[0]!.cut();
  await new Promise((r) => setTimeout(r, 100)); // the idle connections notice
  log('reads until ejected', await until(() => pool.stats().healthyReplicas === 1), '(none failed)');
  log('health             ', pool.health().status, '-', pool.health().reasons.join('; '));
  log('40 reads           ', await reads(40));

  log('restoring replica-0; reads go on while the probe retries');
  await proxies[0]!.restore();
  log('reads until back   ', await until(() => pool.stats().healthyReplicas === 2));
  log('state              ', state());
  log('40 reads           ', await reads(40));
  log('health             ', pool.health().status);
} catch (e) {
  console.error(
    `failed: ${(e as Error).message} (is Postgres reachable? set DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE)`,
  );
  process.exitCode = 1;
} finally {
  await pool.close({ timeoutMs: 5_000 });
  for (const p of proxies) p.close();
}
