import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerPoolMetrics } from '../../../src/observability/otel.js';

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const stats = {
  name: 'early',
  size: 2,
  idle: 1,
  borrowed: 1,
  pending: 0,
  creating: 0,
  checking: 0,
  min: 1,
  max: 4,
  peakBorrowed: 1,
  created: 2,
  destroyed: 0,
  acquired: 5,
  released: 4,
  timeouts: 0,
  createErrors: 0,
  validationFailures: 0,
  resetFailures: 0,
  leaks: 0,
  rejected: 0,
  aborted: 0,
  sinceMs: 10,
  waitTime: { count: 0, mean: 0, p50: 0, p99: 0, max: 0 },
  useTime: { count: 0, mean: 0, p50: 0, p99: 0, max: 0 },
  createTime: { count: 0, mean: 0, p50: 0, p99: 0, max: 0 },
};

afterEach(() => {
  metrics.disable();
  vi.useRealTimers();
});

describe('lido/otel with the global meter provider', () => {
  it('waits for an SDK registered after the pool metrics, then reports', async () => {
    vi.useFakeTimers();
    const registration = registerPoolMetrics({ pools: [{ stats: () => stats }], lazyPollMs: 500 });
    expect(registration.bound).toBe(false);
    vi.advanceTimersByTime(1_500);
    expect(registration.bound).toBe(false);

    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    vi.advanceTimersByTime(500);
    expect(registration.bound).toBe(true);
    expect(vi.getTimerCount()).toBe(0);

    vi.useRealTimers();
    const { resourceMetrics } = await reader.collect();
    const count = resourceMetrics.scopeMetrics[0].metrics.find(
      (m) => m.descriptor.name === 'db.client.connection.count',
    );
    expect(count?.dataPoints.map((p) => [p.attributes['db.client.connection.state'], p.value])).toEqual([
      ['idle', 1],
      ['used', 1],
    ]);
    registration.close();
    await provider.shutdown();
  });

  it('binds at once when the global provider is already set, and close() stops the look-up', () => {
    vi.useFakeTimers();
    const idle = registerPoolMetrics({ pools: [] });
    expect(vi.getTimerCount()).toBe(1);
    idle.close();
    expect(vi.getTimerCount()).toBe(0);

    const provider = new MeterProvider({ readers: [new TestReader()] });
    metrics.setGlobalMeterProvider(provider);
    const bound = registerPoolMetrics({ pools: [] });
    expect(bound.bound).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    bound.close();
  });
});
