import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hideSecrets, revealSecrets } from '../../../src/core/util/hide-secrets.js';
import { REDACTED, Secrets, isSecretKey, redact, redactString } from '../../../src/core/util/redact.js';

describe('isSecretKey', () => {
  it('knows the names secrets go by, in any case and spelling', () => {
    for (const key of [
      'password',
      'PASSWORD',
      'db_password',
      'sslPassword',
      'sentinelPassword',
      'passwd',
      'pwd',
      'pass',
      'passphrase',
      'secret',
      'clientSecret',
      'token',
      'access_token',
      'X-Amz-Security-Token',
      'credentials',
      'key',
      'sslkey',
      'apiKey',
      'api-key',
      'x-api-key',
      'privateKey',
      'pfx',
      'auth',
      'proxyAuth',
      'authorization',
      'Proxy-Authorization',
      'cookie',
      'Set-Cookie',
      'signature',
      'sig',
    ])
      expect(isSecretKey(key), key).toBe(true);
  });

  it('leaves options that only look alike', () => {
    for (const key of [
      'user',
      'username',
      'host',
      'port',
      'keyPrefix',
      'keepAlive',
      'keepAliveInitialDelayMillis',
      'keepaliveMs',
      'connectionString',
      'database',
      'ca',
      'cert',
      'servername',
      'name',
      'max',
      'author',
    ])
      expect(isSecretKey(key), key).toBe(false);
  });
});

describe('redactString', () => {
  it('removes the password of every URL, keeping the user and the rest', () => {
    expect(redactString('postgres://app:s3cr%40t@db.internal:5432/app?sslmode=require')).toBe(
      `postgres://app:${REDACTED}@db.internal:5432/app?sslmode=require`,
    );
    expect(redactString('redis://:hunter2@cache:6379/0 and rediss://default:pw2@c2')).toBe(
      `redis://:${REDACTED}@cache:6379/0 and rediss://default:${REDACTED}@c2`,
    );
    // an unescaped @ inside the password: the user info runs to the authority's last @
    expect(redactString('postgres://app:p@ss@db/app')).toBe(`postgres://app:${REDACTED}@db/app`);
    expect(redactString('postgres://app@db/app')).toBe('postgres://app@db/app');
  });

  it('removes all of an http(s) URL user info: a token alone is a credential there', () => {
    expect(redactString('https://ghp_abc123@github.com/x')).toBe(`https://${REDACTED}@github.com/x`);
    expect(redactString('proxy http://u:p4ss@proxy:3128 down')).toBe(`proxy http://${REDACTED}@proxy:3128 down`);
  });

  it('removes secret name=value pairs of connection strings and queries', () => {
    expect(redactString('host=db user=app password=hunter2 sslkey=/k.pem sslmode=verify-full')).toBe(
      `host=db user=app password=${REDACTED} sslkey=${REDACTED} sslmode=verify-full`,
    );
    expect(redactString(`password='a b' token="x y"`)).toBe(`password=${REDACTED} token=${REDACTED}`);
    expect(redactString('https://api.example.com/v1?access_token=abc&page=2')).toBe(
      `https://api.example.com/v1?access_token=${REDACTED}&page=2`,
    );
  });

  it('removes quoted values of secret names as util.inspect and JSON print them', () => {
    expect(redactString(`got { host: 'db', password: 'hunter2' }`)).toBe(`got { host: 'db', password: '${REDACTED}' }`);
    expect(redactString(`{"user":"app","apiKey":"k-123"}`)).toBe(`{"user":"app","apiKey":'${REDACTED}'}`);
  });

  it('removes Authorization and Cookie header lines', () => {
    expect(redactString('GET / HTTP/1.1\r\nAuthorization: Bearer abc.def\r\nCookie: sid=1\r\nAccept: */*')).toBe(
      `GET / HTTP/1.1\r\nAuthorization: ${REDACTED}\r\nCookie: ${REDACTED}\r\nAccept: */*`,
    );
  });

  it('keeps text without credentials as it is, and is idempotent', () => {
    const plain = 'acquire timed out after 100 ms (pool "main": 1/1 borrowed, 0 idle, 0 creating, 5 waiting)';
    expect(redactString(plain)).toBe(plain);
    const once = redactString('postgres://a:b@h/d password=x https://t@h');
    expect(redactString(once)).toBe(once);
  });
});

