// Option autoSize: validated eagerly, unknown keys rejected, messages naming the key.
import { describe, expect, it } from 'vitest';
import { Pool, PoolOptionsError, autoSizeDefaults } from '../../../src/index.js';
import { TestFactory } from '../../support/test-factory.js';

const make = (autoSize: unknown) => new Pool({ factory: new TestFactory(), autoSize: autoSize as never });

describe('option autoSize', () => {
  it('true takes the defaults; an object overrides some; false and absent are off', async () => {
    expect(make(true).config().autoSize).toEqual(autoSizeDefaults);
    expect(make({ headroom: 2 }).config().autoSize).toEqual({ ...autoSizeDefaults, headroom: 2 });
    expect(make({}).config().autoSize).toEqual(autoSizeDefaults);
    expect(make(false).config().autoSize).toBe(false);
    expect(make(undefined).config().autoSize).toBe(false);
    expect(autoSizeDefaults).toEqual({ intervalMs: 500, headroom: 1.25, shrinkAfterMs: 10_000 });
  });

  it.each([
    ['yes', 'autoSize: expected true, false or an object of tuning options, got "yes"'],
    [1, 'autoSize: expected true, false or an object of tuning options, got 1'],
    [null, 'autoSize: expected true, false or an object of tuning options, got null'],
    [[], 'autoSize: expected true, false or an object of tuning options, got an array'],
    [{ intervalMs: 0 }, 'autoSize.intervalMs: expected a positive duration in ms, got 0'],
    [{ intervalMs: 5 }, 'autoSize.intervalMs: expected at least 10 ms, got 5'],
    [{ intervalMs: Infinity }, 'autoSize.intervalMs: expected a positive duration in ms, got Infinity'],
    [{ headroom: 0.9 }, 'autoSize.headroom: expected a number from 1 to 4, got 0.9'],
    [{ headroom: '2' }, 'autoSize.headroom: expected a number from 1 to 4, got "2"'],
    [{ shrinkAfterMs: -1 }, 'autoSize.shrinkAfterMs: expected a non-negative duration in ms, got -1'],
    [{ intervalMs: 1_000, shrinkAfterMs: 500 }, 'autoSize.shrinkAfterMs: expected at least intervalMs (1000), got 500'],
  ])('rejects %j', (value, message) => {
    expect(() => make(value)).toThrow(PoolOptionsError);
    expect(() => make(value)).toThrow(message);
  });

  it('rejects unknown tuning keys, listing the known ones', () => {
    expect(() => make({ interval: 100 })).toThrow(
      'autoSize: unknown option "interval" (known: intervalMs, headroom, shrinkAfterMs)',
    );
  });
});
