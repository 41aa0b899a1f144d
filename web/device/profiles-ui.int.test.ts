// The Profiles page as an operator uses it: the built page served by the real appliance (process
// backend, real chromium), a profile made by a session of its own, refused deletion while that
// session lives, exported as a tar through the token-carrying download, and deleted from the page.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, startAppliance, testToken, useToken, watchCspViolations, type TestAppliance } from '../../device/test/index.js';

const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };
const shots = join(rootDir, 'test-results');

describe('profiles page', () => {
  let t: TestAppliance;
  let browser: Browser;
  beforeAll(async () => {
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists a profile with its size and session, refuses to delete it in use, exports it as a tar and deletes it', async () => {
    const made = await t.api('POST', '/api/sessions', { profile: 'p1' }, auth);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const dir = join(t.dataDir, 'profiles', 'p1');

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // The download goes through an object URL: the page's policy must allow it without a violation.
    const violations = await watchCspViolations(page);
    await useToken(page, TOKEN);
    await page.goto(`${t.base}/`);
    await page.getByRole('link', { name: 'Profiles' }).click();
    const row = page.getByTestId('profile-row-p1');
    await row.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('profile-size-p1').textContent()).toMatch(/^\d+(\.\d)? (KiB|MiB)$/);
    expect(await page.getByTestId('profiles-summary').textContent()).toMatch(/^1 profile · /);
    const session = page.getByTestId('profile-session-p1');
    expect(await session.textContent()).toBe(`in use ${made.body.id.slice(0, 8)}`);
    expect(await session.getByRole('link').getAttribute('href')).toBe('/sessions');

    // Cancelling the question deletes nothing; confirming while the session lives shows the 409.
    page.once('dialog', (d) => void d.dismiss());
    await page.getByTestId('profile-delete-p1').click();
    expect(await page.getByRole('alert').count()).toBe(0);
    page.once('dialog', (d) => {
      expect(d.message()).toContain('Delete profile p1?');
      void d.accept();
    });
    await page.getByTestId('profile-delete-p1').click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(`profile "p1" is in use by session ${made.body.id}; end it first, or create with that session's client_id to get it back (profile_in_use)`);
    expect(existsSync(dir)).toBe(true);
    await page.screenshot({ path: join(shots, 'device-ui-profiles-in-use.png'), fullPage: true });

    expect((await t.api('DELETE', `/api/sessions/${made.body.id}`, undefined, auth)).status).toBe(200);
    await expect.poll(() => session.textContent(), { timeout: 15_000 }).toBe('—');

    // The export goes through fetch with the token header, then a blob download.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('profile-export-p1').click()]);
    expect(download.suggestedFilename()).toBe('outpost-profile-p1.tar');
    const tar = readFileSync((await download.path())!);
    expect(tar.subarray(257, 262).toString('latin1')).toBe('ustar');
    expect(tar.toString('latin1')).toContain('p1/Default/');
    // A new action clears the old refusal.
    expect(await page.getByRole('alert').count()).toBe(0);

    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('profile-delete-p1').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.getByTestId('profiles-empty').waitFor();
    expect(await page.getByTestId('profiles-summary').textContent()).toBe('0 profiles · 0 B');
    expect(existsSync(dir)).toBe(false);
    expect((await t.api('GET', '/api/profiles', undefined, auth)).body).toEqual({ profiles: [] });

    const png = await page.screenshot({ path: join(shots, 'device-ui-profiles-deleted.png'), fullPage: true });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(violations).toEqual([]);
    await page.close();
  });
});
