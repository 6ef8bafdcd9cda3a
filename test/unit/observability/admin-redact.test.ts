import { describe, expect, it } from 'vitest';
import { redact, redactString } from '../../../src/observability/admin/index.js';

describe('lido/admin redaction', () => {
  it('removes URL passwords and secret key=value pairs from strings', () => {
    expect(redactString('postgres://app:s3cr%40t@db.internal:5432/app?sslmode=require')).toBe(
      'postgres://app:[redacted]@db.internal:5432/app?sslmode=require',
    );
    expect(redactString('redis://:hunter2@cache:6379/0 and https://u:p@x.io')).toBe(
      'redis://:[redacted]@cache:6379/0 and https://[redacted]@x.io', // all of an http(s) user info
    );
    expect(redactString('host=db user=app password=hunter2 sslkey=/k.pem')).toBe(
      'host=db user=app password=[redacted] sslkey=[redacted]',
    );
    expect(redactString('password=\'a b\' token="x y"')).toBe('password=[redacted] token=[redacted]');
    expect(redactString('https://api.example.com/v1?access_token=abc&page=2')).toBe(
      'https://api.example.com/v1?access_token=[redacted]&page=2',
    );
    expect(redactString('postgres://app@db/app')).toBe('postgres://app@db/app');
  });

  it('replaces values under secret-looking keys, at any depth, and keeps the rest', () => {
    const input = {
      user: 'app',
      password: 'hunter2',
      Secret: 's',
      authToken: 't',
      privateKey: 'k',
      credentials: { a: 1 },
      passwd: 'p',
      emptyPassword: '',
      nested: [{ apiKey: 'k', url: new URL('postgres://a:b@h/d') }],
      keepaliveMs: 0,
      max: 10,
    };
    expect(redact(input)).toEqual({
      user: 'app',
      password: '[redacted]',
      Secret: '[redacted]',
      authToken: '[redacted]',
      privateKey: '[redacted]',
      credentials: '[redacted]',
      passwd: '[redacted]',
      emptyPassword: '',
      nested: [{ apiKey: '[redacted]', url: 'postgres://a:[redacted]@h/d' }],
      keepaliveMs: 0,
      max: 10,
    });
  });

  it('names functions and binary data, and cuts cycles', () => {
    const cyclic: Record<string, unknown> = {
      name: 'x',
      fn: () => 1,
      buf: Buffer.from('secret bytes'),
      when: new Date(0),
    };
    cyclic.self = cyclic;
    cyclic.shared = [cyclic.when, cyclic.when];
    expect(redact(cyclic)).toEqual({
      name: 'x',
      fn: '[function fn]',
      buf: '[binary]',
      when: '1970-01-01T00:00:00.000Z',
      self: '[circular]',
      shared: ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z'],
    });
    expect(
      redact(
        new Map([
          ['password', 'x'],
          ['host', 'h'],
        ]),
      ),
    ).toEqual({ password: '[redacted]', host: 'h' });
  });

  it('can scrub strings only, keeping values under secret-looking keys (for stats keyed by name)', () => {
    expect(redact({ perKey: { 'https://u:p@a.io': 1, tenant: 'x' } }, false)).toEqual({
      perKey: { 'https://[redacted]@a.io': 1, tenant: 'x' },
    });
    expect(redact({ keys: ['https://u:p@a.io'] }, false)).toEqual({ keys: ['https://[redacted]@a.io'] });
  });
});
