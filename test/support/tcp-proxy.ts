/**
 * A TCP proxy for fault tests: listens on 127.0.0.1 (a free port), forwards each
 * connection to a target, and can be cut off or silenced on demand.
 *
 * ```ts
 * const proxy = await tcpProxy({ host: '127.0.0.1', port: 5432 });
 * const pool = new PgPool({ ...conn, port: proxy.port });
 * proxy.cut();        // refuse new connections (ECONNREFUSED) and destroy the open ones
 * proxy.blackhole();  // accept new connections but never answer; open ones go silent
 * proxy.restore();    // forward again (held and silenced sockets are destroyed)
 * await proxy.close();
 * ```
 *
 * `cut()` really stops listening (a connect gets ECONNREFUSED, as from a server that is
 * down) and `restore()` listens again on the same port.
 */
import net from 'node:net';

export type TcpProxyMode = 'forward' | 'cut' | 'blackhole';

export interface TcpProxy {
  readonly host: string;
  /** The port it listens on (kept across cut/restore). */
  readonly port: number;
  /** `forward`, `cut` or `blackhole`. */
  readonly mode: TcpProxyMode;
  /** Connections accepted since it was made (forwarded or held). */
  readonly accepted: number;
  /** Connections accepted and forwarded to the target since it was made. */
  readonly forwarded: number;
  /** Client connections open now (forwarded, held or silenced). */
  readonly open: number;
  /** Refuses new connections (stops listening) and destroys every open one. */
  cut(): void;
  /** Accepts new connections and holds them without forwarding; open ones stop passing bytes (nothing is closed). */
  blackhole(): void;
  /** Forwards again; sockets held or silenced meanwhile are destroyed. Resolves once it listens. */
  restore(): Promise<void>;
  /** Stops listening and destroys every connection. Idempotent. */
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | null;
}

/** Starts a proxy to `target` on 127.0.0.1, on a free port (or `port`). */
export async function tcpProxy(
  target: { host: string; port: number },
  options: { port?: number } = {},
): Promise<TcpProxy> {
  const host = '127.0.0.1';
  const pairs = new Set<Pair>();
  let mode: TcpProxyMode = 'forward';
  let accepted = 0;
  let forwarded = 0;
  let closed = false;
  let server: net.Server | null = null;
  let port = options.port ?? 0;

  const drop = (p: Pair): void => {
    pairs.delete(p);
    p.client.destroy();
    p.upstream?.destroy();
  };

  const onConnection = (client: net.Socket): void => {
    accepted++;
    const pair: Pair = { client, upstream: null };
    pairs.add(pair);
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    if (mode === 'blackhole') {
      client.on('data', () => {}); // read and discard: the peer sees a server that never answers
      return;
    }
    forwarded++;
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    client.pipe(upstream);
    upstream.pipe(client);
  };

  const listen = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(port, host, () => {
        s.removeListener('error', reject);
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stopListening = (): Promise<void> => {
    const s = server;
    server = null;
    if (s === null) return Promise.resolve();
    return new Promise<void>((resolve) => s.close(() => resolve()));
  };

  const dropAll = (): void => {
    for (const p of [...pairs]) drop(p);
  };

  await listen();

  return {
    host,
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get accepted() {
      return accepted;
    },
    get forwarded() {
      return forwarded;
    },
    get open() {
      return pairs.size;
    },
    cut() {
      if (closed) return;
      mode = 'cut';
      void stopListening();
      dropAll();
    },
    blackhole() {
      if (closed) return;
      mode = 'blackhole';
      for (const p of pairs) {
        if (p.upstream === null) continue;
        // Silence, not close: bytes stop both ways, both sockets stay open.
        p.client.unpipe(p.upstream);
        p.upstream.unpipe(p.client);
        for (const s of [p.client, p.upstream]) {
          s.on('data', () => {}); // read and discard, so a peer's close is still seen
          s.resume();
        }
      }
    },
    async restore() {
      if (closed) throw new Error('tcpProxy: restore() after close()');
      const was = mode;
      mode = 'forward';
      if (was === 'blackhole') dropAll();
      if (server === null) await listen();
    },
    async close() {
      if (closed) return;
      closed = true;
      mode = 'cut';
      const stopped = stopListening();
      dropAll();
      await stopped;
    },
  };
}
