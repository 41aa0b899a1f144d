// Sessions with the process backend: real chromium, real Xvfb and x11vnc.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, waitForPool, type TestAppliance } from '../../test/appliance.js';
import { pino } from 'pino';
import { CHROMIUM, tempDir, waitFor } from '../../test/helpers.js';
import { startTestPages, type TestPages } from '../../test/pages.js';
import { isAlive, ownerKey } from './backends/owned-processes.js';
import { createProcessBackend } from './backends/process-backend.js';
import type { LaunchSpec, SessionBackend } from './backends/session-backend.js';

let pages: TestPages;
beforeAll(async () => {
  pages = await startTestPages();
});
afterAll(async () => {
  await pages.close();
});

describe('a Playwright client through the appliance', () => {
  let t: TestAppliance;
  beforeAll(async () => {
    t = await startAppliance();
  });
  afterAll(async () => t.close());

  it('connects to ws_endpoint, opens a page served by the test and reads its title', async () => {
    const res = await t.api('POST', '/api/sessions', { labels: { suite: 'int' } });
    expect(res.status).toBe(201);
    const s = res.body;
    expect(s).toMatchObject({ backend: 'process', status: 'ready', headless: true, vnc_enabled: false, vnc: null, width: 1280, height: 800, labels: { suite: 'int' } });
    expect(s.ws_endpoint).toBe(`${t.base.replace('http', 'ws')}/sessions/${s.id}/playwright`);

    const browser = await chromium.connect(s.ws_endpoint);
    try {
      const page = await browser.newPage();
      await page.goto(`${pages.url}/title?t=Hello%20from%20the%20test`);
      expect(await page.title()).toBe('Hello from the test');
      expect((await t.api('GET', `/api/sessions/${s.id}`)).body.connections).toBe(1);
    } finally {
      await browser.close();
    }
    await waitFor(async () => (await t.api('GET', `/api/sessions/${s.id}`)).body.connections === 0, { what: 'the relay to close' });
    expect((await t.api('DELETE', `/api/sessions/${s.id}`)).body.status).toBe('closed');
    expect((await t.api('GET', `/api/sessions/${s.id}`)).status).toBe(404);
  });

  it('runs a VNC session headful on its own display and opens start_url there', async () => {
    const res = await t.api('POST', '/api/sessions', { vnc: true, width: 1024, height: 700, start_url: `${pages.url}/title?t=start`, start_url_wait: 'load' });
    expect(res.status).toBe(201);
    const s = res.body;
    expect(s.headless).toBe(false);
    expect(s.vnc).toMatchObject({ ws: `${t.base.replace('http', 'ws')}/sessions/${s.id}/vnc`, password_protected: true });
    expect(s.vnc.http).toMatch(new RegExp(`^${t.base}/vnc/\\?session=${s.id}#password=[A-Za-z0-9]{8}$`));
    const procs = t.owned().filter((p) => p.session === s.id);
    expect(procs.some((p) => p.command.endsWith('Xvfb'))).toBe(true);
    expect(procs.some((p) => p.command.endsWith('x11vnc'))).toBe(true);
    // The client drives the same headful browser; its window is the display's size.
    const browser = await chromium.connect(s.ws_endpoint);
    const context = await browser.newContext({ viewport: null });
    const page = await context.newPage();
    const [w, h] = await page.evaluate('[window.outerWidth, window.outerHeight]') as [number, number];
    expect(Math.abs(w - 1024)).toBeLessThanOrEqual(2);
    expect(Math.abs(h - 700)).toBeLessThanOrEqual(2);
    await browser.close();
    await t.api('DELETE', `/api/sessions/${s.id}`);
    await waitFor(() => t.owned().filter((p) => p.session === s.id).length === 0, { what: 'VNC session processes to end' });
  });

  it('refuses an unknown session on the websocket routes with 404', async () => {
    await expect(chromium.connect(`${t.base.replace('http', 'ws')}/sessions/nope/playwright`, { timeout: 5000 })).rejects.toThrow(/404/);
  });
});

describe('readiness (GET /api/ready)', () => {
  it('is ready once a real browser has loaded the probe page, and leaves nothing running', async () => {
    const t = await startAppliance({ OUTPOST_API_TOKEN: 'r'.repeat(32) });
    try {
      // No token: the update gates carry none.
      const first = await t.api('GET', '/api/ready');
      expect(first.status).toBe(503);
      expect(first.body.status).toBe('checking');
      await waitFor(async () => (await t.api('GET', '/api/ready')).status === 200, { timeoutMs: 60_000, what: 'the readiness check to pass' });
      const ready = await t.api('GET', '/api/ready');
      expect(ready.body).toMatchObject({ status: 'ready', failures: 0, error: null, took_ms: expect.any(Number) });
      await waitFor(() => t.owned().filter((p) => p.session?.startsWith('ready-')).length === 0, { what: "the check's browser to end" });
    } finally {
      await t.close();
    }
  });

  it('says failed, with the reason, when the browser cannot start; /api/health still answers', async () => {
    const t = await startAppliance({ OUTPOST_CHROMIUM_PATH: '/bin/false' });
    try {
      await waitFor(async () => (await t.api('GET', '/api/ready')).body.status === 'failed', { timeoutMs: 60_000, intervalMs: 250, what: 'readiness to fail' });
      const r = await t.api('GET', '/api/ready');
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ failures: 3, took_ms: null, error: expect.any(String) });
      expect((await t.api('GET', '/api/health')).body.status).toBe('ok');
    } finally {
      await t.close();
    }
  });
});

