/**
 * `lido/prometheus`: a prom-client collector for lido pools on a registry you pass.
 * Names are the OpenTelemetry ones with `_`: counters end in `_total`, the latency
 * histograms in `_seconds`; labels are `pool_name` and `state`. See docs/monitoring.md.
 *
 * Counts and counters are read from `stats()` when the registry is scraped (one
 * snapshot per pool per scrape). The histograms are observed per event from lido's
 * `diagnostics_channel` channels.
 */
import { redactString } from '../core/util/redact.js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PoolRef } from '../stats/diagnostics.js';
import { PoolOptionsError } from '../core/errors.js';
import { describe, rejectUnknown } from '../core/options.js';
import type { PoolStats } from '../stats/counters.js';
import { CLOSED, COUNTERS, GAUGES, HISTOGRAMS, promName } from './names.js';
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

/** Options of {@link registerPoolCollector}. */
export interface PrometheusOptions {
  /** The prom-client registry to register on (e.g. `new Registry()` or `register`). Required. */
  registry: Registry;
  /** The pools to report: pools, or `{ pool, kind: 'http' }` for HTTP pools. More can be added later. */
  pools: readonly PoolSource[];
  /** Prepended to every metric name, e.g. `myapp_`. Default none. */
  prefix?: string;
  /** Observe create/wait/use time histograms from the diagnostics channels. Default true. */
  histograms?: boolean;
  /** Histogram buckets, in seconds. Default 0.5 ms to 30 s. */
  buckets?: readonly number[];
}

/** What {@link registerPoolCollector} returns. */
export interface PoolCollector {
  /** Starts reporting another pool. */
  add(pool: PoolSource): void;
  /** Stops reporting a pool. */
  remove(pool: ObservablePool): void;
  /** Removes the metrics from the registry and the channel subscriptions. Idempotent. */
  close(): void;
}

type Snapshot = { source: Source; s: PoolStats };
const KNOWN = new Set(['registry', 'pools', 'prefix', 'histograms', 'buckets']);

/**
 * Registers lido's metrics on `registry` and reports `pools` at every scrape. One
 * collector per registry: add pools to it rather than registering twice. Options are
 * validated at once.
 */
export function registerPoolCollector(options: PrometheusOptions): PoolCollector {
  if (options === null || typeof options !== 'object')
    throw new PoolOptionsError(`registerPoolCollector options: expected an object, got ${describe(options)}`);
  rejectUnknown('registerPoolCollector options', options, KNOWN);
  const registry = options.registry;
  if (
    registry === null ||
    typeof registry !== 'object' ||
    typeof registry.registerMetric !== 'function' ||
    typeof registry.getSingleMetric !== 'function'
  ) {
    throw new PoolOptionsError(`registry: expected a prom-client Registry, got ${describe(registry)}`);
  }
  const sources = toSources(options.pools);
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix))
    throw new PoolOptionsError(`prefix: expected a Prometheus name prefix like "myapp_", got ${describe(prefix)}`);
  if (options.histograms !== undefined && typeof options.histograms !== 'boolean')
    throw new PoolOptionsError(`histograms: expected a boolean, got ${describe(options.histograms)}`);
  const buckets = options.buckets ?? DEFAULT_BUCKETS_S;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, i) => typeof b !== 'number' || !(b > 0) || (i > 0 && b <= buckets[i - 1]))
  ) {
    throw new PoolOptionsError(`buckets: expected increasing positive numbers (seconds), got ${describe(buckets)}`);
  }
  const taken = promName(prefix + GAUGES.count.name);
  if (registry.getSingleMetric(taken) !== undefined)
    throw new PoolOptionsError(
      `registry: already has ${taken}; register one collector per registry and add() pools to it`,
    );
  return new PromCollector(registry, sources, prefix, options.histograms ?? true, buckets);
}

class PromCollector implements PoolCollector {
  readonly #sources: Sources;
  readonly #monotonic = new Monotonic();
  readonly #names: string[] = [];
  #cache: Snapshot[] | null = null;
  #unsubscribe: (() => void) | null = null;
  #closed = false;

