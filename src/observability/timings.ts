import {
  acquireChannel,
  createChannel,
  releaseChannel,
  type AcquireContext,
  type CreateMessage,
  type PoolRef,
  type ReleaseMessage,
} from '../stats/diagnostics.js';

/** Which latency a timing measures: `create` (create_time), `wait` (wait_time) or `use` (use_time). */
export type TimingKind = 'create' | 'wait' | 'use';

/**
 * @internal Calls `record(pool, kind, ms)` for every create, successful acquire and
 * release any pool publishes on the diagnostics channels (`lido:pool:create`,
 * `lido:pool:acquire` asyncEnd, `lido:pool:release`). Returns the unsubscribe function.
 *
 * Listening to the acquire tracing channel routes every acquire through the traced
 * path: a context object and one extra promise per acquire, only while subscribed.
 */
export function subscribeTimings(record: (pool: PoolRef, kind: TimingKind, ms: number) => void): () => void {
  const onCreate = (m: unknown): void => {
    const c = m as CreateMessage;
    record(c.pool, 'create', c.durationMs);
  };
  const onRelease = (m: unknown): void => {
    const r = m as ReleaseMessage;
    record(r.pool, 'use', r.heldMs);
  };
  const onAcquired = (m: unknown): void => {
    const c = m as AcquireContext;
    if (c.error === undefined && c.waitMs !== undefined) record(c.pool, 'wait', c.waitMs);
  };
  createChannel.subscribe(onCreate);
  releaseChannel.subscribe(onRelease);
  acquireChannel.asyncEnd.subscribe(onAcquired);
  return () => {
    createChannel.unsubscribe(onCreate);
    releaseChannel.unsubscribe(onRelease);
    acquireChannel.asyncEnd.unsubscribe(onAcquired);
  };
}
