// WebDriver through the appliance (issue: every automation client works): selenium-webdriver and
// WebdriverIO create sessions at /wd/hub with the token as Basic auth, navigate, find an element,
// take a screenshot and quit, and the Outpost session is gone when they return; the live view
// shows the WebDriver session's page; refusals are W3C errors. Real chromium and chromedriver.
import { chromium, type Browser } from 'playwright-core';
import { Builder, By, type WebDriver } from 'selenium-webdriver';
import { remote } from 'webdriverio';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../../test/appliance.js';
import { liveViewCenterPixel, useToken } from '../../test/browser.js';
import { CHROMIUM, testToken, waitFor } from '../../test/helpers.js';
import { startTestPages, type TestPages } from '../../test/pages.js';
import { findOwnedProcesses, ownerKey } from '../sessions/backends/owned-processes.js';

const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };

describe('WebDriver clients through the appliance', () => {
  let t: TestAppliance;
  let pages: TestPages;
  let hub: string;
  let viewer: Browser;
  beforeAll(async () => {
    pages = await startTestPages();
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN, OUTPOST_POOL_HEADLESS: '1' });
    const port = new URL(t.base).port;
    hub = `http://:${TOKEN}@127.0.0.1:${port}/wd/hub`;
    viewer = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
  });
  afterAll(async () => {
    await viewer?.close();
    await t?.close();
    await pages?.close();
  });

  const sessions = async () => (await t.api('GET', '/api/sessions', undefined, auth)).body.sessions as Array<{ id: string; vnc_enabled: boolean }>;
  const chromedrivers = () => findOwnedProcesses(ownerKey(t.dataDir)).filter((p) => p.command.endsWith('chromedriver'));

  it('selenium-webdriver: new session, get, find an element, screenshot, quit; the Outpost session goes with it', async () => {
    const driver: WebDriver = await new Builder().usingServer(hub).forBrowser('chrome').build();
    let outpostId: string;
    try {
      const caps = await driver.getCapabilities();
      outpostId = caps.get('outpost:session') as string;
      expect((await sessions()).map((s) => s.id)).toEqual([outpostId]);
      expect(caps.get('se:cdp')).toBe(`${t.base.replace(/^http/, 'ws')}/sessions/${outpostId}/cdp`);
      expect(caps.get('goog:chromeOptions')).toBeUndefined();
      await driver.get(`${pages.url}/title?t=Hello%20Selenium`);
      expect(await driver.getTitle()).toBe('Hello Selenium');
      expect(await driver.findElement(By.css('h1')).getText()).toBe('hello');
      const png = Buffer.from(await driver.takeScreenshot(), 'base64');
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(chromedrivers()).toHaveLength(1);
    } finally {
      await driver.quit();
    }
    expect(await sessions()).toEqual([]);
    await waitFor(() => chromedrivers().length === 0, { what: 'chromedriver to exit' });
  });

  it('shows the WebDriver session live: outpost:options {vnc: true}, and the live view shows its page', async () => {
    const driver = await new Builder()
      .usingServer(hub)
      .withCapabilities({ browserName: 'chrome', 'outpost:options': { vnc: true, width: 800, height: 600 } })
      .build();
    try {
      const caps = await driver.getCapabilities();
      expect(caps.get('se:vncEnabled')).toBe(true);
      const live = caps.get('outpost:vnc') as string;
      expect(live).toMatch(new RegExp(`^${t.base}/vnc/\\?session=${caps.get('outpost:session')}#password=`));
      await driver.get(`${pages.url}/color?c=00ffff`);
      const page = await viewer.newPage({ viewport: { width: 900, height: 700 } });
      try {
        await useToken(page, TOKEN);
        await page.goto(live);
        await expect.poll(() => liveViewCenterPixel(page), { timeout: 20_000 }).toEqual([0, 255, 255]);
        await driver.get(`${pages.url}/color?c=ff00ff`);
        await expect.poll(() => liveViewCenterPixel(page), { timeout: 20_000 }).toEqual([255, 0, 255]);
      } finally {
        await page.close();
      }
    } finally {
      await driver.quit();
    }
    expect(await sessions()).toEqual([]);
  });

  it('WebdriverIO: a session at /wd/hub with the token in headers, a page, an element, deleteSession', async () => {
    const port = Number(new URL(t.base).port);
    // user/key reach only the new-session request in WebdriverIO (as with Selenium Grid's basic
    // auth): the token goes in `headers`, sent with every command.
    const browser = await remote({
      hostname: '127.0.0.1',
      port,
      path: '/wd/hub',
      headers: auth,
      logLevel: 'silent',
      capabilities: { browserName: 'chrome' },
    });
    try {
      expect(await sessions()).toHaveLength(1);
      await browser.url(`${pages.url}/title?t=Hello%20WebdriverIO`);
      expect(await browser.getTitle()).toBe('Hello WebdriverIO');
      expect(await browser.$('h1').getText()).toBe('hello');
    } finally {
      await browser.deleteSession();
    }
    expect(await sessions()).toEqual([]);
  });

  it('WebDriver BiDi: webSocketUrl leads through the appliance to chromedriver\'s BiDi socket', async () => {
    const created = await fetch(`${t.base}/wd/hub/session`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ capabilities: { alwaysMatch: { browserName: 'chrome', webSocketUrl: true } } }),
    });
    const { value } = (await created.json()) as { value: { sessionId: string; capabilities: { webSocketUrl: string } } };
    expect(value.capabilities.webSocketUrl).toBe(`${t.base.replace(/^http/, 'ws')}/wd/hub/session/${value.sessionId}/se/bidi`);
    const ws = new WebSocket(value.capabilities.webSocketUrl, { headers: auth });
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const reply = new Promise<{ id: number; result?: { ready: boolean } }>((resolve) => ws.once('message', (m) => resolve(JSON.parse(m.toString()))));
      ws.send(JSON.stringify({ id: 1, method: 'session.status', params: {} }));
      expect(await reply).toMatchObject({ id: 1, result: expect.objectContaining({ ready: expect.any(Boolean) }) });
    } finally {
      ws.close();
    }
    expect((await fetch(`${t.base}/wd/hub/session/${value.sessionId}`, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect(await sessions()).toEqual([]);
  });

  it('ends the WebDriver session with its Outpost session, and answers W3C errors', async () => {
    const created = await fetch(`${t.base}/session`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ capabilities: { alwaysMatch: { browserName: 'chromium', 'goog:chromeOptions': { args: ['--headless=new', '--window-size=1024,700'] } } } }),
    });
    expect(created.status).toBe(200);
    const { value } = (await created.json()) as { value: { sessionId: string; capabilities: Record<string, unknown> } };
    const outpostId = value.capabilities['outpost:session'] as string;
    expect((await t.api('GET', `/api/sessions/${outpostId}`, undefined, auth)).body).toMatchObject({ width: 1024, height: 700 });
    expect((await t.api('DELETE', `/api/sessions/${outpostId}`, undefined, auth)).status).toBe(200);
    const after = await fetch(`${t.base}/session/${value.sessionId}/url`, { headers: auth });
    expect(after.status).toBe(404);
    expect(((await after.json()) as { value: { error: string } }).value.error).toBe('invalid session id');
    await waitFor(() => chromedrivers().length === 0, { what: 'chromedriver to exit' });

    const post = (body: unknown, headers: Record<string, string> = auth) =>
      fetch(`${t.base}/wd/hub/session`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        value: ((await r.json()) as { value: { error: string; message: string } }).value,
      }));
    expect(await post({ capabilities: {} }, {})).toMatchObject({ status: 401 });
    expect(await post({ capabilities: { alwaysMatch: { browserName: 'firefox' } } })).toMatchObject({ status: 400, value: { error: 'session not created', message: expect.stringMatching(/firefox/) } });
    expect(await post({ capabilities: { alwaysMatch: { 'goog:chromeOptions': { args: ['--load-extension=/tmp/x'] } } } })).toMatchObject({ status: 400, value: { message: expect.stringMatching(/--load-extension/) } });
    expect(await post({ capabilities: { alwaysMatch: { 'outpost:options': { width: 'wide' } } } })).toMatchObject({ status: 400, value: { error: 'invalid argument', message: expect.stringMatching(/outpost:options\.width/) } });
    const status = await fetch(`${t.base}/wd/hub/status`, { headers: auth });
    expect(((await status.json()) as { value: { ready: boolean } }).value.ready).toBe(true);
    expect(await sessions()).toEqual([]);
  });
});
