import { APPEND, type CallerFrames } from './util/caller-frames.js';

/**
 * @internal Calls `fn(resource)` and gives the resource back once what it returns settles,
 * however it settles: `giveBack(broken, error)`, where `broken` is what `isBroken(error)`
 * says after a throw or rejection (false after a success, and when there is no
 * `isBroken`). Resolves or rejects as `fn` did; a rejection gets its caller's async frames
 * added (`frames`, the pool's budget).
 */
export function runWith<T, R>(
  fn: (resource: T) => R | PromiseLike<R>,
  resource: T,
  isBroken: ((error: unknown, resource: T) => boolean) | null,
  giveBack: (broken: boolean, error: unknown) => unknown,
  frames: CallerFrames,
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
    const failed = (e: unknown): never => {
      done(e, true);
      // An error raised from an I/O callback (a driver's) names nobody: the caller's frames are added.
      frames.add(e, failed, APPEND);
      throw e;
    };
    return Promise.resolve(r).then((v) => (done(undefined, false), v), failed) as Promise<Awaited<R>>;
  }
  done(undefined, false);
  return Promise.resolve(r as Awaited<R>);
}
