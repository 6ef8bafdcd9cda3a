import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PoolOptionsError } from '../../errors.js';
import type { UndiciLike } from './types.js';

let cached: UndiciLike | null = null;

/**
 * Where to resolve `undici` from, best first: this module's own location (the
 * application's undici in a normal install, the peer link under pnpm), then the
 * application's working directory.
 *
 * tsup builds this file twice. In the CJS build `__filename` is this file and
 * `import.meta` is an empty object (so `import.meta.url` is undefined); in the ESM
 * build `__filename` does not exist and `import.meta.url` does. Both are handled.
 */
function bases(): string[] {
  const out: string[] = [];
  if (typeof __filename === 'string' && __filename !== '') out.push(__filename);
  else {
    const url = (import.meta as { url?: string } | undefined)?.url;
    if (typeof url === 'string' && url !== '') out.push(url);
  }
  out.push(join(process.cwd(), 'package.json'));
  return out;
}

/** Names the first part of `mod` that lido/http needs and is missing, or null when all are there. */
export function missingPart(mod: unknown): string | null {
  const m = mod as Partial<Record<keyof UndiciLike, unknown>> | null;
  if (m === null || (typeof m !== 'object' && typeof m !== 'function')) return 'the module';
  if (typeof m.Dispatcher !== 'function' || typeof (m.Dispatcher as { prototype?: { compose?: unknown } }).prototype?.compose !== 'function') return 'Dispatcher';
  if (typeof m.Client !== 'function') return 'Client';
  if (typeof m.buildConnector !== 'function') return 'buildConnector';
  return null;
}

/**
 * Loads the application's own undici, once, synchronously. Throws a
 * {@link PoolOptionsError} that says what to do when it is not installed.
 */
export function loadUndici(): UndiciLike {
  if (cached !== null) return cached;
  let lastError: unknown;
  for (const base of bases()) {
    let mod: unknown;
    try {
      mod = createRequire(base)('undici');
    } catch (e) {
      lastError = e;
      continue;
    }
    const missing = missingPart(mod);
    if (missing === null) return (cached = mod as UndiciLike);
    lastError = new TypeError(`the undici module found has no ${missing}`);
  }
  const why = lastError instanceof Error ? lastError.message.split('\n')[0] : String(lastError);
  const e = new PoolOptionsError(
    `lido/http needs undici (>= 7): install it (npm install undici) or pass it as the undici option, e.g. new HttpPool({ undici: await import('undici') }) (${why})`,
  );
  (e as { cause?: unknown }).cause = lastError;
  throw e;
}
