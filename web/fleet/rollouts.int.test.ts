// The Rollouts page as the fleet owner uses it: the built dashboard served by the real monitor, a
// 50% rollout started to a group, counts moving as devices report (POST /api/updates/report with
// each device's own credential, as scripts/update.sh does), the devices behind a count, a device's
// update timeline, halt and resume, an automatic halt naming its failing devices, and the history.
// The devices are never polled (autoStart: false): the update server needs only their ids and
// groups from the inventory, and the reports are what moves a rollout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, tempDir, testToken } from '../../device/test/index.js';
import { buildFleetApp } from '../../fleet/src/app.js';
import { loadFleetConfig } from '../../fleet/src/config.js';
import { createDeviceCredentials } from '../../fleet/src/updates/device-credential.js';
import { isSelected } from '../../fleet/src/updates/rollout-selection.js';
import { writeRelease } from '../../fleet/src/updates/test-support.js';

const TOKEN = testToken();
const UPDATE_TOKEN = testToken();
const credentials = createDeviceCredentials(UPDATE_TOKEN);
const LAB = Array.from({ length: 20 }, (_, i) => `lab-${String(i).padStart(2, '0')}`);
const SHOP = Array.from({ length: 10 }, (_, i) => `shop-${String(i).padStart(2, '0')}`);

