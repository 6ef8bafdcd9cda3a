import { describe, expect, it } from 'vitest';
import { Pool, PoolOptionsError, defaults } from '../../../src/index.js';
import { TestFactory } from '../helpers.js';

const f = new TestFactory();
const make = (o: Record<string, unknown>): Pool<unknown> => new Pool({ factory: f, ...o } as never);

function rejects(o: Record<string, unknown>, message: string | RegExp): void {
  let caught: unknown;
  try {
    make(o);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(PoolOptionsError);
  expect((caught as PoolOptionsError).code).toBe('ERR_POOL_OPTIONS');
  expect((caught as PoolOptionsError).phase).toBe('options');
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

describe('options', () => {
  it('applies the documented defaults', () => {
    const pool = make({});
    const c = pool.config();
    expect(c).toMatchObject({
      min: 0,
      max: 10,
      acquireTimeoutMs: 30_000,
      createTimeoutMs: 30_000,
      idleTimeoutMs: 600_000,
      maxLifetimeMs: 1_800_000,
      keepaliveMs: 0,
      validateAfterIdleMs: 500,
      validateTimeoutMs: 5_000,
      maxWaiting: Infinity,
      maxUses: Infinity,
      order: 'lifo',
      leakDetectionMs: 0,
      createRetry: { baseMs: 100, capMs: 10_000 },
      failFast: false,
      maxConcurrentCreates: 2,
      allowExitOnIdle: true,
    });
    expect(defaults.max).toBe(10);
    expect(c.factory).toEqual(['create', 'destroy']);
    void pool.close();
  });

  it('createTimeoutMs defaults to acquireTimeoutMs', () => {
    expect(make({ acquireTimeoutMs: 1234 }).config().createTimeoutMs).toBe(1234);
  });

  it('names the option, what it expected and what it got', () => {
    rejects({ max: -1 }, 'max: expected a positive integer, got -1');
    rejects({ max: 0 }, 'max: expected a positive integer, got 0');
    rejects({ max: 2.5 }, 'max: expected a positive integer, got 2.5');
    rejects({ max: '10' }, 'max: expected a positive integer, got "10"');
    rejects({ max: NaN }, 'max: expected a positive integer, got NaN');
    rejects({ min: -1 }, 'min: expected a non-negative integer, got -1');
    rejects({ min: NaN }, 'min: expected a non-negative integer, got NaN');
    rejects({ min: 5, max: 2 }, 'min: expected at most max (2), got 5');
  });

  it('rejects negative, NaN and non-numeric durations', () => {
    for (const k of ['idleTimeoutMs', 'maxLifetimeMs', 'keepaliveMs', 'validateAfterIdleMs', 'leakDetectionMs']) {
      rejects({ [k]: -1 }, `${k}: expected a non-negative duration in ms, got -1`);
      rejects({ [k]: NaN }, `${k}: expected a non-negative duration in ms, got NaN`);
      rejects({ [k]: Infinity }, new RegExp(`^${k}: expected a non-negative duration in ms, got Infinity`));
      rejects({ [k]: '5' }, `${k}: expected a non-negative duration in ms, got "5"`);
    }
    for (const k of ['acquireTimeoutMs', 'createTimeoutMs', 'validateTimeoutMs', 'resetTimeoutMs']) {
      rejects({ [k]: -5 }, `${k}: expected a positive duration in ms or Infinity, got -5`);
      rejects({ [k]: 0 }, `${k}: expected a positive duration in ms or Infinity, got 0`);
      rejects({ [k]: NaN }, `${k}: expected a positive duration in ms or Infinity, got NaN`);
      expect(() => make({ [k]: Infinity })).not.toThrow();
    }
  });

  it('checks every other option', () => {
    rejects({ maxWaiting: -1 }, 'maxWaiting: expected a non-negative integer or Infinity, got -1');
    rejects({ maxUses: 0 }, 'maxUses: expected a positive integer or Infinity, got 0');
    rejects({ maxConcurrentCreates: 0 }, 'maxConcurrentCreates: expected a positive integer, got 0');
    rejects({ order: 'random' }, 'order: expected "lifo" or "fifo", got "random"');
    rejects({ failFast: 'yes' }, 'failFast: expected a boolean, got "yes"');
    rejects({ allowExitOnIdle: 1 }, 'allowExitOnIdle: expected a boolean, got 1');
    rejects({ name: '' }, 'name: expected a non-empty string, got ""');
    rejects({ name: 42 }, 'name: expected a non-empty string, got 42');
    rejects({ createRetry: 5 }, 'createRetry: expected an object { baseMs, capMs }, got 5');
    rejects({ createRetry: { baseMs: -1 } }, 'createRetry.baseMs: expected a positive duration in ms, got -1');
    rejects({ createRetry: { baseMs: 500, capMs: 100 } }, 'createRetry.capMs: expected at least baseMs (500), got 100');
    rejects({ createRetry: { base: 1 } }, /^createRetry: unknown option "base"/);
    rejects({ clock: {} }, 'clock: expected a Clock { now, setTimer, clearTimer }, got an object');
    rejects({ random: 0.5 }, 'random: expected a function returning [0, 1), got 0.5');
  });

  it('keepaliveMs needs a validate hook', () => {
    rejects(
      { keepaliveMs: 1_000 },
      'keepaliveMs: expected 0 when the factory has no validate() (a keepalive is a validation), got 1000',
    );
    expect(() => new Pool({ factory: new TestFactory({ validate: true }), keepaliveMs: 1_000 }).close()).not.toThrow();
  });

  it('rejects unknown keys, naming them', () => {
    rejects({ maxSize: 3 }, /^Pool options: unknown option "maxSize" \(known: factory, name, min, max,/);
    rejects({ idleTimeoutMillis: 3 }, /unknown option "idleTimeoutMillis"/);
  });

  it('rejects a bad factory', () => {
    expect(() => new Pool(undefined as never)).toThrow('options: expected an object, got undefined');
    expect(() => new Pool({} as never)).toThrow(
      'factory: expected an object with create() and destroy(), got undefined',
    );
    expect(() => new Pool({ factory: { destroy() {} } } as never)).toThrow(
      'factory.create: expected a function, got undefined',
    );
    expect(() => new Pool({ factory: { create: async () => 1 } } as never)).toThrow(
      'factory.destroy: expected a function, got undefined',
    );
    expect(() => new Pool({ factory: { create: async () => 1, destroy() {}, validate: true } } as never)).toThrow(
      'factory.validate: expected a function or undefined, got true',
    );
    for (const hook of ['reset', 'watch', 'isBroken']) {
      expect(() => new Pool({ factory: { create: async () => 1, destroy() {}, [hook]: 'x' } } as never)).toThrow(
        `factory.${hook}: expected a function or undefined, got "x"`,
      );
    }
  });

  it('checks acquire, resize and close arguments', async () => {
    const pool = make({});
    expect(() => pool.acquire({ timeoutMs: -1 })).toThrow(
      'timeoutMs: expected a positive duration in ms or Infinity, got -1',
    );
    expect(() => pool.acquire({ timeout: 5 } as never)).toThrow('acquire options: unknown option "timeout"');
    expect(() => pool.acquire({ signal: {} } as never)).toThrow('signal: expected an AbortSignal, got an object');
    expect(() => pool.resize({ max: -1 })).toThrow('max: expected a positive integer, got -1');
    expect(() => pool.resize({ min: 20 })).toThrow('min: expected at most max (10), got 20');
    expect(() => pool.close({ timeoutMs: -1 })).toThrow(
      'close timeoutMs: expected a non-negative duration in ms or Infinity, got -1',
    );
    await expect(pool.use(5 as never)).rejects.toThrow('use: expected a function, got number');
    await pool.close();
  });
});
