import dc from 'node:diagnostics_channel';
import { MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, acquireChannel, type AcquireContext } from '../../../src/stats/diagnostics.js';
import { Pool } from '../../../src/index.js';
import { registerPoolMetrics } from '../../../src/observability/otel.js';
import { registerPoolCollector } from '../../../src/observability/prometheus.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listen(name: string): unknown[] {
  const got: unknown[] = [];
  const fn = (m: unknown): void => void got.push(m);
  dc.subscribe(name, fn);
  cleanups.push(() => dc.unsubscribe(name, fn));
  return got;
}

function newPool(clock: ManualClock, options: { leakDetectionMs?: number } = {}): Pool<Res> {
  const pool = new Pool({ factory: new TestFactory(), clock, name: 'main', max: 1, acquireTimeoutMs: 50, ...options });
  cleanups.push(async () => {
    const closed = pool.close({ timeoutMs: 0 });
    await clock.advance(1);
    await closed;
  });
  return pool;
}

describe('a Pool on the diagnostics channels', () => {
  it('publishes create, traced acquire, release, timeout, leak and destroy', async () => {
    const clock = new ManualClock();
    const pool = newPool(clock, { leakDetectionMs: 1_000 });
    const create = listen(CHANNELS.create);
    const release = listen(CHANNELS.release);
    const timeout = listen(CHANNELS.timeout);
    const leak = listen(CHANNELS.leak);
    const destroy = listen(CHANNELS.destroy);
    const ends: AcquireContext[] = [];
    const onEnd = (m: unknown): void => void ends.push(m as AcquireContext);
    acquireChannel.asyncEnd.subscribe(onEnd);
    cleanups.push(() => acquireChannel.asyncEnd.unsubscribe(onEnd));

    const lease = await pool.acquire();
    const resource = lease.resource;
    expect(create).toEqual([expect.objectContaining({ pool, name: 'main', resource, durationMs: 0 })]);
    const waiting = pool.acquire().catch((e: Error) => e);
    await clock.advance(50);
    expect(await waiting).toMatchObject({ code: 'ERR_POOL_ACQUIRE_TIMEOUT' });
    expect(timeout).toEqual([expect.objectContaining({ pool, error: await waiting })]);
    await clock.advance(1_000);
    expect(leak).toEqual([expect.objectContaining({ pool, report: expect.objectContaining({ kind: 'held' }) })]);
    lease.release();
    expect(release).toEqual([expect.objectContaining({ pool, resource, heldMs: 1_050 })]);
    await pool.use(() => clock.advance(5));
    expect(ends.map((c) => [c.waitMs, c.error === undefined])).toEqual([
      [0, true],
      [50, false],
      [0, true],
    ]);
    expect((release[1] as { heldMs: number }).heldMs).toBe(5);
    await pool.close();
    expect(destroy).toEqual([expect.objectContaining({ pool, reason: 'pool closed' })]);
  });

  it('feeds the OpenTelemetry and Prometheus histograms', async () => {
    class Reader extends MetricReader {
      protected async onForceFlush(): Promise<void> {}
      protected async onShutdown(): Promise<void> {}
    }
    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    const registry = new Registry();
    const clock = new ManualClock();
    const pool = newPool(clock);
    const otel = registerPoolMetrics({ pools: [pool], meterProvider: provider });
    const prom = registerPoolCollector({ registry, pools: [pool] });
    cleanups.push(
      () => provider.shutdown(),
      () => otel.close(),
      () => prom.close(),
    );
    const lease = await pool.acquire();
    const second = pool.acquire();
    await clock.advance(20);
    lease.release();
    (await second).release();
    const { resourceMetrics } = await reader.collect();
    const wait = resourceMetrics.scopeMetrics[0].metrics.find(
      (m) => m.descriptor.name === 'db.client.connection.wait_time',
    ) as HistogramMetricData;
    expect(wait.dataPoints[0].value).toMatchObject({ count: 2, sum: 0.02 });
    const text = await registry.metrics();
    expect(text).toContain('db_client_connection_use_time_seconds_sum{pool_name="main"} 0.02');
    expect(text).toContain('db_client_connection_create_time_seconds_count{pool_name="main"} 1');
  });
});
