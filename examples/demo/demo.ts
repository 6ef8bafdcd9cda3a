// `npm run demo`: the cost of connecting, with and without lido, on a local service.
// No server is needed: the demo starts its own TCP service (20–50 ms handshake).
import { Pool } from '../../src/index.js';
import { Connection, startService } from './service.js';

const REQUESTS = 200;
const CONCURRENCY = 10;

async function run(label: string, handle: (i: number) => Promise<string>): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < REQUESTS) {
      const i = next++;
      const reply = await handle(i);
      if (reply !== `OK q${i}`) throw new Error(`${label}: bad reply ${reply}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - started;
}

const service = await startService();

// Without a pool: every request pays for a new connection.
const before = service.connections();
const unpooledMs = await run('no pool', async (i) => {
  const conn = await Connection.open(service.port);
  try {
    return await conn.request(`q${i}`);
  } finally {
    conn.close();
  }
});
const unpooledConnections = service.connections() - before;

// Through lido: connections are made once and reused.
const pool = new Pool<Connection>({
  name: 'demo',
  max: CONCURRENCY,
  min: 2,
  factory: {
    create: (signal) => Connection.open(service.port, signal),
    destroy: (conn) => conn.close(),
  },
});
await pool.ready();
const mid = service.connections();
const pooledMs = await run('lido', (i) => pool.use((conn) => conn.request(`q${i}`)));
const pooledConnections = service.connections() - mid + 2; // + the two `min` made before

const row = (name: string, ms: number, conns: number): string =>
  `${name.padEnd(12)} ${ms.toFixed(0).padStart(8)} ms ${(ms / REQUESTS).toFixed(2).padStart(9)} ms/req ${String(conns).padStart(6)} connections`;
console.log(`\n${REQUESTS} requests, ${CONCURRENCY} at a time, to a local service with a 20–50 ms handshake\n`);
console.log(row('no pool', unpooledMs, unpooledConnections));
console.log(row('lido', pooledMs, pooledConnections));
console.log(`\nlido is ${(unpooledMs / pooledMs).toFixed(1)}x faster here.\n`);

const s = pool.stats();
console.log('pool.stats():', {
  size: s.size,
  idle: s.idle,
  borrowed: s.borrowed,
  creating: s.creating,
  pending: s.pending,
  created: s.created,
  acquired: s.acquired,
  peakBorrowed: s.peakBorrowed,
  waitTime: `p50 ${s.waitTime.p50.toFixed(2)} ms, p99 ${s.waitTime.p99.toFixed(2)} ms`,
  useTime: `p50 ${s.useTime.p50.toFixed(2)} ms, p99 ${s.useTime.p99.toFixed(2)} ms`,
  createTime: `p50 ${s.createTime.p50.toFixed(1)} ms, max ${s.createTime.max.toFixed(1)} ms`,
});
console.log('pool.health():', pool.health());

await pool.close();
await service.stop();

// Postgres: the real one when DATABASE_URL is set, else an embedded PostgreSQL (PGlite).
console.log('\n--- Postgres through lido/pg ---\n');
const { runPgDemo } = await import('../pg-demo/pg-demo.js');
await runPgDemo();
