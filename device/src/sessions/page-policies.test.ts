// The appliance's own DevTools connection to a session's browser (page-policies.ts), against a
// small fake of chromium's browser endpoint (what a real browser does with it is
// identity.int.test.ts's): what it asks for, that every held page is let go, and that nothing of
// it outlives close().
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { pino } from 'pino';
import type { SessionIdentity } from './backends/session-backend.js';
import { waitFor } from '../../test/helpers.js';
import { fetchPattern, startPagePolicies } from './page-policies.js';

interface Sent {
  id: number;
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

const log = pino({ level: 'silent' });
const identity = (over: Partial<SessionIdentity>): SessionIdentity => ({ proxy: null, userAgent: null, locale: null, timezone: null, geolocation: null, blockUrls: [], extraArgs: [], extensions: [], ...over });

/** A browser endpoint that records what it is asked and answers with `answer` (null: never). */
async function fakeBrowser(answer: (m: Sent) => { result?: object; error?: { message: string } } | null = () => ({ result: {} })) {
  const received: Sent[] = [];
  const sockets: WebSocket[] = [];
  const http: Server = createServer((req, res) => {
    const { port } = http.address() as AddressInfo;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ webSocketDebuggerUrl: `ws://127.0.0.1:${port}/devtools/browser/fake` }));
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Sent;
      received.push(m);
      const a = answer(m);
      if (a) ws.send(JSON.stringify({ id: m.id, ...a, ...(m.sessionId ? { sessionId: m.sessionId } : {}) }));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    port: (http.address() as AddressInfo).port,
    received,
    sockets,
    event: (method: string, params: object) => sockets[0]!.send(JSON.stringify({ method, params })),
    connected: () => sockets.filter((s) => s.readyState === s.OPEN).length,
    close: () => new Promise<void>((r) => {
      wss.close();
      http.close(() => r());
      http.closeAllConnections();
    }),
  };
}

/** Waits for what the fake saw (polling, up to waitFor's deadline). */
const until = (check: () => boolean) => waitFor(check, { intervalMs: 5, what: 'the fake browser to see it' });

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

let browser: Awaited<ReturnType<typeof fakeBrowser>> | null = null;
afterEach(async () => {
  await browser?.close();
  browser = null;
});

