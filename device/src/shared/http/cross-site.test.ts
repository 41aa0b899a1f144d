// A page on another site (a page inside a session, say) cannot act on the appliance or the fleet
// monitor, with or without a token: what a browser marks as cross-site (Fetch Metadata, the
// websocket Origin) is refused, except the top-level navigations a person makes. Clients that send
// none of these headers (curl, Playwright clients, the fleet monitor, node) are not affected.
// The browser itself is in cross-site.int.test.ts; here the headers are what chromium sends.
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneDeviceFleet } from '../../../../fleet/test/test-fleet.js';
import { fakeSessionBackend } from '../../../test/fake-backend.js';
import { deviceConfig, tempDir, testToken, testWebRoot } from '../../../test/helpers.js';
import { rawRequest } from '../../../test/route-table.js';
import { buildApp } from '../../app.js';

/** Headers chromium sends for a subresource (img, no-cors fetch) from a page on another port. */
const SUBRESOURCE = { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' };
const CORS_FETCH = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };
/** A link followed on another site; a script's `location = …` sends the same minus sec-fetch-user. */
const SCRIPTED_NAVIGATION = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
const USER_NAVIGATION = { ...SCRIPTED_NAVIGATION, 'sec-fetch-user': '?1' };
const IFRAME = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' };

function expectRefused(res: { statusCode: number; json: () => any }) {
  expect(res.statusCode).toBe(403);
  expect(res.json()).toEqual({ error: { code: 'cross_site_request', message: expect.stringMatching(/another site/) } });
}

