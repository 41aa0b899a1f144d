// Capacity policies and the orchestrator's compatibility routes, with real browsers.
import { afterEach, describe, expect, it } from 'vitest';
import { startAppliance, waitForPool, type TestAppliance } from '../../test/appliance.js';
import { waitFor } from '../../test/helpers.js';

let t: TestAppliance | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

// One real-browser smoke per policy: what the fake backend cannot show is that a slot is freed only
// once real processes are gone, and that the HTTP answer carries the policy's status and headers.
// The policies themselves (pool eviction, queue length and timeout, recycle order, client
// affinity, concurrent creates of one client) are in session-manager.test.ts.
describe('capacity policies', () => {
  it('reject: answers 429 with a body that says why, and frees the slot on delete', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'reject' });
    const a = await t.api('POST', '/api/sessions', {});
    expect(a.status).toBe(201);
    const full = await t.api('POST', '/api/sessions', {});
    expect(full.status).toBe(429);
    expect(full.body.error.code).toBe('capacity_exceeded');
    expect(full.body.error.message).toMatch(/all 1 session slots are in use/);
    expect(full.headers.get('retry-after')).toBe('5');
    await t.api('DELETE', `/api/sessions/${a.body.id}`);
    expect((await t.api('POST', '/api/sessions', {})).status).toBe(201);
  });

  it('queue: a queued create gets the slot of a deleted session', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_QUEUE_LENGTH: '1' });
    const a = (await t.api('POST', '/api/sessions', {})).body;
    const queued = t.api('POST', '/api/sessions', {});
    await waitFor(() => t!.app.sessionManager.capacityView().queued === 1, { what: 'the create to queue' });
    await t.api('DELETE', `/api/sessions/${a.id}`);
    const b = await queued;
    expect(b.status).toBe(201);
    await waitFor(() => !t!.owned().some((p) => p.session === a.id), { what: 'the deleted session to exit' });
  });

  it('recycle: ends the least recently used session to make room, with its processes', async () => {
    t = await startAppliance({ OUTPOST_MAX_SESSIONS: '1', OUTPOST_CAPACITY_POLICY: 'recycle' });
    const a = (await t.api('POST', '/api/sessions', {})).body;
    const b = await t.api('POST', '/api/sessions', {});
    expect(b.status).toBe(201);
    expect((await t.api('GET', `/api/sessions/${a.id}`)).status).toBe(404);
    await waitFor(() => !t!.owned().some((p) => p.session === a.id), { what: 'the recycled session to exit' });
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
