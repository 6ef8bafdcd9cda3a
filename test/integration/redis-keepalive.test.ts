/**
 * TCP keepalive on pooled Redis connections, read back from the kernel: Linux lists each
 * TCP socket in /proc/net/tcp{,6} with its pending timer, `02` being the keepalive timer
 * (with the time left until the first probe), `00` none. Node has no getter for
 * SO_KEEPALIVE, so the kernel's own table is the proof that ioredis got the option.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { RedisPool, type RedisPoolOptions } from '../../src/adapters/redis/index.js';
import { describeWithRedis, type RedisConfig } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The socket's pending timer in the kernel's table: `{ timer: '02', seconds: 29.9 }`, or null if not listed. */
function kernelTimer(socket: Socket): { timer: string; seconds: number } | null {
  const local = socket.localPort!.toString(16).toUpperCase().padStart(4, '0');
  const remote = socket.remotePort!.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 6 || !cols[1]!.endsWith(`:${local}`) || !cols[2]!.endsWith(`:${remote}`)) continue;
      const [timer, ticks] = cols[5]!.split(':') as [string, string];
      return { timer, seconds: Number.parseInt(ticks, 16) / 100 }; // USER_HZ: 100 ticks a second
    }
  }
  return null;
}

/** The timer once no retransmission is pending (a reply's ACK may still be in flight for a moment). */
async function settledTimer(socket: Socket): Promise<{ timer: string; seconds: number }> {
  for (let i = 0; i < 100; i++) {
    const t = kernelTimer(socket);
    if (t === null) throw new Error(`socket ${socket.localPort} -> ${socket.remotePort} not in /proc/net/tcp`);
    if (t.timer !== '01') return t;
    await sleep(20);
  }
  throw new Error('a retransmission timer stayed pending for 2 s');
}

describeWithRedis('lido/redis: TCP keepalive on pooled connections', (cfg: RedisConfig) => {
  const pools: RedisPool<Redis>[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2_000 })));
  });

  async function socketOf(options: Partial<RedisPoolOptions<Redis>>): Promise<Socket> {
    const pool = new RedisPool<Redis>({ Redis, acquireTimeoutMs: 5_000, ...options });
    pools.push(pool);
    return pool.use(async (redis) => {
      expect(await redis.ping()).toBe('PONG');
      return (redis as unknown as { stream: Socket }).stream;
    });
  }

  const where = (extra: object = {}) => ({ host: cfg.host, port: cfg.port, ...extra });
  const password = (): object => {
    const p = new URL(cfg.url).password;
    return p === '' ? {} : { password: decodeURIComponent(p) };
  };

  it('is on by default: the first probe after 30 s idle (from a URL and from options)', async () => {
    for (const redis of [cfg.url, where(password())]) {
      const t = await settledTimer(await socketOf({ redis }));
      expect(t.timer).toBe('02');
      expect(t.seconds).toBeGreaterThan(20);
      expect(t.seconds).toBeLessThanOrEqual(30);
    }
  });

  it('keepAlive sets the idle time before the first probe (redis-py socket_keepalive)', async () => {
    const t = await settledTimer(await socketOf({ redis: where({ ...password(), keepAlive: 5_000 }) }));
    expect(t.timer).toBe('02');
    expect(t.seconds).toBeGreaterThan(0);
    expect(t.seconds).toBeLessThanOrEqual(5);
  });

  it('keepAlive: false turns it off', async () => {
    const t = await settledTimer(await socketOf({ redis: where({ ...password(), keepAlive: false }) }));
    expect(t.timer).toBe('00');
  });
});
