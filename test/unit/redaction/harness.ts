/**
 * The leak test's harness: planted secrets (each a unique token, remembered with the
 * option it was planted in), the printing of lido objects, the recording of what a pool
 * says (events, errors, logs, diagnostics_channel messages, process warnings) and the
 * surfaces searched (the object, stats/config/health/advise, the admin handler,
 * OpenTelemetry, Prometheus). Used by test/unit/redaction/leaks.test.ts and
 * test/integration/redaction.test.ts.
 */
import dc from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { Client as UndiciClient } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../src/index.js';
import { createAdminHandler } from '../../../src/observability/admin/index.js';
import { registerPoolMetrics } from '../../../src/observability/otel.js';
import { registerPoolCollector } from '../../../src/observability/prometheus.js';
import type { Classes } from './classified-options.js';

/** Secrets planted in options, each a unique token; finds them in any text. */
export class Plant {
  /** token → where it was planted (`ssl.key`, `replicas[0]`, …). */
  readonly where = new Map<string, string>();
  readonly #forms = new Map<string, string>();
  #n = 0;

  /** A new secret for `label` (alphanumeric, so every printing shows it as it is). */
  secret(label: string): string {
    const token = `Zq${++this.#n}s3cr3t${Math.random().toString(36).slice(2, 10)}Q`;
    this.where.set(token, label);
    this.#forms.set(token, label);
    return token;
  }

  /** A secret as a Buffer (a TLS key or pfx): also found as the hex and decimal bytes inspect and JSON print. */
  buffer(label: string): Buffer {
    const token = this.secret(label);
    const b = Buffer.from(token);
    const first = [...b.subarray(0, 12)];
    this.#forms.set(first.map((x) => x.toString(16).padStart(2, '0')).join(' '), `${label} (hex)`);
    this.#forms.set(b.toString('hex'), `${label} (hex)`);
    this.#forms.set(first.join(','), `${label} (bytes)`);
    this.#forms.set(b.toString('base64').slice(0, 16), `${label} (base64)`);
    return b;
  }

  /** A URL whose user info holds a secret. */
  url(scheme: string, label: string, rest = '127.0.0.1:1/db'): string {
    return `${scheme}://lido_user:${this.secret(label)}@${rest}`;
  }

  /** TLS options with a secret key, passphrase and pfx (and a public certificate). */
  tls(label: string): Record<string, unknown> {
    return {
      key: `-----BEGIN PRIVATE KEY-----\n${this.secret(`${label}.key`)}\n-----END PRIVATE KEY-----`,
      passphrase: this.secret(`${label}.passphrase`),
      pfx: this.buffer(`${label}.pfx`),
      cert: '-----BEGIN CERTIFICATE-----\npublic\n-----END CERTIFICATE-----',
      rejectUnauthorized: true,
    };
  }

