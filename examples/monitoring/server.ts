// A pool under load, watched three ways: the admin handler (JSON + live dashboard),
// a Prometheus registry at /metrics, and the pool's own advice. Exits by itself.
//
//   npx tsx examples/monitoring/server.ts            # 8 s on a random port
//   PORT=9464 DURATION=120 npx tsx examples/monitoring/server.ts
//
// In a real application import from 'lido', 'lido/admin' and 'lido/prometheus'.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { Pool } from '../../src/index.js';
import { createAdminHandler } from '../../src/observability/admin/index.js';
import { registerPoolCollector } from '../../src/observability/prometheus.js';

const SECONDS = Number(process.env.DURATION ?? 8);
const PORT = Number(process.env.PORT ?? 0);
if (!(SECONDS > 0 && SECONDS <= 3_600))
  throw new Error(`DURATION: expected 1..3600 seconds, got ${process.env.DURATION}`);

// A stand-in for a database connection: slow to open, fast to use.
interface Conn {
  id: number;
  query(ms: number): Promise<void>;
}
let seq = 0;
const pool = new Pool<Conn>({
  name: 'orders-db',
  min: 2,
  max: 8,
  acquireTimeoutMs: 500,
  factory: {
    create: async () => {
      await sleep(20 + Math.random() * 30);
      return { id: ++seq, query: (ms) => sleep(ms).then(() => {}) };
    },
    destroy: () => {},
  },
});

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const collector = registerPoolCollector({ registry, pools: [pool] });
const admin = createAdminHandler({ pools: [pool], basePath: '/admin' });

const server = http.createServer((req, res) => {
  if (req.url === '/metrics') {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (e: Error) => {
        res.writeHead(500).end(e.message);
      },
    );
    return;
  }
  void admin(req, res);
});
await new Promise<void>((resolve) => server.listen(PORT, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
console.log(
  `dashboard  ${base}/admin/\nJSON       ${base}/admin/stats  /health  /advice  /config\nPrometheus ${base}/metrics\nrunning for ${SECONDS} s…\n`,
);

// Load: 12 callers on 8 connections, each holding one for 10–80 ms.
const until = Date.now() + SECONDS * 1_000;
const caller = async (): Promise<void> => {
  while (Date.now() < until) {
    await pool.use((c) => c.query(10 + Math.random() * 70)).catch(() => {});
  }
};
await Promise.all(Array.from({ length: 12 }, caller));

// What a scraper and an operator would have seen.
const metrics = await (await fetch(`${base}/metrics`)).text();
console.log(
  metrics
    .split('\n')
    .filter((l) =>
      /^(db_client_connection_(count|pending_requests|timeouts_total|wait_time_seconds_(sum|count))|lido_pool_acquires_total)/.test(
        l,
      ),
    )
    .join('\n'),
);
const health = await fetch(`${base}/admin/health`);
console.log(`\nGET /admin/health → ${health.status}`, JSON.stringify(await health.json()));
const advice = (await (await fetch(`${base}/admin/advice`)).json()) as {
  pools: { advice: { severity: string; issue: string }[] }[];
};
for (const a of advice.pools[0].advice) console.log(`advice [${a.severity}] ${a.issue}`);

collector.close();
server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
await pool.close();
