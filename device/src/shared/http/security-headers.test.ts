// The headers that keep the UIs from being framed, sniffed or leaking their URLs (DESIGN.md,
// "Security"): both UIs, the SPA fallback and the live view page send a Content-Security-Policy;
// only the live view page may be framed, and by its own origin only (the device UI shows it in
// a frame). Every response, API JSON included, says nosniff. That the built UIs still work under
// this policy is held by web/device/csp-ui.int.test.ts and web/fleet/csp-ui.int.test.ts in a
// real browser.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneDeviceFleet } from '../../../../fleet/test/test-fleet.js';
import { fakeSessionBackend } from '../../../test/fake-backend.js';
import { deviceConfig, tempDir, testWebRoot } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';

function expectUiHeaders(headers: Record<string, unknown>, framedBy: "'none'" | "'self'") {
  const csp = String(headers['content-security-policy'] ?? '');
  expect(csp).toMatch(/(^|; )default-src 'self'(;|$)/);
  expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
  expect(csp).toMatch(/(^|; )connect-src 'self'(;|$)/);
  expect(csp).toMatch(/(^|; )object-src 'none'(;|$)/);
  expect(csp).toMatch(/(^|; )base-uri 'none'(;|$)/);
  expect(csp).toContain(`frame-ancestors ${framedBy}`);
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
}

describe('device: security headers', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;
  beforeAll(async () => {
    const config = deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' });
    app = await buildApp(config, { webRoot: testWebRoot(dir.path), sessionBackend: fakeSessionBackend() });
    unbuilt = await buildApp(config, { webRoot: join(dir.path, 'no-ui'), sessionBackend: fakeSessionBackend() });
  });
  afterAll(async () => {
    await app?.close();
    await unbuilt?.close();
    dir.remove();
  });

  it.each([
    ['the UI', '/'],
    ['index.html itself', '/index.html'],
    ['a client-side page (SPA fallback)', '/sessions'],
  ])('sends CSP, nosniff and no-referrer on %s, which no page may frame', async (_name, url) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expectUiHeaders(res.headers, "'none'");
  });

  it.each([
    ['the live view page', '/vnc/'],
    ['the live view page by its file name', '/vnc/index.html'],
  ])('lets only its own origin frame %s', async (_name, url) => {
    const res = await app.inject(url);
    expect(res.statusCode).toBe(200);
    expectUiHeaders(res.headers, "'self'");
  });

  it('sends the policy with the page shown when the UI is not built', async () => {
    const res = await unbuilt.inject('/');
    expect(res.statusCode).toBe(200);
    expectUiHeaders(res.headers, "'none'");
    // No inline style or script for the policy to block.
    expect(res.body).not.toMatch(/style=|<script|<style/);
  });

  it.each([
    ['a script', '/assets/main.js'],
    ['API JSON', '/api/health'],
    ['an API 404', '/api/nope'],
    ['a refusal', '/api/sessions/bad$id'],
  ])('says nosniff on %s', async (_name, url) => {
    const res = await app.inject(url);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('fleet: security headers', () => {
  const dir = tempDir('outpost-fleet-headers-');
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await oneDeviceFleet(dir.path, {}, { webRoot: testWebRoot(dir.path) });
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  it('sends CSP on the dashboard and its client-side pages, framable by no one', async () => {
    for (const url of ['/', '/devices/kiosk-1']) expectUiHeaders((await app.inject(url)).headers, "'none'");
  });

  it('lets only its own origin frame the live view page', async () => {
    expectUiHeaders((await app.inject('/vnc/?device=a&session=b')).headers, "'self'");
  });

  it('says nosniff on API JSON', async () => {
    expect((await app.inject('/api/devices')).headers['x-content-type-options']).toBe('nosniff');
  });
});
