// A web service on node:http with Postgres through lido's PgPool, and a graceful shutdown.
//
//   npx tsx examples/web-service/server.ts             serve on PORT (default 3000) until SIGTERM or Ctrl-C
//   npx tsx examples/web-service/server.ts --once      start, send itself a few requests, shut down, exit
//   DURATION=10 npx tsx examples/web-service/server.ts  the same under load for 10 s
//
// Uses DATABASE_URL, else PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, else
// postgres@127.0.0.1:5432/test. Creates the table lido_example_notes if it is missing;
// the self-driving modes delete the notes they add. In your application import from
// 'lido/pg' instead of the source path.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { AcquireTimeoutError, PgPool, PoolClosedError, QueueFullError } from '../../src/adapters/pg/index.js';

const once = process.argv.includes('--once');
const durationS = Number(process.env.DURATION ?? 0);
const selfDriving = once || durationS > 0;
const port = Number(process.env.PORT ?? (selfDriving ? 0 : 3000));

const connection: pg.ClientConfig = process.env.DATABASE_URL
  ? { connectionString: process.env.DATABASE_URL }
  : {
      host: process.env.PGHOST ?? '127.0.0.1',
      port: Number(process.env.PGPORT ?? 5432),
      user: process.env.PGUSER ?? 'postgres',
      password: process.env.PGPASSWORD,
      database: process.env.PGDATABASE ?? 'test',
    };

// One pool for the process, made at start and closed at shutdown. Small on purpose
// (docs/sizing.md): 10 connections serve far more than 10 concurrent requests, since
// each request holds a connection only for its queries.
const pool = new PgPool(
  {
    ...connection,
    name: 'web-db',
    application_name: 'lido-example-web-service',
    min: 2, // opened before the server listens: the first requests find warm connections
    max: 10,
    connectionTimeoutMillis: 2_000, // a request waits at most 2 s for a connection, then gets a 503
    maxWaiting: 200, // beyond 200 queued requests, a 503 at once instead of a growing queue
    idleTimeoutMillis: 30_000,
    statement_timeout: 5_000, // the server cancels any query running longer
  },
  pg.Client,
);

// --- the application -------------------------------------------------------------------

type Handler = (req: http.IncomingMessage, url: URL) => Promise<[status: number, body: unknown]>;

const routes: Record<string, Handler> = {
  'GET /healthz': async () => [200, { status: 'ok' }], // liveness: the process answers
  'GET /readyz': async () => {
    // readiness: take traffic? Not while shutting down or when the database is down
    const health = pool.health();
    return [shuttingDown || health.status === 'down' ? 503 : 200, { shuttingDown, ...health }];
  },
  'GET /notes': async () => {
    const { rows } = await pool.query('SELECT id, body, created_at FROM lido_example_notes ORDER BY id DESC LIMIT 20');
    return [200, rows];
  },
  'POST /notes': async (req) => {
    const { body } = JSON.parse(await readBody(req)) as { body?: unknown };
    if (typeof body !== 'string' || body === '') return [400, { error: 'expected {"body": "<text>"}' }];
    // A transaction needs one connection for all its queries: check one out. `await using`
    // releases it at the end of the block, whatever happens; had it been released inside
    // the transaction, PgPool would roll back before handing it to anyone else.
    await using client = await pool.connect();
    await client.query('BEGIN');
    const {
      rows: [note],
    } = await client.query('INSERT INTO lido_example_notes (body) VALUES ($1) RETURNING id, body, created_at', [body]);
    const {
      rows: [{ count }],
    } = await client.query('SELECT count(*)::int AS count FROM lido_example_notes');
    await client.query('COMMIT');
    return [201, { ...note, notes: count }];
  },
  'GET /slow': async (_req, url) => {
    // a long request, to watch a graceful shutdown wait for it
    const ms = Math.min(Number(url.searchParams.get('ms') ?? 500), 4_000);
    await pool.query('SELECT pg_sleep($1 / 1000.0)', [ms]);
    return [200, { sleptMs: ms }];
  },
  'GET /stats': async () => {
    const s = pool.stats();
    return [
      200,
      {
        size: s.size,
        idle: s.idle,
        borrowed: s.borrowed,
        pending: s.pending,
        acquired: s.acquired,
        timeouts: s.timeouts,
        waitP99Ms: s.waitTime.p99,
        useP99Ms: s.useTime.p99,
      },
    ];
  },
};

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      data += chunk;
      if (data.length > 64 * 1024) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

let inFlight = 0;
let shuttingDown = false;

