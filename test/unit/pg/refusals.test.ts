/**
 * PgPool when the server is full (53300 too_many_connections): a refusal is capacity, not
 * failure. The server often answers a refusal before an admitted connection has finished
 * its start-up; a checkout refused then waits for that connection instead of failing.
 */
import { describe, expect, it } from 'vitest';
import { PgPool } from '../../../src/adapters/pg/index.js';
import { fakePg, settle } from './fake-client.js';

const refusal = (): Error =>
  Object.assign(new Error('too many connections for role "app"'), { code: '53300', severity: 'FATAL' });

/**
 * A server that admits `admit` connections and refuses the rest at once; an admitted
 * connection completes its start-up only when the test calls `admitNow()`.
 */
function fullServer(admit: number) {
  const { Client: Base, server } = fakePg();
  const gates: { open: () => void; fail: (e: Error) => void }[] = [];
  let attempts = 0;
  class Client extends Base {
    override connect(cb: (err?: Error | null) => void): void {
      if (attempts++ >= admit) {
        setImmediate(() => cb(refusal()));
        return;
      }
      gates.push({ open: () => super.connect(cb), fail: (e) => setImmediate(() => cb(e)) });
    }
  }
  return {
    Client,
    server,
    attempts: () => attempts,
    admitNow: () => {
      for (const gate of gates.splice(0)) gate.open();
    },
    /** The admitted connections fail during start-up after all (by default: the server filled up meanwhile). */
    failAdmitted: (error: () => Error = refusal) => {
      for (const gate of gates.splice(0)) gate.fail(error());
    },
  };
}

describe('PgPool when the server refuses connections (53300)', () => {
  it('a refusal answered before an admitted connection is up: the checkout waits for that connection', async () => {
    const db = fullServer(2);
    const pool = new PgPool({ max: 5 }, db.Client);
    const outcomes = Array.from({ length: 8 }, (_, i) =>
      pool.query(`SELECT ${i}`).then(
        (r) => r.rows[0].sql as string,
        (e: Error) => e,
      ),
    );
    await settle();
    // Three attempts were refused while the two admitted ones were still starting up.
    expect(db.attempts()).toBe(5);
    expect(pool.stats().serverRefusals).toBe(3);
    db.admitNow();
    expect(await Promise.all(outcomes)).toEqual(Array.from({ length: 8 }, (_, i) => `SELECT ${i}`));
    expect(pool.stats().created).toBe(2);
    await pool.end();
  });

  it('with no connection made and none in flight, every refused checkout fails with the refusal, as in pg.Pool', async () => {
    const db = fullServer(0);
    const pool = new PgPool({ max: 5 }, db.Client);
    pool.on('error', () => {});
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () =>
        pool.connect().then(
          (client) => {
            client.release();
            return null;
          },
          (e: { code?: string }) => e.code,
        ),
      ),
    );
    expect(outcomes).toEqual(Array(8).fill('53300'));
    expect(pool.stats()).toMatchObject({ size: 0, pending: 0 });
    await pool.end();
  });

  it('refusals held for attempts in flight fail together when the last of those is refused too', async () => {
    const db = fullServer(1);
    const pool = new PgPool({ max: 3 }, db.Client);
    const first = pool.connect().then(
      () => 'connected',
      (e: { code?: string }) => e.code,
    );
    const second = pool.connect().then(
      () => 'connected',
      (e: { code?: string }) => e.code,
    );
    await settle();
    expect(pool.stats().serverRefusals).toBe(1); // held: the first attempt may still connect
    db.failAdmitted();
    expect(await second).toBe('53300');
    expect(await first).toBe('53300');
    expect(pool.stats()).toMatchObject({ size: 0, pending: 0 });
    await pool.end();
  });

  it('the last attempt in flight failing for another reason leaves no checkout waiting', async () => {
    const db = fullServer(1);
    const pool = new PgPool({ max: 3 }, db.Client);
    pool.on('error', () => {});
    const outcome = () =>
      pool.connect().then(
        () => 'connected',
        (e: { code?: string }) => e.code,
      );
    const [first, second] = [outcome(), outcome()];
    await settle();
    db.failAdmitted(() => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    // The held refusal fails the oldest checkout; the next one, newer than the reset
    // attempt, gets an attempt of its own, refused with nothing open or starting.
    expect(await Promise.all([first, second])).toEqual(['53300', '53300']);
    expect(db.attempts()).toBe(3);
    expect(pool.stats()).toMatchObject({ size: 0, pending: 0 });
    await pool.end();
  });
});
