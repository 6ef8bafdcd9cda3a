/**
 * @internal Calls `fn(resource)` and gives the resource back once what it returns settles,
 * however it settles: `giveBack(broken, error)`, where `broken` is what `isBroken(error)`
 * says after a throw or rejection (false after a success, and when there is no
 * `isBroken`). Resolves or rejects as `fn` did.
 */
export function runWith<T, R>(
  fn: (resource: T) => R | PromiseLike<R>,
  resource: T,
  isBroken: ((error: unknown, resource: T) => boolean) | null,
  giveBack: (broken: boolean, error: unknown) => unknown,
): Promise<Awaited<R>> {
  const done = (error: unknown, failed: boolean): void => {
    giveBack(failed && isBroken?.(error, resource) === true, error);
  };
  let r: R | PromiseLike<R>;
  try {
    r = fn(resource);
  } catch (e) {
    done(e, true);
    return Promise.reject(e);
  }
  if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<R>).then === 'function') {
    return Promise.resolve(r).then(
      (v) => (done(undefined, false), v),
      (e) => {
        done(e, true);
        throw e;
      },
    ) as Promise<Awaited<R>>;
  }
  done(undefined, false);
  return Promise.resolve(r as Awaited<R>);
}
