/**
 * The async-stack-trace check of node-postgres' test, for lido's entry points: a call made
 * by `innerFunction`, awaited by `outerFunction`, and a pattern for a stack that names both.
 */

import { freePort } from './free-port.js';

/**
 * Both awaiting functions, in order: as Node prints async frames (`at async innerFunction (…)`)
 * and as vitest's source-map formatter prints them (`at innerFunction (…)`).
 */
export const CALLER = /at (async )?innerFunction [\s\S]*at (async )?outerFunction /;

/** Runs `call` as `outerFunction` → `innerFunction` → `call()`; resolves with what it rejected with. */
export function chain(call: () => Promise<unknown>): Promise<Error> {
  async function innerFunction() {
    await call();
  }
  async function outerFunction() {
    await innerFunction();
  }
  return outerFunction().then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

/** A TCP port on 127.0.0.1 that nothing listens on right now: connecting to it is refused at once. */
export function refusedPort(): Promise<number> {
  return freePort();
}
