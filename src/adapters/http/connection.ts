import type { Socket } from 'node:net';
import type { Factory } from '../../core/factory.js';
import type { ClientLike, ConnectTarget, Connector, UndiciLike } from './types.js';

const noop = (): void => {};

/** What every connection of one origin shares. */
export interface OriginContext {
  readonly undici: UndiciLike;
  /** `https://host:port`, as undici writes an origin. */
  readonly origin: string;
  readonly target: ConnectTarget;
  /** Opens sockets for this origin (one per origin config, so TLS sessions are shared). */
  readonly connector: Connector;
  /** undici `Client` options (without `connect` and `pipelining`, which lido sets). */
  readonly clientOptions: Record<string, unknown>;
  /** The Client's `connect`, `disconnect` and `connectionError` events, for the pool to re-emit. */
  readonly emit: (event: string, client: ClientLike, error?: unknown) => void;
  /** `allowExitOnIdle`: a warm socket waiting for its first request does not keep the process alive. */
  readonly unrefWarm: boolean;
}

/** Where a connector connects for `origin` (undici strips an IPv6 host's brackets, so do we). */
export function targetOf(origin: URL, localAddress: string | null): ConnectTarget {
  const h = origin.hostname;
  const hostname = h.startsWith('[') ? h.slice(1, -1) : h;
  return { host: origin.host, hostname, protocol: origin.protocol, port: origin.port, servername: null, localAddress };
}

/** Opens one socket through `connector`; `signal` (create timeout, pool close) destroys it. */
function open(connector: Connector, target: ConnectTarget, signal: AbortSignal): Promise<Socket> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<Socket>((resolve, reject) => {
    let settled = false;
    let socket: Socket | null = null;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      socket?.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const returned = connector({ ...target }, (error, s) => {
      if (settled) {
        s?.destroy();
        return;
      }
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error !== null || s === null) reject(error ?? new Error('connector returned no socket'));
      else resolve(s);
    });
    if (returned !== null && typeof returned === 'object' && typeof (returned as Socket).destroy === 'function')
      socket = returned as Socket;
  });
}

/**
 * One pooled connection: an undici `Client` with `pipelining: 1`, so a lease is one
 * socket. The socket is opened before the `Client` exists (that is how `min` warms up:
 * undici's `Client` has no public connect) and handed to it through its `connect`
 * option on its first request; a reconnect goes through the origin's connector. The
 * connection is dead once its current socket closes (the server closed it, undici's
 * keep-alive timer did, or an error): the pool evicts it, idle or on release.
 */
export class Connection {
  readonly client: ClientLike;
  readonly #ctx: OriginContext;
  #socket: Socket;
  #warm: Socket | null;
  #dead: Error | null = null;
  #onDeath: ((reason: unknown) => void) | null = null;
  /** Requests dispatched on this connection. */
  requests = 0;

  constructor(ctx: OriginContext, socket: Socket) {
    this.#ctx = ctx;
    this.#socket = this.#warm = socket;
    socket.on('error', noop); // an idle socket's reset is seen as its 'close'
    // As undici does with its idle sockets; ref'd again when the Client takes it over.
    if (ctx.unrefWarm) socket.unref?.();
    this.#track(socket);
    const client = (this.client = new ctx.undici.Client(ctx.origin, {
      ...ctx.clientOptions,
      pipelining: 1,
      connect: (t: ConnectTarget, cb: Parameters<Connector>[1]) => this.#connect(t, cb),
    }));
    client.on('connect', () => ctx.emit('connect', client));
    client.on('disconnect', (_o: unknown, _t: unknown, error: unknown) => ctx.emit('disconnect', client, error));
    client.on('connectionError', (_o: unknown, _t: unknown, error: unknown) =>
      ctx.emit('connectionError', client, error),
    );
  }

  /** Why the connection died (its socket closed, or is closing: undici destroyed it), or null while it lives. */
  get dead(): Error | null {
    if (this.#dead === null && this.#socket.destroyed)
      this.#dead = new Error(`connection to ${this.#ctx.origin} closed`);
    return this.#dead;
  }

  /** Calls `evict` when the connection dies (at once if it already has); returns the unwatch. */
  watch(evict: (reason: unknown) => void): () => void {
    if (this.#dead !== null) {
      evict(this.#dead);
      return noop;
    }
    this.#onDeath = evict;
    return () => {
      this.#onDeath = null;
    };
  }

  /** Closes the socket now (in-flight requests fail); resolves when the Client is destroyed. */
  destroy(): Promise<void> {
    this.#warm?.destroy();
    this.#warm = null;
    return this.client.destroy();
  }

  #connect(target: ConnectTarget, cb: Parameters<Connector>[1]): void {
    const warm = this.#warm;
    this.#warm = null;
    if (warm !== null && !warm.destroyed) {
      warm.off('error', noop);
      warm.ref?.(); // undici unrefs it again when idle
      // Never synchronously: undici's Client ignores a resume asked for from inside its own connect call.
      queueMicrotask(() => cb(null, warm));
      return;
    }
    this.#ctx.connector(target, (error, socket) => {
      if (socket !== null && error === null) this.#track(socket);
      cb(error, socket);
    });
  }

  #track(socket: Socket): void {
    this.#socket = socket;
    this.#dead = null;
    socket.once('close', () => {
      // After undici's own 'close' listeners (attached later) have run: a Client destroyed
      // from inside this emit would wait for a 'close' that has already been emitted.
      queueMicrotask(() => {
        if (this.#socket === socket) this.#onDeath?.(this.dead);
      });
    });
  }
}

/** The core {@link Factory} of one origin's connections. */
export function connectionFactory(ctx: OriginContext): Factory<Connection> {
  return {
    create: async (signal) => new Connection(ctx, await open(ctx.connector, ctx.target, signal)),
    destroy: (c) => c.destroy(),
    watch: (c, evict) => c.watch(evict),
  };
}
