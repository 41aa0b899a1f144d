// Which monitor polls which device, and the monitors' own health, as an operator sees them: the
// built dashboard served by a real (SQLite, so single) monitor over simulated devices, in the
// system chromium.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, tempDir, testToken } from '../../device/test/index.js';
import type { MonitorList } from '../../fleet/src/api/schemas.js';
import { buildFleetApp } from '../../fleet/src/app.js';
import { loadFleetConfig } from '../../fleet/src/config.js';
import { startSimulators, type Simulators } from '../../fleet/test/device-simulator.js';

const TOKEN = testToken();
const N = 8;
const PORT = '9417';
const SELF = `${hostname()}:${PORT}`;

describe('the monitors in the fleet dashboard', () => {
  const dir = tempDir('outpost-monitors-ui-');
  const shots = join(rootDir, 'test-results');
  let sims: Simulators;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    // Two of the eight are down: the last cycle counts them as failed.
    sims = await startSimulators({ count: N, port: 18096, base: 46, behaviour: (i) => (i >= N - 2 ? 'down' : 'healthy') });
    const inventory = join(dir.path, 'hosts.ini');
    writeFileSync(inventory, `[lab]\n${sims.devices.map((d) => `${d.id} ansible_host=${d.address} outpost_port=${d.port}`).join('\n')}\n`);
    app = await buildFleetApp(
      loadFleetConfig({
        OUTPOST_LOG_LEVEL: 'silent',
        OUTPOST_FLEET_INVENTORY: inventory,
        OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
        OUTPOST_FLEET_TOKEN: TOKEN,
        // The monitor's id is <hostname>:<port>; it listens on a free port all the same (below).
        OUTPOST_FLEET_PORT: PORT,
        OUTPOST_FLEET_POLL_TIMEOUT_MS: '500',
      }),
      { autoStart: false },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    for (const d of app.registry.all()) d.nextPollAt = 0;
    await app.monitor.poller.runCycle();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sims?.close();
    dir.remove();
  });

  async function open(path: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.goto(`${base}${path}`);
    return page;
  }

  it('lists this monitor as the leader with its devices, last cycle and memory, and shows who polls each device', async () => {
    const page = await open('/');
    await page.getByRole('link', { name: 'Monitors' }).click();
    const row = page.getByTestId(`monitor-row-${SELF}`);
    await row.waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('monitors-mode').textContent()).toBe('The store is SQLite: this monitor is the only one and polls every device.');
    expect(await page.locator('[data-testid^="monitor-row-"]').count()).toBe(1);
    expect(await row.getByTestId('monitor-leader').textContent()).toBe('leader');
    expect(await row.getByTestId('monitor-self').textContent()).toBe('this one');
    expect(await row.getAttribute('data-alive')).toBe('true');
    expect(await row.getByTestId('monitor-devices').textContent()).toBe(String(N));
    expect(await row.getByTestId('monitor-cycle').textContent()).toContain(`${N} polled · ${N - 2} ok · 2 failed · CPU`);
    expect(await row.getByTestId('monitor-rss').textContent()).toMatch(/^\d+(\.\d)? MiB$/);
    expect(await row.textContent()).toContain('no lease (single monitor)');
    await page.screenshot({ path: join(shots, 'fleet-monitors.png') });

    // Its device count opens the devices it polls; each row says who polls it.
    await row.getByTestId('monitor-devices').click();
    await expect.poll(() => page.getByTestId('device-table').getAttribute('aria-rowcount'), { timeout: 10_000 }).toBe(String(N + 1));
    expect(new URL(page.url()).searchParams.get('polled_by')).toBe(SELF);
    expect(await page.getByTestId('filter-polled-by').inputValue()).toBe(SELF);
    expect(await page.locator('[role="columnheader"]').allTextContents()).toContain('Polled by');
    expect(await page.getByTestId('device-polled-by').allTextContents()).toEqual(Array(N).fill(SELF));
    await page.screenshot({ path: join(shots, 'fleet-devices-polled-by.png') });

    // Another monitor's id matches none of them.
    await page.goto(`${base}/?polled_by=${encodeURIComponent('elsewhere:9000')}`);
    await page.getByTestId('device-table-empty').waitFor();

    await page.goto(`${base}/devices/${sims.devices[0]!.id}`);
    expect(await page.getByTestId('detail-polled-by').textContent()).toBe(SELF);
    expect(await page.getByTestId('detail-identity').textContent()).toContain(`Polled by${SELF}`);
    await page.close();
  });

  it('shows monitors sharing the fleet on PostgreSQL, a dead one greyed out until it drops out, and a filter per monitor', async () => {
    // Monitors sharing a real PostgreSQL are fleet/src/cluster/cluster.int.test.ts's; the page is
    // judged here on such an answer: this monitor's own with two more added, one of them dead.
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.route('**/api/monitors', async (route) => {
      const real = (await (await route.fetch()).json()) as MonitorList;
      const [me] = real.monitors;
      const now = Date.now();
      const body: MonitorList = {
        ...real,
        mode: 'shared',
        monitors: [
          { ...me!, devices: 3 },
          { ...me!, id: 'mon-b:9000', url: 'http://mon-b:9000', hostname: 'mon-b', self: false, leader: false, devices: 5 },
          {
            ...me!,
            id: 'mon-c:9000',
            url: 'http://mon-c:9000',
            hostname: 'mon-c',
            self: false,
            leader: false,
            alive: false,
            devices: 4,
            renewed_at: new Date(now - 40_000).toISOString(),
            lease_until: new Date(now - 25_000).toISOString(),
          },
        ],
      };
      await route.fulfill({ json: body });
    });
    await page.goto(`${base}/monitors`);
    const rows = page.locator('[data-testid^="monitor-row-"]');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual([`monitor-row-${SELF}`, 'monitor-row-mon-b:9000', 'monitor-row-mon-c:9000']);
    expect(await page.getByTestId('monitors-mode').textContent()).toBe(
      'The store is PostgreSQL: 2 live monitors share the fleet, each on a 15 s lease; 1 dead (lease lapsed; the others took over its devices).',
    );
    const dead = page.getByTestId('monitor-row-mon-c:9000');
    expect(await dead.getAttribute('data-alive')).toBe('false');
    expect(await dead.getAttribute('class')).toBe('monitor-dead');
    expect(await dead.getByTestId('monitor-dead').textContent()).toBe('dead');
    expect(await dead.textContent()).toMatch(/lapsed 2\ds ago/);
    expect(await page.getByTestId('monitor-row-mon-b:9000').textContent()).toMatch(/5\s*63%/);
    expect(await page.getByTestId(`monitor-row-${SELF}`).textContent()).toMatch(/renewed (just now|\ds ago)lease until in \d+s/);
    await page.screenshot({ path: join(shots, 'fleet-monitors-shared.png') });

    // With more than one monitor, the device list can be narrowed to one of them.
    await page.getByRole('link', { name: 'Devices' }).click();
    const select = page.getByTestId('filter-polled-by');
    await select.waitFor();
    expect(await select.locator('option').allTextContents()).toEqual(['All monitors', `${SELF} · 3`, 'mon-b:9000 · 5', 'mon-c:9000 (dead) · 4']);
    await select.selectOption('mon-b:9000');
    await page.getByTestId('device-table-empty').waitFor();
    await select.selectOption(SELF);
    await expect.poll(() => page.getByTestId('device-table').getAttribute('aria-rowcount'), { timeout: 10_000 }).toBe(String(N + 1));
    await page.close();
  });
});
