import type { Secrets } from '../../core/util/redact.js';
import type { ConnectionState } from './tracker.js';
import type { RedisClientLike } from './types.js';

/** The connection cannot be made clean: the pool destroys it instead of reusing it. */
export class DirtyConnectionError extends Error {
  constructor(why: string) {
    super(`Redis connection ${why}: destroyed instead of reused`);
    this.name = 'DirtyConnectionError';
  }
}

function isOwn(state: ConnectionState, listener: Function): boolean {
  return state.own.has(listener) || state.own.has((listener as { listener?: Function }).listener ?? listener);
}

/** True if the borrower left event listeners on the connection. */
export function foreignListeners(conn: RedisClientLike, state: ConnectionState): boolean {
  for (const name of conn.eventNames()) {
    for (const l of conn.rawListeners(name)) if (!isOwn(state, l)) return true;
  }
  return false;
}

/** Removes the borrower's listeners (`message`, `pmessage`, `error`, …); keeps the adapter's. */
function removeForeignListeners(conn: RedisClientLike, state: ConnectionState): void {
  for (const name of conn.eventNames()) {
    for (const l of conn.rawListeners(name))
      if (!isOwn(state, l)) conn.removeListener(name, l as (...a: unknown[]) => void);
  }
}

type SubKind = 'subscribe' | 'psubscribe' | 'ssubscribe';
const UNSUB: [SubKind, string][] = [
  ['subscribe', 'unsubscribe'],
  ['psubscribe', 'punsubscribe'],
  ['ssubscribe', 'sunsubscribe'],
];

/** Channels (per kind) the connection may still be subscribed to: ours and ioredis' view. */
function subscriptions(conn: RedisClientLike, state: ConnectionState): [string, string[]][] {
  const sub = conn.condition?.subscriber;
  const out: [string, string[]][] = [];
  for (const [kind, command] of UNSUB) {
    const names = new Set(state.channels[kind]);
    if (sub) for (const c of sub.channels(kind)) names.add(c);
    if (names.size > 0) out.push([command, [...names]]);
  }
  return out;
}

/** CLIENT INFO fields, or null when the server will not say (Redis < 6.2, ACL). */
function parseClientInfo(reply: unknown): Map<string, string> | null {
  if (reply === null || reply === undefined) return null;
  const out = new Map<string, string>();
  for (const field of String(reply).trim().split(' ')) {
    const eq = field.indexOf('=');
    if (eq > 0) out.set(field.slice(0, eq), field.slice(eq + 1));
  }
  return out.size > 0 ? out : null;
}

/** What CLIENT INFO says is still not clean, or null. */
function leftover(info: Map<string, string>, db: number): string | null {
  if (info.has('db') && info.get('db') !== String(db)) return `is on db ${info.get('db')} (expected ${db})`;
  for (const k of ['sub', 'psub', 'ssub'])
    if ((info.get(k) ?? '0') !== '0') return `is still subscribed (${k}=${info.get(k)})`;
  if ((info.get('multi') ?? '-1') !== '-1') return 'is still in MULTI';
  if ((info.get('watch') ?? '0') !== '0') return 'still WATCHes keys';
  const flags = info.get('flags') ?? '';
  if (flags.includes('O')) return 'is in MONITOR mode';
  if (flags.includes('x')) return 'is still in MULTI';
  if (flags.includes('P')) return 'is still subscribed';
  return null;
}

/**
 * Brings a released connection back to the state every borrower expects (no
 * subscription, no transaction, no watched key, the configured db), or throws a
 * {@link DirtyConnectionError} so that the pool destroys it. Never relies on RESET:
 * that command would leave ioredis' own view (subscriber mode, selected db) wrong.
 *
 * Order matters: commands still in flight are awaited first (a blocking one means the
 * connection is destroyed), then subscriptions are dropped (under RESP2 nothing else
 * may be sent before), then DISCARD / UNWATCH / SELECT and a CLIENT INFO that checks
 * the result go out together: one round trip.
 */
export async function clean(conn: RedisClientLike, state: ConnectionState, secrets: Secrets): Promise<void> {
  if (state.tainted !== null) throw new DirtyConnectionError(`ran ${state.tainted}`);
  if (state.blocking > 0) throw new DirtyConnectionError(`was released while ${state.lastBlocking} was still waiting`);
  if (state.pending > 0) {
    // Replies still due (a command the borrower did not await): wait for them, bounded
    // by the pool's resetTimeoutMs, then look at the state they left.
    await state.drain();
    if (state.tainted !== null) throw new DirtyConnectionError(`ran ${state.tainted}`);
  }
  if (conn.status !== 'ready') throw new DirtyConnectionError(`is ${conn.status}`);
  removeForeignListeners(conn, state);
  if (!state.dirty) return;

  const subs = state.subscribed || conn.condition?.subscriber ? subscriptions(conn, state) : [];
  if (subs.length > 0) await Promise.all(subs.map(([command, names]) => conn.call(command, ...names)));
  if (conn.condition?.subscriber) throw new DirtyConnectionError('is still subscribed after unsubscribing');

  // Read the flags first: the clean-up commands below pass through the bookkeeping too.
  const { multi, watching } = state;
  const selected = conn.condition?.select;
  const reselect = state.selected || (typeof selected === 'number' && selected !== state.db);
  const steps: Promise<unknown>[] = [];
  if (multi) {
    steps.push(
      conn.call('discard').catch((e: unknown) => {
        if (!/without MULTI/i.test(e instanceof Error ? e.message : String(e))) throw e;
      }),
    );
  }
  if (watching) steps.push(conn.call('unwatch')); // DISCARD forgets watches too, unless it failed
  if (reselect) steps.push(conn.call('select', state.db));
  const info = conn.call('client', 'info').then(parseClientInfo, () => null);
  try {
    await Promise.all(steps);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new DirtyConnectionError(`could not be cleaned (${secrets.text(msg)})`);
  }
  const fields = await info;
  const still = fields === null ? null : leftover(fields, state.db);
  if (still !== null) throw new DirtyConnectionError(still);
  state.markClean();
}
