// The dashboard's Sessions page with what sessions leave behind, as an operator uses it: a real
// appliance behind the real monitor serving the built dashboard, in the system chromium. A
// recorded session shows its recording live; once it ends it is in the Ended sessions list with its
// device and why it ended, and its recording plays in a <video> element that reaches the device
// through the monitor's relay (the token in the query, the one thing a <video> can send); its
// download saves byte for byte; its logs are a table. No CSP violation on the way.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, startAppliance, startTestPages, tempDir, testDownloadBytes, testToken, useToken, waitFor, watchCspViolations, type TestAppliance, type TestPages } from '../../device/test/index.js';
import { monitorOver, type TestMonitor } from '../../fleet/test/test-fleet.js';

const run = promisify(execFile);
const DEVICE_TOKEN = testToken();
const FLEET_TOKEN = testToken();

/** Seconds of video in a recording file, by ffprobe (0 while it has no complete fragment). */
async function secondsOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'json', file]);
  return Number((JSON.parse(stdout) as { format: { duration?: string } }).format.duration ?? 0);
}

describe('recordings, downloads and logs in the fleet dashboard', () => {
  const dir = tempDir('outpost-fleet-artifacts-ui-');
  const shots = join(rootDir, 'test-results');
  let pages: TestPages;
  let device: TestAppliance;
  let monitor: TestMonitor;
  let base: string;
  let browser: Browser;
  const auth = { authorization: `Bearer ${FLEET_TOKEN}` };
  const api = (method: string, url: string, body?: unknown) => monitor.api(method, url, body);
  const poll = () => monitor.poll();

  beforeAll(async () => {
    pages = await startTestPages();
    device = await startAppliance({ OUTPOST_API_TOKEN: DEVICE_TOKEN, OUTPOST_DEVICE_ID: 'kiosk-1', OUTPOST_RECORDING_FPS: '10' });
    monitor = await monitorOver(dir.path, [{ id: 'kiosk-1', port: new URL(device.base).port }], { token: FLEET_TOKEN, deviceToken: DEVICE_TOKEN });
    base = monitor.base;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await monitor?.close();
    await device?.close();
    await pages?.close();
    dir.remove();
  });

  it('shows a recording while it records, then plays the ended session’s recording, saves its download and lists its logs', async () => {
    const created = await api('POST', '/api/sessions', { device: 'kiosk-1', record: true, vnc: true, width: 640, height: 480, start_url: `${pages.url}/color?c=00ff00` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    // Something to download, by a Playwright client connected through the monitor.
    const client = await chromium.connect(created.body.ws_endpoint, { headers: auth });
    try {
      const tab = await client.newPage();
      await tab.goto(`${pages.url}/download-page?name=a.bin&size=1000`);
      await Promise.all([tab.waitForEvent('download'), tab.click('#dl')]);
      await waitFor(async () => (await api('GET', `/api/sessions/kiosk-1/${id}/downloads`)).body.downloads?.length === 1, { timeoutMs: 15_000, what: 'the download kept' });
    } finally {
      await client.close();
    }
    // Two seconds of video: a complete fragment with a key frame for the player to show.
    const file = join(device.dataDir, 'artifacts', id, 'recording.mp4');
    await waitFor(async () => (await secondsOf(file).catch(() => 0)) >= 2, { timeoutMs: 60_000, what: 'two seconds of recording' });
    await poll(); // the device now reports a session: the live list asks it

    const page = await browser.newPage({ viewport: { width: 1400, height: 950 }, acceptDownloads: true });
    const violations = await watchCspViolations(page);
    await useToken(page, FLEET_TOKEN);
    await page.goto(`${base}/sessions`);
    await expect.poll(() => page.getByTestId(`fleet-session-recording-kiosk-1-${id}`).textContent(), { timeout: 15_000 }).toMatch(/^recording · /);

    // Ended from the dashboard, then found among the ended sessions with its device and reason.
    await page.getByTestId(`fleet-session-row-kiosk-1-${id}`).getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('ended-sessions-toggle').click();
    const row = page.getByTestId(`ended-kiosk-1-${id}-row`);
    await expect.poll(() => row.textContent().catch(() => ''), { timeout: 30_000 }).toMatch(/ended by a client/);
    expect(await row.textContent()).toMatch(/^kiosk-1.*finished · /);

    // The recording plays: the <video> has decoded a frame.
    await page.getByTestId(`ended-kiosk-1-${id}-recording`).click();
    const video = page.getByTestId('recording-video');
    await video.waitFor();
    expect(await video.getAttribute('src')).toBe(`/api/sessions/kiosk-1/${id}/recording?access_token=${FLEET_TOKEN}`);
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => ({ ready: v.readyState >= 2, width: v.videoWidth, error: v.error?.message ?? null })), { timeout: 30_000 })
      .toEqual({ ready: true, width: 640, error: null });
    await page.screenshot({ path: join(shots, 'fleet-recording.png') });

    // Its download, saved through the monitor with the token as a header.
    await page.getByTestId('artifacts-tab-downloads').click();
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-a.bin').click()]);
    expect(saved.suggestedFilename()).toBe('a.bin');
    expect(readFileSync(await saved.path()).equals(testDownloadBytes(1000))).toBe(true);

    // Its logs.
    await page.getByTestId('artifacts-tab-logs').click();
    const logs = page.getByTestId('logs-table');
    await expect.poll(() => logs.textContent().catch(() => ''), { timeout: 15_000 }).toMatch(/session ended \(deleted\)/);
    expect(await logs.textContent()).toMatch(/downloaded "a\.bin" from/);
    await page.screenshot({ path: join(shots, 'fleet-session-logs.png') });

    expect(violations).toEqual([]);
    await page.close();
  });
});
