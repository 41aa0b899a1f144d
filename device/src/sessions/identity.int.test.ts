// A session's own egress and identity (issue 15): user_agent, locale and timezone are what the
// page sees, and every request goes through the session's proxy, which the test runs (none around
// it). Real chromium, a real HTTP proxy on loopback.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, waitForPool, type TestAppliance } from '../../test/appliance.js';
import { waitFor } from '../../test/helpers.js';

describe('per-session identity and egress', () => {
  let t: TestAppliance;
  let site: Server;
  let proxy: Server;
  let siteUrl: string;
  let proxyUrl: string;
  /** What the site was asked, and whether each request came through the proxy. */
  const seen: Array<{ path: string; viaProxy: boolean }> = [];
  const proxied: string[] = [];

  beforeAll(async () => {
    site = createServer((req, res) => {
      seen.push({ path: req.url ?? '', viaProxy: req.headers['x-test-proxy'] === '1' });
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>identity</title>');
    });
    // A plain forward proxy: absolute-form requests, passed on with a header saying so.
    proxy = createServer((req, res) => {
      proxied.push(req.url ?? '');
      const target = new URL(req.url ?? '');
      const upstream = request(
        { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: { ...req.headers, 'x-test-proxy': '1' } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    await Promise.all([site, proxy].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    t = await startAppliance({ OUTPOST_POOL_HEADLESS: '1' });
  });
  afterAll(async () => {
    await t?.close();
    site?.close();
    proxy?.close();
  });

  it('shows the page the session\'s user agent, language and time zone, and sends everything through its proxy', async () => {
    const res = await t.api('POST', '/api/sessions', { proxy: proxyUrl, user_agent: 'OutpostTest/1.0 (identity)', locale: 'de-DE', timezone: 'Asia/Tokyo' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.from_pool).toBe(false);
    const browser = await chromium.connect(res.body.ws_endpoint);
    try {
      const page = await browser.newPage();
      await page.goto(`${siteUrl}/first`);
      const seenByPage = await page.evaluate('({ ua: navigator.userAgent, lang: navigator.language, tz: Intl.DateTimeFormat().resolvedOptions().timeZone })');
      expect(seenByPage).toEqual({ ua: 'OutpostTest/1.0 (identity)', lang: 'de-DE', tz: 'Asia/Tokyo' });
      await page.goto(`${siteUrl}/second`);
    } finally {
      await browser.close();
    }
    expect(proxied).toEqual(expect.arrayContaining([`${siteUrl}/first`, `${siteUrl}/second`]));
    expect(seen.filter((r) => r.path === '/first' || r.path === '/second')).toHaveLength(2);
    expect(seen.every((r) => r.viaProxy), JSON.stringify(seen)).toBe(true);
    await t.api('DELETE', `/api/sessions/${res.body.id}`);
  });

  it('refuses what cannot be an identity, naming the field', async () => {
    for (const [body, field] of [
      [{ proxy: 'ftp://127.0.0.1:21' }, /proxy/],
      [{ proxy: 'http://127.0.0.1:8080/path' }, /proxy/],
      [{ timezone: 'Mars/Olympus_Mons' }, /timezone/],
      [{ locale: 'de_DE' }, /locale/],
      [{ user_agent: 'line\nbreak' }, /user_agent/],
    ] as const) {
      const r = await t.api('POST', '/api/sessions', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(field);
    }
    expect((await t.api('GET', '/api/sessions')).body.sessions).toEqual([]);
  });
});

// The position, blocked URLs, extra switches and extensions of a session (issue 15): every page
// sees and obeys them, whoever opens it (a Playwright client's context, a popup, a CDP client's
// tab). Real chromium; a loopback site the test runs records every request that reaches it.
describe('per-session geolocation, blocked URLs, switches and extensions', () => {
  let t: TestAppliance;
  let site: Server;
  let siteUrl: string;
  const reached: string[] = [];
  /** What navigator.geolocation answers in a page ([latitude, longitude, accuracy]), or the error. */
  const POSITION = `new Promise((resolve) => navigator.geolocation.getCurrentPosition(
    (p) => resolve([p.coords.latitude, p.coords.longitude, p.coords.accuracy]),
    (e) => resolve('error ' + e.code + ': ' + e.message),
    { timeout: 30000 }))`;
  /** A page's fetch of `path`: its status, or 'failed'. */
  const fetched = (path: string) => `fetch(${JSON.stringify(path)}).then((r) => 'status ' + r.status, () => 'failed')`;
  const openPopup = (url: string) => `void window.open(${JSON.stringify(url)})`;
  const create = async (body: object) => {
    const res = await t.api('POST', '/api/sessions', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.from_pool).toBe(false);
    return res.body as { id: string; ws_endpoint: string; cdp_endpoint: string };
  };
  const commandLine = (id: string) => {
    const pid = t.app.sessionManager.get(id).browser!.record.browser_pid as number;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  };

  beforeAll(async () => {
    site = createServer((req, res) => {
      reached.push(req.url ?? '');
      if (req.url === '/worker.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end("fetch('/blocked/from-worker').then(() => postMessage('fetched'), () => postMessage('failed'));");
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>policies</title><p>site</p>');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
    // A warm session is ready: sessions with any of these fields still start cold (create() checks).
    t = await startAppliance({ OUTPOST_POOL_HEADLESS: '1' });
    await waitForPool(t, 1, 0);
    const stamp = join(t.dataDir, 'extensions', 'stamp');
    mkdirSync(stamp, { recursive: true });
    writeFileSync(
      join(stamp, 'manifest.json'),
      JSON.stringify({ manifest_version: 3, name: 'Outpost test stamp', version: '1.0', content_scripts: [{ matches: ['<all_urls>'], js: ['stamp.js'], run_at: 'document_start' }] }),
    );
    writeFileSync(join(stamp, 'stamp.js'), "document.documentElement.dataset.outpost = 'ext';\n");
  });
  afterAll(async () => {
    await t?.close();
    site?.close();
  });

  it('shows every page the session\'s position without a prompt: a Playwright context, its popup and a CDP client\'s tab', async () => {
    const s = await create({ geolocation: { latitude: 48.8584, longitude: 2.2945, accuracy: 7 } });
    const want = [48.8584, 2.2945, 7];
    const browser = await chromium.connect(s.ws_endpoint);
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${siteUrl}/geo`);
      expect(await page.evaluate("navigator.permissions.query({ name: 'geolocation' }).then((p) => p.state)")).toBe('granted');
      expect(await page.evaluate(POSITION)).toEqual(want);
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.evaluate(openPopup(`${siteUrl}/geo-popup`))]);
      await popup.waitForLoadState();
      expect(await popup.evaluate(POSITION)).toEqual(want);
    } finally {
      await browser.close();
    }
    const cdp = await chromium.connectOverCDP(s.cdp_endpoint);
    try {
      const tab = await cdp.contexts()[0]!.newPage();
      await tab.goto(`${siteUrl}/geo-tab`);
      expect(await tab.evaluate(POSITION)).toEqual(want);
    } finally {
      await cdp.close();
    }
    expect((await t.api('DELETE', `/api/sessions/${s.id}`)).status).toBe(200);
  });

  it('fails requests to blocked URLs in every page, opened before or after, so they never reach the site; others do', async () => {
    const s = await create({ block_urls: ['/blocked/', '/track?id=*'] });
    const browser = await chromium.connect(s.ws_endpoint);
    try {
      const page = await browser.newPage();
      await page.goto(`${siteUrl}/page`);
      expect(await page.evaluate(fetched('/blocked/fetch'))).toBe('failed');
      expect(await page.evaluate(fetched('/allowed/fetch'))).toBe('status 200');
      // `?` is literal: only the query it names is blocked.
      expect(await page.evaluate(fetched('/track?id=1'))).toBe('failed');
      expect(await page.evaluate(fetched('/trackXid=1'))).toBe('status 200');
      expect(await page.evaluate("new Promise((resolve) => (new Worker('/worker.js').onmessage = (e) => resolve(e.data)))")).toBe('failed');
      await expect(page.goto(`${siteUrl}/blocked/navigation`)).rejects.toThrow(/ERR_BLOCKED_BY_CLIENT/);
      // A context and a page opened after the session was handed out, and a popup of it.
      const later = await (await browser.newContext()).newPage();
      await later.goto(`${siteUrl}/later`);
      expect(await later.evaluate(fetched('/blocked/later'))).toBe('failed');
      const [popup] = await Promise.all([later.waitForEvent('popup'), later.evaluate(openPopup(`${siteUrl}/blocked/popup`))]);
      await popup.waitForLoadState();
    } finally {
      await browser.close();
    }
    const cdp = await chromium.connectOverCDP(s.cdp_endpoint);
    try {
      const tab = await cdp.contexts()[0]!.newPage();
      await tab.goto(`${siteUrl}/tab`);
      expect(await tab.evaluate(fetched('/blocked/tab'))).toBe('failed');
    } finally {
      await cdp.close();
    }
    expect(reached).toEqual(expect.arrayContaining(['/page', '/allowed/fetch', '/trackXid=1', '/worker.js', '/later', '/tab']));
    expect(reached.filter((p) => p.startsWith('/blocked/') || p.startsWith('/track?'))).toEqual([]);
    expect((await t.api('DELETE', `/api/sessions/${s.id}`)).status).toBe(200);
  });

  it('applies the allowed extra switches, feature lists merged with Playwright\'s own', async () => {
    const s = await create({ extra_args: ['--force-device-scale-factor=2', '--disable-blink-features=AutomationControlled', '--disable-features=DocumentPictureInPictureAPI'] });
    const features = commandLine(s.id).filter((a) => a.startsWith('--disable-features='));
    // One list (chromium keeps only the last), holding Playwright's features and the session's.
    expect(features).toHaveLength(1);
    expect(features[0]!.split(',').length).toBeGreaterThan(2);
    expect(features[0]).toMatch(/[=,]DocumentPictureInPictureAPI(,|$)/);
    const browser = await chromium.connect(s.ws_endpoint);
    try {
      // viewport: null, or Playwright emulates a scale factor of its own (1).
      const page = await (await browser.newContext({ viewport: null })).newPage();
      await page.goto(`${siteUrl}/switches`);
      expect(await page.evaluate("({ ratio: window.devicePixelRatio, webdriver: navigator.webdriver, pip: 'documentPictureInPicture' in window })")).toEqual({ ratio: 2, webdriver: false, pip: false });
    } finally {
      await browser.close();
    }
    expect((await t.api('DELETE', `/api/sessions/${s.id}`)).status).toBe(200);
  });

  it('runs an installed extension in a headful session: its content script changes the pages a Playwright client and a CDP client open', async () => {
    const s = await create({ headless: false, extensions: ['stamp'] });
    const args = commandLine(s.id);
    expect(args).not.toContain('--disable-extensions');
    expect(args).toContain(`--disable-extensions-except=${join(t.dataDir, 'extensions', 'stamp')}`);
    const browser = await chromium.connect(s.ws_endpoint);
    try {
      const page = await browser.newPage();
      await page.goto(`${siteUrl}/extension`);
      await page.waitForFunction("document.documentElement.dataset.outpost === 'ext'");
    } finally {
      await browser.close();
    }
    const cdp = await chromium.connectOverCDP(s.cdp_endpoint);
    try {
      const tab = await cdp.contexts()[0]!.newPage();
      await tab.goto(`${siteUrl}/extension-tab`);
      await tab.waitForFunction("document.documentElement.dataset.outpost === 'ext'");
    } finally {
      await cdp.close();
    }
    expect((await t.api('DELETE', `/api/sessions/${s.id}`)).status).toBe(200);
  });

  it('takes them from a connect-and-go URL too: geolocation as lat,lon[,accuracy], a list as the parameter repeated', async () => {
    const query = `geolocation=52.52,13.405,30&block_urls=/blocked/&block_urls=/also-blocked/&extra_args=--mute-audio`;
    const browser = await chromium.connect(`${t.base.replace(/^http/, 'ws')}/playwright?${query}`);
    try {
      const [s] = (await t.api('GET', '/api/sessions')).body.sessions;
      expect(s.from_pool).toBe(false);
      expect(commandLine(s.id)).toContain('--mute-audio');
      const page = await browser.newPage();
      await page.goto(`${siteUrl}/connect`);
      expect(await page.evaluate(POSITION)).toEqual([52.52, 13.405, 30]);
      expect(await page.evaluate(fetched('/blocked/connect'))).toBe('failed');
      expect(await page.evaluate(fetched('/also-blocked/connect'))).toBe('failed');
    } finally {
      await browser.close();
    }
    await waitFor(async () => (await t.api('GET', '/api/sessions')).body.sessions.length === 0, { what: 'the connect-and-go session to end' });
    expect(reached).toContain('/connect');
    expect(reached.filter((p) => p.endsWith('blocked/connect'))).toEqual([]);
  });

  it('refuses what the browser cannot be given, naming the field, and starts nothing', async () => {
    for (const [body, message] of [
      [{ geolocation: { latitude: 91, longitude: 0 } }, /geolocation\.latitude/],
      [{ geolocation: { latitude: 0 } }, /geolocation.*longitude/],
      [{ block_urls: Array.from({ length: 101 }, (_, i) => `/ad${i}`) }, /block_urls/],
      [{ block_urls: ['has space'] }, /block_urls\.0/],
      [{ extra_args: ['--no-sandbox'] }, /extra_args: --no-sandbox is not allowed/],
      [{ extra_args: ['--remote-debugging-port=9222'] }, /extra_args: --remote-debugging-port is not allowed/],
      [{ extra_args: ['--gpu-launcher=/bin/sh'] }, /extra_args: --gpu-launcher is not on the allow-list/],
      [{ extensions: ['stamp'] }, /extensions run in headful sessions only/],
      [{ vnc: true, extensions: ['missing'] }, /extensions: "missing" is not installed/],
      [{ vnc: true, extensions: ['../stamp'] }, /extensions\.0/],
    ] as const) {
      const r = await t.api('POST', '/api/sessions', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toMatch(message);
    }
    expect((await t.api('GET', '/api/sessions')).body.sessions).toEqual([]);
  });
});
