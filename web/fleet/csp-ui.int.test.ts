// The fleet dashboard works under its Content-Security-Policy (device/src/shared/http/security-headers.ts):
// the system chromium opens the device list, a device and the live view page, and no directive is
// ever violated (the live view over a real device is in fleet/src/api/session-routes.int.test.ts).
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, tempDir, testToken, useToken, watchCspViolations } from '../../device/test/index.js';
import { oneDeviceFleet } from '../../fleet/test/test-fleet.js';

describe('the fleet dashboard under its CSP', () => {
  const TOKEN = testToken();
  const dir = tempDir('outpost-fleet-csp-');
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  beforeAll(async () => {
    app = await oneDeviceFleet(dir.path, { OUTPOST_FLEET_TOKEN: TOKEN });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    dir.remove();
  });

  it('shows the device list, a device and the live view page without a violation', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    const violations = await watchCspViolations(page);
    await useToken(page, TOKEN);
    const res = await page.goto(`${base}/`);
    expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.getByText('kiosk-1').first().waitFor();
    await page.goto(`${base}/devices/kiosk-1`);
    await page.getByText('kiosk-1').first().waitFor();
    // No device is online: the page loads, tries its websocket and says so; what matters is that
    // its script, styles and socket are all allowed.
    const live = await page.goto(`${base}/vnc/?device=kiosk-1&session=abc#password=x`);
    expect(live?.headers()['content-security-policy']).toContain("frame-ancestors 'self'");
    await expect.poll(() => page.getByTestId('vnc-status').getAttribute('data-state'), { timeout: 20_000 }).not.toBe('idle');
    expect(violations).toEqual([]);
    await page.close();
  });
});
