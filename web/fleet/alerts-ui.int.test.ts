// The Alerts page as an on-call person uses it, in the system chromium against the built dashboard
// served by the real monitor: silence a device that is down, see its alert marked silenced,
// acknowledge another alert, end the silence early. Screenshots go to test-results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, tempDir, testToken } from '../../device/test/index.js';
import { buildFleetApp } from '../../fleet/src/app.js';
import { loadFleetConfig } from '../../fleet/src/config.js';
import { startSimulators, type Simulators } from '../../fleet/test/device-simulator.js';

const TOKEN = testToken();

describe('alerts page: silences and acknowledgements', () => {
  const dir = tempDir('outpost-alerts-ui-');
  const shots = join(rootDir, 'test-results');
  let sims: Simulators;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    sims = await startSimulators({ count: 2, port: 18094, base: 44, behaviour: () => 'down' });
    const inventory = join(dir.path, 'fleet.yaml');
    writeFileSync(inventory, `devices:\n${sims.devices.map((d, i) => `  - id: ${d.id}\n    address: ${d.address}\n    port: ${d.port}\n    labels: {site: ${i === 0 ? 'lab' : 'shop'}}\n`).join('')}`);
    app = await buildFleetApp(
      loadFleetConfig({
        OUTPOST_LOG_LEVEL: 'silent',
        OUTPOST_FLEET_INVENTORY: inventory,
        OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
        OUTPOST_FLEET_TOKEN: TOKEN,
        OUTPOST_FLEET_POLL_TIMEOUT_MS: '400',
        OUTPOST_FLEET_FAILURES_TO_OFFLINE: '1',
      }),
      { autoStart: false },
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

  it('creates a silence, shows the alert silenced, acknowledges another, silences one from its row, and ends the silence early', async () => {
    const [lab, shop] = sims.devices;
    const labAlert = app.alerts.open().find((a) => a.key === `offline:${lab!.id}`)!;
    const shopAlert = app.alerts.open().find((a) => a.key === `offline:${shop!.id}`)!;
    expect(labAlert && shopAlert).toBeTruthy();

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.goto(`${base}/alerts`);
    await page.getByTestId(`alert-row-${labAlert.id}`).waitFor();

    // A silence for the lab site, from the Silences tab.
    await page.getByTestId('alerts-tab-silences').click();
    await page.getByTestId('silence-matchers').fill('site=lab');
    await page.getByTestId('silence-duration').selectOption('7200');
    await page.getByTestId('silence-comment').fill('rewiring the lab');
    await page.getByTestId('silence-submit').click();
    const silenceRow = page.locator('[data-testid^="silence-row-"]').first();
    await expect.poll(() => silenceRow.textContent(), { timeout: 10_000 }).toContain('site=lab');
    expect(await silenceRow.textContent()).toMatch(/active.*rewiring the lab.*by admin/);
    await page.screenshot({ path: join(shots, 'fleet-silences.png') });
    const silence = app.alerts.silences()[0]!;
    expect(silence.matchers).toEqual([{ name: 'label:site', value: 'lab' }]);

    // Back on the open alerts: the lab alert is marked silenced; acknowledge the shop alert.
    await page.getByTestId('alerts-tab-open').click();
    await expect.poll(() => page.getByTestId(`alert-silenced-${labAlert.id}`).textContent(), { timeout: 10_000 }).toContain(`#${silence.id}`);
    expect(await page.getByTestId(`alert-silenced-${shopAlert.id}`).count()).toBe(0);
    await page.getByTestId(`alert-ack-${shopAlert.id}`).click();
    await expect.poll(() => page.getByTestId(`alert-acked-${shopAlert.id}`).textContent(), { timeout: 10_000 }).toContain('acknowledged by admin');
    expect(await page.getByTestId(`alert-ack-${shopAlert.id}`).textContent()).toBe('Un-acknowledge');
    expect(app.alerts.open().find((a) => a.key === shopAlert.key)?.acked_by).toBe('admin');
    await page.screenshot({ path: join(shots, 'fleet-alerts-silenced-acked.png') });

    // "Silence…" on the shop alert opens the form with that alert's device and rule filled in.
    await page.getByTestId(`alert-silence-${shopAlert.id}`).click();
    expect(await page.getByTestId('silence-matchers').inputValue()).toBe(`device=${shop!.id}, rule=${shopAlert.rule}`);
    await page.getByTestId('silence-comment').fill('shop kiosk unplugged');
    await page.getByTestId('silence-submit').click();
    await expect.poll(() => app.alerts.silences().length, { timeout: 10_000 }).toBe(2);
    expect(app.alerts.silences().find((x) => x.comment === 'shop kiosk unplugged')?.matchers).toEqual([
      { name: 'device', value: shop!.id },
      { name: 'rule', value: shopAlert.rule },
    ]);

    // End the silence early: it is listed as expired and the alert loses its mark.
    await page.getByTestId('alerts-tab-silences').click();
    await page.getByTestId(`silence-expire-${silence.id}`).click();
    await expect.poll(() => page.getByTestId(`silence-row-${silence.id}`).textContent(), { timeout: 10_000 }).toContain('expired');
    await page.getByTestId('alerts-tab-open').click();
    await page.getByTestId(`alert-row-${labAlert.id}`).waitFor();
    await expect.poll(() => page.getByTestId(`alert-silenced-${labAlert.id}`).count(), { timeout: 10_000 }).toBe(0);
    await page.close();
  });
});
