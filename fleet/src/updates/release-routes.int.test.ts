// Releases put on the monitor over HTTP, as the dashboard and curl do it: real releases built and
// signed by scripts/build-release.sh (the integration setup's test releases), uploaded as
// multipart to a real port; forged ones refused with the reason, and nothing of a refused or
// aborted upload left in the releases directory.
import { generateKeyPairSync, sign } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, openAsBlob, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir, testToken, waitFor } from '../../../device/test/index.js';
import { startSimulators } from '../../test/device-simulator.js';
import { oneDeviceFleet } from '../../test/test-fleet.js';
import { buildFleetApp } from '../app.js';
import { loadFleetConfig } from '../config.js';

const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };
const name = (v: string) => `outpost-${v}-linux-x64.tar.gz`;

describe('release uploads', () => {
  const built = join(inject('testReleasesDir'), 'out');
  const pubkey = join(inject('testReleasesDir'), 'keys', 'release-signing.pub');
  const dir = tempDir('outpost-fleet-release-upload-');
  const releases = join(dir.path, 'releases');
  const work = join(dir.path, 'work');
  let fleet: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    fleet = await oneDeviceFleet(dir.path, { OUTPOST_FLEET_TOKEN: TOKEN, OUTPOST_FLEET_RELEASE_PUBKEY: pubkey, OUTPOST_FLEET_RELEASE_MAX_MB: '200' });
    await fleet.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(fleet.server.address() as { port: number }).port}`;
    mkdirSync(work, { recursive: true });
  });
  afterAll(async () => {
    await fleet?.close();
    dir.remove();
  });

  /** Upload `tarball` under `as` with the given .sha256 and .sig files. */
  async function upload(at: string, parts: { tarball?: string; as?: string; sha256?: string; signature?: string }) {
    const form = new FormData();
    if (parts.tarball) form.append('tarball', await openAsBlob(parts.tarball), parts.as ?? parts.tarball.split('/').pop());
    if (parts.sha256) form.append('sha256', await openAsBlob(parts.sha256), parts.sha256.split('/').pop());
    if (parts.signature) form.append('signature', await openAsBlob(parts.signature), parts.signature.split('/').pop());
    const res = await fetch(`${at}/api/releases`, { method: 'POST', headers: auth, body: form });
    return { status: res.status, body: (await res.json()) as { version?: string; error?: { code: string; message: string } } };
  }
  const files = (v: string) => ({ tarball: join(built, name(v)), sha256: join(built, `${name(v)}.sha256`), signature: join(built, `${name(v)}.sha256.sig`) });
  /** What is in the releases directory, temp files included. */
  const left = () => (existsSync(releases) ? readdirSync(releases).sort() : []);
  const list = async () => (await fetch(`${base}/api/releases`, { headers: auth })).json() as Promise<{ version: string; signed: boolean; size: number; devices: number; used_by: { channel: string; role: string }[] }[]>;

  it('takes a release built and signed by build-release.sh, and lists it signed', async () => {
    const res = await upload(base, files('1.0.0'));
    expect(res).toMatchObject({ status: 201, body: { version: '1.0.0', file: name('1.0.0') } });
    expect(left()).toEqual([name('1.0.0'), `${name('1.0.0')}.sha256`, `${name('1.0.0')}.sha256.sig`]);
    expect(readFileSync(join(releases, name('1.0.0'))).equals(readFileSync(files('1.0.0').tarball))).toBe(true);
    const [r] = await list();
    expect(r).toMatchObject({ version: '1.0.0', signed: true, size: readFileSync(files('1.0.0').tarball).length, devices: 0, used_by: [] });
  });

  it('refuses the same version again with 409', async () => {
    const res = await upload(base, files('1.0.0'));
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'release_exists' } } });
    expect(left()).toHaveLength(3);
  });

  it('refuses a tampered tarball (bad checksum) and keeps nothing of it', async () => {
    const tampered = join(work, name('2.0.0'));
    copyFileSync(files('2.0.0').tarball, tampered);
    appendFileSync(tampered, 'a little extra');
    const res = await upload(base, { ...files('2.0.0'), tarball: tampered });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'release_bad_checksum', message: expect.stringContaining('tampered') });
    expect(left()).toEqual([name('1.0.0'), `${name('1.0.0')}.sha256`, `${name('1.0.0')}.sha256.sig`]);
  });

  it('refuses a release signed with another key (bad signature)', async () => {
    const sig = join(work, 'other.sig');
    writeFileSync(sig, sign(null, readFileSync(files('2.0.0').sha256), generateKeyPairSync('ed25519').privateKey));
    const res = await upload(base, { ...files('2.0.0'), signature: sig });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'release_bad_signature', message: expect.stringContaining('OUTPOST_FLEET_RELEASE_PUBKEY') } } });
    expect(left()).toHaveLength(3);
  });

  it('refuses a signed release renamed to another version (wrong name)', async () => {
    const res = await upload(base, { ...files('2.0.0'), as: name('2.0.1') });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'release_wrong_name', message: expect.stringContaining(name('2.0.0')) } } });
    expect(left()).toHaveLength(3);
  });

  it('refuses an upload with a part missing, naming it', async () => {
    const { signature: _, ...noSig } = files('2.0.0');
    const res = await upload(base, noSig);
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'release_upload_incomplete', message: expect.stringContaining('missing part: signature') } } });
    expect(left()).toHaveLength(3);
  });

  it('refuses a tarball over OUTPOST_FLEET_RELEASE_MAX_MB with 413, keeping nothing', async () => {
    // Another monitor (its own store) on the same releases directory, with a 1 MB limit.
    const own = tempDir('outpost-fleet-release-small-');
    const small = await oneDeviceFleet(own.path, { OUTPOST_FLEET_TOKEN: TOKEN, OUTPOST_FLEET_DATA_DIR: dir.path, OUTPOST_FLEET_RELEASE_PUBKEY: pubkey, OUTPOST_FLEET_RELEASE_MAX_MB: '1' });
    try {
      await small.listen({ host: '127.0.0.1', port: 0 });
      const res = await upload(`http://127.0.0.1:${(small.server.address() as { port: number }).port}`, files('2.0.0'));
      expect(res).toMatchObject({ status: 413, body: { error: { code: 'release_too_large', message: expect.stringContaining('OUTPOST_FLEET_RELEASE_MAX_MB') } } });
    } finally {
      await small.close();
      own.remove();
    }
    expect(left()).toHaveLength(3);
  });

  it('removes what an upload cut off halfway had written', async () => {
    const boundary = 'outpost-test-boundary';
    const head = `--${boundary}\r\ncontent-disposition: form-data; name="tarball"; filename="${name('2.0.0')}"\r\ncontent-type: application/gzip\r\n\r\n`;
    const url = new URL(base);
    const socket = connect(Number(url.port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      `POST /api/releases HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${50 * 1024 * 1024}\r\n\r\n${head}`,
    );
    socket.write(readFileSync(files('2.0.0').tarball).subarray(0, 4 * 1024 * 1024));
    // The temp file exists once the monitor has started writing the tarball: then the client goes away.
    await waitFor(() => left().some((f) => f.startsWith('.upload-')), { what: 'the upload to start writing' });
    socket.destroy();
    await waitFor(() => !left().some((f) => f.startsWith('.upload-')), { what: 'the aborted upload to be removed' });
    expect(left()).toEqual([name('1.0.0'), `${name('1.0.0')}.sha256`, `${name('1.0.0')}.sha256.sig`]);
    // And the version is free again.
    expect((await upload(base, files('2.0.0'))).status).toBe(201);
  });

  it('deletes a release no rollout uses, and refuses one a rollout offers, naming the channel', async () => {
    const start = await fetch(`${base}/api/rollouts/beta`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ version: '2.0.0', percent: 10 }) });
    expect(start.status).toBe(200);
    expect((await list()).find((r) => r.version === '2.0.0')?.used_by).toEqual([{ channel: 'beta', role: 'current', state: 'active' }]);
    const refused = await fetch(`${base}/api/releases/2.0.0`, { method: 'DELETE', headers: auth });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('"beta"');
    expect(existsSync(join(releases, name('2.0.0')))).toBe(true);

    const deleted = await fetch(`${base}/api/releases/1.0.0`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(204);
    expect(left()).toEqual([name('2.0.0'), `${name('2.0.0')}.sha256`, `${name('2.0.0')}.sha256.sig`]);
    expect((await list()).map((r) => r.version)).toEqual(['2.0.0']);
    expect((await fetch(`${base}/api/releases/1.0.0`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });

  it('answers 409 naming the variable when no release key is configured', async () => {
    const nokey = tempDir('outpost-fleet-release-nokey-');
    const app = await oneDeviceFleet(nokey.path, { OUTPOST_FLEET_TOKEN: TOKEN });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const res = await upload(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, files('1.0.0'));
      expect(res).toMatchObject({ status: 409, body: { error: { code: 'release_key_not_configured', message: expect.stringContaining('OUTPOST_FLEET_RELEASE_PUBKEY') } } });
      expect(existsSync(join(nokey.path, 'releases'))).toBe(false);
    } finally {
      await app.close();
      nokey.remove();
    }
  });
});

