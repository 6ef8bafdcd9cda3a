/**
 * HttpPool options: validated when the pool is made, errors that name the option (also
 * inside `origins`), per-origin overrides merged over the defaults, undici found or not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PoolOptionsError, defaults as coreDefaults } from '../../../src/index.js';
import { HttpPool, type HttpPoolOptions } from '../../../src/adapters/http/index.js';
import { missingPart } from '../../../src/adapters/http/load.js';
import { clientOptionsOf, normalizeOrigin, resolveHttpOptions } from '../../../src/adapters/http/options.js';
import { FakeUndici } from './fake-undici.js';

const bad = (options: unknown) => () => resolveHttpOptions(options as HttpPoolOptions);

describe('validation', () => {
  it.each([
    [{ max: 0 }, 'max: expected a positive integer, got 0'],
    [{ min: 3, max: 2 }, 'min: expected at most max (2), got 3'],
    [{ acquireTimeoutMs: -1 }, 'acquireTimeoutMs: expected a positive duration in ms or Infinity, got -1'],
    [{ idleTimeoutMs: 'soon' }, 'idleTimeoutMs: expected a non-negative duration in ms, got "soon"'],
    [{ maxTotal: 0 }, 'maxTotal: expected a positive integer or Infinity, got 0'],
    [{ leakDetectionMs: -5 }, 'leakDetectionMs: expected a non-negative duration in ms, got -5'],
    [{ maxWaiting: 1.5 }, 'maxWaiting: expected a non-negative integer or Infinity, got 1.5'],
    [{ idleTimeout: 5 }, 'HttpPool options: unknown option "idleTimeout"'],
    [{ name: '' }, 'name: expected a non-empty string, got ""'],
    [{ connect: 5 }, 'connect: expected socket/TLS options or a connector function, got 5'],
    [{ client: { pipelining: 4 } }, 'client.pipelining: not allowed; lido/http sets it (one request per connection)'],
    [{ client: { connect: {} } }, 'client.connect: not allowed; lido/http sets it (use the connect option)'],
    [
      { origins: { 'ftp://files.example.com': {} } },
      'origins["ftp://files.example.com"]: expected an http: or https: origin like "https://api.example.com", got "ftp://files.example.com"',
    ],
    [
      { origins: { 'https://a.example': { max: -1 } } },
      'origins["https://a.example"].max: expected a positive integer, got -1',
    ],
    [{ origins: { 'https://a.example': { maxx: 1 } } }, 'origins["https://a.example"]: unknown option "maxx"'],
    [
      { origins: { 'https://a.example': { client: { pipelining: 2 } } } },
      'origins["https://a.example"].client.pipelining: not allowed',
    ],
    [{ origins: 'https://a.example' }, 'origins: expected an object'],
    [{ undici: 'undici' }, 'undici: expected the undici module, got "undici"'],
  ])('%j → %s', (options, message) => {
    expect(bad(options)).toThrow(PoolOptionsError);
    expect(bad(options)).toThrow(message);
  });

  it('the HttpPool constructor validates too, before touching undici', () => {
    expect(() => new HttpPool({ max: -1 })).toThrow('max: expected a positive integer, got -1');
    expect(() => new HttpPool({ undici: { Dispatcher: class {} } as never })).toThrow(
      'undici: expected the undici module, got one without Dispatcher',
    );
  });
});

describe('resolution', () => {
  it('defaults for HTTP: 4 s idle (as undici), failFast, 16 concurrent connects', () => {
    const o = resolveHttpOptions({});
    expect(o.base.pool).toMatchObject({ idleTimeoutMs: 4_000, failFast: true, maxConcurrentCreates: 16 });
    expect(o).toMatchObject({ name: 'http', maxTotal: Infinity, idlePoolTimeoutMs: 300_000, leakDetectionMs: 0 });
  });

  it('per-origin overrides merge over the top level (connect and client options too)', () => {
    const o = resolveHttpOptions({
      max: 20,
      acquireTimeoutMs: 1_000,
      connect: { rejectUnauthorized: false, timeout: 2_000 },
      client: { headersTimeout: 5_000 },
      origins: {
        'https://API.example.com:443/ignored/path': {
          min: 2,
          max: 50,
          connect: { timeout: 500 },
          client: { bodyTimeout: 9_000 },
        },
      },
    });
    const api = o.origins.get('https://api.example.com')!;
    expect(api.pool).toMatchObject({ min: 2, max: 50, acquireTimeoutMs: 1_000 });
    expect(api.connect).toEqual({ rejectUnauthorized: false, timeout: 500 });
    expect(api.client).toEqual({ headersTimeout: 5_000, bodyTimeout: 9_000 });
    expect(o.base.pool).toMatchObject({ max: 20 });
  });

  it("idleTimeoutMs becomes the Clients' keep-alive timeout (0 = never), unless set on client", () => {
    expect(clientOptionsOf(resolveHttpOptions({ idleTimeoutMs: 30_000 }).base)).toMatchObject({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
    });
    expect(clientOptionsOf(resolveHttpOptions({ idleTimeoutMs: 0 }).base).keepAliveTimeout).toBe(2_147_483_647);
    expect(clientOptionsOf(resolveHttpOptions({ client: { keepAliveTimeout: 1_000 } }).base).keepAliveTimeout).toBe(
      1_000,
    );
  });

  it('origins are normalized as undici writes them', () => {
    expect(normalizeOrigin('HTTP://Example.COM:80/x?y', 'o')).toBe('http://example.com');
    expect(normalizeOrigin(new URL('https://[::1]:8443/'), 'o')).toBe('https://[::1]:8443');
    expect(() => normalizeOrigin('not a url', 'o')).toThrow('o: expected an http: or https: origin');
  });

  it('the undici module: every part lido/http needs, named when missing', () => {
    expect(missingPart(new FakeUndici().module)).toBeNull();
    expect(missingPart({ ...new FakeUndici().module, buildConnector: undefined })).toBe('buildConnector');
    expect(missingPart(null)).toBe('the module');
  });

  it('a listed origin is warmed with its own options; the pool names origins like KeyedPool does', async () => {
    const world = new FakeUndici();
    const p = new HttpPool({ undici: world.module, name: 'upstream', origins: { 'http://a.test': { min: 1 } } });
    await p.ready();
    expect(p.name).toBe('upstream');
    expect(p.stats().origins['http://a.test']).toMatchObject({ name: 'upstream[http://a.test]', min: 1, size: 1 });
    await p.close();
  });
});

describe('docs/http.md', () => {
  const doc = readFileSync(new URL('../../../docs/http.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('## Options'), doc.indexOf('## How it behaves'));
  const rows = [...table.matchAll(/^\| `(\w+)`(?:, `(\w+)`)? \| (.+?) \|/gm)].map((m) => ({
    names: [m[1], m[2]].filter(Boolean),
    def: m[3].replace(/\*\*/g, '').trim(),
  }));

  it('documents options the pool accepts', () => {
    expect(rows.length).toBeGreaterThan(15);
    for (const { names } of rows)
      for (const name of names)
        expect(() => resolveHttpOptions({ [name]: undefined } as HttpPoolOptions)).not.toThrow();
  });

  it('states the defaults the pool uses', () => {
    const o = resolveHttpOptions({});
    const pool = (k: string) => o.base.pool[k] ?? (coreDefaults as Record<string, unknown>)[k];
    const actual: Record<string, unknown> = {
      maxTotal: o.maxTotal,
      idlePoolTimeoutMs: o.idlePoolTimeoutMs,
      leakDetectionMs: o.leakDetectionMs,
      name: o.name,
    };
    for (const { names, def } of rows) {
      const name = names[0];
      const number = /^(Infinity|[\d ]+)(?: \(off\))?$/.exec(def);
      const value = actual[name] ?? pool(name);
      if (number)
        expect({ name, value }).toEqual({
          name,
          value: number[1] === 'Infinity' ? Infinity : Number(number[1].replace(/ /g, '')),
        });
      else if (def === 'true' || def === 'false') expect({ name, value }).toEqual({ name, value: def === 'true' });
      else if (def === '`http`') expect(value).toBe('http');
    }
  });
});
