/**
 * Permits are not backends: a process killed in the middle of a query leaves its backend
 * running until the query ends, unless the server checks the client connection
 * (`client_connection_check_interval`, PostgreSQL 14+). A child process runs a long
 * query and is SIGKILLed; the test watches pg_stat_activity for its application_name.
 * Leftover backends are terminated after each test.
 */
import { spawn } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { reapAll, track } from '../support/budget-fleet.js';
import { describeWithPostgres, pgQuery, type PostgresConfig } from '../support/services.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts a child that connects, optionally sets the check interval, and runs pg_sleep(30); resolves once the query runs. */
async function sleeper(postgres: PostgresConfig, tag: string, checkMs: number): Promise<() => Promise<void>> {
  const code = `
    const pg = require('pg');
    const c = new pg.Client(${JSON.stringify({ ...postgres, connectionString: undefined, application_name: tag })});
    c.connect().then(async () => {
      if (${checkMs} > 0) await c.query("SET client_connection_check_interval = '${checkMs}ms'");
      process.stdout.write('running\\n');
      await c.query('SELECT pg_sleep(30)');
    });`;
  const child = track(
    spawn(process.execPath, ['-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('running') && resolve());
    child.on('exit', (c) => reject(new Error(`sleeper exited with ${c}`)));
    setTimeout(() => reject(new Error('sleeper did not start within 10 s')), 10_000).unref();
  });
  return () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
}

const backends = async (tag: string): Promise<number> =>
  Number(
    (
      await pgQuery<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [tag])
    )[0].n,
  );

describeWithPostgres('permits are not backends', (postgres) => {
  const tags: string[] = [];
  afterEach(async () => {
    await reapAll();
    for (const tag of tags.splice(0))
      await pgQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [tag]);
  });

  it("a killed client's backend runs on through its query by default, and ends promptly with client_connection_check_interval", async () => {
    const plain = `lido-backend-plain-${process.pid}`;
    const checked = `lido-backend-checked-${process.pid}`;
    tags.push(plain, checked);
    const killPlain = await sleeper(postgres, plain, 0);
    const killChecked = await sleeper(postgres, checked, 200);
    await sleep(300);
    expect(await backends(plain)).toBe(1);
    expect(await backends(checked)).toBe(1);
    await Promise.all([killPlain(), killChecked()]);
    const killedAt = Date.now();
    // Checked every 200 ms: gone within a few checks.
    while ((await backends(checked)) > 0) {
      if (Date.now() - killedAt > 5_000) throw new Error('the checked backend outlived its client by 5 s');
      await sleep(50);
    }
    const checkedGoneMs = Date.now() - killedAt;
    // The plain one still runs its pg_sleep(30), with nobody to answer to.
    expect(await backends(plain)).toBe(1);
    expect(checkedGoneMs).toBeLessThan(5_000);
  });
});
