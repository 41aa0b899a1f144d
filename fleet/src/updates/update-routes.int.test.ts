// The update server as devices and operators use it: a staged rollout over a four-device
// inventory, manifests per device, a failed update halting the rollout, and release downloads
// guarded by the update token. The devices are never polled (autoStart: false): the update server
// only needs their ids, which come from the inventory.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testToken } from '../../../device/test/index.js';
import { buildFleetApp } from '../app.js';
import { loadFleetConfig } from '../config.js';
import { createDeviceCredentials } from './device-credential.js';
import { isSelected } from './rollout-selection.js';
import { writeRelease } from './test-support.js';

const FLEET_TOKEN = testToken();
const UPDATE_TOKEN = testToken();
const DEVICES = ['dev-a', 'dev-b', 'dev-c', 'dev-d'];
const credentials = createDeviceCredentials(UPDATE_TOKEN);
const HOST = 'fleet.vpn:9000';

/** A real (small) release tarball, as tar on a device will unpack it. */
function tarball(stage: string, version: string): Buffer {
  const root = join(stage, version);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'VERSION'), `${version}\n`);
  const out = spawnSync('tar', ['-czf', '-', '-C', root, '.'], { maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`tar failed: ${out.stderr.toString()}`);
  return out.stdout;
}

describe('update server', () => {
  const dir = tempDir('outpost-fleet-updates-');
  const releases = join(dir.path, 'releases');
  let fleet: FastifyInstance;
  const admin = { authorization: `Bearer ${FLEET_TOKEN}` };
  /** A device's own update credential: what update.sh on that device presents. */
  const deviceAuth = (id: string) => ({ authorization: `Bearer ${credentials.tokenFor(id)}` });
  const device = deviceAuth('dev-a');
  const call = async (opts: InjectOptions) => {
    const res = await fleet.inject({ ...opts, headers: { host: HOST, ...opts.headers } });
    return { status: res.statusCode, body: String(res.headers['content-type'] ?? '').startsWith('application/json') ? res.json() : res.body, res };
  };
  const manifest = async (id: string) => (await call({ method: 'GET', url: `/api/channels/stable/manifest?device=${id}`, headers: deviceAuth(id) })).body;

  beforeAll(async () => {
    writeFileSync(
      join(dir.path, 'fleet.yaml'),
      `devices:\n${DEVICES.map((id, i) => `  - {id: ${id}, address: 127.0.0.1, port: ${i + 1}}`).join('\n')}\n`,
    );
    const stage = join(dir.path, 'stage');
    writeRelease(releases, '1.0.0', { content: tarball(stage, '1.0.0') });
    writeRelease(releases, '1.1.0', { content: tarball(stage, '1.1.0') });
    writeRelease(releases, '1.2.0', { content: tarball(stage, '1.2.0'), signed: false });
    fleet = await buildFleetApp(
      loadFleetConfig({
        OUTPOST_LOG_LEVEL: 'silent',
        OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'),
        OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
        OUTPOST_FLEET_TOKEN: FLEET_TOKEN,
        OUTPOST_FLEET_UPDATE_TOKEN: UPDATE_TOKEN,
      }),
      { autoStart: false },
    );
  });
  afterAll(async () => {
    await fleet?.close();
    dir.remove();
  });

  it('lists the releases in the data directory, newest first, with whether each is signed', async () => {
    const { status, body } = await call({ method: 'GET', url: '/api/releases', headers: admin });
    expect(status).toBe(200);
    expect(body.map((r: { version: string; signed: boolean }) => [r.version, r.signed])).toEqual([
      ['1.2.0', false],
      ['1.1.0', true],
      ['1.0.0', true],
    ]);
    expect(body[1]).toMatchObject({ file: 'outpost-1.1.0-linux-x64.tar.gz', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses rollouts of missing or unsigned releases, unknown channels and bad percents', async () => {
    const post = (channel: string, payload: unknown) => call({ method: 'POST', url: `/api/rollouts/${channel}`, headers: admin, payload: payload as object });
    expect(await post('stable', { version: '9.9.9', percent: 10 })).toMatchObject({ status: 404, body: { error: { code: 'release_not_found' } } });
    expect(await post('stable', { version: '1.2.0', percent: 10 })).toMatchObject({ status: 409, body: { error: { code: 'release_not_signed' } } });
    expect(await post('nightly', { version: '1.0.0', percent: 10 })).toMatchObject({ status: 404, body: { error: { code: 'channel_not_found' } } });
    const bad = await post('stable', { version: '1.0.0', percent: 150 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('percent');
    expect((await post('stable', { version: '../../etc', percent: 10 })).status).toBe(400);
    expect((await call({ method: 'GET', url: '/api/rollouts', headers: admin })).body).toEqual([]);
  });

  it('gives exactly the devices the hash selects the new version and the others the previous one', async () => {
    expect((await call({ method: 'POST', url: '/api/rollouts/stable', headers: admin, payload: { version: '1.0.0', percent: 100 } })).body).toMatchObject({ state: 'complete' });
    const started = await call({ method: 'POST', url: '/api/rollouts/stable', headers: admin, payload: { version: '1.1.0', percent: 50 } });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ channel: 'stable', version: '1.1.0', percent: 50, state: 'active', previous_version: '1.0.0', halted_reason: null });

    const selected = DEVICES.filter((id) => isSelected('stable', '1.1.0', id, 50));
    // The test means something only with devices on both sides of the split.
    expect(selected.length).toBeGreaterThan(0);
    expect(selected.length).toBeLessThan(DEVICES.length);
    expect(started.body.selected).toBe(selected.length);

    for (const id of DEVICES) {
      const m = await manifest(id);
      const version = selected.includes(id) ? '1.1.0' : '1.0.0';
      const file = `outpost-${version}-linux-x64.tar.gz`;
      expect(m, id).toMatchObject({
        channel: 'stable',
        version,
        url: `http://${HOST}/releases/${file}`,
        sha256_url: `http://${HOST}/releases/${file}.sha256`,
        signature_url: `http://${HOST}/releases/${file}.sha256.sig`,
        rollout: { percent: 50, state: 'active' },
      });
      // Asking again gives the same answer.
      expect(await manifest(id)).toEqual(m);
    }
    expect((await call({ method: 'GET', url: '/api/channels', headers: admin })).body).toEqual([
      { channel: 'stable', version: '1.0.0', rollout: { version: '1.1.0', percent: 50, state: 'active' } },
      { channel: 'beta', version: null, rollout: null },
    ]);
    // Drift is measured against what stable has fully rolled out.
    expect((await call({ method: 'GET', url: '/api/devices/summary', headers: admin })).body.target_version).toBe('1.0.0');
  });

  it('serves the release a manifest points at to a device holding the update token', async () => {
    const id = DEVICES.find((d) => isSelected('stable', '1.1.0', d, 50))!;
    const m = await manifest(id);
    const path = new URL(m.url).pathname;
    const res = await fleet.inject({ method: 'GET', url: path, headers: device });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(m.size));
    expect(createHash('sha256').update(res.rawPayload).digest('hex')).toBe(m.sha256);
    const sums = await fleet.inject({ method: 'GET', url: new URL(m.sha256_url).pathname, headers: device });
    expect(sums.body).toBe(`${m.sha256}  outpost-1.1.0-linux-x64.tar.gz\n`);
    const sig = await fleet.inject({ method: 'GET', url: new URL(m.signature_url).pathname, headers: device });
    expect(sig.statusCode).toBe(200);
    expect(sig.rawPayload.length).toBe(64);

    const head = await fleet.inject({ method: 'HEAD', url: path, headers: device });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(m.size));
    expect(head.rawPayload.length).toBe(0);
  });

  it('halts the rollout when a selected device rolls back, and then offers everyone the previous version', async () => {
    const failing = DEVICES.find((d) => isSelected('stable', '1.1.0', d, 50))!;
    const selected = DEVICES.filter((id) => isSelected('stable', '1.1.0', id, 50)).length;
    const report = await call({
      method: 'POST',
      url: '/api/updates/report',
      headers: deviceAuth(failing),
      payload: { device: failing, channel: 'stable', from_version: '1.0.0', to_version: '1.1.0', result: 'rolled_back', message: 'health check timed out after 60s' },
    });
    expect(report).toMatchObject({ status: 202, body: { recorded: true } });

    const [rollout] = (await call({ method: 'GET', url: '/api/rollouts', headers: admin })).body;
    expect(rollout).toMatchObject({ state: 'halted', failed: 1, halted_reason: `1 of ${selected} devices failed to update to 1.1.0` });

    const alerts = (await call({ method: 'GET', url: '/api/alerts', headers: admin })).body as Array<{ key: string; severity: string; title: string; message: string }>;
    expect(alerts.find((a) => a.key === 'rollout:stable')).toMatchObject({ severity: 'critical' });
    expect(alerts.find((a) => a.key === `device:${failing}:update`)).toMatchObject({
      severity: 'warning',
      title: `${failing}: update to 1.1.0 rolled back`,
      message: 'health check timed out after 60s',
    });

    for (const id of DEVICES) expect(await manifest(id), id).toMatchObject({ version: '1.0.0', selected: false, rollout: { state: 'halted' } });

    const reports = await call({ method: 'GET', url: '/api/updates/reports?limit=10', headers: admin });
    expect(reports.body[0]).toMatchObject({ device: failing, result: 'rolled_back', to_version: '1.1.0' });
  });

  it('resumes on request, closing the rollout alert', async () => {
    const resumed = await call({ method: 'POST', url: '/api/rollouts/stable/resume', headers: admin });
    expect(resumed.body).toMatchObject({ state: 'active', halted_reason: null });
    const alerts = (await call({ method: 'GET', url: '/api/alerts', headers: admin })).body as Array<{ key: string }>;
    expect(alerts.some((a) => a.key === 'rollout:stable')).toBe(false);
    const halted = await call({ method: 'POST', url: '/api/rollouts/stable/halt', headers: admin });
    expect(halted.body).toMatchObject({ state: 'halted', halted_reason: 'halted by an operator' });
  });

  it('forces the devices a rollout posted with force selects, and only those', async () => {
    const post = (payload: object) => call({ method: 'POST', url: '/api/rollouts/stable', headers: admin, payload });
    const forced = await post({ version: '1.1.0', percent: 50, force: true });
    expect(forced).toMatchObject({ status: 200, body: { version: '1.1.0', percent: 50, state: 'active', force: true } });
    expect((await call({ method: 'GET', url: '/api/rollouts', headers: admin })).body[0]).toMatchObject({ channel: 'stable', force: true });

    const selected = DEVICES.filter((id) => isSelected('stable', '1.1.0', id, 50));
    for (const id of DEVICES) {
      // update.sh reads `.force` at the top level of the manifest.
      const m = await manifest(id);
      if (selected.includes(id)) expect(m, id).toMatchObject({ version: '1.1.0', selected: true, force: true });
      else expect(m, id).toMatchObject({ version: '1.0.0', selected: false, force: false });
    }

    // A post that leaves force out clears it.
    expect((await post({ version: '1.1.0', percent: 50 })).body).toMatchObject({ force: false });
    for (const id of selected) expect(await manifest(id), id).toMatchObject({ version: '1.1.0', force: false });
  });

  it('refuses a force that is not a boolean with a message naming it, changing nothing', async () => {
    const before = (await call({ method: 'GET', url: '/api/rollouts', headers: admin })).body;
    for (const force of ['yes', 'true', 1, null]) {
      const bad = await call({ method: 'POST', url: '/api/rollouts/stable', headers: admin, payload: { version: '1.1.0', percent: 100, force } });
      expect(bad.status, JSON.stringify(force)).toBe(400);
      // A type error, not an unknown field: the schema knows force.
      expect(bad.body.error.message).toContain('body.force must be boolean');
    }
    expect((await call({ method: 'GET', url: '/api/rollouts', headers: admin })).body).toEqual(before);
  });

  it('the update token opens only the update endpoints', async () => {
    const file = '/releases/outpost-1.0.0-linux-x64.tar.gz';
    expect((await call({ method: 'GET', url: file })).status).toBe(401);
    expect((await call({ method: 'GET', url: file, headers: { authorization: `Bearer ${testToken()}` } })).status).toBe(401);
    expect((await call({ method: 'GET', url: file, headers: admin })).status).toBe(200);
    expect((await call({ method: 'GET', url: '/api/channels/stable/manifest?device=dev-a' })).status).toBe(401);
    expect((await call({ method: 'POST', url: '/api/updates/report', payload: { device: 'dev-a', result: 'current' } })).status).toBe(401);

    for (const [method, url] of [
      ['GET', '/api/rollouts'],
      ['GET', '/api/releases'],
      ['GET', '/api/devices'],
      ['GET', '/api/updates/reports'],
      ['POST', '/api/rollouts/stable/resume'],
      ['GET', '/api/channels/stable/manifest/../../../devices'],
      ['GET', '/releases/../api/devices'],
    ] as const) {
      expect((await call({ method, url, headers: device })).status, `${method} ${url}`).toBe(401);
    }
  });

  it('never serves anything but release files, whatever the path says', async () => {
    for (const headers of [admin, device]) {
      for (const url of [
        '/releases/..%2Ffleet.sqlite',
        '/releases/..%2F..%2F..%2Fetc%2Fpasswd',
        '/releases/%2E%2E%2Ffleet.yaml',
        '/releases/outpost-1.0.0-linux-x64.tar.gz.bak',
        '/releases/outpost-9.9.9-linux-x64.tar.gz',
      ]) {
        const res = await call({ method: 'GET', url, headers });
        expect(res.status, url).toBe(404);
        expect(res.body.error.code, url).toBe('not_found');
      }
    }
    const raw = await call({ method: 'GET', url: '/releases/../fleet.sqlite', headers: admin });
    expect([400, 404]).toContain(raw.status);
  });

  it('lets a device report and ask only for itself, and the update secret itself opens nothing', async () => {
    const report = (headers: Record<string, string>, id: string) => call({ method: 'POST', url: '/api/updates/report', headers, payload: { device: id, result: 'failed' } });
    const before = (await call({ method: 'GET', url: '/api/updates/reports?limit=1000', headers: admin })).body.length;
    expect(await report(deviceAuth('dev-a'), 'dev-b')).toMatchObject({ status: 403, body: { error: { code: 'device_mismatch' } } });
    expect((await call({ method: 'GET', url: '/api/channels/stable/manifest?device=dev-b', headers: deviceAuth('dev-a') })).status).toBe(403);
    // A genuine credential of a device the inventory does not list.
    expect(await report(deviceAuth('not-in-fleet'), 'not-in-fleet')).toMatchObject({ status: 403, body: { error: { code: 'unknown_device' } } });
    // A credential relabelled for another device, and the monitor's secret itself.
    const mac = credentials.tokenFor('dev-a').split('.').pop();
    expect((await report({ authorization: `Bearer dev-b.${mac}` }, 'dev-b')).status).toBe(401);
    expect((await report({ authorization: `Bearer ${UPDATE_TOKEN}` }, 'dev-a')).status).toBe(401);
    expect((await call({ method: 'GET', url: '/api/updates/reports?limit=1000', headers: admin })).body.length).toBe(before);
    // The admin hands out a device's credential for install.sh; it names only inventory devices.
    expect(await call({ method: 'POST', url: '/api/updates/credentials', headers: admin, payload: { device: 'dev-c' } })).toMatchObject({ status: 200, body: { device: 'dev-c', token: credentials.tokenFor('dev-c') } });
    expect((await call({ method: 'POST', url: '/api/updates/credentials', headers: admin, payload: { device: 'nope' } })).status).toBe(404);
    expect((await call({ method: 'POST', url: '/api/updates/credentials', headers: device, payload: { device: 'dev-a' } })).status).toBe(401);
  });

  it('rejects malformed reports and manifest requests with a message naming the problem', async () => {
    const bad = await call({ method: 'POST', url: '/api/updates/report', headers: device, payload: { device: 'dev-a', result: 'exploded' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('result');
    const extra = await call({ method: 'POST', url: '/api/updates/report', headers: device, payload: { device: 'dev-a', result: 'current', colour: 'red' } });
    expect(extra.body.error.message).toContain('colour');
    const noDevice = await call({ method: 'GET', url: '/api/channels/stable/manifest', headers: device });
    expect(noDevice.status).toBe(400);
    expect(noDevice.body.error.message).toContain('device');
    expect((await call({ method: 'GET', url: '/api/channels/nightly/manifest?device=dev-a', headers: device })).status).toBe(404);
  });
});

describe('update server with only the update token configured', () => {
  const dir = tempDir('outpost-fleet-updates-open-');
  let fleet: FastifyInstance;

  beforeAll(async () => {
    writeRelease(join(dir.path, 'releases'), '1.0.0');
    fleet = await buildFleetApp(
      loadFleetConfig({ OUTPOST_LOG_LEVEL: 'silent', OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'), OUTPOST_FLEET_UPDATE_TOKEN: UPDATE_TOKEN }),
      { autoStart: false },
    );
  });
  afterAll(async () => {
    await fleet?.close();
    dir.remove();
  });

  it('keeps the loopback API open but still guards the update endpoints with the update token', async () => {
    expect((await fleet.inject({ method: 'GET', url: '/api/releases' })).statusCode).toBe(200);
    expect((await fleet.inject({ method: 'GET', url: '/releases/outpost-1.0.0-linux-x64.tar.gz' })).statusCode).toBe(401);
    expect((await fleet.inject({ method: 'GET', url: '/releases/outpost-1.0.0-linux-x64.tar.gz', headers: { authorization: `Bearer ${credentials.tokenFor('x')}` } })).statusCode).toBe(200);
    expect((await fleet.inject({ method: 'GET', url: '/api/channels/stable/manifest?device=x' })).statusCode).toBe(401);
  });

  it('refuses an update token equal to the API token at boot', () => {
    expect(() => loadFleetConfig({ OUTPOST_FLEET_TOKEN: UPDATE_TOKEN, OUTPOST_FLEET_UPDATE_TOKEN: UPDATE_TOKEN })).toThrow(/OUTPOST_FLEET_UPDATE_TOKEN/);
  });
});
