// The limit autoSize sets is exported beside max by lido/otel and lido/prometheus.
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerPoolMetrics } from '../../../src/observability/otel.js';
import { registerPoolCollector } from '../../../src/observability/prometheus.js';
import { ManualClock } from '../../support/manual-clock.js';
import { Callers, sizedPool } from './workload.js';

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

describe('autoSize in the metrics', () => {
  it('exports limit beside max, following the controller', async () => {
    const clock = new ManualClock();
    const { pool } = sizedPool(clock, { max: 32, name: 'sized' });
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const otel = registerPoolMetrics({ pools: [pool], meterProvider: provider, histograms: false });
    const registry = new Registry();
    const prom = registerPoolCollector({ registry, pools: [pool], histograms: false });
    const otelValue = async (name: string): Promise<unknown> => {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
      return metric?.dataPoints[0]?.value;
    };
    expect(await otelValue('db.client.connection.max')).toBe(32);
    expect(await otelValue('db.client.connection.limit')).toBe(1);
    expect(await registry.metrics()).toContain('db_client_connection_limit{pool_name="sized"} 1');
    const callers = new Callers(pool, clock, () => 20);
    callers.add(48);
    await clock.advance(10_000);
    expect(await otelValue('db.client.connection.limit')).toBe(32);
    expect(await registry.metrics()).toContain('db_client_connection_limit{pool_name="sized"} 32');
    await callers.stop();
    otel.close();
    prom.close();
    await provider.shutdown();
    await pool.close();
  });
});
