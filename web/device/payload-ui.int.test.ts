// The Payload page as an operator uses it: a real container, stopped and started from the UI,
// its log lines on screen.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { BUSYBOX_IMAGE, CHROMIUM, dockerClient, startAppliance, TEST_LABEL, type TestAppliance } from '../../device/test/index.js';

const name = `outpost-test-payload-ui-${process.pid}`;

describe('payload page', () => {
  const docker = dockerClient();
  let t: TestAppliance;
  let browser: Browser;
  beforeAll(async () => {
    const c = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      name,
      Labels: { [TEST_LABEL]: 'payload-ui' },
      Cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; echo "autopilot 2.4 ready"; while true; do echo heartbeat; sleep 0.5; done'],
    });
    await c.start();
    t = await startAppliance({ OUTPOST_PAYLOAD_CONTAINER: name, OUTPOST_HOST_REFRESH_S: '1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(join(rootDir, 'test-results'), { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  });

  it('shows state and logs, stops and starts the container', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${t.base}/`);
    await expect.poll(() => page.getByTestId('payload-state').textContent(), { timeout: 10_000 }).toBe('running');
    await page.getByTestId('payload-manage').click();
    await page.getByTestId('payload-page').waitFor();
    await expect.poll(() => page.getByTestId('payload-logs').textContent(), { timeout: 10_000 }).toContain('autopilot 2.4 ready');
    expect(await page.getByTestId('payload-version').textContent()).toBe('1.0');

    await page.getByTestId('payload-stop').click();
    await expect.poll(() => page.getByTestId('payload-state').textContent(), { timeout: 20_000 }).toBe('exited');
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(false);
    expect(await page.getByTestId('payload-stop').isDisabled()).toBe(true);

    await page.getByTestId('payload-start').click();
    await expect.poll(() => page.getByTestId('payload-state').textContent(), { timeout: 20_000 }).toBe('running');
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(true);
    await page.screenshot({ path: join(rootDir, 'test-results', 'device-ui-payload.png'), fullPage: true });
    await page.close();
  });
});
