import type { CounterField } from './source.js';
import type { TimingKind } from './timings.js';

/** One counter both exporters report, read from a stats field and made monotonic across `resetStats()`. */
export interface CounterSpec {
  field: CounterField;
  /** OpenTelemetry name; Prometheus uses it with `_` and `_total`. */
  name: string;
  unit: string;
  help: string;
}

/**
 * Counters. `db.client.connection.timeouts` is the semantic convention's; the
 * `lido.pool.*` ones have no convention and are lido's own.
 */
export const COUNTERS: readonly CounterSpec[] = [
  {
    field: 'timeouts',
    name: 'db.client.connection.timeouts',
    unit: '{timeout}',
    help: 'Acquires that timed out waiting for a connection.',
  },
  {
    field: 'createErrors',
    name: 'lido.pool.create_errors',
    unit: '{error}',
    help: 'Failed attempts to create a connection.',
  },
  { field: 'acquired', name: 'lido.pool.acquires', unit: '{acquire}', help: 'Connections handed out (leases).' },
  { field: 'created', name: 'lido.pool.creates', unit: '{connection}', help: 'Connections created.' },
  { field: 'destroyed', name: 'lido.pool.destroys', unit: '{connection}', help: 'Connections destroyed.' },
  {
    field: 'validationFailures',
    name: 'lido.pool.validation_failures',
    unit: '{connection}',
    help: 'Connections that failed validation and were replaced.',
  },
  {
    field: 'leaks',
    name: 'lido.pool.leaks',
    unit: '{lease}',
    help: 'Leases held longer than leakDetectionMs or lost without release.',
  },
  {
    field: 'rejected',
    name: 'lido.pool.rejected',
    unit: '{acquire}',
    help: 'Acquires rejected at once because the queue was full (maxWaiting).',
  },
];

/**
 * Connections closed, one series per reason (`stats().destroyedBy`), made monotonic like the
 * counters above: the recycle rate, and why. `reason` is the attribute (OpenTelemetry) and
 * the label (Prometheus).
 */
export const CLOSED = {
  name: 'lido.pool.closed_connections',
  unit: '{connection}',
  help: 'Connections closed (destroyed), by reason: idle, lifetime, maxUses, broken, validation, reset, evicted, shrink, unpooled, error, closed.',
  attribute: 'reason',
} as const;

/** Gauge-like metrics (OpenTelemetry UpDownCounters), read from stats at collection. */
export const GAUGES = {
  count: {
    name: 'db.client.connection.count',
    unit: '{connection}',
    help: 'Open connections by state: idle, or used (borrowed, validating, resetting).',
  },
  idleMax: {
    name: 'db.client.connection.idle.max',
    unit: '{connection}',
    help: 'Most idle open connections allowed (lido: max).',
  },
  idleMin: {
    name: 'db.client.connection.idle.min',
    unit: '{connection}',
    help: 'Fewest idle open connections kept (lido: min).',
  },
  max: {
    name: 'db.client.connection.max',
    unit: '{connection}',
    help: 'Most open connections allowed (semantic conventions before db.client.connection.limit).',
  },
  limit: {
    name: 'db.client.connection.limit',
    unit: '{connection}',
    help: 'Most open connections allowed now (lido: the effective limit, max unless lowered).',
  },
  pending: {
    name: 'db.client.connection.pending_requests',
    unit: '{request}',
    help: 'Acquires waiting for a connection.',
  },
  httpOpen: {
    name: 'http.client.open_connections',
    unit: '{connection}',
    help: 'Open HTTP connections by state: active or idle.',
  },
} as const;

/** Latency histograms, in seconds, recorded per event from the diagnostics channels. */
export const HISTOGRAMS: Readonly<Record<TimingKind, { name: string; help: string }>> = {
  create: { name: 'db.client.connection.create_time', help: 'Time it took to create a new connection.' },
  wait: { name: 'db.client.connection.wait_time', help: 'Time it took to obtain an open connection from the pool.' },
  use: {
    name: 'db.client.connection.use_time',
    help: 'Time between borrowing a connection and returning it to the pool.',
  },
};

/** The OpenTelemetry attribute naming the pool. */
export const POOL_NAME = 'db.client.connection.pool.name';
/** The OpenTelemetry attribute giving a connection's state: `idle` or `used`. */
export const STATE = 'db.client.connection.state';

/** The Prometheus name of an OpenTelemetry name: dots become `_`, plus `suffix` (`_total`, `_seconds`). */
export function promName(name: string, suffix = ''): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_') + suffix;
}
