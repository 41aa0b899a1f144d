// Capacity policies, client affinity and the orchestrator's compatibility routes, with real browsers.
import { afterEach, describe, expect, it } from 'vitest';
import { startAppliance, waitForPool, type TestAppliance } from '../../test/appliance.js';
import { waitFor } from '../../test/helpers.js';

let t: TestAppliance | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

describe('capacity policies', () => {
  it('reject: answers 429 with a body that says why, and frees the slot on delete', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '2', OUTPOST_CAPACITY_POLICY: 'reject' });
    const a = await t.api('POST', '/api/sessions', {});
    const b = await t.api('POST', '/api/sessions', {});
    expect([a.status, b.status]).toEqual([201, 201]);
    const c = await t.api('POST', '/api/sessions', {});
    expect(c.status).toBe(429);
    expect(c.body.error.code).toBe('capacity_exceeded');
    expect(c.body.error.message).toMatch(/all 2 session slots are in use/);
    expect(c.headers.get('retry-after')).toBe('5');
    await t.api('DELETE', `/api/sessions/${a.body.id}`);
    expect((await t.api('POST', '/api/sessions', {})).status).toBe(201);
  });

  it('evicts an idle pool session before refusing a client', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_POOL_HEADLESS: '1', OUTPOST_CAPACITY_POLICY: 'reject' });
    await waitForPool(t, 1, 0);
    // A VNC session cannot use the headless pool session, so the pool gives way.
    const res = await t.api('POST', '/api/sessions', { vnc: true });
    expect(res.status).toBe(201);
    expect(t.app.sessionManager.poolView().headless.ready).toBe(0);
  });

  it('queue: waits for a free slot, times out with 503, and refuses past the queue length with 429', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_QUEUE_LENGTH: '1', OUTPOST_QUEUE_TIMEOUT_S: '3' });
    const a = (await t.api('POST', '/api/sessions', {})).body;
    const queued = t.api('POST', '/api/sessions', {});
    await waitFor(() => t!.app.sessionManager.capacityView().queued === 1, { what: 'the create to queue' });
    const full = await t.api('POST', '/api/sessions', {});
    expect(full.status).toBe(429);
    expect(full.body.error.message).toMatch(/queue is full/);
    await t.api('DELETE', `/api/sessions/${a.id}`);
    const b = await queued;
    expect(b.status).toBe(201);

    const started = Date.now();
    const timedOut = await t.api('POST', '/api/sessions', {});
    expect(timedOut.status).toBe(503);
    expect(timedOut.body.error).toEqual({ code: 'queue_timeout', message: 'no session slot became free within 3s' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it('recycle: ends the least recently used session to make room', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '2', OUTPOST_CAPACITY_POLICY: 'recycle' });
    const a = (await t.api('POST', '/api/sessions', {})).body;
    const b = (await t.api('POST', '/api/sessions', {})).body;
    await new Promise((r) => setTimeout(r, 20));
    await t.api('POST', `/api/sessions/${a.id}/touch`);
    const c = await t.api('POST', '/api/sessions', {});
    expect(c.status).toBe(201);
    expect((await t.api('GET', `/api/sessions/${b.id}`)).status).toBe(404);
    expect((await t.api('GET', `/api/sessions/${a.id}`)).status).toBe(200);
    await waitFor(() => !t!.owned().some((p) => p.session === b.id), { what: 'the recycled session to exit' });
  });
});