describe('rollouts page', () => {
  const dir = tempDir('outpost-rollouts-ui-');
  const shots = join(rootDir, 'test-results');
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  const selected = LAB.filter((id) => isSelected('stable', '1.1.0', id, 50));

  const report = async (device: string, result: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/updates/report',
      headers: { authorization: `Bearer ${credentials.tokenFor(device)}` },
      payload: { device, channel: 'stable', from_version: '1.0.0', to_version: '1.1.0', result },
    });
    expect(res.statusCode).toBe(202);
  };

  beforeAll(async () => {
    const lines = [
      ...LAB.map((id, i) => `  - {id: ${id}, address: 127.0.0.1, port: ${i + 1}, groups: [lab], labels: {site: lab}}`),
      ...SHOP.map((id, i) => `  - {id: ${id}, address: 127.0.0.1, port: ${i + 100}, groups: [shop], labels: {site: shop}}`),
    ];
    writeFileSync(join(dir.path, 'fleet.yaml'), `devices:\n${lines.join('\n')}\n`);
    for (const v of ['1.0.0', '1.1.0']) writeRelease(join(dir.path, 'releases'), v);
    app = await buildFleetApp(
      loadFleetConfig({
        OUTPOST_LOG_LEVEL: 'silent',
        OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'),
        OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
        OUTPOST_FLEET_TOKEN: TOKEN,
        OUTPOST_FLEET_UPDATE_TOKEN: UPDATE_TOKEN,
      }),
      { autoStart: false },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    dir.remove();
  });

  it('starts a 50% rollout to a group, shows counts move as devices report, halts, resumes, and keeps the history', async () => {
    // The test means something only with lab devices on both sides of the split, and enough selected to fail some.
    expect(selected.length).toBeGreaterThanOrEqual(5);
    expect(selected.length).toBeLessThan(LAB.length);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.addInitScript((t) => localStorage.setItem('outpost.token', t), TOKEN);
    await page.goto(`${base}/rollouts`);
    const summary = page.getByTestId('rollout-summary-stable');

    // Everyone on 1.0.0 first, then 1.1.0 to half of the lab group.
    await page.getByTestId('start-stable').click();
    await page.getByTestId('start-version').selectOption('1.0.0');
    await page.getByTestId('start-percent').fill('100');
    await page.getByTestId('start-submit').click();
    await expect.poll(() => summary.textContent(), { timeout: 10_000 }).toMatch(/1\.0\.0 offered to 100% of every device/);

    await page.getByTestId('start-stable').click();
    await page.getByTestId('start-version').selectOption('1.1.0');
    await page.getByTestId('start-percent').fill('50');
    await page.getByTestId('start-group').fill('lab');
    await page.getByTestId('start-submit').click();
    await expect.poll(() => summary.textContent(), { timeout: 10_000 }).toMatch(/1\.1\.0 offered to 50% of group lab/);
    expect(await summary.textContent()).toMatch(/others stay on 1\.0\.0/);
    expect(await page.getByTestId('count-stable-selected').textContent()).toBe(`${selected.length} selected`);
    expect(await page.getByTestId('count-stable-pending').textContent()).toBe(`${selected.length} not yet reported`);

    // Devices report; the page polls and the counts move.
    await report(selected[0]!, 'updated');
    await report(selected[1]!, 'postponed');
    await report(selected[2]!, 'waiting_window');
    await expect.poll(() => page.getByTestId('count-stable-updated').textContent(), { timeout: 15_000 }).toBe('1 updated');
    expect(await page.getByTestId('count-stable-postponed').textContent()).toBe('1 postponed');
    expect(await page.getByTestId('count-stable-waiting_window').textContent()).toBe('1 waiting for window');
    expect(await page.getByTestId('count-stable-pending').textContent()).toBe(`${selected.length - 3} not yet reported`);
    await page.getByTestId('count-stable-updated').click();
    const updatedList = page.getByTestId('rollout-devices-stable-updated');
    await expect.poll(() => updatedList.textContent(), { timeout: 10_000 }).toBe(selected[0]);
    await page.screenshot({ path: join(shots, 'fleet-rollouts.png'), fullPage: true });

    // The device behind the count, and its update timeline.
    await updatedList.getByText(selected[0]!).click();
    await page.getByTestId('device-detail').waitFor();
    await expect.poll(() => page.getByTestId('update-timeline').textContent(), { timeout: 10_000 }).toMatch(/updated\s*1\.0\.0 → 1\.1\.0 on stable/);
    await page.screenshot({ path: join(shots, 'fleet-device-updates.png'), fullPage: true });
    await page.goBack();

    // An operator halts and resumes.
    await page.getByTestId('halt-stable').click();
    await expect.poll(() => page.getByTestId('rollout-state-stable').textContent(), { timeout: 10_000 }).toBe('halted');
    expect(await page.getByTestId('halt-reason-stable').textContent()).toMatch(/halted by an operator/);
    await page.getByTestId('resume-stable').click();
    await expect.poll(() => page.getByTestId('rollout-state-stable').textContent(), { timeout: 10_000 }).toBe('active');

    // Raise the percent from the page.
    await page.getByTestId('percent-stable').fill('60');
    await page.getByTestId('set-percent-stable').click();
    await expect.poll(() => summary.textContent(), { timeout: 10_000 }).toMatch(/offered to 60% of group lab/);

    // Failures of the selected devices halt it automatically; the page names them.
    const nowSelected = LAB.filter((id) => isSelected('stable', '1.1.0', id, 60));
    const failing = nowSelected.filter((id) => !selected.slice(0, 3).includes(id)).slice(0, Math.ceil(nowSelected.length * 0.2));
    for (const id of failing) await report(id, 'failed');
    await expect.poll(() => page.getByTestId('rollout-state-stable').textContent(), { timeout: 15_000 }).toBe('halted');
    const reason = page.getByTestId('halt-reason-stable');
    await expect.poll(() => reason.textContent(), { timeout: 10_000 }).toMatch(/failing:/);
    for (const id of failing) expect(await reason.textContent()).toContain(id);

    // The history: the superseded 1.0.0 rollout and each change of the 1.1.0 one.
    const history = page.getByTestId('history-list');
    await expect.poll(() => history.textContent(), { timeout: 10_000 }).toMatch(/halted automatically/);
    const text = (await history.textContent()) ?? '';
    expect(text).toMatch(/stable: 1\.1\.0 to group lab/);
    expect(text).toMatch(/started by admin/);
    expect(text).toMatch(/halted by admin/);
    expect(text).toMatch(/resumed by admin/);
    expect(text).toMatch(/percent raised from 50% to 60% by admin/);
    expect(text).toMatch(/superseded by the rollout of 1\.1\.0/);
    await page.screenshot({ path: join(shots, 'fleet-rollouts-halted.png'), fullPage: true });
    await page.close();
  });
});
