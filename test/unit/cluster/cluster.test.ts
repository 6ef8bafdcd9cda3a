import { describe, expect, it } from 'vitest';
import { Pool, PoolClosedError, PoolCluster, PoolOptionsError, type PoolOptions } from '../../../src/index.js';
import { flush, ManualClock } from '../../support/manual-clock.js';
import { TestFactory, type Res } from '../../support/test-factory.js';

/** A primary and `n` replicas, each on its own TestFactory, on one manual clock. */
function setup(
  n: number,
  extra: Partial<ConstructorParameters<typeof PoolCluster<Res>>[0]> = {},
  member: Partial<PoolOptions<Res>> = {},
) {
  const clock = new ManualClock();
  const f = { primary: new TestFactory(), replicas: Array.from({ length: n }, () => new TestFactory()) };
  const cluster = new PoolCluster<Res>({
    name: 'db',
    clock,
    random: () => 1,
    primary: { factory: f.primary, ...member },
    replicas: f.replicas.map((factory) => ({ factory, ...member })),
    probe: { baseMs: 1_000, capMs: 8_000, timeoutMs: 100 },
    ...extra,
  });
  const where = (lease: { isFrom(p: object): boolean }): string =>
    lease.isFrom(cluster.primary) ? 'primary' : `replica-${cluster.replicas.findIndex((p) => lease.isFrom(p))}`;
  return { clock, f, cluster, where };
}

describe('PoolCluster: options', () => {
  const factory = new TestFactory();
  it.each([
    [
      { primary: { factory }, strategy: 'random' },
      /^strategy: expected "round-robin" or "least-borrowed", got "random"$/,
    ],
    [{ primary: { factory }, ejectAfter: 0 }, /^ejectAfter: expected a positive integer, got 0$/],
    [
      { primary: { factory }, probe: { baseMs: 500, capMs: 100 } },
      /^probe\.capMs: expected at least probe\.baseMs \(500\), got 100$/,
    ],
    [{ primary: { factory }, probe: { every: 1 } }, /^probe: unknown option "every"/],
    [{ primary: { factory }, fallbackToPrimary: 'yes' }, /^fallbackToPrimary: expected a boolean, got "yes"$/],
    [{ primary: { factory }, replicas: {} }, /^replicas: expected an array/],
    [
      { primary: { factory }, replicas: [{ factory }, { factory, max: 0 }] },
      /^replicas\[1\]\.max: expected a positive integer, got 0$/,
    ],
    [{ primary: 42 }, /^primary: expected a Pool or pool options, got 42$/],
    [{ primary: { factory }, replica: [] }, /^PoolCluster options: unknown option "replica"/],
  ])('rejects %o', (options, message) => {
    expect(() => new PoolCluster(options as never)).toThrow(PoolOptionsError);
    expect(() => new PoolCluster(options as never)).toThrow(message);
  });

  it('rejects the same pool twice', () => {
    const p = new Pool({ factory });
    expect(() => new PoolCluster({ primary: p, replicas: [p] })).toThrow(/^replicas: expected distinct pools/);
  });
});

