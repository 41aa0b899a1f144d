// Targeted rollouts and the deploy history as an operator and devices use them over HTTP: a
// rollout to half of a group, devices outside it kept on the previous version, reports moving the
// counts, an automatic halt naming its failing devices, resume, the history of each change, a
// device's update timeline, and an Ansible run recorded through /api/deploys. The devices are never
// polled (autoStart: false): the update server only needs their ids, groups and labels.
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testToken } from '../../../device/test/index.js';
import { buildFleetApp } from '../app.js';
import { loadFleetConfig } from '../config.js';
import { writeFileSync } from 'node:fs';
import { createDeviceCredentials } from './device-credential.js';
import { isSelected } from './rollout-selection.js';
import { writeRelease } from './test-support.js';

const FLEET_TOKEN = testToken();
// OUTPOST_FLEET_TOKENS_FILE: one token per person or tool; the history names whose was used.
const ALICE = testToken();
const CI = testToken();
const UPDATE_TOKEN = testToken();
const credentials = createDeviceCredentials(UPDATE_TOKEN);
const LAB = Array.from({ length: 12 }, (_, i) => `lab-${i}`);
const SHOP = Array.from({ length: 6 }, (_, i) => `shop-${i}`);

describe('targeted rollouts and the deploy history', () => {
  const dir = tempDir('outpost-fleet-rollout-history-');
  let fleet: FastifyInstance;
  const admin = { authorization: `Bearer ${FLEET_TOKEN}` };
  const call = async (opts: InjectOptions) => {
    const res = await fleet.inject({ ...opts, headers: { ...admin, ...opts.headers } });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };
  const report = (device: string, result: string, to = '1.1.0') =>
    fleet.inject({
      method: 'POST',
      url: '/api/updates/report',
      headers: { authorization: `Bearer ${credentials.tokenFor(device)}` },
      payload: { device, channel: 'stable', from_version: '1.0.0', to_version: to, result },
    });
  const manifestVersion = async (device: string) =>
    (await fleet.inject({ method: 'GET', url: `/api/channels/stable/manifest?device=${device}`, headers: { authorization: `Bearer ${credentials.tokenFor(device)}` } })).json().version;
  const selectedLab = LAB.filter((id) => isSelected('stable', '1.1.0', id, 50));

  beforeAll(async () => {
    const entries = [
      ...LAB.map((id, i) => `  - {id: ${id}, address: 127.0.0.1, port: ${i + 1}, groups: [lab], labels: {site: lab}}`),
      ...SHOP.map((id, i) => `  - {id: ${id}, address: 127.0.0.1, port: ${i + 100}, groups: [shop], labels: {site: shop}}`),
    ];
    writeFileSync(join(dir.path, 'fleet.yaml'), `devices:\n${entries.join('\n')}\n`);
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) writeRelease(join(dir.path, 'releases'), v);
    writeFileSync(join(dir.path, 'tokens'), `# who may run the fleet\nalice ${ALICE}\n\nci   ${CI}\n`, { mode: 0o600 });
    fleet = await buildFleetApp(
      loadFleetConfig({
        OUTPOST_LOG_LEVEL: 'silent',
        OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'),
        OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
        OUTPOST_FLEET_TOKEN: FLEET_TOKEN,
        OUTPOST_FLEET_UPDATE_TOKEN: UPDATE_TOKEN,
        OUTPOST_FLEET_TOKENS_FILE: join(dir.path, 'tokens'),
      }),
      { autoStart: false },
    );
  });
  afterAll(async () => {
    await fleet?.close();
    dir.remove();
  });

  it('refuses a malformed target with a message naming it', async () => {
    const post = (target: unknown) => call({ method: 'POST', url: '/api/rollouts/stable', payload: { version: '1.0.0', percent: 10, target } as object });
    for (const bad of [{ labels: 'site=lab' }, { group: '' }, { group: 'lab', colour: 'red' }, { labels: { 'a b': 'x' } }]) {
      const res = await post(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.message).toMatch(/target/);
    }
  });

  it('keeps the API without a target: a rollout of every device', async () => {
    const res = await call({ method: 'POST', url: '/api/rollouts/stable', payload: { version: '1.0.0', percent: 100 } });
    expect(res).toMatchObject({ status: 200, body: { state: 'complete', target: null, selected: LAB.length + SHOP.length, deploy_id: expect.any(Number) } });
  });

  it('offers a 50% rollout to half of a group and keeps everyone else on the previous version', async () => {
    // The test means something only with lab devices on both sides of the split.
    expect(selectedLab.length).toBeGreaterThan(0);
    expect(selectedLab.length).toBeLessThan(LAB.length);
    const res = await call({ method: 'POST', url: '/api/rollouts/stable', payload: { version: '1.1.0', percent: 50, target: { group: 'lab' } } });
    expect(res).toMatchObject({ status: 200, body: { version: '1.1.0', percent: 50, target: { group: 'lab' }, selected: selectedLab.length, previous_version: '1.0.0' } });
    for (const id of [...LAB, ...SHOP]) expect(await manifestVersion(id), id).toBe(selectedLab.includes(id) ? '1.1.0' : '1.0.0');
    const devices = await call({ method: 'GET', url: '/api/rollouts/stable/devices' });
    expect(devices.body).toEqual([...selectedLab].sort().map((device) => ({ device, status: 'pending' })));
  });

  it('moves the counts as devices report, and halts on the selected devices\' failures with their names', async () => {
    const [a, b] = selectedLab;
    // Failures reach the 20% threshold with this many of the selected devices.
    const failing = selectedLab.slice(2, 2 + Math.ceil(selectedLab.length * 0.2));
    expect(failing.length).toBeGreaterThan(0);
    expect((await report(a!, 'updated')).statusCode).toBe(202);
    await report(b!, 'postponed');
    // A shop device is outside the rollout: its failure counts for nothing here.
    await report('shop-0', 'failed');
    let r = (await call({ method: 'GET', url: '/api/rollouts' })).body[0];
    expect(r).toMatchObject({ state: 'active', selected: selectedLab.length, updated: 1, postponed: 1, failed: 0 });
    for (const id of failing) {
      expect((await call({ method: 'GET', url: '/api/rollouts' })).body[0].state).toBe('active');
      await report(id, 'failed');
    }
    r = (await call({ method: 'GET', url: '/api/rollouts' })).body[0];
    expect(r).toMatchObject({ state: 'halted', failed: failing.length, halted_reason: `${failing.length} of ${selectedLab.length} devices failed to update to 1.1.0` });
    // Halted: every device is offered the previous version.
    expect(await manifestVersion(a!)).toBe('1.0.0');
    const devices = (await call({ method: 'GET', url: '/api/rollouts/stable/devices' })).body;
    expect(devices.filter((d: { status: string }) => d.status === 'failed').map((d: { device: string }) => d.device)).toEqual([...failing].sort());

    const [entry] = (await call({ method: 'GET', url: '/api/rollouts/history?channel=stable&limit=1' })).body;
    const halt = entry.events.find((e: { kind: string }) => e.kind === 'halted');
    expect(halt.message).toMatch(/^halted automatically: /);
    expect(halt.devices).toEqual([...failing].sort());
  });

  it('resumes, raises the percent, and writes each change into the history, superseding the previous rollout', async () => {
    expect((await call({ method: 'POST', url: '/api/rollouts/stable/resume' })).body.state).toBe('active');
    expect((await call({ method: 'POST', url: '/api/rollouts/stable', payload: { version: '1.1.0', percent: 80, target: { group: 'lab' }, force: true } })).status).toBe(200);
    expect((await call({ method: 'POST', url: '/api/rollouts/stable/halt', payload: { reason: 'checking' } })).body.state).toBe('halted');
    const history = (await call({ method: 'GET', url: '/api/rollouts/history?channel=stable' })).body;
    expect(history.map((h: { version: string; outcome: string | null }) => [h.version, h.outcome])).toEqual([
      ['1.1.0', null],
      ['1.0.0', 'superseded'],
    ]);
    const [current] = history;
    expect(current).toMatchObject({ source: 'rollout', channel: 'stable', started_by: 'admin', target: { group: 'lab' }, ended_at: null });
    expect(current.events.map((e: { kind: string }) => e.kind)).toEqual(['started', 'halted', 'resumed', 'percent', 'force', 'halted']);
    expect(current.events[3].message).toBe('percent raised from 50% to 80% by admin');
    expect(current.events.at(-1).message).toBe('halted by admin: checking');
    expect((await call({ method: 'GET', url: '/api/rollouts/history?channel=nightly' })).status).toBe(404);
    expect((await call({ method: 'GET', url: '/api/rollouts/history?limit=0' })).status).toBe(400);
  });

  it('gives a device its update reports, newest first', async () => {
    const id = selectedLab[0]!;
    await report(id, 'updated', '1.2.0');
    const res = await call({ method: 'GET', url: `/api/devices/${id}/updates` });
    expect(res.status).toBe(200);
    expect(res.body.map((r: { to_version: string; result: string }) => [r.to_version, r.result])).toEqual([
      ['1.2.0', 'updated'],
      ['1.1.0', 'updated'],
    ]);
    expect(res.body[0]).toMatchObject({ channel: 'stable', from_version: '1.0.0', message: null, ts: expect.any(String) });
    expect((await call({ method: 'GET', url: '/api/devices/shop-5/updates' })).body).toEqual([]);
    expect((await call({ method: 'GET', url: '/api/devices/nobody/updates' })).status).toBe(404);
  });

  it('records an Ansible run: its start, each wave and its end, in the same history', async () => {
    const started = await call({ method: 'POST', url: '/api/deploys', payload: { version: '1.2.0', kind: 'deploy', hosts: ['shop-0', 'shop-1'] } });
    expect(started).toMatchObject({ status: 201, body: { source: 'ansible', channel: null, version: '1.2.0', started_by: 'admin', outcome: null } });
    const id = started.body.id;
    const wave = await call({ method: 'PATCH', url: `/api/deploys/${id}`, payload: { event: { kind: 'wave', message: 'wave 1: 2 hosts updated', devices: ['shop-0', 'shop-1'] } } });
    expect(wave.body.events.at(-1)).toMatchObject({ kind: 'wave', devices: ['shop-0', 'shop-1'] });
    const ended = await call({ method: 'PATCH', url: `/api/deploys/${id}`, payload: { outcome: 'succeeded', message: 'all waves healthy' } });
    expect(ended.body).toMatchObject({ outcome: 'succeeded', ended_at: expect.any(String) });
    expect(ended.body.events.map((e: { kind: string }) => e.kind)).toEqual(['started', 'wave', 'succeeded']);
    expect((await call({ method: 'PATCH', url: `/api/deploys/${id}`, payload: { outcome: 'failed' } })).body.error.code).toBe('deploy_ended');
    expect((await call({ method: 'PATCH', url: `/api/deploys/${id}`, payload: {} })).status).toBe(400);
    expect((await call({ method: 'PATCH', url: '/api/deploys/9999', payload: { outcome: 'failed' } })).status).toBe(404);
    expect((await call({ method: 'PATCH', url: '/api/deploys/abc', payload: { outcome: 'failed' } })).status).toBe(400);
    expect((await call({ method: 'POST', url: '/api/deploys', payload: { version: '1.2.0', channel: 'nightly' } })).status).toBe(404);
    const all = (await call({ method: 'GET', url: '/api/rollouts/history' })).body;
    expect(all[0]).toMatchObject({ id, source: 'ansible' });
  });

  it('names who made each change by the token they used: a halt, a resume, an Ansible run, a silence', async () => {
    const as = (token: string) => ({ authorization: `Bearer ${token}` });
    // The previous test left the rollout halted.
    expect((await call({ method: 'POST', url: '/api/rollouts/stable/resume', headers: as(ALICE) })).status).toBe(200);
    expect((await call({ method: 'POST', url: '/api/rollouts/stable/halt', headers: as(CI), payload: { reason: 'lunch' } })).status).toBe(200);
    expect((await call({ method: 'POST', url: '/api/rollouts/stable/resume', headers: as(FLEET_TOKEN) })).status).toBe(200);
    const current = (await call({ method: 'GET', url: '/api/rollouts/history?channel=stable&limit=1' })).body[0];
    expect(current.events.slice(-3).map((e: { message: string }) => e.message)).toEqual(['resumed by alice', 'halted by ci: lunch', 'resumed by admin']);
    const run = await call({ method: 'POST', url: '/api/deploys', headers: as(CI), payload: { version: '1.2.0', kind: 'rollback', hosts: ['shop-0'] } });
    expect(run.body).toMatchObject({ started_by: 'ci', events: [{ message: 'Ansible rollback to 1.2.0 started by ci on 1 host' }] });
    const silence = await call({ method: 'POST', url: '/api/silences', headers: as(ALICE), payload: { matchers: [{ name: 'group', value: 'lab' }], duration_s: 600, comment: 'moving racks' } });
    expect(silence).toMatchObject({ status: 201, body: { created_by: 'alice' } });
    // A name is only a label of a token: a made-up one opens nothing.
    expect((await call({ method: 'GET', url: '/api/rollouts', headers: as(testToken()) })).status).toBe(401);
  });
});
