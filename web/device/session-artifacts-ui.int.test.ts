// The device UI's Sessions page with what sessions leave behind: the built page served by the real
// appliance (process backend, real chromium, Xvfb, ffmpeg). A session made from the page's own form
// with Record shows its recording live; ended from the page, it is among the ended sessions with
// why it ended, and its recording plays in a <video> straight from the appliance (the token in the
// query, the recording route's alone). No CSP violation on the way.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, startAppliance, testToken, useToken, waitFor, watchCspViolations, type TestAppliance } from '../../device/test/index.js';

const run = promisify(execFile);
const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };
const shots = join(rootDir, 'test-results');

describe('recordings on the device UI', () => {
  let t: TestAppliance;
  let browser: Browser;
  beforeAll(async () => {
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN, OUTPOST_RECORDING_FPS: '10' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('records a session made from the page, lists it once ended, and plays its recording', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const violations = await watchCspViolations(page);
    await useToken(page, TOKEN);
    await page.goto(`${t.base}/sessions`);
    await page.getByTestId('create-kind').selectOption('vnc');
    await page.getByTestId('create-width').fill('640');
    await page.getByTestId('create-height').fill('480');
    await page.getByTestId('create-record').check();
    await page.getByTestId('create-submit').click();
    const id = await waitFor(async () => ((await t.api('GET', '/api/sessions', undefined, auth)).body.sessions as Array<{ id: string; recording: unknown }>).find((s) => s.recording)?.id, {
      timeoutMs: 30_000,
      what: 'the recorded session',
    });
    await expect.poll(() => page.getByTestId(`session-recording-${id}`).textContent(), { timeout: 15_000 }).toMatch(/^recording · /);

    // Two seconds of video (a complete fragment with a key frame), then ended from the page.
    const file = join(t.dataDir, 'artifacts', id, 'recording.mp4');
    await waitFor(
      async () => {
        const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).catch(() => ({ stdout: '0' }));
        return Number(stdout.trim()) >= 2;
      },
      { timeoutMs: 60_000, what: 'two seconds of recording' },
    );
    await page.getByTestId(`session-row-${id}`).getByRole('button', { name: 'End' }).click();
    const row = page.getByTestId(`ended-${id}-row`);
    await expect.poll(() => row.textContent().catch(() => ''), { timeout: 30_000 }).toMatch(/ended by a client.*finished · /);

    await page.getByTestId(`ended-${id}-recording`).click();
    const video = page.getByTestId('recording-video');
    expect(await video.getAttribute('src')).toBe(`/api/sessions/${id}/recording?access_token=${TOKEN}`);
    await expect
      .poll(() => video.evaluate((v: HTMLVideoElement) => ({ ready: v.readyState >= 2, width: v.videoWidth, error: v.error?.message ?? null })), { timeout: 30_000 })
      .toEqual({ ready: true, width: 640, error: null });
    await page.screenshot({ path: join(shots, 'device-recording.png') });
    expect(violations).toEqual([]);
    await page.close();
  });
});
