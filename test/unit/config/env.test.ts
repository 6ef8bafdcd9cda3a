import { afterEach, describe, expect, it, vi } from 'vitest';
import { LIDO_ENV_UNKNOWN, PoolOptionsError, poolOptionsFromEnv } from '../../../src/index.js';
import { envSourcesOf } from '../../../src/config/sources.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The options alone: `toEqual` also compares the enumerable symbol that records where each came from. */
function read(prefix: string, env?: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(poolOptionsFromEnv(prefix, env)));
}

/** The error poolOptionsFromEnv throws for `env`, or a failure when it throws none. */
function errorOf(prefix: string, env: Record<string, string>): PoolOptionsError {
  try {
    poolOptionsFromEnv(prefix, env);
  } catch (e) {
    expect(e).toBeInstanceOf(PoolOptionsError);
    expect((e as PoolOptionsError).code).toBe('ERR_POOL_OPTIONS');
    return e as PoolOptionsError;
  }
  throw new Error(`no error for ${JSON.stringify(env)}`);
}

describe('poolOptionsFromEnv: lido names', () => {
  it('reads every lido-named variable into the option of that name', () => {
    const o = read('APP_POOL', {
      APP_POOL_MIN: '2',
      APP_POOL_MAX: '20',
      APP_POOL_ACQUIRE_TIMEOUT_MS: '2500',
      APP_POOL_IDLE_TIMEOUT_MS: '0',
      APP_POOL_MAX_LIFETIME_MS: '3600000',
      APP_POOL_VALIDATE_AFTER_IDLE_MS: '1000',
      APP_POOL_MAX_WAITING: '100',
      APP_POOL_ORDER: 'FIFO',
    });
    expect(o).toEqual({
      min: 2,
      max: 20,
      acquireTimeoutMs: 2500,
      idleTimeoutMs: 0,
      maxLifetimeMs: 3_600_000,
      validateAfterIdleMs: 1000,
      maxWaiting: 100,
      order: 'fifo',
    });
  });

  it('returns only what is set, and nothing from an empty environment', () => {
    expect(read('APP_POOL', {})).toEqual({});
    expect(Object.keys(poolOptionsFromEnv('APP_POOL', { APP_POOL_MAX: '7' }))).toEqual(['max']);
  });

  it('takes _MAX_CONNECTIONS as max, and a trailing _ on the prefix', () => {
    expect(read('REDIS', { REDIS_MAX_CONNECTIONS: '50' })).toEqual({ max: 50 });
    expect(read('REDIS_', { REDIS_MAX_CONNECTIONS: '50' })).toEqual({ max: 50 });
  });

  it('trims values and treats an empty value as unset', () => {
    expect(read('APP_POOL', { APP_POOL_MAX: ' 12 ', APP_POOL_MIN: '', APP_POOL_ORDER: '  ' })).toEqual({
      max: 12,
    });
  });

  it('reads process.env by default', () => {
    vi.stubEnv('LIDO_TEST_DEFAULT_ENV_MAX', '9');
    try {
      expect(read('LIDO_TEST_DEFAULT_ENV')).toEqual({ max: 9 });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('poolOptionsFromEnv: SQLAlchemy names', () => {
  it('_SIZE is min and max = SIZE + OVERFLOW; _TIMEOUT and _RECYCLE are seconds', () => {
    const o = read('DATABASE_POOL', {
      DATABASE_POOL_SIZE: '20',
      DATABASE_POOL_OVERFLOW: '30',
      DATABASE_POOL_TIMEOUT: '30',
      DATABASE_POOL_RECYCLE: '3600',
    });
    expect(o).toEqual({ min: 20, max: 50, acquireTimeoutMs: 30_000, maxLifetimeMs: 3_600_000 });
  });

  it('SIZE alone gives max = SIZE + 10 (SQLAlchemy default overflow); OVERFLOW alone a size of 5', () => {
    expect(read('DATABASE_POOL', { DATABASE_POOL_SIZE: '20' })).toEqual({ min: 20, max: 30 });
    expect(read('DATABASE_POOL', { DATABASE_POOL_OVERFLOW: '3' })).toEqual({ min: 5, max: 8 });
    expect(read('DATABASE_POOL', { DATABASE_POOL_SIZE: '0', DATABASE_POOL_OVERFLOW: '4' })).toEqual({
      min: 0,
      max: 4,
    });
  });

  it('seconds may have decimals; RECYCLE -1 and 0 mean never', () => {
    expect(read('P', { P_TIMEOUT: '2.5' })).toEqual({ acquireTimeoutMs: 2500 });
    expect(read('P', { P_TIMEOUT: '1.1' })).toEqual({ acquireTimeoutMs: 1100 });
    expect(read('P', { P_TIMEOUT: '0.0001' })).toEqual({ acquireTimeoutMs: 1 });
    expect(read('P', { P_RECYCLE: '-1' })).toEqual({ maxLifetimeMs: 0 });
    expect(read('P', { P_RECYCLE: '0' })).toEqual({ maxLifetimeMs: 0 });
  });

  it('_PRE_PING=true validates on every acquire; false leaves the default', () => {
    expect(read('P', { P_PRE_PING: 'true' })).toEqual({ validateAfterIdleMs: 0 });
    expect(read('P', { P_PRE_PING: 'false' })).toEqual({});
  });

  it('_USE_LIFO picks the order', () => {
    expect(read('P', { P_USE_LIFO: 'yes' })).toEqual({ order: 'lifo' });
    expect(read('P', { P_USE_LIFO: 'No' })).toEqual({ order: 'fifo' });
  });

  it('booleans: 1/0, true/false, yes/no, on/off in any case', () => {
    for (const word of ['1', 'true', 'TRUE', 'True', 'yes', 'YES', 'on', 'On']) {
      expect(read('P', { P_DISABLED: word }), word).toEqual({ pooling: false });
    }
    for (const word of ['0', 'false', 'FALSE', 'no', 'No', 'off', 'OFF']) {
      expect(read('P', { P_DISABLED: word }), word).toEqual({});
    }
  });
});

describe('poolOptionsFromEnv: the kill switch', () => {
  it('_DISABLED=1 returns pooling: false beside the other options, which still apply', () => {
    expect(read('DATABASE_POOL', { DATABASE_POOL_DISABLED: '1', DATABASE_POOL_SIZE: '5' })).toEqual({
      pooling: false,
      min: 5,
      max: 15,
    });
  });
});

describe('poolOptionsFromEnv: bad values', () => {
  const cases: [Record<string, string>, string][] = [
    [{ DATABASE_POOL_SIZE: 'twenty' }, 'DATABASE_POOL_SIZE: expected a non-negative integer, got "twenty"'],
    [{ DATABASE_POOL_SIZE: '-1' }, 'DATABASE_POOL_SIZE: expected a non-negative integer, got "-1"'],
    [{ DATABASE_POOL_SIZE: '2.5' }, 'DATABASE_POOL_SIZE: expected a non-negative integer, got "2.5"'],
    [{ DATABASE_POOL_SIZE: '1e3' }, 'DATABASE_POOL_SIZE: expected a non-negative integer, got "1e3"'],
    [{ DATABASE_POOL_OVERFLOW: 'x' }, 'DATABASE_POOL_OVERFLOW: expected a non-negative integer, got "x"'],
    [{ DATABASE_POOL_MIN: '0x10' }, 'DATABASE_POOL_MIN: expected a non-negative integer, got "0x10"'],
    [{ DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX: expected a positive integer, got "0"'],
    [
      { DATABASE_POOL_MAX: '99999999999999999999' },
      'DATABASE_POOL_MAX: expected a positive integer, got "99999999999999999999"',
    ],
    [
      { DATABASE_POOL_MAX_CONNECTIONS: 'lots' },
      'DATABASE_POOL_MAX_CONNECTIONS: expected a positive integer, got "lots"',
    ],
    [
      { DATABASE_POOL_MAX_WAITING: 'Infinity' },
      'DATABASE_POOL_MAX_WAITING: expected a non-negative integer, got "Infinity"',
    ],
    [{ DATABASE_POOL_TIMEOUT: '0' }, 'DATABASE_POOL_TIMEOUT: expected a positive number of seconds, got "0"'],
    [{ DATABASE_POOL_TIMEOUT: '30s' }, 'DATABASE_POOL_TIMEOUT: expected a positive number of seconds, got "30s"'],
    [{ DATABASE_POOL_RECYCLE: '-2' }, 'DATABASE_POOL_RECYCLE: expected a non-negative number of seconds, got "-2"'],
    [
      { DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '0' },
      'DATABASE_POOL_ACQUIRE_TIMEOUT_MS: expected a positive whole number of milliseconds, got "0"',
    ],
    [
      { DATABASE_POOL_IDLE_TIMEOUT_MS: '10s' },
      'DATABASE_POOL_IDLE_TIMEOUT_MS: expected a non-negative whole number of milliseconds, got "10s"',
    ],
    [
      { DATABASE_POOL_MAX_LIFETIME_MS: '1.5' },
      'DATABASE_POOL_MAX_LIFETIME_MS: expected a non-negative whole number of milliseconds, got "1.5"',
    ],
    [
      { DATABASE_POOL_VALIDATE_AFTER_IDLE_MS: '-5' },
      'DATABASE_POOL_VALIDATE_AFTER_IDLE_MS: expected a non-negative whole number of milliseconds, got "-5"',
    ],
    [{ DATABASE_POOL_ORDER: 'random' }, 'DATABASE_POOL_ORDER: expected "lifo" or "fifo", got "random"'],
    [
      { DATABASE_POOL_PRE_PING: 'maybe' },
      'DATABASE_POOL_PRE_PING: expected a boolean (1/0, true/false, yes/no, on/off), got "maybe"',
    ],
    [
      { DATABASE_POOL_USE_LIFO: '2' },
      'DATABASE_POOL_USE_LIFO: expected a boolean (1/0, true/false, yes/no, on/off), got "2"',
    ],
    [
      { DATABASE_POOL_DISABLED: 'y' },
      'DATABASE_POOL_DISABLED: expected a boolean (1/0, true/false, yes/no, on/off), got "y"',
    ],
  ];
  for (const [env, message] of cases) {
    it(message, () => {
      expect(errorOf('DATABASE_POOL', env).message).toBe(message);
    });
  }

  it('_OVERFLOW=-1 is an error that says why', () => {
    expect(errorOf('DATABASE_POOL', { DATABASE_POOL_OVERFLOW: '-1' }).message).toBe(
      'DATABASE_POOL_OVERFLOW: expected a non-negative integer, got "-1" (-1 is SQLAlchemy\'s "no limit"; lido needs a bound: set the most connections to open above the size)',
    );
  });

  it('a size of 0 with an overflow of 0 is no pool at all', () => {
    expect(errorOf('DATABASE_POOL', { DATABASE_POOL_SIZE: '0', DATABASE_POOL_OVERFLOW: '0' }).message).toBe(
      'DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW: expected at least 1 connection in total, got 0',
    );
  });

  it('_MIN above _MAX names both', () => {
    expect(errorOf('P', { P_MIN: '5', P_MAX: '4' }).message).toBe('P_MIN: expected at most P_MAX (4), got 5');
  });

  it('a very long bad value is shortened in the message', () => {
    const message = errorOf('P', { P_MAX: 'x'.repeat(500) }).message;
    expect(message).toBe(`P_MAX: expected a positive integer, got "${'x'.repeat(40)}…"`);
  });

  it('a bad prefix or env is named', () => {
    expect(() => poolOptionsFromEnv('', {})).toThrow(
      'prefix: expected an environment variable prefix like "DATABASE_POOL", got ""',
    );
    expect(() => poolOptionsFromEnv('DATABASE POOL', {})).toThrow('got "DATABASE POOL"');
    expect(() => poolOptionsFromEnv(42 as never, {})).toThrow(
      'prefix: expected an environment variable prefix like "DATABASE_POOL", got 42',
    );
    expect(() => poolOptionsFromEnv('P', null as never)).toThrow(
      'env: expected an object of environment variables, got null',
    );
    expect(() => poolOptionsFromEnv('P', { P_MAX: {} } as never)).toThrow('P_MAX: expected a string, got an object');
  });
});

describe('poolOptionsFromEnv: two variables for one option', () => {
  const pairs: [string, string, string, string][] = [
    ['MAX', '10', 'MAX_CONNECTIONS', '10'],
    ['MAX', '10', 'SIZE', '5'],
    ['MAX', '10', 'OVERFLOW', '5'],
    ['MAX_CONNECTIONS', '10', 'OVERFLOW', '5'],
    ['MIN', '1', 'SIZE', '5'],
    ['MIN', '1', 'OVERFLOW', '5'],
    ['ACQUIRE_TIMEOUT_MS', '1000', 'TIMEOUT', '1'],
    ['MAX_LIFETIME_MS', '1000', 'RECYCLE', '1'],
    ['VALIDATE_AFTER_IDLE_MS', '0', 'PRE_PING', 'false'],
    ['ORDER', 'lifo', 'USE_LIFO', 'true'],
  ];
  for (const [a, av, b, bv] of pairs) {
    it(`_${a} with _${b} is an error naming both`, () => {
      const message = errorOf('DB', { [`DB_${a}`]: av, [`DB_${b}`]: bv }).message;
      expect(message).toMatch(new RegExp(`^DB_${a} and DB_${b}: expected one of them, got both`));
    });
  }

  it('mixing the styles for the bounds says which names go together', () => {
    expect(errorOf('DB', { DB_MAX: '10', DB_SIZE: '5' }).message).toBe(
      'DB_MAX and DB_SIZE: expected one of them, got both (use DB_MIN/DB_MAX or DB_SIZE/DB_OVERFLOW)',
    );
  });
});

describe('poolOptionsFromEnv: unknown variables', () => {
  it('reports variables under the prefix it does not read, by name only, once per process', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const env = {
      UNK_POOL_MAXX: 'secret-ish value 1',
      UNK_POOL_SIZ: 'secret-ish value 2',
      UNK_POOL_MAX: '3',
      UNK_POOL_URL: 'redis://:hunter2@host',
      UNK_POOLING: 'not under the prefix',
      OTHER: 'x',
    };
    expect(read('UNK_POOL', env)).toEqual({ max: 3 });
    expect(warn).toHaveBeenCalledTimes(1);
    const [message, options] = warn.mock.calls[0]! as [string, { code: string }];
    expect(options).toEqual({ code: LIDO_ENV_UNKNOWN });
    expect(LIDO_ENV_UNKNOWN).toBe('LIDO_ENV_UNKNOWN');
    expect(message).toMatch(
      /^lido: poolOptionsFromEnv\("UNK_POOL"\) does not read UNK_POOL_MAXX, UNK_POOL_SIZ; ignored\./,
    );
    expect(message).toContain('It reads UNK_POOL_MIN, UNK_POOL_MAX, UNK_POOL_MAX_CONNECTIONS');
    expect(message).not.toContain('secret-ish');
    expect(message).not.toContain('hunter2');
    expect(message).not.toMatch(/UNK_POOL_URL|UNK_POOLING/);

    // Once per name: the same names again say nothing; a new one is reported alone.
    poolOptionsFromEnv('UNK_POOL', env);
    expect(warn).toHaveBeenCalledTimes(1);
    poolOptionsFromEnv('UNK_POOL', { ...env, UNK_POOL_TIMEOUT_MS: '5' });
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1]![0]).toMatch(/does not read UNK_POOL_TIMEOUT_MS; ignored/);
  });

  it('leaves connection settings under the prefix alone', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    poolOptionsFromEnv('CONN', {
      CONN_URL: 'redis://:pw@h',
      CONN_HOST: 'h',
      CONN_PORT: '1',
      CONN_USER: 'u',
      CONN_USERNAME: 'u',
      CONN_PASSWORD: 'pw',
      CONN_DB: '0',
      CONN_DATABASE: 'd',
      CONN_TLS: '1',
      CONN_SSL: '1',
      CONN_MAX_CONNECTIONS: '4',
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('a bad value is still an error when unknown names are around (and they are reported first)', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    expect(errorOf('BAD_UNK', { BAD_UNK_MAX: 'x', BAD_UNK_NOPE: '1' }).message).toMatch(/^BAD_UNK_MAX:/);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('poolOptionsFromEnv: where each value came from', () => {
  it('survives a spread and a rest, and is not an option key', () => {
    const fromEnv = poolOptionsFromEnv('DATABASE_POOL', {
      DATABASE_POOL_SIZE: '20',
      DATABASE_POOL_OVERFLOW: '30',
      DATABASE_POOL_TIMEOUT: '30',
      DATABASE_POOL_PRE_PING: '1',
    });
    const spread = { ...fromEnv, connectionString: 'postgres://x' };
    const { connectionString: _, ...rest } = spread;
    const expected = {
      min: 'DATABASE_POOL_SIZE',
      max: 'DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW',
      acquireTimeoutMs: 'DATABASE_POOL_TIMEOUT',
      validateAfterIdleMs: 'DATABASE_POOL_PRE_PING',
    };
    expect(envSourcesOf(fromEnv)).toEqual(expected);
    expect(envSourcesOf(spread)).toEqual(expected);
    expect(envSourcesOf(rest)).toEqual(expected);
    expect(Object.keys(spread).sort()).toEqual([
      'acquireTimeoutMs',
      'connectionString',
      'max',
      'min',
      'validateAfterIdleMs',
    ]);
    expect(JSON.parse(JSON.stringify(fromEnv))).toEqual({
      min: 20,
      max: 50,
      acquireTimeoutMs: 30_000,
      validateAfterIdleMs: 0,
    });
  });

  it('an option overridden after the spread is not reported as coming from the environment', () => {
    const fromEnv = poolOptionsFromEnv('P', { P_MAX: '20', P_MIN: '2' });
    expect(envSourcesOf({ ...fromEnv, max: 5 })).toEqual({ min: 'P_MIN' });
    expect(envSourcesOf({ ...fromEnv, max: 5, min: 1 })).toBeUndefined();
    expect(envSourcesOf({ max: 20 })).toBeUndefined();
  });

  it('says which default filled in for the SQLAlchemy variable not set', () => {
    expect(envSourcesOf(poolOptionsFromEnv('P', { P_SIZE: '3' }))).toEqual({ min: 'P_SIZE', max: 'P_SIZE + 10' });
    expect(envSourcesOf(poolOptionsFromEnv('P', { P_OVERFLOW: '3' }))).toEqual({
      min: '5 (the size when only P_OVERFLOW is set)',
      max: '5 + P_OVERFLOW',
    });
  });
});
