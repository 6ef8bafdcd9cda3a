// A service calling an upstream API through lido's HttpPool.
//   npx tsx examples/http-client/service.ts
// Starts its own "upstream" (node:http on 127.0.0.1), serves 400 incoming jobs with 40
// at a time, each calling the upstream with undici's request() or fetch(), then prints
// the pool's stats and what the upstream saw, closes everything and exits.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch, request } from 'undici';
import { HttpPool } from '../../src/adapters/http/index.js'; // in your app: from 'lido/http'

const JOBS = 400;
const CONCURRENCY = 40;

// --- the upstream API: ~10 ms per answer, counting the sockets it is given -----------
let sockets = 0;
let openNow = 0;
let peakOpen = 0;
const upstream = createServer((req, res) => {
  const id = Number(new URL(req.url!, 'http://x').searchParams.get('id'));
  setTimeout(
    () => res.setHeader('content-type', 'application/json').end(JSON.stringify({ id, price: id * 3 })),
    5 + Math.random() * 10,
  );
});
upstream.on('connection', (s) => {
  sockets++;
  peakOpen = Math.max(peakOpen, ++openNow);
  s.once('close', () => openNow--);
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const API = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

// --- the service's HTTP client: one pool for every upstream ---------------------------
const http = new HttpPool({
  name: 'upstreams',
  max: 4, // any other origin: at most 4 connections
  origins: {
    [API]: { min: 4, max: 12, acquireTimeoutMs: 2_000, maxWaiting: 200 },
  },
  maxLifetimeMs: 300, // rotate connections (DNS, load balancers); minutes in real life, short here to show it
  leakDetectionMs: 5_000, // report responses whose body nobody reads
});
http.on('leak', (r) => console.warn(`unread body: ${r.method} ${r.origin}${r.path}\n${r.stack}`));
await http.ready();
console.log(`${http.stats().origins[API].idle} warm connections to ${API} before the first request`);

async function price(id: number): Promise<number> {
  if (id % 2 === 0) {
    const { statusCode, body } = await request(`${API}/price?id=${id}`, { dispatcher: http });
    if (statusCode !== 200) throw new Error(`upstream answered ${statusCode}`);
    return ((await body.json()) as { price: number }).price;
  }
  const res = await fetch(`${API}/price?id=${id}`, { dispatcher: http });
  return ((await res.json()) as { price: number }).price;
}

const started = performance.now();
let next = 0;
let total = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < JOBS) total += await price(next++);
  }),
);
const ms = performance.now() - started;

const s = http.stats().origins[API];
console.log(`${JOBS} jobs in ${ms.toFixed(0)} ms (sum of prices ${total})`);
console.log(`pool "${s.name}": ${s.size} connections (${s.idle} idle), peak ${s.peakBorrowed} in use of max ${s.max}`);
console.log(`  requests ${s.requests}, retries ${s.retries}, connections opened ${s.created}, retired ${s.destroyed}`);
console.log(
  `  wait for a connection: p50 ${s.waitTime.p50.toFixed(1)} ms, p99 ${s.waitTime.p99.toFixed(1)} ms; held: p50 ${s.useTime.p50.toFixed(1)} ms`,
);
console.log(`upstream saw ${sockets} sockets in all, at most ${peakOpen} open at once`);
console.log(`health: ${http.health().status}`);

await http.close();
upstream.close();
