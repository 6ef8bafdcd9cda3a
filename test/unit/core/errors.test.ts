import { describe, expect, it } from 'vitest';
import {
  AcquireTimeoutError,
  CreateError,
  PoolClosedError,
  PoolError,
  PoolOptionsError,
  QueueFullError,
  ValidationError,
} from '../../../src/index.js';

describe('error classes', () => {
  const cases = [
    [new PoolError('m'), 'PoolError', 'ERR_POOL', undefined],
    [new AcquireTimeoutError('m'), 'AcquireTimeoutError', 'ERR_POOL_ACQUIRE_TIMEOUT', 'wait'],
    [new PoolClosedError('m'), 'PoolClosedError', 'ERR_POOL_CLOSED', 'wait'],
    [new QueueFullError('m'), 'QueueFullError', 'ERR_POOL_QUEUE_FULL', 'wait'],
    [new CreateError('m'), 'CreateError', 'ERR_POOL_CREATE', 'create'],
    [new ValidationError('m'), 'ValidationError', 'ERR_POOL_VALIDATION', 'validate'],
    [new PoolOptionsError('m'), 'PoolOptionsError', 'ERR_POOL_OPTIONS', 'options'],
  ] as const;

  for (const [e, name, code, phase] of cases) {
    it(`${name}: name, code, default phase, message and stack header`, () => {
      expect(e).toBeInstanceOf(PoolError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(e.code).toBe(code);
      expect(e.phase).toBe(phase);
      expect(String(e)).toBe(`${name}: m`);
      expect(e.stack?.split('\n')[0]).toBe(`${name}: m`);
      // `name` comes from the class (prototype), as Error's own does: not one more field per error.
      expect(Object.keys(e)).not.toContain('name');
    });
  }

  it('an explicit phase, pool, counts and cause are kept', () => {
    const cause = new Error('ECONNREFUSED');
    const counts = { size: 1, idle: 0, borrowed: 1, pending: 3, creating: 0, max: 1 };
    const e = new AcquireTimeoutError('t', { phase: 'create', pool: 'db', counts, cause });
    expect(e.phase).toBe('create');
    expect(e.pool).toBe('db');
    expect(e.counts).toBe(counts);
    expect(e.cause).toBe(cause);
    expect(new PoolError('x', 'ERR_POOL_RESET', { phase: 'reset' }).phase).toBe('reset');
  });

  it('a subclass a user derives can name itself', () => {
    class TenantError extends PoolError {
      override name = 'TenantError';
    }
    const e = new TenantError('no tenant', 'ERR_TENANT');
    expect(e.name).toBe('TenantError');
    expect(String(e)).toBe('TenantError: no tenant');
    expect(new PoolError('p').name).toBe('PoolError'); // the base class is untouched
  });
});
