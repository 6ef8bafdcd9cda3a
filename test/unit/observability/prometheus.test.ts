import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { publishCreate, publishRelease, traceAcquire, tracingAcquire } from '../../../src/stats/diagnostics.js';
import { Pool } from '../../../src/index.js';
import { registerPoolCollector, type PoolCollector } from '../../../src/observability/prometheus.js';
import { ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function newPool(clock: ManualClock, name = 'main'): Pool<Res> {
  const pool = new Pool({ factory: new TestFactory(), clock, name, min: 1, max: 3, acquireTimeoutMs: 100 });
  cleanups.push(async () => {
    const closed = pool.close({ timeoutMs: 0 });
    await clock.advance(1);
    await closed;
  });
  return pool;
}

function track(c: PoolCollector): PoolCollector {
  cleanups.push(() => c.close());
  return c;
}

/** The sample lines of a scrape, without HELP/TYPE comments. */
async function scrape(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('lido/prometheus', () => {
  it('exposes counts, limits, pending and monotonic counters read from stats() at scrape time', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const pool = newPool(clock);
    await pool.ready();
    track(registerPoolCollector({ registry, pools: [pool], histograms: false }));
    const leases = [await pool.acquire(), await pool.acquire()];
    const waiting = [pool.acquire(), pool.acquire(), pool.acquire()].map((p) => p.catch((e: Error) => e));
    await clock.advance(0);
    let lines = await scrape(registry);
    expect(lines).toEqual(
      expect.arrayContaining([
        'db_client_connection_count{pool_name="main",state="idle"} 0',
        'db_client_connection_count{pool_name="main",state="used"} 3',
        'db_client_connection_pending_requests{pool_name="main"} 2',
        'db_client_connection_max{pool_name="main"} 3',
        'db_client_connection_limit{pool_name="main"} 3',
        'db_client_connection_idle_max{pool_name="main"} 3',
        'db_client_connection_idle_min{pool_name="main"} 1',
        'db_client_connection_timeouts_total{pool_name="main"} 0',
        'lido_pool_acquires_total{pool_name="main"} 3',
      ]),
    );
    await clock.advance(100);
    expect(await Promise.all(waiting)).toEqual([
      expect.anything(),
      expect.objectContaining({ code: 'ERR_POOL_ACQUIRE_TIMEOUT' }),
      expect.objectContaining({ code: 'ERR_POOL_ACQUIRE_TIMEOUT' }),
    ]);
    lines = await scrape(registry);
    expect(lines).toContain('db_client_connection_timeouts_total{pool_name="main"} 2');
    pool.resetStats();
    for (const l of leases) l.release();
    ((await waiting[0]) as { release(): void }).release();
    (await pool.acquire()).release();
    lines = await scrape(registry);
    expect(lines).toContain('db_client_connection_timeouts_total{pool_name="main"} 2');
    expect(lines).toContain('db_client_connection_count{pool_name="main",state="idle"} 3');
    expect(lines).toContain('lido_pool_acquires_total{pool_name="main"} 4');
  });

  it('exports closed connections by reason (monotonic) and the effective limit beside max', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const pool = newPool(clock);
    track(registerPoolCollector({ registry, pools: [pool], histograms: false }));
    (await pool.acquire()).destroy(new Error('broken'));
    pool.resize({ max: 2 });
    await clock.advance(1_000); // (a later reset shows as sinceMs going down)
    let lines = await scrape(registry);
    expect(lines).toEqual(
      expect.arrayContaining([
        'lido_pool_closed_connections_total{pool_name="main",reason="broken"} 1',
        'lido_pool_closed_connections_total{pool_name="main",reason="idle"} 0',
        'db_client_connection_max{pool_name="main"} 2',
        'db_client_connection_limit{pool_name="main"} 2',
      ]),
    );
    expect(await registry.metrics()).toContain('# TYPE lido_pool_closed_connections_total counter');
    pool.resetStats();
    (await pool.acquire()).destroy();
    lines = await scrape(registry);
    expect(lines).toContain('lido_pool_closed_connections_total{pool_name="main",reason="broken"} 2');
  });

  it('declares the right types and help', async () => {
    const registry = new Registry();
    track(registerPoolCollector({ registry, pools: [newPool(new ManualClock())] }));
    const text = await registry.metrics();
    expect(text).toContain('# TYPE db_client_connection_count gauge');
    expect(text).toContain('# TYPE db_client_connection_timeouts_total counter');
    expect(text).toContain('# TYPE db_client_connection_wait_time_seconds histogram');
    expect(text).toMatch(/# HELP lido_pool_create_errors_total Failed attempts to create a connection\./);
  });

  it('observes create, wait and use time histograms in seconds from the diagnostics channels', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    // A stand-in, so that only the events published below count (a real pool publishes its own).
    const real = newPool(clock, 'backing');
    const pool = { name: 'main', stats: () => ({ ...real.stats(), name: 'main' }) };
    const collector = track(registerPoolCollector({ registry, pools: [pool], buckets: [0.01, 0.1, 1] }));
    publishCreate(pool, {}, 250);
    publishCreate({ name: 'stranger' }, {}, 1);
    let lend!: (v: string) => void;
    const acquired = traceAcquire(pool, undefined, clock, () => new Promise<string>((r) => (lend = r)));
    await clock.advance(40);
    lend('lease');
    await acquired;
    publishRelease(pool, {}, 5);
    const lines = await scrape(registry);
    expect(lines).toEqual(
      expect.arrayContaining([
        'db_client_connection_create_time_seconds_bucket{le="0.1",pool_name="main"} 0',
        'db_client_connection_create_time_seconds_bucket{le="1",pool_name="main"} 1',
        'db_client_connection_create_time_seconds_sum{pool_name="main"} 0.25',
        'db_client_connection_create_time_seconds_count{pool_name="main"} 1',
        'db_client_connection_wait_time_seconds_sum{pool_name="main"} 0.04',
        'db_client_connection_use_time_seconds_bucket{le="0.01",pool_name="main"} 1',
      ]),
    );
    expect(lines.join('\n')).not.toContain('stranger');
    collector.close();
    expect(tracingAcquire()).toBe(false);
    expect(await registry.metrics()).toBe('\n');
  });

  it('reports per-key HTTP pools by origin, with a prefix', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const a = newPool(clock, 'https://api.example.com');
    await a.ready();
    const keyed = { name: 'http', stats: () => new Map([['api', a.stats()]]) };
    track(
      registerPoolCollector({ registry, pools: [{ pool: keyed, kind: 'http' }], prefix: 'app_', histograms: false }),
    );
    const lines = await scrape(registry);
    expect(lines).toContain(
      'app_http_client_open_connections{pool_name="https://api.example.com",server_address="api.example.com",server_port="443",url_scheme="https",state="idle"} 1',
    );
    expect(lines).toContain('app_db_client_connection_count{pool_name="https://api.example.com",state="idle"} 1');
  });

  it('adds and removes pools after registration, and a broken one hides nothing', async () => {
    const registry = new Registry();
    const clock = new ManualClock();
    const a = newPool(clock, 'a');
    const b = newPool(clock, 'b');
    const collector = track(
      registerPoolCollector({
        registry,
        pools: [
          a,
          {
            stats: () => {
              throw new Error('boom');
            },
          },
        ],
        histograms: false,
      }),
    );
    collector.add(b);
    collector.remove(a);
    const lines = await scrape(registry);
    expect(lines).toContain('db_client_connection_max{pool_name="b"} 3');
    expect(lines.join('\n')).not.toContain('pool_name="a"');
  });

  it('validates options eagerly, naming the option', () => {
    const registry = new Registry();
    expect(() => registerPoolCollector({ pools: [] } as never)).toThrow(/registry: expected a prom-client Registry/);
    expect(() => registerPoolCollector({ registry, pools: {} } as never)).toThrow(/pools: expected an array/);
    expect(() => registerPoolCollector({ registry, pools: [null] } as never)).toThrow(/pools\[0\]: expected a pool/);
    expect(() => registerPoolCollector({ registry, pools: [], prefix: '1x' })).toThrow(/prefix/);
    expect(() => registerPoolCollector({ registry, pools: [], buckets: [] })).toThrow(/buckets/);
    expect(() => registerPoolCollector({ registry, pools: [], port: 9 } as never)).toThrow(/unknown option "port"/);
    track(registerPoolCollector({ registry, pools: [], histograms: false }));
    expect(() => registerPoolCollector({ registry, pools: [] })).toThrow(
      /registry: already has db_client_connection_count/,
    );
  });
});
