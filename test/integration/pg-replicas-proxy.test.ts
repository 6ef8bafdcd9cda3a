/**
 * The test TCP proxy the replica tests use (test/support/tcp-proxy.ts), against a local
 * echo server: forwarding, cut (refused, open connections dropped), blackhole (accepted,
 * silent), restore on the same port, counts, close. Needs no external service.
 */
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/** Connects; resolves with the socket, or rejects with the connect error. */
function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `text` and resolves with what comes back within `ms` ('' when nothing does). */
function roundTrip(s: net.Socket, text: string, ms = 300): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got.length >= text.length) finish();
    };
    const finish = (): void => {
      clearTimeout(timer);
      s.removeListener('data', onData);
      resolve(got);
    };
    const timer = setTimeout(finish, ms);
    s.on('data', onData);
    s.write(text);
  });
}

const closed = (s: net.Socket): Promise<void> =>
  s.destroyed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));

describe('test/support/tcp-proxy', () => {
  let echo: net.Server;
  let proxy: TcpProxy;
  const sockets: net.Socket[] = [];
  beforeEach(async () => {
    echo = net.createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    proxy = await tcpProxy({ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await proxy.close();
    await new Promise((r) => echo.close(r));
  });
  const open = async () => {
    const s = await dial(proxy.port);
    s.on('error', () => {});
    sockets.push(s);
    return s;
  };

  it('forwards, and counts connections', async () => {
    expect(proxy.host).toBe('127.0.0.1');
    const a = await open();
    expect(await roundTrip(a, 'hello')).toBe('hello');
    const b = await open();
    expect(await roundTrip(b, 'again')).toBe('again');
    expect([proxy.mode, proxy.accepted, proxy.forwarded, proxy.open]).toEqual(['forward', 2, 2, 2]);
    a.destroy();
    await closed(a);
    for (let i = 0; i < 50 && proxy.open !== 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(proxy.open).toBe(1);
  });

  it('cut() refuses new connections and drops open ones; restore() listens again on the same port', async () => {
    const a = await open();
    const port = proxy.port;
    proxy.cut();
    await closed(a);
    await expect(dial(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(proxy.mode).toBe('cut');
    await proxy.restore();
    expect(proxy.port).toBe(port);
    expect(await roundTrip(await open(), 'back')).toBe('back');
  });

  it('blackhole() accepts new connections without answering and silences open ones; restore() drops them and forwards again', async () => {
    const a = await open();
    expect(await roundTrip(a, 'before')).toBe('before');
    proxy.blackhole();
    expect(await roundTrip(a, 'silenced', 200)).toBe('');
    expect(a.destroyed).toBe(false);
    const b = await open(); // accepted
    expect(await roundTrip(b, 'anyone?', 200)).toBe('');
    expect([proxy.accepted, proxy.forwarded]).toEqual([2, 1]);
    await proxy.restore();
    await Promise.all([closed(a), closed(b)]);
    expect(await roundTrip(await open(), 'after')).toBe('after');
  });

  it('close() drops everything and is idempotent', async () => {
    const a = await open();
    const port = proxy.port;
    await proxy.close();
    await closed(a);
    await proxy.close();
    await expect(dial(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(proxy.restore()).rejects.toThrow(/after close/);
  });
});
