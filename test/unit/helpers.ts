import { Pool, type PoolOptions } from '../../src/index.js';
import { ManualClock } from '../support/manual-clock.js';
import { TestFactory, type Res, type TestFactoryOptions } from '../support/test-factory.js';

export { ManualClock, flush } from '../support/manual-clock.js';
export { TestFactory, type Res } from '../support/test-factory.js';

/** A pool named "x" on a manual clock with a scriptable factory. */
export function setup(
  options: Partial<PoolOptions<Res>> = {},
  factory: TestFactoryOptions = {},
): { clock: ManualClock; f: TestFactory; pool: Pool<Res> } {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const f = (options.factory as TestFactory | undefined) ?? new TestFactory({ clock, ...factory });
  const pool = new Pool<Res>({ name: 'x', ...options, factory: f, clock });
  return { clock, f, pool };
}

/** Observes a promise without awaiting it: `.state` is pending, fulfilled or rejected. */
export function watch<T>(p: Promise<T>): {
  state: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  error?: unknown;
  promise: Promise<T>;
} {
  const o: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown; promise: Promise<T> } = {
    state: 'pending',
    promise: p,
  };
  p.then(
    (v) => {
      o.state = 'fulfilled';
      o.value = v;
    },
    (e) => {
      o.state = 'rejected';
      o.error = e;
    },
  );
  return o;
}
