import type { RedisClientLike, RedisCommandLike } from './types.js';

/** Commands that hold the connection until the server answers (or their timeout). */
const BLOCKING = new Set([
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'wait',
  'waitaof',
]);
/** Blocking only with a `BLOCK` argument. */
const BLOCKING_WITH_ARG = new Set(['xread', 'xreadgroup']);

/**
 * Commands after which a connection cannot be made clean again from the client side
 * (or only by desynchronising ioredis): the connection is destroyed on release.
 */
const TAINTING: Record<string, string> = {
  monitor: 'MONITOR',
  reset: "RESET (ioredis would no longer know the connection's state)",
  quit: 'QUIT',
  sync: 'SYNC',
  psync: 'PSYNC',
  replconf: 'REPLCONF',
  readonly: 'READONLY',
  readwrite: 'READWRITE',
};
const TAINTING_CLIENT = new Set(['reply', 'tracking', 'caching', 'no-evict', 'no-touch', 'setname']);

type SubKind = 'subscribe' | 'psubscribe' | 'ssubscribe';
const SUBSCRIBE: Record<string, SubKind> = {
  subscribe: 'subscribe',
  psubscribe: 'psubscribe',
  ssubscribe: 'ssubscribe',
};
const UNSUBSCRIBE: Record<string, SubKind> = {
  unsubscribe: 'subscribe',
  punsubscribe: 'psubscribe',
  sunsubscribe: 'ssubscribe',
};

function str(a: unknown): string {
  return Buffer.isBuffer(a) ? a.toString() : String(a);
}

/**
 * The adapter's own record of one pooled connection's session state, kept by observing
 * every command the connection sends (ioredis routes every command, pipelines and
 * transactions included, through `sendCommand`). Updated when a command is sent: Redis
 * runs a connection's commands in order, and {@link ConnectionState.drain} waits for
 * the replies before the state is read on release.
 */
export class ConnectionState {
  /** The db every borrower must find selected. */
  readonly db: number;
  /** Commands sent and not yet answered. */
  pending = 0;
  /** Blocking commands sent and not yet answered, by name (for the message). */
  blocking = 0;
  lastBlocking = '';
  /** MULTI sent without EXEC/DISCARD after it. */
  multi = false;
  /** WATCH sent without EXEC/DISCARD/UNWATCH after it. */
  watching = false;
  /** SELECT sent (maybe queued in a MULTI, maybe failed): the db is not known for sure. */
  selected = false;
  /** SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE sent since the last clean-up. */
  subscribed = false;
  readonly channels: Record<SubKind, Set<string>> = {
    subscribe: new Set(),
    psubscribe: new Set(),
    ssubscribe: new Set(),
  };
  /** Why the connection can only be destroyed, or null. */
  tainted: string | null = null;
  /** Listener functions the adapter itself installed (kept on release; the borrower's are removed). */
  readonly own = new WeakSet<Function>();
  #drainWaiters: (() => void)[] = [];
  #seen = new WeakSet<object>();

  constructor(db: number) {
    this.db = db;
  }

  /** True when release has work beyond the fast path (clean-up, or a decision to destroy). */
  get dirty(): boolean {
    return this.multi || this.watching || this.selected || this.subscribed || this.tainted !== null;
  }

  /** Forgets what was cleaned: called after a successful clean-up. */
  markClean(): void {
    this.multi = false;
    this.watching = false;
    this.selected = false;
    this.subscribed = false;
    for (const set of Object.values(this.channels)) set.clear();
  }

  /** Resolves once every command sent so far has been answered (or failed). */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Records one command; called by the wrapped `sendCommand`, once per command object. */
  observe(command: RedisCommandLike): void {
    if (this.#seen.has(command)) return; // ioredis re-sends the same object in some paths
    this.#seen.add(command);
    const name = command.name.toLowerCase();
    const args = command.args;
    let blocking = false;
    switch (name) {
      case 'select':
        this.selected = true;
        break;
      case 'multi':
        this.multi = true;
        break;
      case 'exec':
      case 'discard':
        // EXEC/DISCARD end a transaction and forget every WATCH; outside one they fail and change nothing.
        if (this.multi) this.watching = false;
        this.multi = false;
        break;
      case 'watch':
        this.watching = true;
        break;
      case 'unwatch':
        if (!this.multi) this.watching = false;
        break;
      case 'subscribe':
      case 'psubscribe':
      case 'ssubscribe':
        this.subscribed = true;
        for (const a of args) this.channels[SUBSCRIBE[name]].add(str(a));
        break;
      case 'unsubscribe':
      case 'punsubscribe':
      case 'sunsubscribe': {
        const set = this.channels[UNSUBSCRIBE[name]];
        if (args.length === 0) set.clear();
        else for (const a of args) set.delete(str(a));
        break;
      }
      case 'client': {
        const sub = args.length > 0 ? str(args[0]).toLowerCase() : '';
        if (TAINTING_CLIENT.has(sub)) this.tainted ??= `CLIENT ${sub.toUpperCase()}`;
        break;
      }
      case 'hello':
        // HELLO with arguments may switch protocol or user under ioredis' feet.
        if (args.length > 0) this.tainted ??= 'HELLO';
        break;
      case 'auth':
        this.tainted ??= 'AUTH (the connection may now be another user)';
        break;
      default:
        if (BLOCKING.has(name)) blocking = true;
        else if (BLOCKING_WITH_ARG.has(name)) blocking = args.some((a) => str(a).toLowerCase() === 'block');
        else if (name in TAINTING) this.tainted ??= TAINTING[name];
    }
    this.pending++;
    if (blocking) {
      this.blocking++;
      this.lastBlocking = name.toUpperCase();
    }
    const done = (): void => {
      this.pending--;
      if (blocking) this.blocking--;
      if (this.pending === 0 && this.#drainWaiters.length > 0) for (const w of this.#drainWaiters.splice(0)) w();
    };
    command.promise.then(done, done);
  }
}

const states = new WeakMap<object, ConnectionState>();

/** The state of a connection made by the adapter, or undefined for a foreign one. */
export function stateOf(redis: object): ConnectionState | undefined {
  return states.get(redis);
}

/**
 * Starts tracking a connected connection: wraps its `sendCommand` (an own property
 * shadowing ioredis' method) so that every command is observed before it is sent.
 */
export function track(redis: RedisClientLike, db: number): ConnectionState {
  const state = new ConnectionState(db);
  const target = redis as unknown as { sendCommand: (command: RedisCommandLike, ...rest: unknown[]) => unknown };
  const send = target.sendCommand;
  if (typeof send !== 'function')
    throw new TypeError('lido/redis: the connection has no sendCommand(); expected an ioredis Redis');
  target.sendCommand = function sendCommand(this: unknown, command: RedisCommandLike, ...rest: unknown[]): unknown {
    if (
      command !== null &&
      typeof command === 'object' &&
      typeof command.name === 'string' &&
      (command as { promise?: unknown }).promise !== undefined
    )
      state.observe(command);
    return send.call(this, command, ...rest);
  };
  states.set(redis, state);
  return state;
}