describe('the release list', () => {
  it('counts the devices whose last status reports each release', async () => {
    const built = join(inject('testReleasesDir'), 'out');
    const dir = tempDir('outpost-fleet-release-devices-');
    const sims = await startSimulators({ count: 3, port: 18093, base: 41, version: (i) => (i < 2 ? '1.0.0' : '2.0.0') });
    let fleet: FastifyInstance | undefined;
    try {
      mkdirSync(join(dir.path, 'releases'));
      for (const ext of ['', '.sha256', '.sha256.sig']) copyFileSync(join(built, `${name('1.0.0')}${ext}`), join(dir.path, 'releases', `${name('1.0.0')}${ext}`));
      writeFileSync(join(dir.path, 'fleet.yaml'), `devices:\n${sims.devices.map((d) => `  - {id: ${d.id}, address: ${d.address}, port: ${d.port}}`).join('\n')}\n`);
      fleet = await buildFleetApp(
        loadFleetConfig({
          OUTPOST_LOG_LEVEL: 'silent',
          OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'),
          OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
          OUTPOST_FLEET_TOKEN: TOKEN,
          OUTPOST_FLEET_POLL_INTERVAL_S: '1',
        }),
      );
      const app = fleet;
      const devicesOf = async () => ((await app.inject({ method: 'GET', url: '/api/releases', headers: auth })).json() as { version: string; devices: number }[]).map((r) => [r.version, r.devices]);
      // Only releases the monitor holds are listed: 2.0.0 runs on a device but is not here.
      await waitFor(async () => JSON.stringify(await devicesOf()) === JSON.stringify([['1.0.0', 2]]), { what: 'two devices reporting 1.0.0', timeoutMs: 20_000 });
    } finally {
      await fleet?.close();
      await sims.close();
      dir.remove();
    }
  });
});
