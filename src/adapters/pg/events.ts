import type { EventEmitter } from 'node:events';
import type { PoolCluster } from '../../cluster/cluster.js';
import type { Clients } from './clients.js';
import type { Member } from './members.js';
import type { PgPoolEvents } from './pool-types.js';
import type { Secrets } from '../../core/util/redact.js';
import { isServerRefusal } from './refusals.js';
import type { ClientLike } from './types.js';

/** pg-pool's log lines for the core's reasons to remove a client. */
const REMOVE_LINES: Record<string, string> = {
  'max uses reached': 'remove expended client',
  'max lifetime reached': 'remove expired client',
  'idle timeout': 'remove idle client',
};

/** Turns one member pool's core events into PgPool's: clients followed, pg-pool's log lines, lido's `timeout` and `leak`. */
export function wireMember<C extends ClientLike>(
  member: Member<C>,
  events: EventEmitter<PgPoolEvents<C>>,
  clients: Clients<C>,
  log: (...messages: unknown[]) => void,
): void {
  const pool = member.pool;
  pool.on('create', (client) => clients.added(client, member.lifetimeMs, member.reaper));
  pool.on('destroy', (client, reason) => {
    clients.removed(client);
    const line = typeof reason === 'string' ? REMOVE_LINES[reason] : undefined;
    if (line !== undefined) log(line);
    else log('remove client', typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : reason);
  });
  pool.on('error', (err, client) => {
    if (err.phase === 'create') {
      // A connection attempt failed: like pg.Pool, a pending connect() gets the driver's error.
      // (lido's own create timeout is no attempt's error: every waiter has its own deadline.)
      const cause = err.cause;
      const ticket = cause !== null && typeof cause === 'object' ? member.failedAttempts.get(cause) : undefined;
      // The server is full (53300): capacity, not failure. While this pool has connections
      // its waiters keep waiting for them (the create backs off); with none, a connect()
      // fails as in pg.Pool.
      const refused = isServerRefusal(cause);
      if (refused) member.refusals.refused(cause);
      const live = refused ? pool.stats() : null;
      // Given to its caller: no backoff before the next caller's attempt (as in pg.Pool).
      if (
        ticket !== undefined &&
        (live === null || live.size - live.creating === 0) &&
        member.waiters.failOldest(ticket, cause, member.core)
      )
        member.core.createFailureHandled();
    }
    log(`${err.phase ?? 'pool'} error`, err, client);
  });
  pool.on('timeout', (err) => {
    if (events.listenerCount('timeout') > 0) events.emit('timeout', err);
  });
  pool.on('leak', (report) => {
    if (events.listenerCount('leak') > 0) events.emit('leak', report);
  });
}

/** Forwards the cluster's `eject` (error redacted) and `readmit`, and logs them. */
export function wireCluster<C extends ClientLike>(
  cluster: PoolCluster<C>,
  events: EventEmitter<PgPoolEvents<C>>,
  secrets: Secrets,
  log: (...messages: unknown[]) => void,
): void {
  cluster.on('eject', (replica, error) => {
    secrets.error(error);
    log('replica ejected', replica, error);
    events.emit('eject', replica, error);
  });
  cluster.on('readmit', (replica) => {
    log('replica readmitted', replica);
    events.emit('readmit', replica);
  });
}