describe('PoolCluster', () => {
  it('sends writes to the primary and spreads reads round-robin over replicas', async () => {
    const { cluster, where } = setup(3);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const lease = await cluster.acquire({ readOnly: true });
      seen.push(where(lease));
      lease.release();
    }
    expect(seen).toEqual(['replica-0', 'replica-1', 'replica-2', 'replica-0', 'replica-1', 'replica-2']);
    const w = await cluster.acquire();
    expect(where(w)).toBe('primary');
    w.release();
    expect(await cluster.use((r) => r.id, { readOnly: false })).toBe(1);
    expect(cluster.stats().replicas.map((r) => r.routed)).toEqual([2, 2, 2]);
    expect(cluster.stats().primary).toMatchObject({
      name: 'db:primary',
      role: 'primary',
      state: 'healthy',
      routed: 2,
      acquired: 2,
      size: 1,
      idle: 1,
    });
    await cluster.close();
  });

  it('least-borrowed picks the replica with the fewest leases out', async () => {
    const { cluster, where } = setup(3, { strategy: 'least-borrowed' });
    const a = await cluster.acquire({ readOnly: true });
    const b = await cluster.acquire({ readOnly: true });
    expect([where(a), where(b)]).toEqual(['replica-0', 'replica-1']);
    b.release();
    const c = await cluster.acquire({ readOnly: true });
    const d = await cluster.acquire({ readOnly: true });
    expect([where(c), where(d)]).toEqual(['replica-2', 'replica-1']); // replica-0 still holds a
    for (const l of [a, c, d]) l.release();
    await cluster.close();
  });

  it('ejects a replica after repeated create failures, routes around it, probes it back', async () => {
    const { clock, f, cluster, where } = setup(2, {}, { createRetry: { baseMs: 10, capMs: 10 } });
    const events: string[] = [];
    cluster.on('eject', (name) => events.push(`eject ${name}`));
    cluster.on('readmit', (name) => events.push(`readmit ${name}`));
    f.replicas[0].defaults.create = 'reject';
    const first = cluster.acquire({ readOnly: true, timeoutMs: 1_000 }); // replica-0: creates fail, retried every 10 ms
    const firstFailed = expect(first).rejects.toThrow(
      /acquire timed out after 1000 ms .*last create error: connect ECONNREFUSED/,
    );
    await clock.advance(25);
    expect(events).toEqual(['eject db:replica-0']);
    expect(cluster.stats()).toMatchObject({
      healthyReplicas: 1,
      replicas: [{ state: 'ejected', ejections: 1 }, { state: 'healthy' }],
    });
    expect(cluster.health()).toMatchObject({
      status: 'degraded',
      members: [{ role: 'primary', status: 'ok' }, { state: 'ejected', status: 'down' }, { status: 'ok' }],
    });
    for (let i = 0; i < 3; i++) {
      const l = await cluster.acquire({ readOnly: true });
      expect(where(l)).toBe('replica-1');
      l.release();
    }
    // Still down at the first probe (t = 1 s); the next probe waits twice as long.
    await clock.advance(1_100);
    expect(events).toEqual(['eject db:replica-0']);
    f.replicas[0].defaults.create = 'ok';
    await clock.advance(1_000);
    expect(events).toEqual(['eject db:replica-0']);
    await clock.advance(1_000);
    expect(events).toEqual(['eject db:replica-0', 'readmit db:replica-0']);
    expect(cluster.health().members[1]).toMatchObject({ state: 'healthy', status: 'degraded' }); // its timeout is recent
    const seen = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const l = await cluster.acquire({ readOnly: true });
      seen.add(where(l));
      l.release();
    }
    expect(seen).toEqual(new Set(['replica-0', 'replica-1']));
    await firstFailed;
    await cluster.close();
  });

  it('ejects a replica whose idle resources fail validation in a row', async () => {
    const clock = new ManualClock();
    const rf = new TestFactory({ validate: true });
    const replica = new Pool<Res>({ factory: rf, clock, min: 3, validateAfterIdleMs: 0 });
    const c = new PoolCluster<Res>({
      primary: { factory: new TestFactory(), clock },
      replicas: [replica],
      clock,
      random: () => 1,
    });
    await replica.ready();
    await clock.advance(1);
    rf.defaults.validate = () => false; // the server stopped answering on its connections…
    rf.defaults.create = 'never'; // …and new ones hang
    const p = c.acquire({ readOnly: true, timeoutMs: 100 });
    const failed = expect(p).rejects.toThrow(/acquire timed out/);
    await flush();
    expect(c.stats().replicas[0]).toMatchObject({ state: 'ejected', ejections: 1 });
    await clock.advance(100);
    await failed;
    const l = await c.acquire({ readOnly: true });
    expect(l.isFrom(c.primary)).toBe(true);
    l.release();
    await c.close({ timeoutMs: 10 });
  });

  it('does not eject a replica that is only busy', async () => {
    const { clock, cluster } = setup(1, {}, { max: 1 });
    const held = await cluster.acquire({ readOnly: true });
    for (let i = 0; i < 4; i++) {
      const p = cluster.acquire({ readOnly: true, timeoutMs: 10 });
      const failed = expect(p).rejects.toThrow(/acquire timed out/);
      await clock.advance(10);
      await failed;
    }
    expect(cluster.stats().replicas[0]).toMatchObject({ state: 'healthy', consecutiveFailures: 0 });
    held.release();
    await cluster.close();
  });

  it('with no healthy replica, reads go to the primary, or reject when fallbackToPrimary is false', async () => {
    for (const fallbackToPrimary of [true, false]) {
      const { clock, f, cluster, where } = setup(1, { fallbackToPrimary, ejectAfter: 1 }, { failFast: true });
      f.replicas[0].next('create', 'reject');
      await expect(cluster.acquire({ readOnly: true })).rejects.toThrow(/create failed/);
      await flush();
      expect(cluster.stats().healthyReplicas).toBe(0);
      if (fallbackToPrimary) {
        const l = await cluster.acquire({ readOnly: true });
        expect(where(l)).toBe('primary');
        l.release();
        expect(cluster.health().reasons).toContain('no healthy replica: read-only work goes to the primary');
      } else {
        await expect(cluster.use(() => 1, { readOnly: true })).rejects.toMatchObject({
          code: 'ERR_POOL_NO_REPLICA',
          message: 'no healthy replica in cluster "db" (all 1 ejected) and fallbackToPrimary is false',
        });
      }
      await clock.advance(0);
      await cluster.close();
    }
  });

  it('use() errors thrown by the callback do not count against the member', async () => {
    const { cluster } = setup(1, { ejectAfter: 1 });
    await expect(
      cluster.use(
        () => {
          throw new Error('bad query');
        },
        { readOnly: true },
      ),
    ).rejects.toThrow('bad query');
    expect(cluster.stats().replicas[0]).toMatchObject({ state: 'healthy', consecutiveFailures: 0 });
    await cluster.close();
  });

  it('a custom probe decides when an ejected replica comes back', async () => {
    let lagging = true;
    const { clock, f, cluster } = setup(
      1,
      {
        ejectAfter: 1,
        probe: {
          baseMs: 100,
          capMs: 100,
          check: async (pool) =>
            pool.use(() => {
              if (lagging) throw new Error('replica 30 s behind');
            }),
        },
      },
      { failFast: true },
    );
    f.replicas[0].next('create', 'reject');
    await expect(cluster.acquire({ readOnly: true })).rejects.toThrow();
    await clock.advance(300);
    expect(cluster.stats().replicas[0].state).toBe('ejected');
    lagging = false;
    await clock.advance(100);
    expect(cluster.stats().replicas[0].state).toBe('healthy');
    await cluster.close();
  });

  it('a replica that flaps keeps backing off', async () => {
    const { clock, f, cluster } = setup(
      1,
      { ejectAfter: 1, probe: { baseMs: 100, capMs: 1_000, timeoutMs: 50 } },
      { failFast: true },
    );
    const times: number[] = [];
    cluster.on('readmit', () => times.push(clock.now()));
    f.replicas[0].next('create', 'reject');
    await expect(cluster.acquire({ readOnly: true })).rejects.toThrow(/create failed/);
    await clock.advance(100);
    expect(times).toEqual([100]); // first probe, after baseMs
    // It fails again at once: ejected again, and the next probe waits twice as long.
    const l = await cluster.acquire({ readOnly: true });
    l.destroy(new Error('broken'));
    f.replicas[0].next('create', 'reject');
    await expect(cluster.acquire({ readOnly: true })).rejects.toThrow(/create failed/);
    await clock.advance(150);
    expect(times).toEqual([100]);
    await clock.advance(50);
    expect(times).toEqual([100, 300]);
    expect(cluster.stats().replicas[0]).toMatchObject({ state: 'healthy', ejections: 2 });
    await cluster.close();
  });

  it('validates acquire options and closes everything once', async () => {
    const { clock, f, cluster } = setup(2, { strategy: 'least-borrowed' });
    await expect(cluster.acquire({ readOnly: 'yes' } as never)).rejects.toThrow(
      /^readOnly: expected a boolean, got "yes"$/,
    );
    await expect(cluster.acquire({ readOnly: true, timeout: 5 } as never)).rejects.toThrow(/unknown option "timeout"/);
    const l = await cluster.acquire({ readOnly: true });
    const closing = cluster.close({ timeoutMs: 50 });
    expect(cluster.close()).toBe(closing);
    await expect(cluster.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    l.release();
    expect(await closing).toEqual({ forced: 0, unsettledDestroys: 0 });
    expect(cluster.primary.closed && cluster.replicas.every((p) => p.closed)).toBe(true);
    expect(cluster.health().status).toBe('down');
    expect(clock.pending).toBe(0);
    for (const tf of [f.primary, ...f.replicas]) expect(tf.allDestroyedOnce()).toBe(true);
  });
});