describe('Secrets', () => {
  it('scrubs remembered values wherever they appear, also URL-encoded', () => {
    const s = new Secrets();
    s.add('hunter2#');
    s.add('ab'); // too short to scrub by value
    expect(s.text('failed for hunter2# (hunter2%23)')).toBe(`failed for ${REDACTED} (${REDACTED})`);
    expect(s.text('ab stays')).toBe('ab stays');
  });

  it('finds a multi-line key line by line, and a Buffer by its bytes as JSON and hex print them', () => {
    const s = new Secrets();
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\nhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    const pfx = Buffer.from('pfx-bytes-secret');
    s.add(pem);
    s.add(pfx);
    const printed = `${JSON.stringify({ material: pem, pfx })} ${inspect({ material: pem })} ${pfx.toString('hex')}`;
    const clean = s.text(printed);
    for (const leak of ['MIIEvQIBADANBgkq', 'hkiG9w0BAQEFAASC', [...pfx].join(','), pfx.toString('hex')])
      expect(clean).not.toContain(leak);
    expect(clean).toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('learns the credentials of URLs and every secret of an options object', () => {
    const s = new Secrets();
    s.addUrl('postgres://app:s3cr%40t@db/app');
    s.addFrom({
      host: 'db',
      ssl: { key: 'PEM-KEY-TEXT', passphrase: 'pass-phrase', cert: 'PUBLIC' },
      sentinels: [{ host: 's1', password: 'sentinel-pw' }],
      proxy: 'http://u:proxy-pw@proxy:3128',
      headers: { authorization: 'Bearer tok-123' },
      password: () => 'from a function',
    });
    const text = s.text('s3cr@t s3cr%40t PEM-KEY-TEXT pass-phrase sentinel-pw proxy-pw Bearer tok-123 PUBLIC db');
    expect(text).toBe(`${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} PUBLIC db`);
  });

  it('scrubs an error in place: message, stack, string properties, plain objects it carries, causes', () => {
    const s = new Secrets();
    s.add('hunter22');
    const cause = new Error('inner hunter22');
    const e = Object.assign(new Error('AUTH hunter22 failed', { cause }), {
      detail: 'password=hunter22',
      command: { name: 'auth', args: ['default', 'hunter22'] },
      client: new (class Client {
        secret = 'hunter22'; // a driver's object: left alone
      })(),
    });
    const agg = new AggregateError([e], 'all failed: hunter22');
    expect(s.error(agg)).toBe(agg);
    expect(agg.message).toBe(`all failed: ${REDACTED}`);
    expect(e.message).toBe(`AUTH ${REDACTED} failed`);
    expect(e.stack).not.toContain('hunter22');
    expect(e.detail).toBe(`password=${REDACTED}`);
    expect(e.command).toEqual({ name: 'auth', args: ['default', REDACTED] });
    expect(cause.message).toBe(`inner ${REDACTED}`);
    expect(e.client.secret).toBe('hunter22');
    expect(Object.keys(e)).toEqual(['detail', 'command', 'client']);
  });
});

describe('redact', () => {
  it('replaces values under secret keys at any depth and scrubs strings', () => {
    const input = {
      user: 'app',
      password: 'hunter2',
      ssl: { key: 'PEM', passphrase: 'pp', rejectUnauthorized: true },
      emptyPassword: '',
      nested: [{ apiKey: 'k', url: new URL('postgres://a:b@h/d') }],
      dsn: 'host=db password=x',
      max: 10,
    };
    expect(redact(input)).toEqual({
      user: 'app',
      password: REDACTED,
      ssl: { key: REDACTED, passphrase: REDACTED, rejectUnauthorized: true },
      emptyPassword: '',
      nested: [{ apiKey: REDACTED, url: `postgres://a:${REDACTED}@h/d` }],
      dsn: `host=db password=${REDACTED}`,
      max: 10,
    });
  });

  it('hides header values in objects, Maps, Headers and flat lists, and command arguments after AUTH', () => {
    expect(redact({ Authorization: 'Bearer x', accept: 'a' })).toEqual({ Authorization: REDACTED, accept: 'a' });
    expect(redact(new Map([['proxy-authorization', 'Basic y']]))).toEqual({ 'proxy-authorization': REDACTED });
    expect(redact(new Headers({ cookie: 'sid=1', accept: 'a' }))).toEqual({ cookie: REDACTED, accept: 'a' });
    expect(redact(['accept', 'a', 'authorization', 'Bearer z'])).toEqual(['accept', 'a', 'authorization', REDACTED]);
    expect(redact(['AUTH', 'pw-1'])).toEqual(['AUTH', REDACTED]);
    expect(redact(['token bucket empty', 'next reason'])).toEqual(['token bucket empty', 'next reason']);
  });

  it('names functions, summarises binary data, shows errors by message, cuts cycles', () => {
    const cyclic: Record<string, unknown> = {
      getPassword: async function fetchFromVault() {},
      anon: [() => 1][0],
      buf: Buffer.from('secret bytes'),
      err: new Error('bad postgres://u:p@h/d'),
    };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({
      getPassword: REDACTED,
      anon: '[function]',
      buf: '[binary]',
      err: `Error: bad postgres://u:${REDACTED}@h/d`,
      self: '[circular]',
    });
    expect(redact({ check: function probe() {} })).toEqual({ check: '[function probe]' });
  });

  it('can scrub strings only (stats keyed by name) and scrub literal secrets too', () => {
    expect(redact({ token: 'x' }, false)).toEqual({ token: 'x' }); // lido/admin's redact(value, byKey)
    expect(redact({ perKey: { 'https://u:p@a.io': 1, tokens: 3 } }, { byKey: false })).toEqual({
      perKey: { [`https://${REDACTED}@a.io`]: 1, tokens: 3 },
    });
    const secrets = new Secrets();
    secrets.add('literal-secret');
    expect(redact({ note: 'has literal-secret inside' }, { secrets })).toEqual({ note: `has ${REDACTED} inside` });
  });
});

describe('hideSecrets', () => {
  const KEY = '-----BEGIN PRIVATE KEY----- k3y';
  const user = () => ({
    host: 'db',
    password: 'pw-123',
    connectionString: 'postgres://app:cs-456@db/app',
    ssl: { key: KEY, passphrase: 'pp-789', ca: 'PUBLIC CA', rejectUnauthorized: true },
    sentinels: [{ host: 's', password: 'sp-000' }],
    max: 5,
    log: () => {},
  });
  const SECRETS = ['pw-123', 'cs-456', 'k3y', 'pp-789', 'sp-000'];

  it('no printing shows a secret, whatever the depth or flags', () => {
    const o = hideSecrets(user());
    const printed = [
      inspect(o, { depth: Infinity }),
      inspect(o, { depth: Infinity, showHidden: true }),
      JSON.stringify(o),
      String(o),
      JSON.stringify({ ...o }),
      JSON.stringify(Object.keys(o)),
      inspect({ wrapper: { deeper: o } }, { depth: Infinity }),
    ].join('\n');
    for (const s of SECRETS) expect(printed).not.toContain(s);
    expect(printed).toContain('PUBLIC CA');
    expect(printed).toContain("host: 'db'");
  });

  it('direct access still reads (and writes) every value', () => {
    const o = hideSecrets(user());
    expect(o.password).toBe('pw-123');
    expect(o.connectionString).toBe('postgres://app:cs-456@db/app');
    expect(o.ssl.key).toBe(KEY);
    expect(o.ssl.passphrase).toBe('pp-789');
    expect(o.sentinels[0]!.password).toBe('sp-000');
    expect('password' in o && 'key' in o.ssl).toBe(true);
    o.password = 'rotated';
    expect(o.password).toBe('rotated');
    expect(JSON.stringify(o)).not.toContain('rotated');
  });

  it("never changes the caller's object, and keeps functions and non-plain values as they are", () => {
    const input = user();
    const snapshot = JSON.stringify(input);
    const o = hideSecrets(input);
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(o.ssl).not.toBe(input.ssl);
    expect(o.log).toBe(input.log);
    const buf = Buffer.from('x');
    expect(hideSecrets({ ssl: { ca: buf } }).ssl.ca).toBe(buf);
  });

  it('keeps a property that was already hidden hidden', () => {
    const input: Record<string, unknown> = { host: 'db' };
    Object.defineProperty(input, 'replicas', { value: [{ host: 'r' }], enumerable: false });
    const o = hideSecrets(input);
    expect(Object.keys(o)).toEqual(['host']);
    expect(o.replicas).toEqual([{ host: 'r' }]);
  });

  it('revealSecrets gives a driver a copy whose every value spreads and assigns', () => {
    const o = hideSecrets(user());
    const plain = revealSecrets(o);
    expect(Object.assign({}, plain)).toMatchObject({
      password: 'pw-123',
      connectionString: 'postgres://app:cs-456@db/app',
    });
    expect({ ...plain.ssl }).toEqual({ key: KEY, passphrase: 'pp-789', ca: 'PUBLIC CA', rejectUnauthorized: true });
    expect(JSON.stringify(o)).not.toContain('pw-123');
  });
});
