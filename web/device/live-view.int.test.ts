// The live view as an operator uses it: a VNC session painting a known colour, the standalone
// /vnc/ page in a real browser, and the Sessions page of the device UI. Pixels are asserted.
import { mkdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rootDir } from '../../device/src/shared/index.js';
import { CHROMIUM, startAppliance, startTestPages, type TestAppliance, type TestPages, testToken } from '../../device/test/index.js';

const TOKEN = testToken();
const shots = join(rootDir, 'test-results');

/** RGB of one pixel of a PNG, decoded by the browser itself. */
async function pngPixel(page: Page, png: Buffer, x: number, y: number): Promise<[number, number, number]> {
  return page.evaluate(
    async ({ b64, x, y }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(x, y, 1, 1).data;
      return [d[0], d[1], d[2]] as [number, number, number];
    },
    { b64: png.toString('base64'), x, y },
  );
}

function near(actual: [number, number, number], expected: [number, number, number], tolerance = 12): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);
}

/**
 * A TCP hop to the appliance that drops the first `drops` connections opening a session's VNC
 * websocket (before the handshake answer) and passes every other connection through untouched.
 */
async function startFlakyHop(port: number, drops: number): Promise<{ url: string; vncAttempts: () => number; close: () => Promise<void> }> {
  let attempts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.once('data', (first) => {
      if (/^GET \/sessions\/[^/ ]+\/vnc[ ?]/.test(first.toString('latin1'))) {
        attempts += 1;
        if (attempts <= drops) {
          client.destroy();
          return;
        }
      }
      const upstream = connect(port, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.write(first);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: hopPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${hopPort}`,
    vncAttempts: () => attempts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('live view', () => {
  let t: TestAppliance;
  let pages: TestPages;
  let browser: Browser;
  beforeAll(async () => {
    pages = await startTestPages();
    t = await startAppliance({ OUTPOST_API_TOKEN: TOKEN });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await pages?.close();
  });

  it('shows the remote page in the standalone /vnc/ page (magenta background on screen)', async () => {
    const res = await t.api('POST', '/api/sessions', { vnc: true, width: 800, height: 600, start_url: `${pages.url}/color?c=ff00ff` }, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(201);
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.addInitScript((tok) => localStorage.setItem('outpost.token', tok), TOKEN);
    await page.goto(res.body.vnc.http);
    await expect.poll(() => page.getByTestId('vnc-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    const screen = page.getByTestId('vnc-screen');
    const box = (await screen.boundingBox())!;
    // Wait for the framebuffer to arrive, reading the canvas noVNC draws into.
    await expect
      .poll(
        async () =>
          page.evaluate(() => {
            const c = document.querySelector('[data-testid="vnc-screen"] canvas') as HTMLCanvasElement | null;
            if (!c || c.width === 0) return null;
            const d = c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
            return [d[0], d[1], d[2]];
          }),
        { timeout: 20_000 },
      )
      .toEqual([255, 0, 255]);
    const png = await page.screenshot({ path: join(shots, 'live-view-standalone.png') });
    const pixel = await pngPixel(page, png, Math.floor(box.x + box.width / 2), Math.floor(box.y + box.height / 2));
    expect(near(pixel, [255, 0, 255]), `screenshot pixel ${pixel}`).toBe(true);
    await page.close();
    await t.api('DELETE', `/api/sessions/${res.body.id}`, undefined, { authorization: `Bearer ${TOKEN}` });
  });

  it('reconnects by itself when the stream drops while the session lives, and stops once it has ended', async () => {
    const res = await t.api('POST', '/api/sessions', { vnc: true, start_url: `${pages.url}/color?c=0000ff` }, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(201);
    // The page reaches the appliance through a flaky hop (as over a VPN) that drops the first two
    // VNC streams before their handshake; everything else passes through.
    const hop = await startFlakyHop(Number(new URL(t.base).port), 2);
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.addInitScript((tok) => localStorage.setItem('outpost.token', tok), TOKEN);
    const seen: string[] = [];
    await page.exposeFunction('noteStatus', (text: string) => seen.push(text));
    await page.addInitScript(() => {
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="vnc-status"]');
        if (el?.textContent) void (window as unknown as { noteStatus: (t: string) => void }).noteStatus(el.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const status = page.getByTestId('vnc-status');
    const live = new URL(res.body.vnc.http);
    await page.goto(`${hop.url}${live.pathname}${live.search}${live.hash}`);
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 30_000 }).toBe('connected');
    expect(hop.vncAttempts()).toBe(3);
    const log = seen.join(' | ');
    expect(log).toMatch(/could not open the VNC stream; retrying in 1 s \(1 of \d\)/);
    expect(log).toMatch(/could not open the VNC stream; retrying in 2 s \(2 of \d\)/);

    // Ending the session closes the stream; the page finds out why and does not retry.
    await t.api('DELETE', `/api/sessions/${res.body.id}`, undefined, { authorization: `Bearer ${TOKEN}` });
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 10_000 }).toBe('error');
    expect(await status.textContent()).toMatch(/session not found|session has ended/);
    await page.waitForTimeout(2500);
    expect(hop.vncAttempts()).toBe(3);
    await page.close();
    await hop.close();
  });

  it('refuses the VNC websocket without the token', async () => {
    const res = await t.api('POST', '/api/sessions', { vnc: true }, { authorization: `Bearer ${TOKEN}` });
    const attempt = (url: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url);
        ws.once('open', () => {
          ws.close();
          resolve('open');
        });
        ws.once('unexpected-response', (_req, r) => resolve(`http ${r.statusCode}`));
        ws.once('error', (err) => resolve(`error ${err.message}`));
      });
    expect(await attempt(res.body.vnc.ws)).toBe('http 401');
    expect(await attempt(`${res.body.vnc.ws}?access_token=wrong-token-000000000`)).toBe('http 401');
    expect(await attempt(`${res.body.vnc.ws}?access_token=${TOKEN}`)).toBe('open');
    await t.api('DELETE', `/api/sessions/${res.body.id}`, undefined, { authorization: `Bearer ${TOKEN}` });
  });

  it('Sessions page: create a VNC session, open its live view, touch and end it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    await page.addInitScript((tok) => localStorage.setItem('outpost.token', tok), TOKEN);
    await page.goto(`${t.base}/sessions`);
    await page.getByTestId('create-session-form').waitFor();
    await page.getByTestId('create-kind').selectOption('vnc');
    await page.getByTestId('create-start-url').fill(`${pages.url}/color?c=00c000`);
    await page.getByTestId('create-width').fill('900');
    await page.getByTestId('create-height').fill('640');
    await page.getByTestId('create-client-id').fill('operator-1');
    // A blocked URL the start page never asks for: the session starts cold with it, and shows its page.
    await page.getByTestId('create-block-urls').fill('/never-asked/');
    await page.getByTestId('create-submit').click();

    const row = page.locator('[data-testid^="session-row-"]').filter({ hasText: 'operator-1' });
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(() => row.textContent()).toContain('900×640');
    await row.getByRole('button', { name: 'Live view' }).click();
    const frame = page.frameLocator('[data-testid="live-view-frame"]');
    await expect.poll(() => frame.getByTestId('vnc-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    // The live view may open while the start page is still loading: wait for its colour on screen.
    const box = (await page.getByTestId('live-view-frame').boundingBox())!;
    const centre = async () => pngPixel(page, await page.screenshot({ path: join(shots, 'device-ui-live-view.png') }), Math.floor(box.x + box.width / 2), Math.floor(box.y + box.height / 2));
    await expect.poll(async () => near(await centre(), [0, 192, 0], 20), { timeout: 20_000, interval: 500 }).toBe(true);
    await page.keyboard.press('Escape');

    const id = (await row.getAttribute('data-testid'))!.replace('session-row-', '');
    const before = (await t.api('GET', `/api/sessions/${id}`, undefined, { authorization: `Bearer ${TOKEN}` })).body.last_seen_at;
    await page.waitForTimeout(50);
    await row.getByRole('button', { name: 'Touch' }).click();
    await expect.poll(async () => (await t.api('GET', `/api/sessions/${id}`, undefined, { authorization: `Bearer ${TOKEN}` })).body.last_seen_at).not.toBe(before);
    await row.getByRole('button', { name: 'End' }).click();
    await expect.poll(async () => (await t.api('GET', `/api/sessions/${id}`, undefined, { authorization: `Bearer ${TOKEN}` })).status, { timeout: 10_000 }).toBe(404);
    await page.screenshot({ path: join(shots, 'device-ui-sessions.png') });
    await page.close();
  });
});
