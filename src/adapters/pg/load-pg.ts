import { createRequire } from 'node:module';
import type { ClientConstructor, ClientLike } from './types.js';

/**
 * A `require` that resolves from lido's own location, so it finds the application's
 * `pg` (lido never bundles it). The ESM build has `import.meta.url`; in the CJS build
 * it is empty and the module's own `require` is used. (`import.meta` is tested first:
 * bundlers shim a bare `require` in ESM output with a function that always throws.)
 */
function localRequire(): NodeJS.Require {
  const url = import.meta.url as string | undefined;
  if (url) return createRequire(url);
  return require;
}

/** Loads `pg.Client` lazily; a clear error when `pg` is not installed. */
export function loadPgClient(req: (id: string) => unknown = (id) => localRequire()(id)): ClientConstructor<ClientLike> {
  let mod: { Client?: unknown; default?: { Client?: unknown } };
  try {
    mod = req('pg') as typeof mod;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const message =
      code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND'
        ? 'lido/pg: the "pg" package is not installed; install it (npm install pg) or pass a Client class: new PgPool(options, Client)'
        : `lido/pg: loading the "pg" package failed: ${e instanceof Error ? e.message : String(e)}`;
    throw new Error(message, { cause: e });
  }
  const Client = mod.Client ?? mod.default?.Client;
  if (typeof Client !== 'function')
    throw new Error('lido/pg: the "pg" package has no Client class; pass one: new PgPool(options, Client)');
  return Client as ClientConstructor<ClientLike>;
}
