// The readiness check's own logic, over the fake backend and a probe of the test's: when a check
// starts, how often, what the answer is after passes and failures, and that its browser always
// ends. The real browser loading the real probe page is in sessions.int.test.ts.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeSessionBackend, type FakeBackend } from '../../test/fake-backend.js';
import { deviceConfig, tempDir, waitFor } from '../../test/helpers.js';
import { buildApp } from '../app.js';
import { createReadiness, FAILURES_TO_FAIL, READY_RETRY_MS, READY_REUSE_MS, type ProbePage } from './readiness.js';

const log = pino({ level: 'silent' });

function setup(probe: ProbePage, url: string | null = 'http://127.0.0.1:1/api/ready/probe') {
  const backend = fakeSessionBackend();
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const readiness = createReadiness({ backend, log, probeUrl: () => url, probe, now: clock.now });
  return { backend, readiness, clock };
}

/** Waits until the check the last view() started has ended. */
const settled = (r: { view(): { status: string } }, backend: FakeBackend) =>
  waitFor(() => backend.browsers.size === 0 && r.view().status !== 'checking', { what: 'the check to end' }).catch(() => undefined);

describe('readiness check', () => {
  it('starts a check when asked, answers checking until it passes, then ready, and ends its browser', async () => {
    let asked = '';
    const { backend, readiness } = setup(async (_b, url) => {
      asked = url;
      return readiness.token;
    });
    expect(readiness.view()).toMatchObject({ status: 'checking', checked_at: null, failures: 0 });
    await waitFor(() => readiness.view().status === 'ready', { what: 'ready' });
    expect(asked).toBe('http://127.0.0.1:1/api/ready/probe');
    expect(backend.launched).toHaveLength(1);
    expect(backend.launched[0]).toMatchObject({ headless: true, vnc: false, pool: false, clientId: null });
    expect(backend.launched[0]!.id).toMatch(/^ready-[0-9a-f]{12}$/);
    expect(backend.browsers.size).toBe(0);
    expect(readiness.view()).toMatchObject({ status: 'ready', failures: 0, error: null, took_ms: 0 });
  });

  it('reuses a passed check for a minute, then checks again while still answering ready', async () => {
    const { backend, readiness, clock } = setup(async () => readiness.token);
    readiness.view();
    await waitFor(() => readiness.view().status === 'ready', { what: 'ready' });
    for (let i = 0; i < 5; i++) readiness.view();
    clock.advance(READY_REUSE_MS - 1);
    readiness.view();
    expect(backend.launched).toHaveLength(1);
    clock.advance(1);
    expect(readiness.view().status).toBe('ready');
    expect(backend.launched).toHaveLength(2);
  });

  it('answers failed after three failures in a row, spaced by the retry delay, and says why', async () => {
    const { backend, readiness, clock } = setup(async () => 'another page');
    for (let i = 1; i <= FAILURES_TO_FAIL; i++) {
      readiness.view();
      await waitFor(() => readiness.view().failures === i, { what: `failure ${i}` });
      // Asked again at once: no new check until the retry delay has passed.
      readiness.view();
      expect(backend.launched).toHaveLength(i);
      clock.advance(READY_RETRY_MS);
    }
    expect(readiness.view()).toMatchObject({ status: 'failed', failures: 3, took_ms: null, error: expect.stringContaining("not this appliance's token") });
    await settled(readiness, backend);
    expect(backend.browsers.size).toBe(0);
  });

  it('counts a browser that does not start as a failure', async () => {
    const { backend, readiness } = setup(async () => readiness.token);
    backend.failNext(1, 'chromium: cannot open shared object file');
    readiness.view();
    await waitFor(() => readiness.view().failures === 1, { what: 'the failure' });
    expect(readiness.view()).toMatchObject({ status: 'checking', error: expect.stringContaining('cannot open shared object') });
  });

  it('a pass after failures clears them', async () => {
    let good = false;
    const { readiness, clock } = setup(async () => (good ? readiness.token : 'nope'));
    readiness.view();
    await waitFor(() => readiness.view().failures === 1, { what: 'the failure' });
    good = true;
    clock.advance(READY_RETRY_MS);
    readiness.view();
    await waitFor(() => readiness.view().status === 'ready', { what: 'ready' });
    expect(readiness.view()).toMatchObject({ failures: 0, error: null });
  });

  it('fails without launching anything while the appliance is not listening', async () => {
    const { backend, readiness } = setup(async () => readiness.token, null);
    readiness.view();
    await waitFor(() => readiness.view().failures === 1, { what: 'the failure' });
    expect(readiness.view().error).toMatch(/not listening/);
    expect(backend.launched).toHaveLength(0);
  });

  it('close() ends a check in progress, its browser included, and answers stopping', async () => {
    let release: () => void = () => undefined;
    const { backend, readiness } = setup(() => new Promise((resolve) => (release = () => resolve('late'))));
    readiness.view();
    await waitFor(() => backend.browsers.size === 1, { what: 'the check to launch' });
    const closing = readiness.close();
    release();
    await closing;
    expect(backend.browsers.size).toBe(0);
    expect(readiness.view().status).toBe('stopping');
    expect(backend.launched).toHaveLength(1);
  });
});

describe('GET /api/ready and the probe page', () => {
  let app: FastifyInstance | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(async () => {
    await app?.close();
    dir?.remove();
  });

  it('are public; ready answers 503 with the status until a check passes; the probe page shows the token and runs nothing', async () => {
    dir = tempDir();
    app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_API_TOKEN: 'a'.repeat(32), OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' }), {
      sessionBackend: fakeSessionBackend(),
    });
    const ready = await app.inject({ method: 'GET', url: '/api/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(ready.json()).toMatchObject({ status: 'checking', version: expect.any(String) });
    const probe = await app.inject({ method: 'GET', url: '/api/ready/probe' });
    expect(probe.statusCode).toBe(200);
    expect(probe.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(probe.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(probe.body).toContain(`<p id="outpost-ready">${app.readiness.token}</p>`);
    expect((await app.inject({ method: 'GET', url: '/api/ready/probe?x=<script>' })).body).not.toContain('<script>');
  });
});
