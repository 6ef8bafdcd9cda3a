import type { Factory } from '../core/factory.js';
import type { BudgetAccount } from './budget.js';

/**
 * @internal `factory` inside a budget: each `create` first takes a permit of `account`
 * (synchronously when one is free, else waiting, aborted with the create's signal, so
 * the pool's `createTimeoutMs` bounds the wait too), and each `destroy` gives it back
 * once it settled. The permit stays taken while `factory.create()` runs, even past an
 * abort: a resource that arrives late is destroyed by the pool (through this `destroy`)
 * and only then counts no more. A create that fails gives the permit back at once.
 */
export function budgeted<T>(factory: Factory<T>, account: BudgetAccount): Factory<T> {
  const created = (signal: AbortSignal): Promise<T> => {
    let made: Promise<T>;
    try {
      made = Promise.resolve(factory.create(signal));
    } catch (e) {
      account.give();
      return Promise.reject(e);
    }
    return made.then(
      (resource) => {
        // Not a resource: the pool counts a failed create and never destroys it.
        if (resource === undefined || resource === null) account.give();
        return resource;
      },
      (e: unknown) => {
        account.give();
        throw e;
      },
    );
  };
  const w: Factory<T> = {
    create(signal) {
      if (account.tryTake()) return created(signal);
      return account.take(signal).then(() => created(signal));
    },
    destroy(resource) {
      let out: Promise<void> | void;
      try {
        out = factory.destroy(resource);
      } catch (e) {
        account.give();
        throw e;
      }
      if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<void>).then === 'function') {
        const give = (): void => account.give();
        return Promise.resolve(out).then(give, (e: unknown) => {
          give();
          throw e;
        });
      }
      account.give();
    },
  };
  if (factory.validate) w.validate = (r, signal) => factory.validate!(r, signal);
  if (factory.reset) w.reset = (r) => factory.reset!(r);
  if (factory.watch) w.watch = (r, evict) => factory.watch!(r, evict);
  if (factory.isBroken) w.isBroken = (error, r) => factory.isBroken!(error, r);
  return w;
}
