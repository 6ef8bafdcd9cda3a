// A queue worker on lido/redis: WORKERS workers wait in BLPOP, each on its own pooled
// connection, while a producer pushes JOBS jobs through one shared ioredis client. When
// every job is done (or on Ctrl-C / SIGTERM) the workers stop taking jobs, finish the one
// in hand, and pool.close() disconnects everything: the process then exits by itself.
//
//   npx tsx examples/redis-queue-worker/worker.ts          (REDIS_URL, default redis://127.0.0.1:6379)
import { Redis } from 'ioredis';
import { RedisPool } from '../../src/adapters/redis/index.js'; // in your app: from 'lido/redis'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKERS = 4;
const JOBS = 40;
const QUEUE = `lido:example:jobs:${process.pid}`;

// Ordinary commands (the producer's RPUSH) share one multiplexed client: no pool needed.
const shared = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
let sharedError: Error | null = null;
shared.on('error', (e: Error) => (sharedError = e)); // the cause behind "Connection is closed."

// Blocking pops hold a connection each: those come from the pool.
const pool = new RedisPool({ Redis, redis: REDIS_URL, name: 'queue-workers', max: WORKERS, acquireTimeoutMs: 5_000 });

let stopping = false;
let done = 0;
const byWorker = new Array<number>(WORKERS).fill(0);

async function worker(n: number): Promise<void> {
  while (!stopping) {
    // BLPOP with a 1 s timeout: a worker notices `stopping` within a second.
    const popped = await pool.use((redis) => redis.blpop(QUEUE, 1));
    if (popped === null) continue;
    const job = JSON.parse(popped[1]) as { id: number; ms: number };
    await new Promise((r) => setTimeout(r, job.ms)); // the work
    byWorker[n]++;
    if (++done === JOBS) stop('all jobs done');
  }
}

async function produce(): Promise<void> {
  for (let id = 1; id <= JOBS && !stopping; id++) {
    await shared.rpush(QUEUE, JSON.stringify({ id, ms: 5 + (id % 7) * 5 }));
    if (id % 10 === 0) await new Promise((r) => setTimeout(r, 50));
  }
}

let stopped: (reason: string) => void;
const stopRequested = new Promise<string>((resolve) => (stopped = resolve));
function stop(reason: string): void {
  stopping = true;
  stopped(reason);
}
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));

try {
  await shared.connect();
  await pool.ready();
  const workers = Array.from({ length: WORKERS }, (_, n) => worker(n));
  await produce();
  console.log(`stopping: ${await stopRequested}`);
  await Promise.all(workers); // each finishes the job in hand (at most one BLPOP timeout)
  const report = await pool.close({ timeoutMs: 5_000 }); // graceful: waits for leases, then disconnects
  const s = pool.stats();
  console.log(
    `${done}/${JOBS} jobs done by ${WORKERS} workers (${byWorker.join(', ')}); ${s.created} connections made, ${s.destroyed} closed, forced: ${report.forced}`,
  );
} catch (e) {
  const why = e instanceof Error ? e.message : String(e);
  const cause = sharedError === null ? '' : ` (${(sharedError as Error).message})`;
  console.error(`redis-queue-worker: ${why}${cause}`);
  process.exitCode = 1;
  stop('error');
  await pool.close({ timeoutMs: 1_000 });
} finally {
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  if (shared.status === 'ready') await shared.del(QUEUE).catch(() => 0);
  await shared.quit().catch(() => shared.disconnect());
}