describe('warm pool', () => {
  let t: TestAppliance;
  const launches: LaunchSpec[] = [];
  const dir = tempDir('outpost-pool-');
  beforeAll(async () => {
    // The real process backend, wrapped only to record what it is asked to launch.
    const backend = createProcessBackend({
      chromiumPath: CHROMIUM,
      dataDir: dir.path,
      ownerKey: ownerKey(dir.path),
      displayBase: 100,
      log: pino({ level: 'silent' }),
    });
    const recording: SessionBackend = {
      name: 'process',
      launch: (spec) => {
        launches.push(spec);
        return backend.launch(spec);
      },
      recover: (r) => backend.recover(r),
      close: () => backend.close(),
    };
    t = await startAppliance(
      { OUTPOST_DATA_DIR: dir.path, OUTPOST_POOL_HEADLESS: '1', OUTPOST_POOL_VNC: '1', OUTPOST_MAX_SESSIONS: '4' },
      { sessionBackend: recording },
    );
    await waitForPool(t, 1, 1);
  });
  afterAll(async () => {
    await t.close();
    dir.remove();
  });

  it('shows the pool in fleet status and metrics', async () => {
    const status = (await t.api('GET', '/api/fleet/status')).body;
    expect(status.sessions.pool).toEqual({ headless: { ready: 1, target: 1 }, vnc: { ready: 1, target: 1 } });
    const metrics = (await fetch(`${t.base}/metrics`).then((r) => r.text())) as string;
    expect(metrics).toMatch(/^outpost_pool_ready\{kind="vnc"\} 1$/m);
  });

  it('claims a warm session without launching a browser', async () => {
    const before = (await t.api('GET', '/status')).body.records.find((r: { client_id: string; kind: string }) => r.client_id === '__pool__' && r.kind === 'headless');
    const state = JSON.parse(readFileSync(join(t.dataDir, 'state.json'), 'utf8'));
    const pid = state.sessions.find((s: { id: string }) => s.id === before.session_id).record.browser_pid as number;
    expect(isAlive(pid)).toBe(true);
    const launchesBefore = launches.length;

    const res = await t.api('POST', '/api/sessions', { client_id: 'warm-client' });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe(before.session_id);
    expect(res.body.from_pool).toBe(true);
    // Only the pool refill may launch, and it launches a pool session, never the claimed one.
    expect(launches.slice(launchesBefore).every((l) => l.pool)).toBe(true);
    const browser = await chromium.connect(res.body.ws_endpoint);
    const page = await browser.newPage();
    await page.goto(`${pages.url}/title`);
    expect(await page.title()).toBe('Outpost test page');
    await browser.close();
    await waitForPool(t, 1, 1);
  });

  it('claims a warm VNC session and navigates it to start_url', async () => {
    const res = await t.api('POST', '/api/sessions', { vnc: true, start_url: `${pages.url}/title?t=claimed` });
    expect(res.status).toBe(201);
    expect(res.body.from_pool).toBe(true);
    expect(res.body.vnc).not.toBeNull();
  });

  it('starts cold when the size differs from the pool size', async () => {
    const launchesBefore = launches.length;
    const res = await t.api('POST', '/api/sessions', { width: 800, height: 600 });
    expect(res.status).toBe(201);
    expect(res.body.from_pool).toBe(false);
    expect(launches.slice(launchesBefore).some((l) => !l.pool && l.width === 800)).toBe(true);
  });
  // Pool sessions never expiring as idle or by TTL: session-manager.test.ts.
});

describe('lifetimes', () => {
  let t: TestAppliance;
  beforeAll(async () => {
    t = await startAppliance({ OUTPOST_SESSION_TTL_S: '30', OUTPOST_SESSION_MAX_TTL_S: '60' });
  });
  afterAll(async () => t.close());

  it('ends a session when its TTL passes, with everything it started', async () => {
    const s = (await t.api('POST', '/api/sessions', { ttl_s: 2 })).body;
    expect(Date.parse(s.expires_at) - Date.parse(s.created_at)).toBe(2000);
    expect(t.owned().some((p) => p.session === s.id)).toBe(true);
    await waitFor(async () => (await t.api('GET', `/api/sessions/${s.id}`)).status === 404, { timeoutMs: 8000, what: 'TTL expiry' });
    await waitFor(() => !t.owned().some((p) => p.session === s.id), { what: 'processes of the expired session to exit' });
  });

  // Idle expiry, and touch and traffic keeping a session alive: session-manager.test.ts.
  it('extends the TTL on touch, up to the ceiling', async () => {
    const s = (await t.api('POST', '/api/sessions', { ttl_s: 5 })).body;
    const touched = (await t.api('POST', `/api/sessions/${s.id}/touch`, { ttl_s: 60 })).body;
    expect(touched.ttl_s).toBe(60);
    // OUTPOST_SESSION_MAX_TTL_S=60: never more than 60 s after creation.
    expect(Date.parse(touched.expires_at)).toBeLessThanOrEqual(Date.parse(s.created_at) + 60_000);
    expect((await t.api('POST', `/api/sessions/${s.id}/touch`, { ttl_s: 61 })).status).toBe(400);
    await t.api('DELETE', `/api/sessions/${s.id}`);
  });
});