const server = http.createServer(async (req, res) => {
  inFlight++;
  const url = new URL(req.url ?? '/', 'http://localhost');
  let status = 500;
  let body: unknown;
  try {
    const route = routes[`${req.method} ${url.pathname}`];
    [status, body] = route ? await route(req, url) : [404, { error: 'not found' }];
  } catch (e) {
    // The pool's errors say what to tell the client: it is busy (try again), or going away.
    if (e instanceof AcquireTimeoutError || e instanceof QueueFullError || e instanceof PoolClosedError) {
      status = 503;
      res.setHeader('retry-after', '1');
      body = { error: 'busy, try again' };
    } else {
      status = e instanceof SyntaxError ? 400 : 500;
      body = { error: status === 400 ? 'bad JSON' : 'internal error' };
      if (status === 500) console.error(`${req.method} ${url.pathname}:`, e);
    }
  } finally {
    inFlight--;
  }
  // While shutting down, ask keep-alive clients to go: this socket closes after the answer.
  if (shuttingDown) res.setHeader('connection', 'close');
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
server.keepAliveTimeout = 5_000;

// --- graceful shutdown -------------------------------------------------------------------

let shutdownDone: Promise<void> | null = null;

/**
 * Stop taking connections, let the requests in flight finish (up to 10 s), close idle
 * keep-alive sockets, then close the pool: after that nothing holds the event loop, and
 * the process exits by itself with the exit code it has (no process.exit()).
 */
function shutdown(why: string): Promise<void> {
  shutdownDone ??= (async () => {
    shuttingDown = true;
    console.log(`${why}: shutting down; no new connections, ${inFlight} request(s) in flight`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = setTimeout(() => {
      console.log('grace period over: closing the connections still open');
      server.closeAllConnections();
    }, 10_000);
    await closed;
    clearTimeout(grace);
    const report = await pool.close({ timeoutMs: 5_000 });
    const s = pool.stats();
    console.log(`pool closed: ${s.created} connection(s) opened and ${s.destroyed} closed, ${report.forced} forced`);
    console.log('web-service: shut down cleanly');
  })();
  return shutdownDone;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (shuttingDown) {
      console.log(`${signal} again: exiting now`);
      process.exit(1);
    }
    shutdown(signal).catch((e) => {
      console.error('shutdown failed:', e);
      process.exitCode = 1;
    });
  });
}

// --- start -------------------------------------------------------------------------------

try {
  await pool.ready(); // `min` connections are open: fails here, not on the first request, if the database is unreachable
  await pool.query(`CREATE TABLE IF NOT EXISTS lido_example_notes (
    id bigserial PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
} catch (e) {
  console.error(`cannot reach Postgres (${(e as Error).message}); set DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE`);
  await pool.close({ timeoutMs: 0 });
  process.exit(1);
}
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(`web-service: listening on ${base} (pool "${pool.name}": ${pool.totalCount} connections open, max 10)`);

if (selfDriving) {
  try {
    await drive();
  } catch (e) {
    console.error('self-test failed:', e);
    process.exitCode = 1;
    await shutdown('self-test failure');
  }
}

// --- self-driving modes (--once, DURATION): a client in the same process -------------------

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function drive(): Promise<void> {
  const ids: number[] = [];
  const expect = (what: string, got: number, want: number): void => {
    if (got !== want) throw new Error(`${what}: status ${got}, expected ${want}`);
  };
  for (let i = 1; i <= 3; i++) {
    const r = await call('POST', '/notes', { body: `note ${i}` });
    expect('POST /notes', r.status, 201);
    ids.push(r.json.id);
  }
  expect('GET /notes', (await call('GET', '/notes')).status, 200);

  // Load: more concurrent requests than connections; they queue briefly for one.
  const until = Date.now() + (durationS > 0 ? durationS * 1_000 : 0);
  let requests = 0;
  const worker = async (w: number): Promise<void> => {
    do {
      const r = requests % 5 === 0 ? await call('POST', '/notes', { body: `load ${w}` }) : await call('GET', '/notes');
      if (r.status === 201) ids.push(r.json.id);
      else expect('load request', r.status, 200);
      requests++;
    } while (Date.now() < until || requests < 200);
  };
  const ticker = setInterval(
    async () => console.log(`stats: ${JSON.stringify((await call('GET', '/stats')).json)}`),
    1_000,
  );
  await Promise.all(Array.from({ length: 25 }, (_, w) => worker(w)));
  clearInterval(ticker);
  const stats = (await call('GET', '/stats')).json;
  console.log(
    `${requests} requests from 25 concurrent clients over ${stats.size} connections (wait p99 ${stats.waitP99Ms.toFixed(1)} ms)`,
  );

  await pool.query('DELETE FROM lido_example_notes WHERE id = ANY($1)', [ids]);

  // A graceful shutdown while a slow request is in flight: it still gets its answer.
  const slow = call('GET', '/slow?ms=500');
  await new Promise((r) => setTimeout(r, 100));
  process.kill(process.pid, 'SIGTERM');
  const answered = await slow;
  expect('in-flight request during shutdown', answered.status, 200);
  console.log(`the request in flight at SIGTERM was answered: ${answered.status}`);
  const refused = await call('GET', '/healthz').then(
    (r) => `status ${r.status}`,
    (e: Error) => (e.cause as Error | undefined)?.message ?? e.message,
  );
  console.log(`a new request after SIGTERM: ${refused}`);
  await shutdownDone;
}