describe('device: cross-site requests', () => {
  const dir = tempDir();
  const TOKEN = testToken();
  let app: FastifyInstance;
  let withToken: FastifyInstance;
  let port: number;
  let victim: string;
  const inject = (opts: InjectOptions) => app.inject(opts);

  beforeAll(async () => {
    // The npm start default: no token, loopback only.
    app = await buildApp(
      deviceConfig({ OUTPOST_DATA_DIR: join(dir.path, 'a'), OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0', OUTPOST_PUBLIC_URL: 'https://outpost.example' }),
      { webRoot: testWebRoot(dir.path), sessionBackend: fakeSessionBackend() },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
    victim = (await app.sessionManager.create({ client_id: 'victim' })).session.id;
    withToken = await buildApp(
      deviceConfig({ OUTPOST_DATA_DIR: join(dir.path, 'b'), OUTPOST_API_TOKEN: TOKEN, OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' }),
      { webRoot: testWebRoot(dir.path), sessionBackend: fakeSessionBackend() },
    );
  });
  afterAll(async () => {
    await app?.close();
    await withToken?.close();
    dir.remove();
  });

  it.each([
    ['an <img> or no-cors fetch of /remove-all', { url: '/remove-all', headers: SUBRESOURCE }],
    ['the same from another site', { url: '/remove-all', headers: { ...SUBRESOURCE, 'sec-fetch-site': 'cross-site' } }],
    ['a navigation to /remove-all', { url: '/remove-all', headers: USER_NAVIGATION }],
    ['/remove?id= as a subresource', { url: '/remove?id=victim', headers: SUBRESOURCE }],
    ['/access as a subresource', { url: '/access?id=intruder', headers: SUBRESOURCE }],
    ['/access by a script, without the user', { url: '/access?id=intruder', headers: SCRIPTED_NAVIGATION }],
    ['/access in a frame', { url: '/access?id=intruder', headers: { ...IFRAME, 'sec-fetch-user': '?1' } }],
    ['a cors fetch of the sessions list', { url: '/api/sessions', headers: CORS_FETCH }],
    ['a cors DELETE of a session', { method: 'DELETE' as const, url: '/api/sessions/VICTIM', headers: CORS_FETCH }],
    ['a form POST to the sessions API', { method: 'POST' as const, url: '/api/sessions', headers: USER_NAVIGATION, payload: {} }],
    ['a POST from an old browser (Origin, no Fetch Metadata)', { method: 'POST' as const, url: '/api/sessions', headers: { origin: 'http://evil.test' }, payload: {} }],
    ['the UI in a frame on another site', { url: '/', headers: IFRAME }],
    ['the metrics', { url: '/metrics', headers: SUBRESOURCE }],
  ])('refuses %s with 403, and nothing changes', async (_name, opts) => {
    const res = await inject({ ...opts, url: opts.url.replace('VICTIM', victim) });
    expectRefused(res);
    expect(app.sessionManager.list().map((s) => s.id)).toEqual([victim]);
  });

  it('refuses them with the right token too', async () => {
    expectRefused(await withToken.inject({ url: '/api/sessions', headers: { ...CORS_FETCH, authorization: `Bearer ${TOKEN}` } }));
  });

  it.each([
    ['the UI', '/'],
    ['a client-side page of the UI', '/sessions'],
    ['the live view page', `/vnc/?session=x`],
  ])('lets another site link to %s', async (_name, url) => {
    const res = await inject({ url, headers: SCRIPTED_NAVIGATION });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('lets a person follow a link to /access (it then does its work)', async () => {
    const res = await inject({ url: '/access?id=', headers: USER_NAVIGATION });
    // Past the guard: the route's own answer (an empty id is a 400).
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('bad_request');
  });

  it.each([
    ['no Fetch Metadata at all (curl, node, Playwright clients, the fleet monitor)', {}],
    ['a same-origin fetch (the UI)', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' }],
    ['a request the user typed', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }],
  ])('serves %s', async (_name, headers) => {
    const res = await inject({ url: '/api/sessions', headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().sessions.map((s: { id: string }) => s.id)).toEqual([victim]);
  });

  it('gives API clients their URLs at the configured public URL, not at the Host they sent', async () => {
    const res = await inject({ url: `/api/sessions/${victim}`, headers: { host: 'localhost:1234' } });
    expect(res.json().ws_endpoint).toBe(`wss://outpost.example/sessions/${victim}/playwright`);
  });

  describe('DNS rebinding: a token-less service answers only to loopback names and its public URL', () => {
    it.each(['127.0.0.1', '127.0.0.1:8080', 'localhost:8080', 'LOCALHOST', 'app.localhost:8080', '[::1]:8080', '127.1.2.3', 'outpost.example', 'outpost.example:443'])('serves Host %s', async (host) => {
      expect((await inject({ url: '/api/sessions', headers: { host } })).statusCode).toBe(200);
    });
    it.each(['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', 'localhost.evil.example', '0.0.0.0:8080', '10.0.0.5'])('refuses Host %j', async (host) => {
      const res = await inject({ url: '/remove-all', headers: { host } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('host_not_allowed');
      expect(app.sessionManager.get(victim)).toBeDefined();
    });
    it('leaves the name to the token when there is one', async () => {
      const res = await withToken.inject({ url: '/api/sessions', headers: { host: 'device-7.vpn.example', authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(200);
    });
  });

  describe('websocket upgrades', () => {
    const upgrade = (headers: Record<string, string>) =>
      rawRequest(port, { method: 'GET', path: `/sessions/${victim}/playwright`, upgrade: true, headers });

    it.each([
      ['a page on another port', () => `http://127.0.0.1:${port + 1}`],
      ['a page on another host name for the same address', () => `http://localhost:${port}`],
      ['a page served over https on the same host and port', () => `https://127.0.0.1:${port}`],
      ['an opaque origin (sandboxed frame, file://)', () => 'null'],
    ])('refuses the Origin of %s', async (_name, origin) => {
      const res = await upgrade({ origin: origin() });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('cross_site_request');
    });

    it('refuses a cross-site upgrade by its Fetch Metadata even without an Origin', async () => {
      const res = await upgrade({ 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'websocket', 'sec-fetch-dest': 'websocket' });
      expect(res.status).toBe(403);
    });

    it.each([
      ['no Origin (Playwright, puppeteer, the fleet monitor)', () => ({})],
      ['its own origin (the UI and the live view page)', () => ({ origin: `http://127.0.0.1:${port}` })],
      ['the configured public URL (OUTPOST_PUBLIC_URL)', () => ({ origin: 'https://outpost.example' })],
    ])('accepts %s', async (_name, headers) => {
      expect((await upgrade(headers())).status).toBe(101);
    });
  });
});

describe('fleet: cross-site requests', () => {
  const dir = tempDir('outpost-fleet-cross-site-');
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    app = await oneDeviceFleet(dir.path, { OUTPOST_FLEET_PUBLIC_URL: 'https://fleet.example/' }, { webRoot: testWebRoot(dir.path) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  it('refuses the API to another site, and serves it to everything else', async () => {
    expectRefused(await app.inject({ url: '/api/devices', headers: CORS_FETCH }));
    expectRefused(await app.inject({ method: 'POST', url: '/api/sessions', headers: SUBRESOURCE, payload: {} }));
    expect((await app.inject({ url: '/api/devices' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/devices', headers: { 'sec-fetch-site': 'same-origin' } })).statusCode).toBe(200);
  });

  it('lets another site link to the dashboard and the live view page, not frame them', async () => {
    expect((await app.inject({ url: '/devices/kiosk-1', headers: SCRIPTED_NAVIGATION })).statusCode).toBe(200);
    expect((await app.inject({ url: '/vnc/?device=kiosk-1&session=x', headers: SCRIPTED_NAVIGATION })).statusCode).toBe(200);
    expectRefused(await app.inject({ url: '/', headers: IFRAME }));
  });

  it('refuses a websocket from another origin; its own and the public URL pass to the route', async () => {
    const upgrade = (origin: string) => rawRequest(port, { method: 'GET', path: '/sessions/kiosk-1/abc/vnc', upgrade: true, headers: { origin } });
    expect((await upgrade(`http://127.0.0.1:${port + 1}`)).status).toBe(403);
    // Past the guard, the route answers: the device has never been polled, so it is not online.
    expect((await upgrade(`http://127.0.0.1:${port}`)).status).toBe(409);
    expect((await upgrade('https://fleet.example')).status).toBe(409);
  });
});
