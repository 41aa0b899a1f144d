// Sessions across the fleet with a real appliance behind the monitor: create on the least-loaded
// device, drive it with Playwright and watch it live through the monitor's address only.
import { CHROMIUM, liveViewCenterPixel, startAppliance, startTestPages, tempDir, type TestAppliance, type TestPages, testToken, useToken } from '../../../device/test/index.js';
import { chromium, type Browser } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { Builder, By } from 'selenium-webdriver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorOver, type TestMonitor } from '../../test/test-fleet.js';

const DEVICE_TOKEN = testToken();
const FLEET_TOKEN = testToken();

describe('sessions through the fleet monitor', () => {
  const dir = tempDir('outpost-fleet-sessions-');
  let device: TestAppliance;
  let monitor: TestMonitor;
  let fleetBase: string;
  let pages: TestPages;
  let browser: Browser;
  const auth = { authorization: `Bearer ${FLEET_TOKEN}` };
  const api = (method: string, url: string, body?: unknown) => monitor.api(method, url, body);
  const cycle = () => monitor.poll();

  beforeAll(async () => {
    pages = await startTestPages();
    device = await startAppliance({ OUTPOST_API_TOKEN: DEVICE_TOKEN, OUTPOST_DEVICE_ID: 'kiosk-1' });
    const port = new URL(device.base).port;
    monitor = await monitorOver(dir.path, [{ id: 'kiosk-1', port }, { id: 'kiosk-gone', port: 1 }], { token: FLEET_TOKEN, deviceToken: DEVICE_TOKEN }, { OUTPOST_FLEET_FAILURES_TO_OFFLINE: '1' });
    fleetBase = monitor.base;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await monitor?.close();
    await device?.close();
    await pages?.close();
    dir.remove();
  });

  it('creates a session on the least-loaded online device and a Playwright client drives it through the monitor', async () => {
    const res = await api('POST', '/api/sessions', { client_id: 'via-fleet' });
    expect(res.status).toBe(201);
    expect(res.body.device).toBe('kiosk-1');
    expect(res.body.ws_endpoint).toBe(`${fleetBase.replace('http', 'ws')}/sessions/kiosk-1/${res.body.id}/playwright`);
    const client = await chromium.connect(res.body.ws_endpoint, { headers: auth });
    const page = await client.newPage();
    await page.goto(`${pages.url}/title?t=through%20the%20fleet`);
    expect(await page.title()).toBe('through the fleet');
    await client.close();

    await cycle(); // the device now reports an active session
    const list = await api('GET', '/api/sessions');
    expect(list.body.sessions.map((s: { id: string }) => s.id)).toContain(res.body.id);
    const deleted = await api('DELETE', `/api/sessions/kiosk-1/${res.body.id}`);
    expect(deleted.status).toBe(200);
    expect((await device.api('GET', `/api/sessions/${res.body.id}`, undefined, { authorization: `Bearer ${DEVICE_TOKEN}` })).status).toBe(404);
  });

  it('serves CDP clients through the monitor: Puppeteer on cdp_endpoint, connectOverCDP on its http:// form', async () => {
    const res = await api('POST', '/api/sessions', { device: 'kiosk-1' });
    expect(res.status).toBe(201);
    const cdp = res.body.cdp_endpoint as string;
    expect(cdp).toBe(`${fleetBase.replace('http', 'ws')}/sessions/kiosk-1/${res.body.id}/cdp`);
    const viaPuppeteer = await puppeteer.connect({ browserWSEndpoint: cdp, headers: auth });
    try {
      const page = await viaPuppeteer.newPage();
      await page.goto(`${pages.url}/title?t=Puppeteer%20via%20the%20monitor`);
      expect(await page.title()).toBe('Puppeteer via the monitor');
    } finally {
      await viaPuppeteer.disconnect();
    }
    const version = await api('GET', `/sessions/kiosk-1/${res.body.id}/cdp/json/version`);
    expect(version.body.webSocketDebuggerUrl).toBe(cdp);
    const viaPlaywright = await chromium.connectOverCDP(cdp.replace(/^ws/, 'http'), { headers: auth });
    try {
      const page = await (viaPlaywright.contexts()[0] ?? (await viaPlaywright.newContext())).newPage();
      await page.goto(`${pages.url}/title?t=over%20CDP`);
      const list = (await api('GET', `/sessions/kiosk-1/${res.body.id}/cdp/json/list`)).body as Array<{ url: string; webSocketDebuggerUrl?: string }>;
      expect(list.find((x) => x.url.includes('over%20CDP'))?.webSocketDebuggerUrl).toMatch(new RegExp(`^${cdp}/devtools/page/[A-Za-z0-9-]+$`));
    } finally {
      await viaPlaywright.close();
    }
    expect((await api('GET', `/sessions/kiosk-1/${res.body.id}/cdp/json/version`.replace('kiosk-1', 'nope'))).status).toBe(404);
    await api('DELETE', `/api/sessions/kiosk-1/${res.body.id}`);
  });

  it('connect-and-go through the monitor: ws://<monitor>/playwright and /cdp place a session on a device, and disconnecting ends it', async () => {
    const ws = fleetBase.replace(/^http/, 'ws');
    const deviceSessions = async () => (await device.api('GET', '/api/sessions', undefined, { authorization: `Bearer ${DEVICE_TOKEN}` })).body.sessions as Array<{ id: string; client_id: string | null }>;
    const before = (await deviceSessions()).length;
    const viaPlaywright = await chromium.connect(`${ws}/playwright?token=${FLEET_TOKEN}&client_id=uptime-check`);
    try {
      expect((await deviceSessions()).filter((s) => s.client_id === 'uptime-check')).toHaveLength(1);
      const page = await viaPlaywright.newPage();
      await page.goto(`${pages.url}/title?t=placed%20by%20the%20monitor`);
      expect(await page.title()).toBe('placed by the monitor');
    } finally {
      await viaPlaywright.close();
    }
    await expect.poll(async () => (await deviceSessions()).length, { timeout: 10_000 }).toBe(before);

    const viaPuppeteer = await puppeteer.connect({ browserWSEndpoint: `${ws}/cdp?device=kiosk-1`, headers: auth });
    try {
      const page = await viaPuppeteer.newPage();
      await page.goto(`${pages.url}/title?t=CDP%20placed`);
      expect(await page.title()).toBe('CDP placed');
    } finally {
      await viaPuppeteer.disconnect();
    }
    await expect.poll(async () => (await deviceSessions()).length, { timeout: 10_000 }).toBe(before);

    // Refusals are HTTP answers before the upgrade: no token, an unknown or offline device, and
    // the device's own refusal of an option passed through with its status.
    await expect(chromium.connect(`${ws}/playwright`)).rejects.toThrow(/401/);
    await expect(chromium.connect(`${ws}/playwright?token=${FLEET_TOKEN}&device=nope`)).rejects.toThrow(/404/);
    await expect(chromium.connect(`${ws}/playwright?token=${FLEET_TOKEN}&device=kiosk-gone`)).rejects.toThrow(/409/);
    await expect(chromium.connect(`${ws}/playwright?token=${FLEET_TOKEN}&ttl_s=10000000`)).rejects.toThrow(/400/);
    expect(await deviceSessions()).toHaveLength(before);
  });

  it('WebDriver through the monitor: selenium-webdriver at <monitor>/wd/hub, placed on a device, commands relayed, quit ends it there', async () => {
    const deviceSessions = async () => (await device.api('GET', '/api/sessions', undefined, { authorization: `Bearer ${DEVICE_TOKEN}` })).body.sessions as Array<{ id: string }>;
    const before = (await deviceSessions()).length;
    const port = new URL(fleetBase).port;
    const driver = await new Builder()
      .usingServer(`http://:${FLEET_TOKEN}@127.0.0.1:${port}/wd/hub`)
      .withCapabilities({ browserName: 'chrome', 'outpost:options': { device: 'kiosk-1', client_id: 'selenium-via-fleet' } })
      .build();
    try {
      const caps = await driver.getCapabilities();
      expect(caps.get('outpost:device')).toBe('kiosk-1');
      expect(caps.get('se:cdp')).toBe(`${fleetBase.replace('http', 'ws')}/sessions/kiosk-1/${caps.get('outpost:session')}/cdp`);
      expect((await deviceSessions()).map((s) => s.id)).toContain(caps.get('outpost:session'));
      await driver.get(`${pages.url}/title?t=Selenium%20via%20the%20monitor`);
      expect(await driver.getTitle()).toBe('Selenium via the monitor');
      expect(await driver.findElement(By.css('h1')).getText()).toBe('hello');
    } finally {
      await driver.quit();
    }
    expect(await deviceSessions()).toHaveLength(before);
    const unknown = await fetch(`${fleetBase}/wd/hub/session/nope/url`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { value: { error: string } }).value.error).toBe('invalid session id');
    expect((await fetch(`${fleetBase}/wd/hub/session`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
  });

  it('shows a VNC session live through the monitor', async () => {
    const res = await api('POST', '/api/sessions', { device: 'kiosk-1', vnc: true, width: 800, height: 600, start_url: `${pages.url}/color?c=00ffff` });
    expect(res.status).toBe(201);
    expect(res.body.vnc.http).toMatch(new RegExp(`^${fleetBase}/vnc/\\?device=kiosk-1&session=${res.body.id}#password=`));
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await useToken(page, FLEET_TOKEN);
    await page.goto(res.body.vnc.http);
    await expect.poll(() => page.getByTestId('vnc-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    await expect
      .poll(
        () => liveViewCenterPixel(page),
        { timeout: 20_000 },
      )
      .toEqual([0, 255, 255]);
    await page.close();
    await api('DELETE', `/api/sessions/kiosk-1/${res.body.id}`);
  });

  it('refuses unknown and offline devices and bad bodies, and passes device errors through', async () => {
    expect((await api('POST', '/api/sessions', { device: 'nope' })).status).toBe(404);
    const offline = await api('POST', '/api/sessions', { device: 'kiosk-gone' });
    expect(offline.status).toBe(409);
    expect(offline.body.error.code).toBe('device_not_online');
    const bad = await api('POST', '/api/sessions', { width: 'wide' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/body\.width must be integer/);
    const fromDevice = await api('POST', '/api/sessions', { device: 'kiosk-1', ttl_s: 10_000_000 });
    expect(fromDevice.status).toBe(400);
    expect(fromDevice.body.error.message).toMatch(/ttl_s/);
     // The identity and browser settings pass through; the device checks what only it can.
    const refusedSwitch = await api('POST', '/api/sessions', { device: 'kiosk-1', extra_args: ['--renderer-cmd-prefix=gdb'] });
    expect(refusedSwitch.status).toBe(400);
    expect(refusedSwitch.body.error.message).toMatch(/--renderer-cmd-prefix is not on the allow-list/);
    expect((await api('POST', '/api/sessions', { block_urls: 'x' })).body.error.message).toMatch(/body\.block_urls must be array/);
  });

  it('drains a device for an operator: no session is placed there, the dashboard shows it, and it ends', async () => {
    const started = await api('POST', '/api/devices/kiosk-1/drain', {});
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.drain.state).toMatch(/^drain(ing|ed)$/);
    await cycle();
    expect((await api('GET', '/api/devices/kiosk-1')).body.drain).toMatch(/^drain(ing|ed)$/);
    // The monitor does not place a new session on it (the only online device): nothing to choose.
    const refused = await api('POST', '/api/sessions', {});
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('no_device_available');
    // Asked for by name, the device itself refuses.
    const named = await api('POST', '/api/sessions', { device: 'kiosk-1' });
    expect(named.status).toBe(503);
    expect(named.body.error.code).toBe('draining');

    expect((await api('DELETE', '/api/devices/kiosk-1/drain')).body).toEqual({ drain: null });
    await cycle();
    expect((await api('GET', '/api/devices/kiosk-1')).body.drain).toBeNull();
    expect((await api('POST', '/api/devices/nope/drain', {})).status).toBe(404);
    expect((await api('POST', '/api/devices/kiosk-1/drain', { timeout_s: -1 })).status).toBe(400);
  });
});
