/**
 * Spike: 50 borrowers arrive at once at an empty pool whose connects cost 150 ms and
 * whose work costs 2 ms. A pool that opened a connection per waiter would pay 50
 * connects; creating at most `maxConcurrentCreates` at a time and handing each returned
 * connection straight to the next waiter serves them all with a few.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from '../../src/index.js';
import { lineFactory, lineService, type LineConn, type LineService } from '../support/line-service.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let service: LineService;

afterAll(async () => {
  await service?.close();
});

async function spike(
  maxConcurrentCreates?: number,
): Promise<{ created: number; size: number; ms: number; slowestWait: number }> {
  service ??= await lineService({ greetDelayMs: 150 });
  const { factory, stats } = lineFactory(service.port);
  const pool = new Pool<LineConn>({
    name: 'spike',
    factory,
    max: 50,
    acquireTimeoutMs: 5_000,
    ...(maxConcurrentCreates === undefined ? {} : { maxConcurrentCreates }),
  });
  const t0 = performance.now();
  let slowestWait = 0;
  const replies = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const asked = performance.now();
      return pool.use((c) => {
        slowestWait = Math.max(slowestWait, performance.now() - asked);
        return c.request('WORK 2');
      });
    }),
  );
  const ms = performance.now() - t0;
  expect(replies.every((r) => r === 'DONE')).toBe(true);
  await sleep(400); // creates still in flight land (idle) before counting
  const size = pool.stats().size;
  await pool.close();
  expect(stats.destroyed).toBe(stats.connected);
  return { created: stats.connected, size, ms, slowestWait };
}

describe('spike', () => {
  it('50 concurrent borrowers, create 150 ms, use 2 ms, max 50: served without creating 50 connections', async () => {
    const r = await spike();
    console.log(
      `[spike] 50 borrowers served in ${Math.round(r.ms)} ms (slowest wait ${Math.round(r.slowestWait)} ms) by ${r.created} connections; the pool ends with ${r.size}`,
    );
    expect(r.created).toBeLessThanOrEqual(6);
    expect(r.size).toBeLessThanOrEqual(6);
    expect(r.ms).toBeLessThan(1_000);
  });

  it('for contrast, maxConcurrentCreates 50 opens a connection per waiter (50 connects to save a few ms)', async () => {
    const r = await spike(50);
    console.log(
      `[spike] maxConcurrentCreates 50: served in ${Math.round(r.ms)} ms by ${r.created} connections; the pool ends with ${r.size}`,
    );
    expect(r.created).toBeGreaterThan(40);
  });
});
