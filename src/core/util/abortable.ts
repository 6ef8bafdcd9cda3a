/**
 * Runs a factory hook and resolves or rejects with its result, or rejects with
 * `signal.reason` as soon as the signal aborts (timeout, close), whichever comes first. A hook that throws
 * synchronously rejects like one that rejects. A value that arrives after the abort is
 * handed to `late` so it can be cleaned up: nothing a factory makes is ever lost.
 */
export function abortable<R>(
  hook: () => R | PromiseLike<R>,
  signal: AbortSignal,
  late: (value: R) => void,
): Promise<R> {
  let result: R | PromiseLike<R>;
  try {
    result = hook();
  } catch (e) {
    return Promise.reject(e);
  }
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<R>).then !== 'function') {
    return Promise.resolve(result as R);
  }
  return new Promise<R>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(result).then(
      (value) => {
        if (done) return late(value);
        done = true;
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
