/**
 * `lido/otel`: OpenTelemetry metrics for lido pools, named after the semantic
 * conventions for database client connection pools (`db.client.connection.*`), with
 * `http.client.open_connections` for HTTP pools. See docs/monitoring.md.
 *
 * Counts and counters are observable instruments read from `stats()` at collection.
 * The three latencies are real Histograms recorded per event from lido's
 * `diagnostics_channel` channels (the pool's own summaries cannot feed an OTel
 * histogram, and per-event recording is what backends aggregate correctly).
 */
import {
  ValueType,
  createNoopMeter,
  metrics,
  type Attributes,
  type BatchObservableResult,
  type Histogram,
  type Meter,
  type MeterProvider,
  type Observable,
} from '@opentelemetry/api';
import type { PoolRef } from '../stats/diagnostics.js';
import { PoolOptionsError } from '../core/errors.js';
import { checkDuration, describe, rejectUnknown } from '../core/options.js';
import { redactString } from '../core/util/redact.js';
import { CLOSED, COUNTERS, GAUGES, HISTOGRAMS, POOL_NAME, STATE } from './names.js';
import {
  DEFAULT_BUCKETS_S,
  Monotonic,
  closedBy,
  limitOf,
  openCounts,
  originOf,
  snapshots,
  toSource,
  toSources,
  Sources,
  type ObservablePool,
  type PoolSource,
  type Source,
} from './source.js';
import { subscribeTimings, type TimingKind } from './timings.js';

export type { ObservablePool, PoolSource } from './source.js';

/** Options of {@link registerPoolMetrics}. */
export interface OtelOptions {
  /** The pools to report: pools, or `{ pool, kind: 'http' }` for HTTP pools. More can be added later. */
  pools: readonly PoolSource[];
  /** Where to register the instruments. Default: the global provider, looked up lazily (see `lazyPollMs`). */
  meterProvider?: MeterProvider;
  /** The meter's name. Default `lido`. */
  meterName?: string;
  /** Record create/wait/use time histograms from the diagnostics channels. Default true. */
  histograms?: boolean;
  /** Bucket bounds of the histograms, in seconds (an advice: SDK views override it). Default 0.5 ms to 30 s. */
  buckets?: readonly number[];
  /** Without `meterProvider`, while the global one is still the no-op, look again this often (ms). Default 1 000. */
  lazyPollMs?: number;
}

/** What {@link registerPoolMetrics} returns. */
export interface PoolMetrics {
  /** True once instruments are registered on a real (non-no-op) meter. */
  readonly bound: boolean;
  /** Starts reporting another pool. */
  add(pool: PoolSource): void;
  /** Stops reporting a pool. */
  remove(pool: ObservablePool): void;
  /** Removes the callbacks and channel subscriptions; the instruments stay (OTel cannot delete them). Idempotent. */
  close(): void;
}

const KNOWN = new Set(['pools', 'meterProvider', 'meterName', 'histograms', 'buckets', 'lazyPollMs']);
const NoopMeter = createNoopMeter().constructor;

/**
 * Reports lido pools as OpenTelemetry metrics. Without `meterProvider` the global
 * provider is used; if no SDK is registered yet, registration waits for one (checking
 * every `lazyPollMs`, on a timer that never keeps the process alive), so calling this
 * before the SDK starts is fine. Options are validated at once.
 */
export function registerPoolMetrics(options: OtelOptions): PoolMetrics {
  if (options === null || typeof options !== 'object')
    throw new PoolOptionsError(`registerPoolMetrics options: expected an object, got ${describe(options)}`);
  rejectUnknown('registerPoolMetrics options', options, KNOWN);
  const sources = toSources(options.pools);
  const provider = options.meterProvider;
  if (provider !== undefined && typeof provider?.getMeter !== 'function')
    throw new PoolOptionsError(`meterProvider: expected a MeterProvider, got ${describe(provider)}`);
  const meterName = options.meterName ?? 'lido';
  if (typeof meterName !== 'string' || meterName === '')
    throw new PoolOptionsError(`meterName: expected a non-empty string, got ${describe(meterName)}`);
  if (options.histograms !== undefined && typeof options.histograms !== 'boolean')
    throw new PoolOptionsError(`histograms: expected a boolean, got ${describe(options.histograms)}`);
  const buckets = options.buckets ?? DEFAULT_BUCKETS_S;
  if (
    !Array.isArray(buckets) ||
    buckets.some((b, i) => typeof b !== 'number' || !(b > 0) || (i > 0 && b <= buckets[i - 1]))
  ) {
    throw new PoolOptionsError(`buckets: expected increasing positive numbers (seconds), got ${describe(buckets)}`);
  }
  const pollMs = checkDuration('lazyPollMs', options.lazyPollMs ?? 1_000, true);
  return new OtelBinding(sources, provider, meterName, options.histograms ?? true, buckets, pollMs);
}

