// One process of the fleet (started by fleet.ts): a pool of Postgres connections whose
// creates take a permit of the fleet's redisBudget, running queries for DURATION seconds.
// Prints JSON lines: { done } every 250 ms, then { end }.
import { pgFactory } from '../../src/adapters/pg/index.js';
import { redisBudget } from '../../src/adapters/redis/index.js';
import { type BudgetAccount, type BudgetMember, type Factory, Pool } from '../../src/index.js';

const { app, max, budgetName, budgetMax, seconds } = JSON.parse(process.argv[2]) as {
  app: string;
  max: number;
  budgetName: string;
  budgetMax: number;
  seconds: number;
};
const database = process.env.DATABASE_URL
  ? { connectionString: process.env.DATABASE_URL }
  : { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const budget = redisBudget({
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  name: budgetName,
  max: budgetMax,
});
budget.on('error', () => {});

// The pool as the budget sees it (the Budget interface): how many of its creates an
// acquire waits for, closing idle connections for another process, and a cap.
let pool: Pool<unknown> | null = null;
const member: BudgetMember = {
  name: app,
  demand: () => (pool === null ? 0 : Math.max(0, pool.stats().pending - pool.stats().checking)),
  giveBack: (n) => (pool === null ? 0 : pool.evictIdle(Math.min(n, pool.stats().idle))),
  capChanged: () => pool?.resize({ max: Number.isFinite(account.cap) ? Math.max(1, Math.min(max, account.cap)) : max }),
};
const account: BudgetAccount = budget.join(member);

// Every create takes a permit first; every destroy gives it back once it has settled.
const connections = pgFactory({ ...database, application_name: app });
const factory: Factory<unknown> = {
  async create(signal) {
    if (!account.tryTake()) await account.take(signal);
    try {
      return await connections.create(signal);
    } catch (e) {
      account.give();
      throw e;
    }
  },
  async destroy(client) {
    try {
      await connections.destroy(client as never);
    } finally {
      account.give();
    }
  },
};
pool = new Pool({ name: app, max, acquireTimeoutMs: 60_000, factory });
pool.on('error', () => {});

let done = 0;
const until = Date.now() + seconds * 1_000;
const ticker = setInterval(() => console.log(JSON.stringify({ done })), 250);
await budget.ready();
await Promise.all(
  Array.from({ length: max }, async () => {
    while (Date.now() < until) {
      await pool!.use((c) => (c as { query(q: string): Promise<unknown> }).query('SELECT pg_sleep(0.05)'));
      done++;
    }
  }),
);
clearInterval(ticker);
console.log(JSON.stringify({ end: done }));
await pool.close();
await budget.close();