  constructor(
    readonly registry: Registry,
    sources: Source[],
    prefix: string,
    histograms: boolean,
    buckets: readonly number[],
  ) {
    this.#sources = new Sources(sources);
    const registers = [registry];
    const name = (n: string, suffix = ''): string => {
      const full = promName(prefix + n, suffix);
      this.#names.push(full);
      return full;
    };
    // The first metric registered is collected first in a scrape: it takes a fresh snapshot.
    let first = true;
    const gauge = (
      g: { name: string; help: string },
      labelNames: string[],
      fill: (set: (labels: Record<string, string | number>, v: number) => void, x: Snapshot) => void,
    ): void => {
      const fresh = first;
      first = false;
      const metric: Gauge = new Gauge({
        name: name(g.name),
        help: g.help,
        labelNames,
        registers,
        collect: () => {
          metric.reset();
          for (const x of this.#snapshots(fresh)) fill((labels, v) => metric.set(labels, v), x);
        },
      });
    };
    const pool = ['pool_name'];
    gauge(GAUGES.count, ['pool_name', 'state'], (set, { s }) => {
      const open = openCounts(s);
      set({ pool_name: s.name, state: 'idle' }, open.idle);
      set({ pool_name: s.name, state: 'used' }, open.used);
    });
    gauge(GAUGES.idleMax, pool, (set, { s }) => set({ pool_name: s.name }, s.max));
    gauge(GAUGES.idleMin, pool, (set, { s }) => set({ pool_name: s.name }, s.min));
    gauge(GAUGES.max, pool, (set, { s }) => set({ pool_name: s.name }, s.max));
    gauge(GAUGES.limit, pool, (set, { s }) => set({ pool_name: s.name }, limitOf(s)));
    gauge(GAUGES.pending, pool, (set, { s }) => set({ pool_name: s.name }, s.pending));
    gauge(
      GAUGES.httpOpen,
      ['pool_name', 'state', 'server_address', 'server_port', 'url_scheme'],
      (set, { source, s }) => {
        if (source.kind !== 'http') return;
        const o = originOf(s.name);
        const where: Record<string, string | number> =
          o === null
            ? { pool_name: s.name }
            : { pool_name: s.name, server_address: o.address, server_port: o.port, url_scheme: o.scheme };
        const open = openCounts(s);
        set({ ...where, state: 'active' }, open.used);
        set({ ...where, state: 'idle' }, open.idle);
      },
    );
    for (const c of COUNTERS) {
      const metric: Counter = new Counter({
        name: name(c.name, '_total'),
        help: c.help,
        labelNames: pool,
        registers,
        collect: () => {
          metric.reset();
          for (const { s } of this.#snapshots()) metric.inc({ pool_name: s.name }, this.#monotonic.total(s, c.field));
        },
      });
    }
    const closed: Counter = new Counter({
      name: name(CLOSED.name, '_total'),
      help: CLOSED.help,
      labelNames: ['pool_name', CLOSED.attribute],
      registers,
      collect: () => {
        closed.reset();
        for (const { s } of this.#snapshots())
          for (const [reason, n] of closedBy(s))
            closed.inc({ pool_name: s.name, reason }, this.#monotonic.of(s, `closed:${reason}`, n));
      },
    });
    if (!histograms) return;
    const hist = (k: TimingKind): Histogram =>
      new Histogram({
        name: name(HISTOGRAMS[k].name, '_seconds'),
        help: HISTOGRAMS[k].help,
        labelNames: pool,
        buckets: [...buckets],
        registers,
      });
    const h: Record<TimingKind, Histogram> = { create: hist('create'), wait: hist('wait'), use: hist('use') };
    this.#unsubscribe = subscribeTimings((p: PoolRef, kind, ms) => {
      if (this.#sources.includes(p)) h[kind].observe({ pool_name: redactString(p.name) }, ms / 1000);
    });
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
    this.#unsubscribe?.();
    for (const n of this.#names) this.registry.removeSingleMetric(n);
    this.#sources.clear();
  }

  /**
   * One snapshot per pool per scrape: taken fresh by the scrape's first metric, and
   * dropped when the scrape's turn of the event loop ends.
   */
  #snapshots(fresh = false): Snapshot[] {
    if (this.#cache !== null && !fresh) return this.#cache;
    const out: Snapshot[] = [];
    for (const source of this.#sources.values()) {
      try {
        for (const s of snapshots(source.pool)) out.push({ source, s });
      } catch {
        // one broken source must not hide the others
      }
    }
    if (this.#cache === null) setImmediate(() => (this.#cache = null));
    this.#cache = out;
    return out;
  }
}