class OtelBinding implements PoolMetrics {
  readonly #sources: Sources;
  readonly #monotonic = new Monotonic();
  #meter: Meter | null = null;
  #instruments: Observable[] = [];
  #gauges: Record<keyof typeof GAUGES, Observable> | null = null;
  #closedConnections: Observable | null = null;
  #counters: Observable[] = [];
  #unsubscribe: (() => void) | null = null;
  #poll: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #observe = (r: BatchObservableResult): void => this.#collect(r);

  constructor(
    sources: Source[],
    provider: MeterProvider | undefined,
    name: string,
    histograms: boolean,
    readonly buckets: readonly number[],
    pollMs: number,
  ) {
    this.#sources = new Sources(sources);
    const attach = (): boolean => {
      const meter = (provider ?? metrics.getMeterProvider()).getMeter(name);
      if (meter instanceof NoopMeter) return false;
      this.#bind(meter, histograms);
      return true;
    };
    if (!attach()) {
      this.#poll = setInterval(() => {
        if (attach()) this.#stopPoll();
      }, pollMs).unref();
    }
  }

  get bound(): boolean {
    return this.#meter !== null;
  }

  add(pool: PoolSource): void {
    const s = toSource(pool, 'add(pool)');
    this.#sources.add(s);
  }

  remove(pool: ObservablePool): void {
    this.#sources.delete(pool);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPoll();
    this.#unsubscribe?.();
    this.#meter?.removeBatchObservableCallback(this.#observe, this.#instruments);
    this.#sources.clear();
  }

  #stopPoll(): void {
    if (this.#poll !== null) clearInterval(this.#poll);
    this.#poll = null;
  }

  #bind(meter: Meter, histograms: boolean): void {
    this.#meter = meter;
    const gauge = (g: { name: string; unit: string; help: string }): Observable =>
      meter.createObservableUpDownCounter(g.name, { unit: g.unit, description: g.help, valueType: ValueType.INT });
    const gauges = Object.fromEntries(Object.entries(GAUGES).map(([k, g]) => [k, gauge(g)])) as Record<
      keyof typeof GAUGES,
      Observable
    >;
    const counters = COUNTERS.map((c) =>
      meter.createObservableCounter(c.name, { unit: c.unit, description: c.help, valueType: ValueType.INT }),
    );
    this.#closedConnections = meter.createObservableCounter(CLOSED.name, {
      unit: CLOSED.unit,
      description: CLOSED.help,
      valueType: ValueType.INT,
    });
    this.#instruments = [...Object.values(gauges), ...counters, this.#closedConnections];
    this.#gauges = gauges;
    this.#counters = counters;
    meter.addBatchObservableCallback(this.#observe, this.#instruments);
    if (!histograms) return;
    const advice = { explicitBucketBoundaries: [...this.buckets] };
    const hist = (k: TimingKind): Histogram =>
      meter.createHistogram(HISTOGRAMS[k].name, { unit: 's', description: HISTOGRAMS[k].help, advice });
    const h: Record<TimingKind, Histogram> = { create: hist('create'), wait: hist('wait'), use: hist('use') };
    this.#unsubscribe = subscribeTimings((pool: PoolRef, kind, ms) => {
      if (this.#sources.includes(pool)) h[kind].record(ms / 1000, { [POOL_NAME]: redactString(pool.name) });
    });
  }

  #collect(r: BatchObservableResult): void {
    const g = this.#gauges!;
    for (const source of this.#sources.values()) {
      let all: ReturnType<typeof snapshots>;
      try {
        all = snapshots(source.pool);
      } catch {
        continue; // one broken source must not hide the others
      }
      for (const s of all) {
        const attrs: Attributes = { [POOL_NAME]: s.name };
        const open = openCounts(s);
        r.observe(g.count, open.idle, { ...attrs, [STATE]: 'idle' });
        r.observe(g.count, open.used, { ...attrs, [STATE]: 'used' });
        r.observe(g.idleMax, s.max, attrs);
        r.observe(g.idleMin, s.min, attrs);
        r.observe(g.max, s.max, attrs);
        r.observe(g.limit, limitOf(s), attrs);
        r.observe(g.pending, s.pending, attrs);
        COUNTERS.forEach((c, i) => r.observe(this.#counters[i], this.#monotonic.total(s, c.field), attrs));
        for (const [reason, n] of closedBy(s))
          r.observe(this.#closedConnections!, this.#monotonic.of(s, `closed:${reason}`, n), {
            ...attrs,
            [CLOSED.attribute]: reason,
          });
        if (source.kind === 'http') {
          const o = originOf(s.name);
          const where: Attributes =
            o === null ? attrs : { 'server.address': o.address, 'server.port': o.port, 'url.scheme': o.scheme };
          r.observe(g.httpOpen, open.used, { ...where, 'http.connection.state': 'active' });
          r.observe(g.httpOpen, open.idle, { ...where, 'http.connection.state': 'idle' });
        }
      }
    }
  }
}
