/**
 * A process of a fleet, for the budget tests: one `redisBudget` and one core `Pool` under
 * it (option `budget`), whose resources are plain objects (a destroy settles 1 ms later).
 * Driven by JSON lines on stdin, reporting JSON lines on stdout, like budget-child.ts.
 * Started by test/support/budget-fleet.ts (`startPoolChild`).
 *
 * argv: JSON `{ url, name, max, leaseMs, min, poolMax }` (`max`: the budget's; `poolMax`:
 * the pool's, default 10).
 * stdin: `{ op: 'take', n }` (n acquires, held), `{ op: 'release', n }` (n leases released:
 * their resources go idle), `{ op: 'stats' }`, `{ op: 'exit' }`.
 * stdout: `{ ev: 'ready' | 'got' | 'stats' | 'failed', … }`.
 */
import { createInterface } from 'node:readline';
import { redisBudget } from '../../src/adapters/redis/index.js';
import { type Lease, Pool } from '../../src/index.js';

const args = JSON.parse(process.argv[2]) as {
  url: string;
  name: string;
  max: number;
  leaseMs: number;
  min?: number;
  poolMax?: number;
};

const out = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...o, at: Date.now() })}\n`);
};

const budget = redisBudget({ redis: args.url, name: args.name, max: args.max, leaseMs: args.leaseMs });
budget.on('error', () => {});

let made = 0;
const pool = new Pool<{ id: number }>({
  name: 'child',
  min: args.min ?? 0,
  max: args.poolMax ?? 10,
  acquireTimeoutMs: 60_000,
  budget,
  factory: {
    create: async () => ({ id: ++made }),
    destroy: () => new Promise<void>((r) => setTimeout(r, 1)),
  },
});
pool.on('error', () => {});
const leases: Lease<{ id: number }>[] = [];
let seq = 0;

function stats(): Record<string, unknown> {
  const s = pool.stats();
  return {
    ev: 'stats',
    ...s.budget,
    idle: s.idle,
    borrowed: s.borrowed,
    closing: s.closing,
    shrink: s.destroyedBy.shrink,
    health: pool.health().reasons.join('; ') || null,
  };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { op: string; n?: number };
  const n = cmd.n ?? 1;
  if (cmd.op === 'take') {
    for (let i = 0; i < n; i++) {
      const id = ++seq;
      pool.acquire().then(
        (lease) => {
          leases.push(lease);
          out({ ev: 'got', id, held: pool.stats().budget?.held });
        },
        (e: Error) => out({ ev: 'failed', id, message: e.message }),
      );
    }
  } else if (cmd.op === 'release') {
    for (const lease of leases.splice(0, n)) lease.release();
    out(stats());
  } else if (cmd.op === 'stats') {
    out(stats());
  } else if (cmd.op === 'exit') {
    void pool
      .close()
      .then(() => budget.close())
      .then(() => process.exit(0));
  }
});

// Ready once registered in the fleet and `min` is open.
void budget.ready().then(async () => {
  for (let i = 0; i < 200 && budget.fence === 0; i++) await new Promise((r) => setTimeout(r, 50));
  await pool.ready();
  out({ ev: 'ready', pid: budget.processId, fence: budget.fence });
});
