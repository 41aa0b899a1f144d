// The API docs page (/docs, Swagger UI: device/src/shared/http/api-docs.ts) in the system chromium:
// closed to a browser without the token, and, for one that sends it, working under the UI pages'
// Content-Security-Policy and the cross-site guard: the document loads, every operation is
// listed, and "Try it out" calls the API, with the token the Authorize dialog takes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, startAppliance, type TestAppliance, testToken, watchCspViolations } from '../../device/test/index.js';

const SHOTS = join(process.cwd(), 'test-results');

/** Opens an operation's block in Swagger UI, e.g. ('get', '/api/sessions'). */
function operation(page: Page, method: string, path: string) {
  return page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

async function execute(page: Page, method: string, path: string): Promise<string> {
  const op = operation(page, method, path);
  if (!(await op.locator('.execute').isVisible())) {
    if (!(await op.locator('.try-out__btn').isVisible())) await op.locator('.opblock-summary').click();
    await op.locator('.try-out__btn').click();
  }
  await op.locator('.execute').click();
  const status = op.locator('.live-responses-table tr.response .response-col_status').first();
  await status.waitFor({ timeout: 15_000 });
  const text = (await status.textContent())?.trim() ?? '';
  await op.locator('.btn-clear').click();
  return text;
}

describe('the API docs page in a browser', () => {
  const TOKEN = testToken();
  let t: TestAppliance;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a browser without the token nothing but the 401', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${t.base}/docs`);
    expect(res?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('unauthorized');
    await page.close();
  });

  it('lists every operation and runs them with the token from Authorize, under the CSP, for a browser that sends the token to /docs', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const violations = await watchCspViolations(page);
    // What a proxy in front, or a header extension, does for the docs: the token on /docs and
    // its files only. The API calls of "Try it out" carry what the Authorize dialog was given.
    await page.route(`${t.base}/docs**`, (route) => route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${TOKEN}` } }));
    const res = await page.goto(`${t.base}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");

    await operation(page, 'get', '/api/sessions').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('.opblock').count()).toBeGreaterThan(20);
    await expect(page.locator('.info .title').textContent()).resolves.toContain('Outpost device appliance');
    // The public probe answers without a token; a closed route, not before Authorize.
    expect(await execute(page, 'get', '/api/health')).toBe('200');
    expect(await execute(page, 'get', '/api/sessions')).toBe('401');

    await page.locator('.auth-wrapper .authorize').click();
    await page.locator('.modal-ux input').fill(TOKEN);
    await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
    await page.locator('.modal-ux .btn-done').click();
    expect(await execute(page, 'get', '/api/sessions')).toBe('200');

    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(SHOTS, 'docs-ui.png') });
    expect(violations).toEqual([]);
    await page.close();
  });
});
