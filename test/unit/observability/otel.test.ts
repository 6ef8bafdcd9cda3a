import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { publishCreate, publishRelease, traceAcquire, tracingAcquire } from '../../../src/stats/diagnostics.js';
import { Pool } from '../../../src/index.js';
import { registerPoolMetrics, type PoolMetrics } from '../../../src/observability/otel.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';

/** A pull reader: the test decides when to collect. */
class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(): { reader: TestReader; provider: MeterProvider } {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  cleanups.push(() => provider.shutdown());
  return { reader, provider };
}

function track(m: PoolMetrics): PoolMetrics {
  cleanups.push(() => m.close());
  return m;
}

function newPool(clock: ManualClock, name = 'main'): Pool<Res> {
  const pool = new Pool({ factory: new TestFactory(), clock, name, min: 1, max: 3, acquireTimeoutMs: 100 });
  cleanups.push(async () => {
    const closed = pool.close({ timeoutMs: 0 });
    await clock.advance(1);
    await closed;
  });
  return pool;
}

function metricsOf(rm: ResourceMetrics): Map<string, MetricData> {
  return new Map(rm.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
}

async function collect(reader: TestReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return metricsOf(resourceMetrics);
}

/** The value of the data point whose attributes include `attrs`. */
function value(m: Map<string, MetricData>, name: string, attrs: Record<string, unknown>): unknown {
  const metric = m.get(name);
  if (metric === undefined) throw new Error(`no metric ${name}; have ${[...m.keys()].join(', ')}`);
  const point = metric.dataPoints.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
  return point?.value;
}

const MAIN = { 'db.client.connection.pool.name': 'main' };

describe('lido/otel', () => {
  it('reports the db.client.connection.* instruments from stats() at collection', async () => {
    const { reader, provider } = setup();
    const clock = new ManualClock();
    const pool = newPool(clock);
    await pool.ready();
    track(registerPoolMetrics({ pools: [pool], meterProvider: provider, histograms: false }));
    const a = await pool.acquire();
    const b = await pool.acquire();
    const c = await pool.acquire();
    const late = pool.acquire().catch((e: Error) => e);
    pool.acquire().catch(() => {});
    let m = await collect(reader);
    expect(value(m, 'db.client.connection.count', { ...MAIN, 'db.client.connection.state': 'used' })).toBe(3);
    expect(value(m, 'db.client.connection.count', { ...MAIN, 'db.client.connection.state': 'idle' })).toBe(0);
    expect(value(m, 'db.client.connection.pending_requests', MAIN)).toBe(2);
    expect(value(m, 'db.client.connection.max', MAIN)).toBe(3);
    expect(value(m, 'db.client.connection.limit', MAIN)).toBe(3);
    expect(value(m, 'db.client.connection.idle.max', MAIN)).toBe(3);
    expect(value(m, 'db.client.connection.idle.min', MAIN)).toBe(1);
    expect(value(m, 'db.client.connection.timeouts', MAIN)).toBe(0);
    expect(m.get('db.client.connection.count')!.descriptor.unit).toBe('{connection}');
    await clock.advance(100);
    expect(await late).toMatchObject({ code: 'ERR_POOL_ACQUIRE_TIMEOUT' });
    a.release();
    m = await collect(reader);
    expect(value(m, 'db.client.connection.timeouts', MAIN)).toBe(2);
    expect(value(m, 'db.client.connection.count', { ...MAIN, 'db.client.connection.state': 'idle' })).toBe(1);
    expect(value(m, 'lido.pool.acquires', MAIN)).toBe(3);
    expect(value(m, 'lido.pool.creates', MAIN)).toBe(3);
    b.release();
    c.release();
  });

  it('keeps counters monotonic across resetStats()', async () => {
    const { reader, provider } = setup();
    const clock = new ManualClock();
    const pool = newPool(clock);
    track(registerPoolMetrics({ pools: [pool], meterProvider: provider, histograms: false }));
    for (let i = 0; i < 4; i++) (await pool.acquire()).release();
    expect(value(await collect(reader), 'lido.pool.acquires', MAIN)).toBe(4);
    await clock.advance(1_000);
    pool.resetStats();
    (await pool.acquire()).release();
    expect(value(await collect(reader), 'lido.pool.acquires', MAIN)).toBe(5);
  });

  it('exports closed connections by reason (monotonic) and the effective limit beside max', async () => {
    const { reader, provider } = setup();
    const clock = new ManualClock();
    const pool = newPool(clock);
    track(registerPoolMetrics({ pools: [pool], meterProvider: provider, histograms: false }));
    (await pool.acquire()).destroy(new Error('broken'));
    pool.resize({ max: 2 });
    await clock.advance(1_000); // (a later reset shows as sinceMs going down)
    let m = await collect(reader);
    expect(value(m, 'lido.pool.closed_connections', { ...MAIN, reason: 'broken' })).toBe(1);
    expect(value(m, 'lido.pool.closed_connections', { ...MAIN, reason: 'idle' })).toBe(0);
    expect(m.get('lido.pool.closed_connections')!.descriptor.unit).toBe('{connection}');
    expect(value(m, 'db.client.connection.max', MAIN)).toBe(2);
    expect(value(m, 'db.client.connection.limit', MAIN)).toBe(2);
    pool.resetStats();
    (await pool.acquire()).destroy();
    m = await collect(reader);
    expect(value(m, 'lido.pool.closed_connections', { ...MAIN, reason: 'broken' })).toBe(2);
  });

  it('records create, wait and use time histograms in seconds from the diagnostics channels', async () => {
    const { reader, provider } = setup();
    const clock = new ManualClock();
    // A stand-in, so that only the events published below count (a real pool publishes its own).
    const real = newPool(clock, 'backing');
    const pool = { name: 'main', stats: () => ({ ...real.stats(), name: 'main' }) };
    const other = { name: 'unregistered' };
    const metrics = track(registerPoolMetrics({ pools: [pool], meterProvider: provider, buckets: [0.01, 0.1, 1] }));
    expect(tracingAcquire()).toBe(true);
    publishCreate(pool, {}, 250);
    publishCreate(other, {}, 9_000);
    let lend!: (lease: string) => void;
    const acquired = traceAcquire(pool, undefined, clock, () => new Promise<string>((r) => (lend = r)));
    await clock.advance(40);
    lend('lease');
    await acquired;
    publishRelease(pool, {}, 5);
    const m = await collect(reader);
    const create = m.get('db.client.connection.create_time') as HistogramMetricData;
    expect(create.descriptor.unit).toBe('s');
    expect(create.dataPoints).toHaveLength(1);
    expect(create.dataPoints[0].attributes).toEqual(MAIN);
    expect(create.dataPoints[0].value).toMatchObject({
      count: 1,
      sum: 0.25,
      buckets: { boundaries: [0.01, 0.1, 1], counts: [0, 0, 1, 0] },
    });
    expect((m.get('db.client.connection.wait_time') as HistogramMetricData).dataPoints[0].value).toMatchObject({
      count: 1,
      sum: 0.04,
    });
    expect((m.get('db.client.connection.use_time') as HistogramMetricData).dataPoints[0].value).toMatchObject({
      count: 1,
      sum: 0.005,
    });
    metrics.close();
    expect(tracingAcquire()).toBe(false);
  });

  it('exports through PeriodicExportingMetricReader and InMemoryMetricExporter', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    cleanups.push(() => provider.shutdown());
    const pool = newPool(new ManualClock());
    await pool.ready();
    track(registerPoolMetrics({ pools: [pool], meterProvider: provider, histograms: false }));
    await provider.forceFlush();
    const exported = exporter.getMetrics();
    expect(exported.length).toBeGreaterThan(0);
    const m = metricsOf(exported.at(-1)!);
    expect(value(m, 'db.client.connection.count', { ...MAIN, 'db.client.connection.state': 'idle' })).toBe(1);
  });

  it('reads per-key stats, skips a total, reports HTTP pools by origin, and survives a broken source', async () => {
    const { reader, provider } = setup();
    const clock = new ManualClock();
    const a = newPool(clock, 'https://api.example.com');
    const b = newPool(clock, 'http://10.0.0.7:8080');
    await Promise.all([a.ready(), b.ready()]);
    const keyed = { name: 'origins', stats: () => ({ total: a.stats(), [a.name]: a.stats(), [b.name]: b.stats() }) };
    const broken = {
      name: 'broken',
      stats: (): never => {
        throw new Error('boom');
      },
    };
    const removed = { stats: () => a.stats() };
    const metrics = track(
      registerPoolMetrics({
        pools: [broken, removed, { pool: keyed, kind: 'http' }],
        meterProvider: provider,
        histograms: false,
      }),
    );
    metrics.remove(removed);
    const m = await collect(reader);
    expect(m.get('db.client.connection.max')!.dataPoints).toHaveLength(2);
    expect(
      value(m, 'http.client.open_connections', {
        'server.address': 'api.example.com',
        'server.port': 443,
        'url.scheme': 'https',
        'http.connection.state': 'idle',
      }),
    ).toBe(1);
    expect(
      value(m, 'http.client.open_connections', {
        'server.address': '10.0.0.7',
        'server.port': 8080,
        'http.connection.state': 'active',
      }),
    ).toBe(0);
  });

  it('reads a KeyedPool-shaped source and records the histograms of its key pools by name', async () => {
    const { reader, provider } = setup();
    const clock = new ManualClock();
    const [x, y] = [newPool(clock, 'tenants[x]'), newPool(clock, 'tenants[y]')];
    await Promise.all([x.ready(), y.ready()]);
    const keyed = {
      name: 'tenants',
      stats: () => ({
        name: 'tenants',
        keys: 2,
        maxTotal: 6,
        total: { size: 2, idle: 2 },
        perKey: [
          { ...x.stats(), key: 'x' },
          { ...y.stats(), key: 'y' },
        ],
      }),
    };
    track(registerPoolMetrics({ pools: [keyed], meterProvider: provider }));
    publishCreate(x, {}, 30);
    publishCreate({ name: 'tenants[x]' }, {}, 40); // another object, same name: a key pool too
    publishCreate({ name: 'elsewhere' }, {}, 50);
    const m = await collect(reader);
    expect(
      value(m, 'db.client.connection.count', {
        'db.client.connection.pool.name': 'tenants[y]',
        'db.client.connection.state': 'idle',
      }),
    ).toBe(1);
    expect(m.get('db.client.connection.max')!.dataPoints).toHaveLength(2);
    const create = m.get('db.client.connection.create_time') as HistogramMetricData;
    expect(create.dataPoints.map((p) => [p.attributes['db.client.connection.pool.name'], p.value.count])).toEqual([
      ['tenants[x]', 2],
    ]);
  });

  it('validates options eagerly, naming the option', () => {
    const pool = { stats: () => ({}) };
    expect(() => registerPoolMetrics({} as never)).toThrow(/pools: expected an array/);
    expect(() => registerPoolMetrics({ pools: [pool, 42] } as never)).toThrow(/pools\[1\]: expected a pool/);
    expect(() => registerPoolMetrics({ pools: [{ pool, kind: 'ftp' }] } as never)).toThrow(
      /pools\[0\]\.kind: expected "db" or "http", got "ftp"/,
    );
    expect(() => registerPoolMetrics({ pools: [], meterProvider: {} } as never)).toThrow(
      /meterProvider: expected a MeterProvider/,
    );
    expect(() => registerPoolMetrics({ pools: [], meterName: '' })).toThrow(/meterName/);
    expect(() => registerPoolMetrics({ pools: [], lazyPollMs: 0 })).toThrow(/lazyPollMs/);
    expect(() => registerPoolMetrics({ pools: [], buckets: [1, 0.5] })).toThrow(/buckets/);
    expect(() => registerPoolMetrics({ pools: [], meter: 1 } as never)).toThrow(/unknown option "meter"/);
  });
});
