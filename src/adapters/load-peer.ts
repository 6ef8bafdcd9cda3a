import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PoolOptionsError } from '../core/errors.js';

/**
 * Where to resolve an optional peer (a driver) from, best first: this module's own
 * location (the application's copy in a normal install, the peer link under pnpm),
 * then the application's working directory.
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

/**
 * Loads the application's own copy of the driver `name`, synchronously. `pick` returns
 * what the adapter needs from the module, or a string saying what the module lacks.
 * When nothing usable is found, throws a {@link PoolOptionsError} with `hint` (what to
 * install or pass instead) and the last failure as `cause`.
 */
export function loadPeer<T>(name: string, pick: (mod: unknown) => T | string, hint: string): T {
  let lastError: unknown;
  for (const base of bases()) {
    let mod: unknown;
    try {
      mod = createRequire(base)(name);
    } catch (e) {
      lastError = e;
      continue;
    }
    const picked = pick(mod);
    if (typeof picked !== 'string') return picked;
    lastError = new TypeError(`the ${name} module found ${picked}`);
  }
  const why = lastError instanceof Error ? lastError.message.split('\n')[0] : String(lastError);
  const e = new PoolOptionsError(`${hint} (${why})`);
  (e as { cause?: unknown }).cause = lastError;
  throw e;
}
