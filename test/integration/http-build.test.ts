/**
 * lido/http as built (ESM and CJS, undici external, the way tsup bundles dist/): each
 * build finds the application's own undici (`import.meta.url` in ESM, `__filename` in
 * CJS, where `import.meta` is empty) and serves a request, in a fresh Node process.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside the repository, so `undici` resolves from node_modules like an installed lido would.
const OUT = `${ROOT}node_modules/.cache/lido-http-build-test/`;
const run = promisify(execFile);

const client = (load: string) => `
${load}
const http = require('node:http');
const server = http.createServer((q, s) => s.end('built ok')).listen(0, '127.0.0.1', async () => {
  const origin = 'http://127.0.0.1:' + server.address().port;
  const pool = new HttpPool({ origins: { [origin]: { min: 1 } } });
  await pool.ready();
  const res = await fetch(origin, { dispatcher: pool });
  console.log(await res.text(), pool.stats().total.requests, pool instanceof require('undici').Dispatcher);
  await pool.close();
  server.close();
});`;

beforeAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const format of ['esm', 'cjs'] as const) {
    await build({
      entryPoints: { http: `${ROOT}src/adapters/http/index.ts` },
      bundle: true,
      format,
      platform: 'node',
      target: 'node22',
      packages: 'external',
      outfile: `${OUT}http.${format === 'esm' ? 'mjs' : 'cjs'}`,
      logLevel: 'silent',
    });
  }
  writeFileSync(`${OUT}use.cjs`, client(`const { HttpPool } = require('./http.cjs');`));
  // Warm connections, one request, no close(): an idle pool must not keep the process alive.
  writeFileSync(
    `${OUT}idle.cjs`,
    `
const { HttpPool } = require('./http.cjs');
const { request } = require('undici');
const origin = process.argv[2];
const pool = new HttpPool({ origins: { [origin]: { min: 3 } }, idleTimeoutMs: 60_000, maxLifetimeMs: 600_000 });
pool.ready().then(() => request(origin, { dispatcher: pool })).then((r) => r.body.text()).then((t) => console.log(t, pool.stats().total.size));`,
  );
  writeFileSync(
    `${OUT}use.mjs`,
    client(
      `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); import { HttpPool } from './http.mjs';`,
    ),
  );
}, 60_000);

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('built lido/http', () => {
  it.each(['cjs', 'mjs'])("%s: loads the application's undici and serves a request", async (ext) => {
    const { stdout } = await run(process.execPath, [`${OUT}use.${ext}`], { cwd: OUT, timeout: 20_000 });
    expect(stdout.trim()).toBe('built ok 1 true');
  });

  it('an idle pool with warm connections does not keep the process alive (allowExitOnIdle)', async () => {
    const http = await import('node:http');
    const server = http.createServer((_q, res) => res.end('idle ok')).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as { port: number }).port;
      const t0 = performance.now();
      const { stdout } = await run(process.execPath, [`${OUT}idle.cjs`, `http://127.0.0.1:${port}`], {
        cwd: OUT,
        timeout: 10_000,
      });
      expect(stdout.trim()).toBe('idle ok 3');
      expect(performance.now() - t0).toBeLessThan(8_000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('the build carries no undici code', async () => {
    const { readFileSync } = await import('node:fs');
    for (const f of ['http.mjs', 'http.cjs']) {
      const code = readFileSync(`${OUT}${f}`, 'utf8');
      expect(code).not.toMatch(/class Client extends DispatcherBase|function buildConnector/);
      expect(code).not.toMatch(/from ["']undici["']|require\(["']undici["']\)/);
    }
  });
});
