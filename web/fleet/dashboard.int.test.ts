// The fleet dashboard as its owner uses it: the built app served by the real monitor, polling real
// simulated devices; filtering, searching and opening a device in the system chromium.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, tempDir, testToken } from '../../device/test/index.js';
import { buildFleetApp } from '../../fleet/src/app.js';
import { loadFleetConfig } from '../../fleet/src/config.js';
import { startSimulators, type Behaviour, type Simulators } from '../../fleet/test/device-simulator.js';

const TOKEN = testToken();
const N = 60;
const behaviour = (i: number): Behaviour => (i % 10 === 3 ? 'down' : i % 10 === 7 ? 'degraded' : 'healthy');

describe('fleet dashboard', () => {
  const dir = tempDir('outpost-dashboard-');
  const shots = join(rootDir, 'test-results');
  let sims: Simulators;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    // sim-00042 turned sessions away (the detail page's counters and the row's badge).
    sims = await startSimulators({ count: N, port: 18082, base: 20, behaviour, version: (i) => (i < 50 ? '1.2.0' : '1.1.0'), rejected: (i) => (i === 42 ? 4 : 0) });
    const inventory = join(dir.path, 'hosts.ini');
    const lines = ['[lisbon]'];
    sims.devices.forEach((d, i) => {
      if (i === N / 2) lines.push('[porto]');
      lines.push(`${d.id} ansible_host=${d.address} outpost_port=${d.port}`);
    });
    lines.push('[portugal:children]', 'lisbon', 'porto');
    writeFileSync(inventory, `${lines.join('\n')}\n`);
    app = await buildFleetApp(
      loadFleetConfig({
        OUTPOST_LOG_LEVEL: 'silent',
        OUTPOST_FLEET_INVENTORY: inventory,
        OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
        OUTPOST_FLEET_TOKEN: TOKEN,
        OUTPOST_FLEET_POLL_INTERVAL_S: '1',
        OUTPOST_FLEET_FAILURES_TO_OFFLINE: '1',
        OUTPOST_FLEET_TARGET_VERSION: '1.2.0',
      }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    for (let i = 0; i < 2; i += 1) {
      for (const d of app.registry.all()) d.nextPollAt = 0;
      await app.monitor.poller.runCycle();
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sims?.close();
    dir.remove();
  });

  it('shows the fleet online first, filters by status and group, searches, and opens a device', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.goto(`${base}/`);
    // The monitor keeps polling (every second) while the page loads: read the counts once they are
    // the fleet's. A device is offline after one failed poll here, so the poll timeout is the
    // default's 3 s, not one a loaded machine can miss (a healthy device read offline, once).
    await expect
      .poll(async () => [await page.getByTestId('summary-offline').textContent(), await page.getByTestId('summary-degraded').textContent(), await page.getByTestId('summary-online').textContent()].map((t) => Number.parseInt(t ?? '', 10)), { timeout: 15_000 })
      .toEqual([6, 6, 48]);
    const rows = page.locator('[data-testid^="device-row-"]');
    await rows.first().waitFor();
    // Online first: the first row is an online device.
    expect(await rows.first().textContent()).toMatch(/online/);
    await page.screenshot({ path: join(shots, 'fleet-dashboard.png') });

    await page.getByTestId('filter-status-offline').click();
    await expect.poll(async () => (await rows.allTextContents()).length, { timeout: 10_000 }).toBe(6);
    for (const text of await rows.allTextContents()) expect(text).toMatch(/offline/);
    await page.getByTestId('filter-status-offline').click();

    // The table is virtualized: it renders what is visible and sizes itself by the server's total.
    await page.getByTestId('filter-group').selectOption('porto');
    await expect.poll(() => page.getByTestId('device-table').getAttribute('aria-rowcount'), { timeout: 10_000 }).toBe(String(N / 2 + 1));
    for (const id of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace('device-row-', '')))) {
      expect(Number(id.replace('sim-', ''))).toBeGreaterThanOrEqual(N / 2);
    }
    await page.getByTestId('filter-group').selectOption('');
    await expect.poll(() => page.getByTestId('device-table').getAttribute('aria-rowcount'), { timeout: 10_000 }).toBe(String(N + 1));

    const target = sims.devices[42]!;
    await page.getByTestId('filter-search').fill(target.id);
    await expect.poll(async () => (await rows.allTextContents()).length, { timeout: 10_000 }).toBe(1);
    // Its rejections: 4 for host pressure over the API and 1 for capacity over Playwright.
    expect(await page.getByTestId(`device-rejected-${target.id}`).textContent()).toBe('5 rejected');
    await page.getByTestId(`device-row-${target.id}`).click();
    await page.getByTestId('device-detail').waitFor();
    const counters = page.getByTestId('detail-session-counters');
    expect(await counters.locator('tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^api\s+3\s+2\s+0\s+4 host_overloaded\s+0\s+3 deleted$/),
      expect.stringMatching(/^playwright\s+5\s+4\s+1\s+1 capacity_exceeded\s+0\s+5 disconnected$/),
    ]);
    expect(await page.getByTestId('device-open').getAttribute('href')).toBe(`http://${target.address}:${target.port}/`);
    await page.getByTestId('history-chart').waitFor();
    await page.screenshot({ path: join(shots, 'fleet-device-detail.png'), fullPage: true });
    await page.close();
  });

  it('shows versions across the fleet and the open alerts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.goto(`${base}/versions`);
    await expect.poll(() => page.getByTestId('versions-table').textContent(), { timeout: 10_000 }).toMatch(/1\.1\.0/);
    await page.goto(`${base}/alerts`);
    const table = page.getByTestId('alerts-table');
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).toMatch(/is offline/);
    expect(await table.textContent()).toMatch(/runs 1\.1\.0, not 1\.2\.0/);
    await page.close();
  });
});
