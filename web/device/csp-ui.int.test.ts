// The device UI works under its Content-Security-Policy (device/src/shared/http/security-headers.ts): the
// system chromium opens the pages as an operator would, including a live view over a real VNC
// session shown in the UI's frame (the one page that may be framed, by its own origin only), and
// no directive is ever violated. A violation shows as a broken page only sometimes (a style that
// does not apply, a cursor that does not show), so the test listens for them.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, startAppliance, startTestPages, type TestAppliance, type TestPages, testToken, useToken, watchCspViolations } from '../../device/test/index.js';

describe('the device UI under its CSP', () => {
  const TOKEN = testToken();
  let t: TestAppliance;
  let pages: TestPages;
  let browser: Browser;
  beforeAll(async () => {
    pages = await startTestPages();
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await pages?.close();
  });

  it('shows the overview, the Sessions page and a live view in its frame without a violation', async () => {
    const made = await t.api('POST', '/api/sessions', { vnc: true, width: 800, height: 600, client_id: 'csp-check', start_url: `${pages.url}/color?c=0000ff` }, { authorization: `Bearer ${TOKEN}` });
    expect(made.status).toBe(201);
    const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    const violations = await watchCspViolations(page);
    await useToken(page, TOKEN);

    const overview = await page.goto(`${t.base}/`);
    expect(overview?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.getByTestId('device-id').waitFor();

    await page.goto(`${t.base}/sessions`);
    const row = page.locator('[data-testid^="session-row-"]').filter({ hasText: 'csp-check' });
    await row.waitFor({ timeout: 20_000 });
    await row.getByRole('button', { name: 'Live view' }).click();
    const frame = page.frameLocator('[data-testid="live-view-frame"]');
    await expect.poll(() => frame.getByTestId('vnc-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await page.keyboard.press('Escape');

    // The standalone live view page, which draws the remote cursor from a data: URL.
    const live = await page.goto(made.body.vnc.http);
    expect(live?.headers()['content-security-policy']).toContain("frame-ancestors 'self'");
    await expect.poll(() => page.getByTestId('vnc-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await page.mouse.move(300, 300);

    expect(violations).toEqual([]);
    await page.close();
    await t.api('DELETE', `/api/sessions/${made.body.id}`, undefined, { authorization: `Bearer ${TOKEN}` });
  });
});
