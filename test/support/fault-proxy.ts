/**
 * A TCP proxy on 127.0.0.1 (a free port) in front of a test service, that can fail the
 * way networks and servers fail. Unlike `tcp-proxy.ts` (cut / blackhole / restore, used
 * by the pg tests) it also resets connections and pauses traffic without losing it.
 *
 * ```ts
 * const proxy = await faultProxy(service.port);
 * proxy.refuse();     // stop listening: connects get ECONNREFUSED (open connections stay)
 * proxy.blackhole();  // accept, and never answer; bytes of open connections are dropped
 * proxy.reset();      // RST every open connection (ECONNRESET on both sides)
 * proxy.pause();      // hold bytes both ways (new connections too) until resume()
 * proxy.resume();     // deliver what was held, forward again
 * await proxy.forward();  // normal service again (listening, forwarding)
 * ```
 */
import net from 'node:net';

export type FaultMode = 'forward' | 'blackhole' | 'paused';

export interface FaultProxy {
  readonly port: number;
  readonly mode: FaultMode;
  /** Listening for connections (false after `refuse()`). */
  readonly listening: boolean;
  /** Client connections open now. */
  readonly open: number;
  /** Client connections accepted since start. */
  readonly accepted: number;
  refuse(): Promise<void>;
  blackhole(): void;
  reset(): void;
  pause(): void;
  resume(): void;
  /** Listens (if refused) and forwards again; bytes held by a pause are delivered, a blackhole's are gone. */
  forward(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes held while paused, per direction. */
  toUpstream: Buffer[];
  toClient: Buffer[];
}

export async function faultProxy(targetPort: number): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let mode: FaultMode = 'forward';
  let accepted = 0;
  let server: net.Server | null = null;
  let port = 0;

  const drop = (p: Pair): void => {
    if (!pairs.delete(p)) return;
    p.client.destroy();
    p.upstream.destroy();
  };
  const send = (p: Pair, toClient: boolean, chunk: Buffer): void => {
    if (mode === 'blackhole') return;
    if (mode === 'paused') (toClient ? p.toClient : p.toUpstream).push(chunk);
    else (toClient ? p.client : p.upstream).write(chunk);
  };
  const flush = (p: Pair): void => {
    for (const c of p.toUpstream.splice(0)) p.upstream.write(c);
    for (const c of p.toClient.splice(0)) p.client.write(c);
  };

  const onConnection = (client: net.Socket): void => {
    accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const p: Pair = { client, upstream, toUpstream: [], toClient: [] };
    pairs.add(p);
    for (const s of [client, upstream]) {
      s.on('error', () => drop(p));
      s.on('close', () => drop(p));
    }
    client.on('data', (c: Buffer) => send(p, false, c));
    upstream.on('data', (c: Buffer) => send(p, true, c));
  };

  const listen = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  await listen();

  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get listening() {
      return server !== null;
    },
    get open() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    refuse() {
      const s = server;
      server = null;
      // close() stops listening at once; its callback would wait for the open connections.
      s?.close();
      return new Promise<void>((resolve) => setImmediate(resolve));
    },
    blackhole() {
      mode = 'blackhole';
      for (const p of pairs) p.toClient.length = p.toUpstream.length = 0;
    },
    reset() {
      for (const p of [...pairs]) {
        pairs.delete(p);
        p.client.resetAndDestroy();
        p.upstream.resetAndDestroy();
      }
    },
    pause() {
      mode = 'paused';
    },
    resume() {
      mode = 'forward';
      for (const p of pairs) flush(p);
    },
    async forward() {
      mode = 'forward';
      for (const p of pairs) flush(p);
      if (server === null) await listen();
    },
    async close() {
      const s = server;
      server = null;
      for (const p of [...pairs]) drop(p);
      if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
