/**
 * What `HttpPool.config()` shows: the options as the pools apply them, defaults filled in,
 * secrets left out (socket and TLS options by name only, client options redacted).
 */
import type { Clock } from '../../core/util/clock.js';
import { resolveOptions, type PoolOptions } from '../../core/options.js';
import { redact } from '../../core/util/redact.js';
import { type HttpConnectOptions, type OriginConfig, probe, type ResolvedHttpOptions } from './options.js';
import type { Connector } from './types.js';

/** Pool options as the pool applies them (defaults filled in), without the hooks and sources of time. */
function effectivePool(config: OriginConfig, clock: Clock | undefined): Record<string, unknown> {
  const {
    factory,
    name,
    clock: _clock,
    random,
    fromEnv,
    budget,
    ...rest
  } = resolveOptions({
    ...config.pool,
    factory: probe,
    name: 'probe',
    clock,
  } as PoolOptions<unknown>);
  return rest;
}

/** Socket/TLS options by name only (they may hold keys and passphrases), or `'[function]'` for a connector. */
function connectNames(connect: HttpConnectOptions | Connector): string | string[] {
  return typeof connect === 'function' ? '[function]' : Object.keys(connect);
}

/** @internal What `HttpPool.config()` shows. */
export function effectiveConfig(
  o: ResolvedHttpOptions,
  fromEnv: Record<string, string> | undefined,
): Record<string, unknown> {
  const origins: Record<string, unknown> = {};
  for (const [origin, config] of o.origins) {
    origins[origin] = {
      ...effectivePool(config, o.clock),
      connect: connectNames(config.connect),
      client: redact(config.client),
    };
  }
  return {
    name: o.name,
    maxTotal: o.maxTotal,
    budget: o.budget === null ? null : o.budget.name,
    idlePoolTimeoutMs: o.idlePoolTimeoutMs,
    leakDetectionMs: o.leakDetectionMs,
    ...effectivePool(o.base, o.clock),
    connect: connectNames(o.base.connect),
    client: redact(o.base.client),
    origins,
    ...(fromEnv === undefined ? {} : { fromEnv }),
  };
}
