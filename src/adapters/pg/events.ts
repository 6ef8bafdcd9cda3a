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
  pool.on('create', (client) => {
    member.refusals.connected();
    clients.added(client, member.lifetimeMs, member.reaper);
  });
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
      if (isServerRefusal(cause)) member.refusals.refused(cause);
      // Given to its caller: no backoff before the next caller's attempt (as in pg.Pool).
      if (ticket !== undefined && failCheckouts(member, ticket, cause)) member.core.createFailureHandled();
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

/**
 * A connection attempt that started at `ticket` failed with `cause`: which checkouts fail
 * with it. Returns whether one did.
 *
 * The server being full (53300) is capacity, not failure: while the pool has connections
 * its checkouts keep waiting for them (the create backs off); with none and other attempts
 * still in flight, the refusal waits for those (ServerRefusals, refusals.ts); with none at
 * all, a checkout fails as in pg.Pool, and so does each deferred refusal's.
 */
function failCheckouts<C extends ClientLike>(member: Member<C>, ticket: number, cause: unknown): boolean {
  const live = member.pool.stats();
  if (isServerRefusal(cause)) {
    if (live.size > live.creating) return false;
    if (live.creating > 0) {
      member.refusals.defer({ ticket, cause });
      return false;
    }
  }
  let failed = false;
  // Nothing open and nothing starting (whatever ended the last attempt): the held refusals fail too.
  if (live.size === 0)
    for (const deferred of member.refusals.takeDeferred())
      failed = member.waiters.failOldest(deferred.ticket, deferred.cause, member.core) || failed;
  return member.waiters.failOldest(ticket, cause, member.core) || failed;
}
