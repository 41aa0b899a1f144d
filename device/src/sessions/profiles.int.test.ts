// Persistent profiles (issue 15): a cookie set in one session of a profile is there in the next,
// also after an appliance restart; one live session per profile; the profiles API lists, exports
// and deletes. Real chromium, through Playwright's connect like any client.
import { createServer, type Server } from 'node:http';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../../test/appliance.js';
import { tempDir } from '../../test/helpers.js';

describe('persistent profiles', () => {
  const dir = tempDir('outpost-profiles-');
  let site: Server;
  let url: string;
  let t: TestAppliance | undefined;
  beforeAll(async () => {
    // /set gives a lasting cookie; every page's title is the cookies it was sent.
    site = createServer((req, res) => {
      const headers: Record<string, string> = { 'content-type': 'text/html' };
      if (req.url === '/set') headers['set-cookie'] = 'login=alice; Max-Age=86400; Path=/';
      res.writeHead(200, headers).end(`<!doctype html><title>${req.headers.cookie ?? 'no cookie'}</title>`);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await t?.close();
    site.close();
    dir.remove();
  });

  const start = async () => (t = await startAppliance({ OUTPOST_DATA_DIR: dir.path }));
  /** A session of the profile, its title at `path` as the profile's context sees it, and the session id. */
  const visit = async (path: string, body: Record<string, unknown> = { profile: 'shop' }) => {
    const res = await t!.api('POST', '/api/sessions', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.profile).toBe('shop');
    const browser = await chromium.connect(res.body.ws_endpoint);
    try {
      // The profile is the browser's own context; a new context would be a clean one.
      const context = browser.contexts()[0]!;
      const page = await context.newPage();
      await page.goto(`${url}${path}`);
      return { id: res.body.id as string, title: await page.title() };
    } finally {
      await browser.close();
    }
  };

  it('keeps a login from one session of a profile to the next, and across a restart', { timeout: 180_000 }, async () => {
    await start();
    const first = await visit('/set');
    expect(first.title).toBe('no cookie');
    expect((await t!.api('DELETE', `/api/sessions/${first.id}`)).status).toBe(200);

    const second = await visit('/get');
    expect(second.title).toBe('login=alice');
    // One live session per profile.
    const refused = await t!.api('POST', '/api/sessions', { profile: 'shop' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('profile_in_use');
    expect(refused.body.error.message).toContain(second.id);
    // Other sessions are not touched by it: no cookie there.
    const plain = await t!.api('POST', '/api/sessions', {});
    const other = await chromium.connect(plain.body.ws_endpoint);
    const page = await other.newPage();
    await page.goto(`${url}/get`);
    expect(await page.title()).toBe('no cookie');
    await other.close();
    await t!.api('DELETE', `/api/sessions/${plain.body.id}`);

    await t!.close();
    t = undefined;
    await start();
    const afterRestart = await visit('/get');
    expect(afterRestart.title).toBe('login=alice');
    await t!.api('DELETE', `/api/sessions/${afterRestart.id}`);
  });

  it('lists, exports and deletes profiles, refusing one in use and names that are paths', async () => {
    if (!t) await start();
    const live = await t!.api('POST', '/api/sessions', { profile: 'shop', client_id: 'exporter' });
    const listed = await t!.api('GET', '/api/profiles');
    expect(listed.body.profiles).toEqual([{ name: 'shop', size_bytes: expect.any(Number), modified_at: expect.any(String), session: live.body.id }]);
    expect(listed.body.profiles[0].size_bytes).toBeGreaterThan(10_000);
    expect((await t!.api('GET', '/api/profiles/shop/export')).status).toBe(409);
    expect((await t!.api('DELETE', '/api/profiles/shop')).status).toBe(409);
    // The same client gets its live session back.
    expect((await t!.api('POST', '/api/sessions', { profile: 'shop', client_id: 'exporter' })).status).toBe(200);
    await t!.api('DELETE', `/api/sessions/${live.body.id}`);

    const tar = await fetch(`${t!.base}/api/profiles/shop/export`);
    expect(tar.status).toBe(200);
    expect(tar.headers.get('content-disposition')).toContain('outpost-profile-shop.tar');
    const bytes = Buffer.from(await tar.arrayBuffer());
    expect(bytes.subarray(257, 262).toString('latin1')).toBe('ustar');
    expect(bytes.toString('latin1')).toContain('shop/Default/');

    for (const bad of ['..', '.hidden', 'a%2Fb', 'a b']) {
      expect((await t!.api('POST', '/api/sessions', { profile: decodeURIComponent(bad) })).status, bad).toBe(400);
      expect((await t!.api('DELETE', `/api/profiles/${bad}`)).status, bad).toBeGreaterThanOrEqual(400);
    }
    expect((await t!.api('DELETE', '/api/profiles/nothing-here')).status).toBe(404);
    expect((await t!.api('DELETE', '/api/profiles/shop')).body).toEqual({ deleted: 'shop' });
    expect((await t!.api('GET', '/api/profiles')).body.profiles).toEqual([]);
  });
});