describe('startPagePolicies', () => {
  it('needs no connection when the session has no policies', async () => {
    expect(await startPagePolicies({ devtools: { host: '127.0.0.1', port: 9 }, identity: identity({ locale: 'de-DE' }), extensionDirs: [], log, timeoutMs: 1000 })).toBeNull();
  });

  it('blocks the patterns browser-wide, holds every new page until it has the position, and lets every held target go', async () => {
    browser = await fakeBrowser((m) => (m.method === 'Emulation.setGeolocationOverride' && m.sessionId === 'gone' ? { error: { message: 'Target closed' } } : { result: {} }));
    const geolocation = { latitude: 1, longitude: 2, accuracy: 3 };
    const policies = await startPagePolicies({ devtools: { host: '127.0.0.1', port: browser.port }, identity: identity({ geolocation, blockUrls: ['/ads/'] }), extensionDirs: [], log, timeoutMs: 5000 });
    expect(policies).not.toBeNull();
    expect(browser.received.map((m) => [m.method, m.params])).toEqual([
      ['Fetch.enable', { patterns: [{ urlPattern: fetchPattern('/ads/') }] }],
      ['Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }],
    ]);
    const b = browser;
    const resumed = () => b.received.filter((m) => m.method === 'Runtime.runIfWaitingForDebugger').map((m) => m.sessionId);
    b.event('Target.attachedToTarget', { sessionId: 'page-1', waitingForDebugger: true, targetInfo: { type: 'page', browserContextId: 'ctx-1' } });
    await until(() => resumed().includes('page-1'));
    const forPage = b.received.filter((m) => m.sessionId === 'page-1' || m.method === 'Browser.setPermission');
    expect(forPage.map((m) => [m.method, m.params])).toEqual([
      ['Browser.setPermission', { permission: { name: 'geolocation' }, setting: 'granted', browserContextId: 'ctx-1' }],
      ['Emulation.setGeolocationOverride', geolocation],
      ['Runtime.runIfWaitingForDebugger', {}],
    ]);
    // A page that fails to take the position, and a target that is no page, run all the same.
    b.event('Target.attachedToTarget', { sessionId: 'gone', waitingForDebugger: true, targetInfo: { type: 'page' } });
    b.event('Target.attachedToTarget', { sessionId: 'worker', waitingForDebugger: true, targetInfo: { type: 'service_worker' } });
    await until(() => resumed().includes('gone') && resumed().includes('worker'));
    // A request that matches fails as blocked.
    b.event('Fetch.requestPaused', { requestId: 'r1', request: { url: 'http://x/ads/1' } });
    await until(() => b.received.some((m) => m.method === 'Fetch.failRequest'));
    expect(b.received.find((m) => m.method === 'Fetch.failRequest')?.params).toEqual({ requestId: 'r1', errorReason: 'BlockedByClient' });
    policies!.close();
    policies!.close();
    await until(() => b.connected() === 0);
  });

  it('loads extensions allowed in incognito, and keeps no connection when nothing else needs it', async () => {
    browser = await fakeBrowser((m) => ({ result: m.method === 'Extensions.loadUnpacked' ? { id: 'abc' } : {} }));
    const before = timers();
    const policies = await startPagePolicies({ devtools: { host: '127.0.0.1', port: browser.port }, identity: identity({ extensions: ['stamp'] }), extensionDirs: ['/data/extensions/stamp'], log, timeoutMs: 5000 });
    expect(policies).toBeNull();
    expect(browser.received.map((m) => [m.method, m.params])).toEqual([['Extensions.loadUnpacked', { path: '/data/extensions/stamp', enableInIncognito: true }]]);
    const b = browser;
    await until(() => b.connected() === 0);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('fails naming the extension chromium refused, and closes its connection', async () => {
    browser = await fakeBrowser(() => ({ error: { message: 'Manifest file is missing or unreadable' } }));
    await expect(
      startPagePolicies({ devtools: { host: '127.0.0.1', port: browser.port }, identity: identity({ extensions: ['stamp'] }), extensionDirs: ['/data/extensions/stamp'], log, timeoutMs: 5000 }),
    ).rejects.toThrow('extension "stamp" did not load: Extensions.loadUnpacked: Manifest file is missing or unreadable');
    const b = browser;
    await until(() => b.connected() === 0);
  });

  it('gives up on a browser that does not answer, and on shutdown, leaving no timer or connection', async () => {
    browser = await fakeBrowser(() => null);
    const before = timers();
    const opts = { devtools: { host: '127.0.0.1', port: browser.port }, identity: identity({ blockUrls: ['x'] }), extensionDirs: [], log };
    await expect(startPagePolicies({ ...opts, timeoutMs: 200 })).rejects.toThrow("the browser's DevTools did not answer within 200 ms");
    const shutdown = new AbortController();
    const starting = startPagePolicies({ ...opts, timeoutMs: 60_000, signal: shutdown.signal });
    const b = browser;
    // The first attempt's Fetch.enable, and this one's.
    await until(() => b.received.length === 2);
    shutdown.abort();
    await expect(starting).rejects.toThrow('the appliance is shutting down');
    await until(() => b.connected() === 0);
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe('fetchPattern', () => {
  it('matches anywhere in the URL, as DevTools blocked URLs do', () => {
    expect(fetchPattern('ads.example.com')).toBe('*ads.example.com*');
    expect(fetchPattern('*.png')).toBe('*.png*');
    expect(fetchPattern('https://example.com/*')).toBe('*https://example.com/*');
  });

  it('keeps ? and \\ literal (Fetch reads them as a wildcard and an escape)', () => {
    expect(fetchPattern('/track?id=*')).toBe('*/track\\?id=*');
    expect(fetchPattern('a\\b')).toBe('*a\\\\b*');
  });
});
