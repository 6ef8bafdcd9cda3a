import type { EventEmitter } from 'node:events';
import { defaults } from '../../core/options.js';
import { CallerFrames } from '../../core/util/caller-frames.js';
import { systemClock } from '../../core/util/clock.js';
import { Checkouts } from './checkout.js';
import { Clients } from './clients.js';
import { endedError, translateError } from './errors.js';
import { wireCluster, wireMember } from './events.js';
import { buildMembers, type Members } from './members.js';
import type { PgPoolOptions } from './options.js';
import type { PgPoolEvents } from './pool-types.js';
import { Queries } from './query.js';
import type { Secrets } from '../../core/util/redact.js';
import { RoutedCheckouts } from './routed.js';
import type { ClientConstructor, ClientLike } from './types.js';

/** The parts a PgPool is made of. */
export interface PgPoolParts<C extends ClientLike> {
  readonly members: Members<C>;
  readonly clients: Clients<C>;
  readonly checkouts: Checkouts<C>;
  readonly queries: Queries<C>;
  /** Core errors in pg.Pool's words. */
  readonly translate: (e: unknown) => unknown;
}

/** What the parts need from the PgPool they make up. */
export interface PgPoolHost<C extends ClientLike> {
  readonly events: EventEmitter<PgPoolEvents<C>>;
  readonly secrets: Secrets;
  readonly log: (...messages: unknown[]) => void;
  /** True once `end()` was called. */
  readonly ending: () => boolean;
}

/**
 * Builds a PgPool's parts from its options (pg-pool style, defaults filled in): the core
 * pools (and the cluster with replicas), the clients' records, checkouts and queries,
 * with every core event wired to PgPool's. One sequence numbers checkouts and
 * connection attempts alike, so a failed attempt finds the checkouts older than it.
 */
export function buildParts<C extends ClientLike>(
  options: PgPoolOptions<C>,
  Client: ClientConstructor<C> | undefined,
  host: PgPoolHost<C>,
): PgPoolParts<C> {
  const { events, secrets, log } = host;
  const clock = options.clock ?? systemClock;
  const clients = new Clients<C>({ events, clock, unrefIdle: options.allowExitOnIdle === true, log });
  let tickets = 0;
  const ticket = (): number => ++tickets;
  let routed: RoutedCheckouts<C> | null = null;
  const members = buildMembers(options, Client, {
    clients,
    secrets,
    hooks: {
      clientError: (err, client) => clients.clientError(err, client),
      watched: (client, evict) => clients.watched(client, evict),
      removed: (client) => {
        if (clients.has(client)) events.emit('remove', client);
      },
      log,
    },
    ticket,
    reached: (pool) => routed?.reached(pool),
  });
  const name = members.primary.pool.name;
  const translate = (e: unknown): unknown => translateError(e, name, secrets);
  // The caller's async frames on the errors PgPool rejects its callers with (see caller-frames.ts).
  const frames = new CallerFrames(() => clock.now());
  if (members.cluster !== null) {
    routed = new RoutedCheckouts<C>({
      cluster: members.cluster,
      members: members.byPool,
      clients,
      clock,
      acquireTimeoutMs: members.core.acquireTimeoutMs ?? defaults.acquireTimeoutMs,
      maxRetries: members.replicas.length * members.settings.ejectAfter,
      ticket,
      ending: host.ending,
      translate,
      frames,
    });
    wireCluster(members.cluster, events, secrets, log);
  }
  const checkouts = new Checkouts<C>({ primary: members.primary, clients, routed, ticket, translate, frames });
  const queries = new Queries<C>({
    checkouts,
    clients,
    secrets,
    log,
    translate,
    frames,
    ended: () => (host.ending() ? endedError(name) : null),
  });
  for (const m of members.byPool.values()) wireMember(m, events, clients, log);
  return { members, clients, checkouts, queries, translate };
}
