// The drain through the appliance's API, over the fake backend (no browser): creates refused with
// 503 `draining` and Retry-After, the warm pool emptied and left empty, live sessions kept working
// until they end, `drained` once none is left, the deadline, and bad input. (A headless pool only:
// a VNC session opens its start page with Playwright, which needs a real browser.)
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeSessionBackend, type FakeBackend } from '../../test/fake-backend.js';
import { deviceConfig, tempDir, waitFor } from '../../test/helpers.js';
import { buildApp } from '../app.js';

let app: FastifyInstance;
let backend: FakeBackend;
let dir: ReturnType<typeof tempDir>;

beforeEach(async () => {
  dir = tempDir();
  backend = fakeSessionBackend();
  app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_POOL_HEADLESS: '2', OUTPOST_POOL_VNC: '0' }), { sessionBackend: backend });
  await app.ready();
  await waitFor(() => poolReady() === 2, { what: 'the warm pool' });
});

afterEach(async () => {
  await app.close();
  dir.remove();
});

function poolReady(): number {
  const p = app.sessionManager.poolView();
  return p.headless.ready + p.vnc.ready;
}

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: object) {
  const res = await app.inject({ method, url, ...(body === undefined ? {} : { payload: body }) });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

describe('drain', () => {
  it('is off until asked, in /api/drain, the fleet status and /metrics', async () => {
    expect((await call('GET', '/api/drain')).body).toEqual({ drain: null });
    expect((await call('GET', '/api/fleet/status')).body.appliance.drain).toBeNull();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('outpost_drain_state{state="off"} 1');
  });

  it('refuses new sessions, ends the pool and keeps live sessions working until they end', async () => {
    const live = await call('POST', '/api/sessions', { client_id: 'job-1' });
    expect(live.status).toBe(201);
    const started = await call('POST', '/api/drain', {});
    expect(started.status).toBe(200);
    expect(started.body.drain).toMatchObject({ state: 'draining', deadline: null, sessions: 1 });

    const refused = await call('POST', '/api/sessions', {});
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('draining');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await waitFor(() => poolReady() === 0, { what: 'the pool to end' });

    // The client gets its live session back, and it keeps working.
    const again = await call('POST', '/api/sessions', { client_id: 'job-1' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(live.body.id);
    expect((await call('POST', `/api/sessions/${live.body.id}/touch`, {})).status).toBe(200);
    expect(backend.browsers.has(live.body.id)).toBe(true);

    expect((await call('DELETE', `/api/sessions/${live.body.id}`)).status).toBe(200);
    const drained = (await call('GET', '/api/drain')).body.drain;
    expect(drained).toMatchObject({ state: 'drained', sessions: 0 });
    expect((await call('GET', '/api/fleet/status')).body.appliance.drain).toEqual(drained);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('outpost_drain_state{state="drained"} 1');
    // The pool stays empty while drained: nothing for an update to end again.
    app.sessionManager.refillPool();
    expect(poolReady()).toBe(0);
  });

  it('ends, and sessions and the pool come back', async () => {
    await call('POST', '/api/drain');
    await waitFor(() => poolReady() === 0, { what: 'the pool to end' });
    expect((await call('DELETE', '/api/drain')).body).toEqual({ drain: null });
    expect((await call('POST', '/api/sessions', {})).status).toBe(201);
    await waitFor(() => poolReady() === 2, { what: 'the pool to refill' });
  });

  it('ends the sessions left at the deadline the caller gave', async () => {
    const live = await call('POST', '/api/sessions', {});
    const started = (await call('POST', '/api/drain', { timeout_s: 1 })).body.drain;
    expect(Date.parse(started.deadline) - Date.parse(started.since)).toBe(1000);
    // The product's promise: at the deadline. Waited for as a condition, not a sleep.
    await waitFor(async () => (await call('GET', '/api/drain')).body.drain.state === 'drained', { timeoutMs: 10_000, what: 'the deadline to end the session' });
    expect((await call('GET', `/api/sessions/${live.body.id}`)).status).toBe(404);
    expect(backend.browsers.has(live.body.id)).toBe(false);
  });

  it.each([
    [{ timeout_s: -1 }, /body\/timeout_s must be >= 0|timeout_s/],
    [{ timeout_s: 'soon' }, /timeout_s/],
    [{ timeout_s: 1e9 }, /timeout_s/],
    [{ deadline: 5 }, /deadline/],
  ])('refuses a bad body %o with a 400 naming the field, and does not drain', async (body, mentions) => {
    const res = await call('POST', '/api/drain', body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(mentions);
    expect((await call('GET', '/api/drain')).body).toEqual({ drain: null });
  });
});
