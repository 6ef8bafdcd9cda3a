/**
 * The admin dashboard in headless Chromium (Debian's `chromium`, driven by
 * playwright-core): the page loads without errors, its charts move while a load runs,
 * and a screenshot is taken. docs/dashboard.png is written when missing or when
 * LIDO_UPDATE_SCREENSHOT=1 (otherwise the screenshot goes to the temp dir).
 *
 * Chromium is found at CHROMIUM_PATH if set, else /usr/bin/chromium or /usr/bin/chromium-browser.
 * Missing: a FAILURE in CI (CI set), a loud skip elsewhere. Install with
 * `apt-get install -y chromium`.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from '../../src/index.js';
import { createAdminHandler } from '../../src/observability/admin/index.js';
import { isCI } from '../support/services.js';

// CHROMIUM_PATH, when set, is the only candidate.
const CANDIDATES = process.env.CHROMIUM_PATH
  ? [process.env.CHROMIUM_PATH]
  : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const executablePath = CANDIDATES.find((p) => existsSync(p));
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MISSING = `Chromium not found (tried ${CANDIDATES.join(', ')}); install it with: apt-get install -y chromium`;
const SCREENSHOT = new URL('../../docs/dashboard.png', import.meta.url).pathname;

if (executablePath === undefined && !isCI()) process.stderr.write(`\n!!! ${MISSING}: dashboard tests SKIPPED\n\n`);

/** A pool too small for its load (timeouts, waits, advice) and a quiet one. */
function startLoad(): { pools: Pool<{ id: number }>[]; stop: () => Promise<void> } {
  let seq = 0;
  const factory = { create: async () => (await sleep(15), { id: ++seq }), destroy: () => {} };
  const orders = new Pool({ factory, name: 'orders', min: 2, max: 6, acquireTimeoutMs: 400 });
  const cache = new Pool({ factory, name: 'cache', min: 1, max: 4 });
  let running = true;
  const worker = async (pool: Pool<{ id: number }>, hold: () => number, pause: number): Promise<void> => {
    while (running) {
      await pool.use(() => sleep(hold())).catch(() => {});
      await sleep(pause);
    }
  };
  const started = Date.now();
  // The load on orders swells and ebbs, so the charts have a shape.
  const heavy = () => 20 + 60 * Math.abs(Math.sin((Date.now() - started) / 2_500)) + Math.random() * 40;
  // Every 7 s a burst more than orders can serve in time: waits, timeouts, degraded health.
  const bursts = (async () => {
    while (running) {
      await sleep(7_000);
      if (running) await Promise.all(Array.from({ length: 30 }, () => orders.use(() => sleep(120)).catch(() => {})));
    }
  })();
  const workers = [
    bursts,
    ...Array.from({ length: 8 }, () => worker(orders, heavy, 5)),
    ...Array.from({ length: 2 }, () => worker(cache, () => 2 + Math.random() * 5, 50)),
  ];
  return {
    pools: [orders, cache],
    stop: async () => {
      running = false;
      await Promise.all(workers);
      await Promise.all([orders.close(), cache.close()]);
    },
  };
}

/** Every polyline's points, per pool: what the charts show. */
function chartState(page: Page): Promise<Record<string, string[]>> {
  return page.$$eval('section.pool', (sections) =>
    Object.fromEntries(
      sections.map((s) => [
        s.getAttribute('data-pool') ?? '',
        [...s.querySelectorAll('polyline')].map((p) => p.getAttribute('points') ?? ''),
      ]),
    ),
  );
}

const suite = executablePath === undefined ? (isCI() ? describe : describe.skip) : describe;

suite('admin dashboard in headless Chromium', () => {
  if (executablePath === undefined) {
    it('requires Chromium', () => {
      throw new Error(MISSING);
    });
    return;
  }
  let browser: Browser;
  let server: http.Server;
  let base: string;
  let load: ReturnType<typeof startLoad>;

  beforeAll(async () => {
    load = startLoad();
    const handler = createAdminHandler({ pools: load.pools, basePath: '/admin' });
    server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath, args: ARGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await load?.stop();
  });

  it('loads, charts the pools live, shows health and advice, and takes a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    const external: string[] = [];
    page.on('request', (r) => !r.url().startsWith(base) && external.push(r.url()));

    const response = await page.goto(`${base}/admin`);
    expect(response?.status()).toBe(200);
    expect(page.url()).toBe(`${base}/admin/`);
    await page.waitForFunction(
      () => document.querySelectorAll('section.pool polyline.borrowed[points*=" "]').length === 2,
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.$$eval('section.pool', (s) => s.map((e) => e.getAttribute('data-pool')))).toEqual([
      'orders',
      'cache',
    ]);

    const before = await chartState(page);
    await sleep(2_500);
    const after = await chartState(page);
    expect(after.orders).not.toEqual(before.orders);
    const points = (s: Record<string, string[]>) => s.orders[2].split(' ').length;
    expect(points(after)).toBeGreaterThan(points(before));

    await page.waitForFunction(
      () => [...document.querySelectorAll('.badge')].every((b) => /ok|degraded|down/.test(b.textContent ?? '')),
      undefined,
      { timeout: 10_000 },
    );
    await page.waitForFunction(() => document.querySelectorAll('ul.advice li').length >= 2, undefined, {
      timeout: 10_000,
    });
    expect(await page.textContent('#status')).toMatch(/^updated /);

    await sleep(14_000); // more history, and a burst or two, for the picture
    const png = await page.screenshot({ fullPage: true });
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const update = process.env.LIDO_UPDATE_SCREENSHOT === '1' || !existsSync(SCREENSHOT);
    await page.screenshot({ fullPage: true, path: update ? SCREENSHOT : join(tmpdir(), 'lido-dashboard.png') });
    if (update) expect(readFileSync(SCREENSHOT).length).toBeGreaterThan(10_000);

    expect(problems).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });
});
