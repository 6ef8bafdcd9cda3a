/**
 * What a test needs beyond the shared services (a throwaway server, a binary): when it
 * cannot be had, the test FAILS in CI and is skipped with the reason elsewhere. It never
 * returns early and passes having done nothing. See docs/testing.md.
 *
 * ```ts
 * it('survives a restart', async (ctx) => {
 *   await using redis = await needs(ctx, 'a throwaway redis-server', () => startThrowawayRedis());
 *   …
 * });
 * ```
 */
import type { TestContext } from 'vitest';
import { isCI } from './services.js';

/** The message of a capability missing in CI. */
export function capabilityError(what: string, reason: string): string {
  return `${what} unavailable: ${reason} (in CI a missing capability is a failure, never a skip; see docs/testing.md)`;
}

/** Runs `get` (e.g. starts a throwaway server); if it throws, fails the test in CI and
 * skips it (with the reason) elsewhere. */
export async function needs<T>(ctx: TestContext, what: string, get: () => Promise<T>): Promise<T> {
  try {
    return await get();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (isCI()) throw new Error(capabilityError(what, reason), { cause: error });
    process.stderr.write(`\n!!! ${what} unavailable: ${reason}: test SKIPPED (set CI=1 to make this a failure)\n\n`);
    return ctx.skip(`${what} unavailable: ${reason}`);
  }
}
