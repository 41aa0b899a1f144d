// A session's own egress and identity (issue 15): user_agent, locale and timezone are what the
// page sees, and every request goes through the session's proxy, which the test runs (none around
// it). Real chromium, a real HTTP proxy on loopback.
import { createServer, request, type Server } from 'node:http';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../../test/appliance.js';

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