describe('client affinity', () => {
  it('gives a client its live session back and replaces it on a size change', async () => {
    t = await startAppliance();
    const first = await t.api('POST', '/api/sessions', { client_id: 'alice' });
    expect(first.status).toBe(201);
    const again = await t.api('POST', '/api/sessions', { client_id: 'alice' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const resized = await t.api('POST', '/api/sessions', { client_id: 'alice', width: 1024, height: 768 });
    expect(resized.status).toBe(201);
    expect(resized.body.id).not.toBe(first.body.id);
    expect(resized.body).toMatchObject({ width: 1024, height: 768, client_id: 'alice' });
    expect((await t.api('GET', `/api/sessions/${first.body.id}`)).status).toBe(404);
    const other = await t.api('POST', '/api/sessions', { client_id: 'bob' });
    expect(other.body.id).not.toBe(resized.body.id);
  });

  it('serialises concurrent creates of one client into one session', async () => {
    t = await startAppliance();
    const results = await Promise.all([1, 2, 3].map(() => t!.api('POST', '/api/sessions', { client_id: 'carol' })));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect((await t.api('GET', '/api/sessions')).body.sessions).toHaveLength(1);
  });
});

describe('Docker VNC orchestrator compatibility routes', () => {
  it('access reuses, claims the pool, recreates on a size change; status, remove, remove-all and health behave as documented', async () => {
    t = await startAppliance({ OUTPOST_POOL_VNC: '1', OUTPOST_MAX_SESSIONS: '3' });
    await waitForPool(t, 0, 1);
    expect((await t.api('GET', '/health')).body).toEqual({ status: 'ok' });

    const missing = await t.api('GET', '/access');
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe('Missing required parameter: id');

    const poolId = (await t.api('GET', '/status')).body.records.find((r: { client_id: string }) => r.client_id === '__pool__').session_id;
    const first = await t.api('GET', '/access?id=06798162320');
    expect(first.status).toBe(302);
    const location = first.headers.get('location')!;
    // Relative: a redirect never reflects the request's Host (cross-site.int.test.ts).
    expect(location).toMatch(new RegExp(`^/vnc/\\?session=${poolId}#password=`));

    expect((await t.api('GET', '/access?id=06798162320')).headers.get('location')).toBe(location);
    // One dimension alone is ignored, as the orchestrator did.
    expect((await t.api('GET', '/access?id=06798162320&width=1024')).headers.get('location')).toBe(location);
    const resized = await t.api('GET', '/access?id=06798162320&width=1024&height=768');
    expect(resized.status).toBe(302);
    expect(resized.headers.get('location')).not.toBe(location);

    const status = (await t.api('GET', '/status')).body;
    expect(status.max_slots).toBe(3);
    expect(status.active_containers).toBe(1);
    const rec = status.records.find((r: { client_id: string }) => r.client_id === '06798162320');
    expect(rec).toMatchObject({ width: '1024', height: '768', kind: 'vnc' });

    expect((await t.api('GET', '/remove')).status).toBe(400);
    const unknown = await t.api('GET', '/remove?id=nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('client_not_found');
    const removed = await t.api('GET', '/remove?id=06798162320');
    expect(removed.body).toMatchObject({ status: 'removed', client_id: '06798162320' });

    await waitForPool(t, 0, 1);
    const all = await t.api('GET', '/remove-all');
    expect(all.body).toEqual({ status: 'removed_all', removed: 1 });
    // The pool refills after remove-all, as the orchestrator did.
    await waitForPool(t, 0, 1);
  });

  it('access recycles the least recently used client when full, and answers 503 when nothing can be freed', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '1' });
    expect((await t.api('GET', '/access?id=first')).status).toBe(302);
    const second = await t.api('GET', '/access?id=second');
    expect(second.status).toBe(302);
    const clients = (await t.api('GET', '/status')).body.records.map((r: { client_id: string }) => r.client_id);
    expect(clients).toEqual(['second']);

    // While the only slot is still starting, nothing can be recycled.
    const third = t.api('GET', '/access?id=third');
    await waitFor(() => t!.app.sessionManager.all().some((s) => s.clientId === 'third' && s.status === 'starting'), { what: 'third to start' });
    const fourth = await t.api('GET', '/access?id=fourth');
    expect(fourth.status).toBe(503);
    expect(fourth.body.error.code).toBe('no_capacity');
    expect((await third).status).toBe(302);
  });
});
