// The Releases page as the fleet owner uses it: the built dashboard served by the real monitor,
// configured with the test releases' public key; a release built and signed by build-release.sh
// uploaded through the page, a tampered one refused with the reason shown, one a rollout offers
// kept from deletion, and one no rollout uses deleted.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, tempDir, testToken, useToken } from '../../device/test/index.js';
import { oneDeviceFleet } from '../../fleet/test/test-fleet.js';

// Provided by device/test/global-setup.ts (declared there too; web/tsconfig.json does not see it).
declare module 'vitest' {
  export interface ProvidedContext {
    testReleasesDir: string;
  }
}

const TOKEN = testToken();
const name = (v: string) => `outpost-${v}-linux-x64.tar.gz`;

describe('the Releases page', () => {
  const built = join(inject('testReleasesDir'), 'out');
  const dir = tempDir('outpost-releases-ui-');
  const releases = join(dir.path, 'releases');
  const shots = join(rootDir, 'test-results');
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    app = await oneDeviceFleet(dir.path, { OUTPOST_FLEET_TOKEN: TOKEN, OUTPOST_FLEET_RELEASE_PUBKEY: join(inject('testReleasesDir'), 'keys', 'release-signing.pub') });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    dir.remove();
  });

  const files = (v: string, tarball = join(built, name(v))) => [tarball, join(built, `${name(v)}.sha256`), join(built, `${name(v)}.sha256.sig`)];

  it('uploads a signed release, refuses a tampered one saying why, keeps one a rollout offers and deletes one no rollout uses', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await useToken(page, TOKEN);
    await page.goto(`${base}/releases`);
    await page.getByText('No releases yet.').waitFor();

    await page.getByTestId('release-upload-files').setInputFiles(files('1.0.0'));
    await page.getByTestId('release-upload-submit').click();
    await page.getByTestId('release-upload-done').getByText('Release 1.0.0 verified and added.').waitFor({ timeout: 60_000 });
    const row = page.getByTestId('release-row-1.0.0');
    await row.getByText('signed').waitFor();
    expect(await row.textContent()).toContain('MiB');
    expect(existsSync(join(releases, name('1.0.0')))).toBe(true);
    await page.screenshot({ path: join(shots, 'fleet-releases-uploaded.png'), fullPage: true });

    // 2.0.0 with bytes added after signing: its signed checksum no longer matches.
    const tampered = join(dir.path, 'tampered');
    mkdirSync(tampered);
    copyFileSync(join(built, name('2.0.0')), join(tampered, name('2.0.0')));
    appendFileSync(join(tampered, name('2.0.0')), 'not what was signed');
    await page.getByTestId('release-upload-files').setInputFiles(files('2.0.0', join(tampered, name('2.0.0'))));
    await page.getByTestId('release-upload-submit').click();
    await page.getByText(/does not match its signed sha256.*tampered/).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('release-row-2.0.0').count()).toBe(0);
    expect(readdirSync(releases).sort()).toEqual([name('1.0.0'), `${name('1.0.0')}.sha256`, `${name('1.0.0')}.sha256.sig`]);
    await page.screenshot({ path: join(shots, 'fleet-releases-tampered-refused.png'), fullPage: true });

    // A rollout on beta offers 1.0.0: the page says so, and it cannot be deleted.
    const started = await app.inject({ method: 'POST', url: '/api/rollouts/beta', headers: { authorization: `Bearer ${TOKEN}` }, payload: { version: '1.0.0', percent: 25 } });
    expect(started.statusCode).toBe(200);
    await page.getByTestId('release-uses-1.0.0').getByText('beta (rollout, active)').waitFor();
    expect(await page.getByTestId('release-delete-1.0.0').isDisabled()).toBe(true);

    // One no rollout uses goes, files and all.
    await page.getByTestId('release-upload-files').setInputFiles(files('1.5.0'));
    await page.getByTestId('release-upload-submit').click();
    await page.getByTestId('release-row-1.5.0').getByText('signed').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(shots, 'fleet-releases-in-use.png'), fullPage: true });
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('release-delete-1.5.0').click();
    await page.getByTestId('release-row-1.5.0').waitFor({ state: 'detached' });
    expect(readdirSync(releases).sort()).toEqual([name('1.0.0'), `${name('1.0.0')}.sha256`, `${name('1.0.0')}.sha256.sig`]);
    await page.close();
  });
});
