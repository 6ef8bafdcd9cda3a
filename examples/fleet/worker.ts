// One process of the fleet (started by fleet.ts): a pool of Postgres connections whose
// creates take a permit of the fleet's redisBudget, running queries for DURATION seconds.
// Prints JSON lines: { done } every 250 ms, then { end }.
import { pgFactory } from '../../src/adapters/pg/index.js';
import { redisBudget } from '../../src/adapters/redis/index.js';
import { Pool } from '../../src/index.js';

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

// Every create takes a permit of the fleet's budget first; every destroy gives it back
// once the connection is closed. Idle connections above `min` go back when another
// process waits for one.
const pool = new Pool({
  name: app,
  max,
  acquireTimeoutMs: 60_000,
  budget,
  factory: pgFactory({ ...database, application_name: app }),
});
pool.on('error', () => {});

let done = 0;
const until = Date.now() + seconds * 1_000;
const ticker = setInterval(() => console.log(JSON.stringify({ done })), 250);
await budget.ready();
await Promise.all(
  Array.from({ length: max }, async () => {
    while (Date.now() < until) {
      await pool.use((c) => (c as { query(q: string): Promise<unknown> }).query('SELECT pg_sleep(0.05)'));
      done++;
    }
  }),
);
clearInterval(ticker);
console.log(JSON.stringify({ end: done }));
await pool.close();
await budget.close();
