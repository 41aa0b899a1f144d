// The device UI as an operator sees it: the built page served by the real appliance, in the
// system chromium driven by playwright-core.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../device/src/app.js';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, deviceConfig, tempDir, testToken } from '../../device/test/index.js';

const TOKEN = testToken();
const shots = join(rootDir, 'test-results');

describe('device UI in a real browser', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    app = await buildApp(
      deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_DEVICE_ID: 'kiosk-lisbon-01', OUTPOST_DEVICE_NAME: 'Lisbon kiosk', OUTPOST_API_TOKEN: TOKEN }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    dir.remove();
  });

  it('asks for the token, then shows the device id, name, version and host figures', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(base + '/');
    await page.getByTestId('token-prompt').waitFor();
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Continue' }).click();

    await expect.poll(() => page.getByTestId('device-id').textContent(), { timeout: 10_000 }).toBe('kiosk-lisbon-01');
    expect(await page.getByTestId('device-name').textContent()).toBe('Lisbon kiosk');
    const version = app.fleetStatus.current().appliance.version;
    expect(await page.getByTestId('appliance-version').textContent()).toBe(version);
    expect(await page.getByTestId('card-host').textContent()).toMatch(/Memory/);
    expect(await page.getByTestId('payload-none').isVisible()).toBe(true);

    const file = join(shots, 'device-ui-overview.png');
    const png = await page.screenshot({ path: file, fullPage: true });
    // A PNG of the whole page, wider than the viewport's content: the real page rendered.
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280);
    await page.close();
  });

  it('refreshes by polling: uptime moves without a reload', async () => {
    const page = await browser.newPage();
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.goto(base + '/');
    const topbar = page.getByTestId('topbar-meta');
    await expect.poll(() => topbar.textContent(), { timeout: 10_000 }).toContain('Lisbon kiosk');
    const card = page.getByTestId('card-appliance');
    const first = await card.textContent();
    await expect.poll(() => card.textContent(), { timeout: 10_000, interval: 500 }).not.toBe(first);
    await page.close();
  });

  it('drains from the overview and ends the drain again', async () => {
    const page = await browser.newPage();
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.goto(base + '/');
    const state = page.getByTestId('drain-state');
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).toBe('taking sessions');
    await page.getByTestId('drain-start').click();
    // No client session is live here, so the drain is over at once.
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).toBe('drained');
    expect(await page.getByTestId('draining-badge').textContent()).toBe('drained');
    expect(app.drain.view()?.state).toBe('drained');
    await page.getByTestId('drain-stop').click();
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).toBe('taking sessions');
    expect(app.drain.view()).toBeNull();
    await page.close();
  });
});
