// CDP clients through the appliance (issue: every automation client works): puppeteer-core on a
// session's cdp_endpoint, Playwright's connectOverCDP on its http:// and ws:// forms, the discovery
// routes pointing back through the relay, and the token required on every one. Real chromium.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../../test/appliance.js';
import { testToken, waitFor } from '../../test/helpers.js';
import { startTestPages, type TestPages } from '../../test/pages.js';

const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };

describe('CDP clients through the appliance', () => {
  let t: TestAppliance;
  let pages: TestPages;
  beforeAll(async () => {
    pages = await startTestPages();
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await t?.close();
    await pages?.close();
  });

  const session = async () => {
    const res = await t.api('POST', '/api/sessions', {}, auth);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; cdp_endpoint: string };
  };

  it('serves Puppeteer on cdp_endpoint: it opens a page the test serves and reads it, and the relay counts as a connection', async () => {
    const s = await session();
    expect(s.cdp_endpoint).toBe(`${t.base.replace('http', 'ws')}/sessions/${s.id}/cdp`);
    const browser = await puppeteer.connect({ browserWSEndpoint: s.cdp_endpoint, headers: auth });
    try {
      const page = await browser.newPage();
      await page.goto(`${pages.url}/title?t=Hello%20Puppeteer`);
      expect(await page.title()).toBe('Hello Puppeteer');
      expect(await page.$eval('h1', (h) => h.textContent)).toBe('hello');
      expect((await t.api('GET', `/api/sessions/${s.id}`, undefined, auth)).body.connections).toBe(1);
    } finally {
      await browser.disconnect();
    }
    await waitFor(async () => (await t.api('GET', `/api/sessions/${s.id}`, undefined, auth)).body.connections === 0, { what: 'the CDP relay to close' });
    expect((await t.api('DELETE', `/api/sessions/${s.id}`, undefined, auth)).status).toBe(200);
  });

  it('serves connectOverCDP from the http:// form (discovery) and the ws:// form, and every URL it hands out leads back through the relay', async () => {
    const s = await session();
    const http = s.cdp_endpoint.replace(/^ws/, 'http');
    const version = await t.api('GET', `/sessions/${s.id}/cdp/json/version`, undefined, auth);
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ Browser: expect.stringMatching(/Chrome/), webSocketDebuggerUrl: s.cdp_endpoint });

    for (const endpoint of [http, s.cdp_endpoint]) {
      const browser = await chromium.connectOverCDP(endpoint, { headers: auth });
      try {
        const context = browser.contexts()[0] ?? (await browser.newContext());
        const page = await context.newPage();
        await page.goto(`${pages.url}/title?t=over%20CDP`);
        expect(await page.title()).toBe('over CDP');
        const list = await t.api('GET', `/sessions/${s.id}/cdp/json/list`, undefined, auth);
        const targets = list.body as Array<{ type: string; url: string; webSocketDebuggerUrl?: string; devtoolsFrontendUrl?: string }>;
        const mine = targets.find((x) => x.type === 'page' && x.url.includes('over%20CDP'));
        expect(mine?.webSocketDebuggerUrl).toMatch(new RegExp(`^${s.cdp_endpoint}/devtools/page/[A-Za-z0-9-]+$`));
        // Nothing leads to the browser's own port: no DevTools frontend link, sockets only through the relay.
        for (const x of targets) {
          expect(x.devtoolsFrontendUrl).toBeUndefined();
          if (x.webSocketDebuggerUrl) expect(x.webSocketDebuggerUrl.startsWith(`${s.cdp_endpoint}/devtools/`)).toBe(true);
        }
        // A page's own socket, through the relay: a raw CDP command on it answers.
        const raw = await fetchCdp(mine!.webSocketDebuggerUrl!, { id: 1, method: 'Runtime.evaluate', params: { expression: 'document.title', returnByValue: true } });
        expect(raw).toMatchObject({ id: 1, result: { result: { value: 'over CDP' } } });
      } finally {
        await browser.close();
      }
    }
    expect((await t.api('DELETE', `/api/sessions/${s.id}`, undefined, auth)).status).toBe(200);
  });

  it('needs the token on every CDP route, and knows no session it does not have', async () => {
    const s = await session();
    for (const path of ['json/version', 'json/version/', 'json/list', 'json']) {
      expect((await t.api('GET', `/sessions/${s.id}/cdp/${path}`)).status, path).toBe(401);
    }
    await expect(puppeteer.connect({ browserWSEndpoint: s.cdp_endpoint })).rejects.toThrow(/401/);
    expect((await t.api('GET', '/sessions/nope/cdp/json/version', undefined, auth)).status).toBe(404);
    await expect(puppeteer.connect({ browserWSEndpoint: `${t.base.replace('http', 'ws')}/sessions/nope/cdp`, headers: auth })).rejects.toThrow(/404/);
    expect((await t.api('DELETE', `/api/sessions/${s.id}`, undefined, auth)).status).toBe(200);
  });
});

/** One CDP command on a raw websocket (with the token), and its answer. */
async function fetchCdp(url: string, command: object): Promise<unknown> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(url, { headers: auth });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const answer = new Promise<unknown>((resolve) => ws.once('message', (m) => resolve(JSON.parse(String(m)))));
    ws.send(JSON.stringify(command));
    return await answer;
  } finally {
    ws.close();
  }
}
