// Connect-and-go (issue: every automation client works): Playwright and Puppeteer clients given
// only ws://<appliance>/playwright or /cdp, no POST first. The connection opens a session (from the
// warm pool when it matches), the options come from the query, the token from ?token= or a header,
// refusals are HTTP answers before the upgrade, and the session ends when the client disconnects.
// Real chromium throughout.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, waitForPool, type TestAppliance } from '../../test/appliance.js';
import { testToken, waitFor } from '../../test/helpers.js';
import { startTestPages, type TestPages } from '../../test/pages.js';
import { rawRequest } from '../../test/route-table.js';

const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };

describe('connect-and-go URLs', () => {
  let t: TestAppliance;
  let pages: TestPages;
  let ws: string;
  beforeAll(async () => {
    pages = await startTestPages();
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN, OUTPOST_POOL_HEADLESS: '1' });
    ws = t.base.replace(/^http/, 'ws');
    await waitForPool(t, 1, 0);
  });
  afterAll(async () => {
    await t?.close();
    await pages?.close();
  });

  const port = () => Number(new URL(t.base).port);
  const sessions = async () => (await t.api('GET', '/api/sessions', undefined, auth)).body.sessions as Array<{ id: string; width: number; height: number; client_id: string | null; connections: number }>;
  const poolClaims = () => t.app.metrics.registry.getSingleMetric('outpost_sessions_created_total')!.get().then((m) => m.values.find((v) => v.labels.source === 'pool')?.value ?? 0);

  it('Playwright: ws://…/playwright?token= opens a session from the warm pool, serves a page, and the session ends on disconnect', async () => {
    const claimed = await poolClaims();
    const browser = await chromium.connect(`${ws}/playwright?token=${TOKEN}`);
    try {
      expect(await sessions()).toHaveLength(1);
      expect(await poolClaims()).toBe(claimed + 1);
      const page = await browser.newPage();
      await page.goto(`${pages.url}/title?t=Connect%20and%20go`);
      expect(await page.title()).toBe('Connect and go');
      expect((await sessions())[0]!.connections).toBe(1);
    } finally {
      await browser.close();
    }
    await waitFor(async () => (await sessions()).length === 0, { what: 'the connect-and-go session to end on disconnect' });
  });

  it('Puppeteer: ws://…/cdp with the token in a header and options in the query', async () => {
    const browser = await puppeteer.connect({ browserWSEndpoint: `${ws}/cdp?width=800&height=600&client_id=kuma`, headers: auth, defaultViewport: null });
    try {
      const [s] = await sessions();
      expect(s).toMatchObject({ width: 800, height: 600, client_id: 'kuma' });
      const page = await browser.newPage();
      await page.goto(`${pages.url}/title?t=Hello%20CDP`);
      expect(await page.title()).toBe('Hello CDP');
      expect(await page.evaluate('[window.outerWidth, window.outerHeight]')).toEqual([800, 600]);
    } finally {
      await browser.disconnect();
    }
    await waitFor(async () => (await sessions()).length === 0, { what: 'the CDP session to end on disconnect' });
  });

  it('connectOverCDP on ws://…/cdp, and start_url opens the first page', async () => {
    const browser = await chromium.connectOverCDP(`${ws}/cdp?access_token=${TOKEN}&start_url=${encodeURIComponent(`${pages.url}/title?t=Started`)}`);
    try {
      const titles = await Promise.all(browser.contexts().flatMap((c) => c.pages()).map((p) => p.title()));
      expect(titles).toContain('Started');
    } finally {
      await browser.close();
    }
    await waitFor(async () => (await sessions()).length === 0, { what: 'the session to end on disconnect' });
  });

  it('refuses before the upgrade, with a status and a reason: no token, a bad option, an unknown option', async () => {
    for (const path of ['/playwright', '/cdp']) {
      expect((await rawRequest(port(), { method: 'GET', path, upgrade: true })).status).toBe(401);
      const bad = await rawRequest(port(), { method: 'GET', path: `${path}?width=wide`, upgrade: true, headers: auth });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatch(/width/);
      const unknown = await rawRequest(port(), { method: 'GET', path: `${path}?colour=red`, upgrade: true, headers: auth });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatch(/colour/);
    }
    await expect(chromium.connect(`${ws}/playwright?token=wrong`)).rejects.toThrow(/401/);
    expect(await sessions()).toEqual([]);
  });

  it('ends a session whose client went away during the upgrade', async () => {
    // rawRequest closes the socket as soon as the 101 arrives: the relay never carries a message.
    expect((await rawRequest(port(), { method: 'GET', path: '/playwright', upgrade: true, headers: auth })).status).toBe(101);
    await waitFor(async () => (await sessions()).length === 0, { what: 'the abandoned session to end' });
  });
});