  /** The top-level option names secrets were planted in (`ssl.key` → `ssl`). */
  options(): Set<string> {
    return new Set([...this.where.values()].map((w) => /^[^.[\s(]+/.exec(w)![0]));
  }

  /** Where each planted secret appears in `text`: `[]` when none does. */
  leaks(text: string): string[] {
    const found: string[] = [];
    for (const [form, label] of this.#forms) if (text.includes(form)) found.push(label);
    return found;
  }
}

/** Is `v` one of the drivers' own objects (out of scope: a pg `Client`, an ioredis connection, an undici `Client`)? */
export type DriverCheck = (v: unknown) => boolean;

/** The drivers' objects, left out of every printing. */
export const driver: DriverCheck = (v) => v instanceof pg.Client || v instanceof Redis || v instanceof UndiciClient;

/**
 * Every printing of `value` a user or a logger may do: `util.inspect` at any depth (with
 * and without `showHidden`), `JSON.stringify`, `String()`; for an error also its stack and
 * those of its causes. The drivers' own objects inside are left out.
 */
export function printings(value: unknown, driver: DriverCheck): string[] {
  const v = withoutDrivers(value, driver, new Map());
  const out = [inspect(v, { depth: Infinity }), inspect(v, { depth: Infinity, showHidden: true })];
  try {
    out.push(JSON.stringify(v) ?? '');
  } catch (e) {
    out.push(`JSON.stringify threw: ${(e as Error).message}`);
  }
  try {
    out.push(String(v));
  } catch (e) {
    out.push(`String() threw: ${(e as Error).message}`);
  }
  for (let e = value, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) out.push(String(e.stack));
  return out;
}

/**
 * `value` with the drivers' objects replaced by a marker, copying only what must change
 * (errors keep their class, message, stack and own properties).
 */
function withoutDrivers(value: unknown, driver: DriverCheck, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (driver(value)) return '[driver object]';
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    if (!value.some((x) => x !== null && typeof x === 'object')) return value;
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const x of value) copy.push(withoutDrivers(x, driver, seen));
    return copy;
  }
  if (!(value instanceof Error)) {
    if (!hasDriver(value, driver, 0, new Set())) return value;
    const copy = Object.create(Object.getPrototypeOf(value));
    seen.set(value, copy);
    for (const k of Reflect.ownKeys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, k)!;
      if ('value' in d) d.value = withoutDrivers(d.value, driver, seen);
      Object.defineProperty(copy, k, d);
    }
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(value)) as Error;
  seen.set(value, copy);
  for (const k of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, k)!;
    if ('value' in d) d.value = withoutDrivers(d.value, driver, seen);
    Object.defineProperty(
      copy,
      k,
      k === 'stack' ? { value: value.stack, writable: true, configurable: true, enumerable: false } : d,
    );
  }
  return copy;
}

function hasDriver(v: unknown, driver: DriverCheck, depth: number, seen: Set<object>): boolean {
  if (v === null || typeof v !== 'object' || depth > 6 || seen.has(v)) return false;
  seen.add(v);
  if (driver(v)) return true;
  for (const k of Reflect.ownKeys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    if ('value' in d && hasDriver(d.value, driver, depth + 1, seen)) return true;
  }
  return false;
}

/** What one variant produced: the object, and everything it said along the way. */
export interface Run {
  /** The object a user holds (and hands to lido/admin, lido/otel, lido/prometheus). */
  object: { name?: string; stats(): unknown } & Record<string, unknown>;
  events: unknown[][];
  errors: unknown[];
  logs: unknown[][];
  close(): Promise<void>;
}

export interface Variant {
  name: string;
  /** The class's classified options, to check that the variants together plant every secret one. */
  classes: Classes;
  /** Builds the object with secrets planted, takes it through its life; the harness records the rest. */
  run(p: Plant, r: Recorder): Promise<Run>;
}

/** Records what a run says: events (every `emit` of the object), errors, logs. */
export class Recorder {
  readonly events: unknown[][] = [];
  readonly errors: unknown[] = [];
  readonly logs: unknown[][] = [];

  /** Records every event `emitter` emits; listens to `names` so that events emitted only to listeners are. */
  events_(emitter: object, names: string[]): void {
    const e = emitter as { emit: (n: string | symbol, ...a: unknown[]) => boolean; on(n: string, f: () => void): void };
    const emit = e.emit;
    e.emit = (name, ...args) => {
      this.events.push([String(name), ...args]);
      return emit.call(e, name, ...args);
    };
    for (const n of names) e.on(n, () => {});
  }

  /** Runs `call`, recording what it throws or rejects with. */
  async fails(call: () => unknown): Promise<void> {
    try {
      await call();
    } catch (e) {
      this.errors.push(e);
    }
  }

  readonly log = (...args: unknown[]): void => void this.logs.push(args);
}

/** Every surface of a run, each as the texts it prints. */
async function surfaces(run: Run, channel: unknown[], warnings: string[]): Promise<Record<string, string[]>> {
  const o = run.object;
  const call = (m: string): string[] => {
    const f = o[m];
    if (typeof f !== 'function') return [];
    try {
      return printings(f.call(o), driver);
    } catch (e) {
      return printings(e, driver);
    }
  };
  const out: Record<string, string[]> = {
    object: printings(o, driver),
    'stats()': call('stats'),
    'config()': call('config'),
    'health()': call('health'),
    'advise()': call('advise'),
    events: run.events.flatMap((e) => printings(e, driver)),
    errors: run.errors.flatMap((e) => printings(e, driver)),
    logs: run.logs.flatMap((l) => printings(l, driver)),
    diagnostics_channel: channel.flatMap((m) => printings(m, driver)),
    'process warnings': warnings,
  };
  out.admin = await adminAnswers(o);
  out.OpenTelemetry = await otelExport(o);
  out.Prometheus = await prometheusScrape(o);
  return out;
}

/** Every answer of the admin handler about the object. */
async function adminAnswers(o: Run['object']): Promise<string[]> {
  const handler = createAdminHandler({ pools: [o as never] });
  const out: string[] = [];
  for (const path of ['/stats', '/stats?group=kind', '/health', '/advice', '/optimize', '/config']) {
    let body = '';
    const res = {
      headersSent: false,
      writeHead() {
        this.headersSent = true;
        return this;
      },
      setHeader() {},
      end(chunk?: string) {
        body += chunk ?? '';
      },
      destroy() {},
    };
    await handler({ url: path, method: 'GET', headers: {} } as IncomingMessage, res as unknown as ServerResponse);
    out.push(body);
  }
  return out;
}

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function otelExport(o: Run['object']): Promise<string[]> {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const metrics = registerPoolMetrics({ pools: [o as never], meterProvider: provider });
  try {
    const { resourceMetrics, errors } = await reader.collect();
    return [JSON.stringify(resourceMetrics.scopeMetrics), ...errors.map(String)];
  } finally {
    metrics.close();
    await provider.shutdown();
  }
}

async function prometheusScrape(o: Run['object']): Promise<string[]> {
  const registry = new Registry();
  const collector = registerPoolCollector({ registry, pools: [o as never] });
  try {
    return [await registry.metrics()];
  } finally {
    collector.close();
  }
}

/** Builds `variant`, records everything it prints, and checks every surface for every planted secret. */
export function describeLeaks(variant: Variant): void {
  describe(`no secret in any printing of ${variant.name}`, () => {
    const p = new Plant();
    let texts: Record<string, string[]> = {};
    let run: Run | null = null;
    const channel: unknown[] = [];
    const warnings: string[] = [];
    const onMessage = (m: unknown) => void channel.push(m);
    const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}\n${w.stack}`);

    beforeAll(async () => {
      for (const name of Object.values(CHANNELS)) if (name !== CHANNELS.acquire) dc.subscribe(name, onMessage);
      process.on('warning', onWarning);
      try {
        run = await variant.run(p, new Recorder());
        await new Promise((resolve) => setImmediate(resolve));
        texts = await surfaces(run, channel, warnings);
      } finally {
        for (const name of Object.values(CHANNELS)) if (name !== CHANNELS.acquire) dc.unsubscribe(name, onMessage);
        process.off('warning', onWarning);
      }
    }, 30_000);
    afterAll(async () => {
      await run?.close();
    });

    it('took the variant through its life (errors were raised)', () => {
      expect(run!.errors.length).toBeGreaterThan(0);
    });

    for (const surface of [
      'object',
      'stats()',
      'config()',
      'health()',
      'advise()',
      'events',
      'errors',
      'logs',
      'diagnostics_channel',
      'process warnings',
      'admin',
      'OpenTelemetry',
      'Prometheus',
    ]) {
      const id = `${variant.name} › ${surface}`;
      it(surface, () => {
        const leaks = new Map<string, string>();
        for (const text of texts[surface] ?? []) {
          for (const where of p.leaks(text)) {
            if (!leaks.has(where)) {
              const token = [...p.where].find(([, w]) => where.startsWith(w))?.[0] ?? '';
              const at = Math.max(0, text.indexOf(token) - 80);
              leaks.set(where, text.slice(at, at + 200));
            }
          }
        }
        expect(Object.fromEntries(leaks), `secrets in ${id}`).toEqual({});
      });
    }
  });
}
