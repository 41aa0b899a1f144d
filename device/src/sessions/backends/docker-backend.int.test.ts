// OUTPOST_BACKEND=docker against the real engine and the real outpost-session image.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { liveViewCenterPixel } from '../../../test/browser.js';
import { lstatSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startAppliance, waitForPool, type TestAppliance } from '../../../test/appliance.js';
import { BUSYBOX_IMAGE, TEST_LABEL, dockerClient } from '../../../test/docker-env.js';
import { cleanupDocker, dockerEnv, ownedContainers, sessionImage } from '../../../test/docker-session-env.js';
import { CHROMIUM, freePort, tempDir, waitFor } from '../../../test/helpers.js';
import { startTestPages } from '../../../test/pages.js';
import { sessionLabels } from '../../docker/container-labels.js';
import { rootDir } from '../../shared/paths.js';
import { ownerKey } from './owned-processes.js';

const docker = dockerClient();
let t: TestAppliance | null = null;
let env: Record<string, string> = {};

afterEach(async () => {
  if (t) {
    const dir = t.dataDir;
    await t.close();
    await cleanupDocker(dir, env.OUTPOST_DOCKER_NETWORK!);
  }
  t = null;
});

async function containerExists(id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).inspect();
    return true;
  } catch {
    return false;
  }
}

function recordOf(dataDir: string, sessionId: string): { container_id: string } {
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
  return state.sessions.find((s: { id: string }) => s.id === sessionId).record;
}

describe('docker backend', () => {
  it('serves a Playwright client and the live view through the appliance port, like the process backend', async () => {
    env = dockerEnv();
    t = await startAppliance(env);
    const res = await t.api('POST', '/api/sessions', {});
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.backend).toBe('docker');
    // The browser runs in the container: it reaches the test's pages on the network's gateway.
    const gateway = await gatewayOf(env.OUTPOST_DOCKER_NETWORK!);
    const inner = await startTestPages(gateway);
    try {
      const client = await chromium.connect(res.body.ws_endpoint);
      const page = await client.newPage();
      await page.goto(`${inner.url}/title?t=from%20a%20container`);
      expect(await page.title()).toBe('from a container');
      await client.close();
      // CDP too: the container's DevTools relay, published on the host's loopback, through the appliance.
      expect(res.body.cdp_endpoint).toBe(`${t.base.replace(/^http/, 'ws')}/sessions/${res.body.id}/cdp`);
      const viaCdp = await puppeteer.connect({ browserWSEndpoint: res.body.cdp_endpoint });
      try {
        const cdpPage = await viaCdp.newPage();
        await cdpPage.goto(`${inner.url}/title?t=CDP%20in%20a%20container`);
        expect(await cdpPage.title()).toBe('CDP in a container');
      } finally {
        await viaCdp.disconnect();
      }
    } finally {
      await inner.close();
    }
    // The relay takes connections from the network's gateway (the published port) only, not from
    // another container on the session network.
    const ip = Object.values((await docker.getContainer(recordOf(t.dataDir, res.body.id).container_id).inspect()).NetworkSettings.Networks)[0]!.IPAddress;
    // The prober is the session image's own node (busybox's static wget crashes in a bare rootfs).
    const script = `const s=require('net').connect(+process.argv[2],process.argv[1]);s.setTimeout(5000,()=>s.destroy());s.on('connect',()=>s.write('GET /json/version HTTP/1.0\\r\\n\\r\\n'));let d='';s.on('data',(c)=>d+=c);s.on('close',()=>console.log(d.startsWith('HTTP/')?'http answer':'no answer'));s.on('error',()=>{});`;
    /** What another container on the session network gets from the session's port: an HTTP answer, or none. */
    const probe = (port: number): string =>
      execFileSync('docker', ['run', '--rm', '--network', env.OUTPOST_DOCKER_NETWORK!, '--label', TEST_LABEL, '--entrypoint', '/usr/local/bin/node', sessionImage(), '-e', script, ip, String(port)], { encoding: 'utf8' }).trim();
    // The Playwright port answers it (so the probe itself works); the DevTools relay does not.
    expect(probe(3000)).toBe('http answer');
    expect(probe(9223)).toBe('no answer');

    // Containers are labelled, on the dedicated network, published on 127.0.0.1 only.
    const { container_id } = recordOf(t.dataDir, res.body.id);
    const info = await docker.getContainer(container_id).inspect();
    expect(info.Config.Labels).toMatchObject({ 'outpost.managed': 'true', 'outpost.session': res.body.id, 'outpost.client': '' });
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([env.OUTPOST_DOCKER_NETWORK]);
    for (const bindings of Object.values(info.NetworkSettings.Ports)) for (const b of bindings ?? []) expect(b.HostIp).toBe('127.0.0.1');

    const colours = await startTestPages(gateway);
    const vnc = await t.api('POST', '/api/sessions', { vnc: true, width: 800, height: 600, start_url: `${colours.url}/color?c=ff00ff` });
    expect(vnc.status, JSON.stringify(vnc.body)).toBe(201);
    let browser: Browser | null = null;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
      const viewer = await browser.newPage({ viewport: { width: 900, height: 700 } });
      await viewer.goto(vnc.body.vnc.http);
      await expect.poll(() => viewer.getByTestId('vnc-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
      await expect
        .poll(
          () => liveViewCenterPixel(viewer),
          { timeout: 30_000 },
        )
        .toEqual([255, 0, 255]);
    } finally {
      await browser?.close();
      await colours.close();
    }
  });

  it('claims a warm container without starting one, and refills the pool after', async () => {
    env = dockerEnv();
    t = await startAppliance({ ...env, OUTPOST_POOL_HEADLESS: '1' });
    await waitForPool(t, 1, 0);
    const before = new Set((await ownedContainers(t.dataDir)).map((c) => c.Id));
    expect(before.size).toBe(1);
    const started = Date.now();
    const res = await t.api('POST', '/api/sessions', { client_id: 'warm' });
    const took = Date.now() - started;
    expect(res.status).toBe(201);
    expect(res.body.from_pool).toBe(true);
    expect(before.has(recordOf(t.dataDir, res.body.id).container_id)).toBe(true);
    // A cold container takes seconds to become healthy; a claim is bookkeeping.
    expect(took).toBeLessThan(1500);
    await waitForPool(t, 1, 0);
    expect((await ownedContainers(t.dataDir)).length).toBe(2);
  });

  it('gives a client its container back and recreates it on a size change', async () => {
    env = dockerEnv();
    t = await startAppliance(env);
    const a = await t.api('POST', '/api/sessions', { client_id: 'c1', vnc: true });
    const again = await t.api('POST', '/api/sessions', { client_id: 'c1', vnc: true });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(a.body.id);
    const oldContainer = recordOf(t.dataDir, a.body.id).container_id;
    const resized = await t.api('POST', '/api/sessions', { client_id: 'c1', vnc: true, width: 1024, height: 768 });
    expect(resized.status).toBe(201);
    expect(resized.body.id).not.toBe(a.body.id);
    expect(await containerExists(oldContainer)).toBe(false);
    const info = await docker.getContainer(recordOf(t.dataDir, resized.body.id).container_id).inspect();
    expect(info.Config.Env).toEqual(expect.arrayContaining(['WIDTH=1024', 'HEIGHT=768']));
    expect(info.Config.Labels['outpost.client']).toBe('c1');
  });

  it('recycles the least recently accessed client when the port range runs out, and answers 503 when nothing can be freed', async () => {
    env = dockerEnv(6); // two sessions of three ports each
    t = await startAppliance({ ...env, OUTPOST_MAX_SESSIONS: '10' });
    expect((await t.api('GET', '/api/sessions')).body.capacity.max_sessions).toBe(2);
    expect((await t.api('GET', '/access?id=first')).status).toBe(302);
    expect((await t.api('GET', '/access?id=second')).status).toBe(302);
    await t.api('GET', '/access?id=first'); // first is now the more recent
    const third = await t.api('GET', '/access?id=third');
    expect(third.status).toBe(302);
    const clients = (await t.api('GET', '/status')).body.records.map((r: { client_id: string }) => r.client_id).sort();
    expect(clients).toEqual(['first', 'third']);

    // Both slots busy starting: nothing can be recycled.
    await t.api('GET', '/remove-all');
    const a = t.api('GET', '/access?id=a');
    const b = t.api('GET', '/access?id=b');
    await waitFor(() => t!.app.sessionManager.all().filter((s) => s.status === 'starting').length === 2, { what: 'two starting' });
    const c = await t.api('GET', '/access?id=c');
    expect(c.status).toBe(503);
    expect(c.body.error.code).toBe('no_capacity');
    expect((await a).status).toBe(302);
    expect((await b).status).toBe(302);
  });

  it('removes idle client containers on the cleanup schedule, keeps pool containers and refills after', async () => {
    env = dockerEnv();
    t = await startAppliance({ ...env, OUTPOST_POOL_HEADLESS: '1', OUTPOST_MAX_SESSIONS: '2', OUTPOST_CLEANUP_SCHEDULE: '* * * * * *' });
    await waitForPool(t, 1, 0);
    const claimed = (await t.api('POST', '/api/sessions', { idle_s: 2 })).body;
    const container = recordOf(t.dataDir, claimed.id).container_id;
    await waitForPool(t, 1, 0);
    const poolIds = (await ownedContainers(t.dataDir)).map((c) => c.Id).filter((id) => id !== container);
    await waitFor(async () => !(await containerExists(container)), { timeoutMs: 15_000, what: 'the idle container to be removed' });
    expect((await t.api('GET', `/api/sessions/${claimed.id}`)).status).toBe(404);
    for (const id of poolIds) expect(await containerExists(id)).toBe(true);
    await waitForPool(t, 1, 0);
  });

  it('fails with a clear 5xx and removes a container that never gets healthy', async () => {
    execFileSync('docker', ['build', '-q', '-t', 'outpost-test/unhealthy:1', '-'], {
      input: `FROM ${BUSYBOX_IMAGE}\nLABEL ${TEST_LABEL}=image\nHEALTHCHECK --interval=1s --retries=2 CMD ["/bin/false"]\n`,
    });
    env = { ...dockerEnv(), OUTPOST_DOCKER_IMAGE: 'outpost-test/unhealthy:1', OUTPOST_DOCKER_HEALTH_TIMEOUT_S: '20' };
    t = await startAppliance(env);
    const res = await t.api('POST', '/api/sessions', {});
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('launch_failed');
    expect(res.body.error.message).toMatch(/is unhealthy|did not become healthy/);
    expect(await ownedContainers(t.dataDir)).toEqual([]);
  });
});

/** The title of `url` in the session's profile: the browser's own context (a new context would be a clean one). */
async function titleInProfile(wsEndpoint: string, url: string): Promise<string> {
  const browser = await chromium.connect(wsEndpoint);
  try {
    const page = await browser.contexts()[0]!.newPage();
    await page.goto(url);
    return await page.title();
  } finally {
    await browser.close();
  }
}

/** The uids owning `dir` and everything under it (symlinks not followed). */
function ownersUnder(dir: string): Set<number> {
  const owners = new Set([lstatSync(dir).uid]);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) for (const uid of ownersUnder(p)) owners.add(uid);
    else owners.add(lstatSync(p).uid);
  }
  return owners;
}

describe('docker backend profiles', () => {
  it("keeps a profile's cookies from one container to the next, written as the profile directory's owner", { timeout: 240_000 }, async () => {
    const dir = tempDir('outpost-docker-profile-');
    const profileDir = join(dir.path, 'profiles', 'shop');
    let site: Server | null = null;
    try {
      env = dockerEnv();
      t = await startAppliance({ ...env, OUTPOST_DATA_DIR: dir.path });
      // The identity fields are still the process backend's alone: a 400 that names the one asked for.
      const identity = await t.api('POST', '/api/sessions', { profile: 'shop', user_agent: 'x' });
      expect(identity.status).toBe(400);
      expect(identity.body.error.message).toMatch(/^user_agent is served by the process backend; the docker backend does not apply it/);

      const first = await t.api('POST', '/api/sessions', { profile: 'shop' });
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      expect(first.body.profile).toBe('shop');
      // A page server on the session network's gateway, where containers reach the host: /set gives a
      // lasting cookie, and every page's title is the cookies it was sent.
      const gateway = await gatewayOf(env.OUTPOST_DOCKER_NETWORK!);
      site = createServer((req, res) => {
        const headers: Record<string, string> = { 'content-type': 'text/html' };
        if (req.url === '/set') headers['set-cookie'] = 'login=alice; Max-Age=86400; Path=/';
        res.writeHead(200, headers).end(`<!doctype html><title>${req.headers.cookie ?? 'no cookie'}</title>`);
      });
      await new Promise<void>((r) => site!.listen(0, gateway, r));
      const url = `http://${gateway}:${(site.address() as AddressInfo).port}`;

      // The profile is mounted as the browser's user-data dir; the container runs as the
      // directory's owner (root here, where the appliance is root).
      const firstContainer = recordOf(t.dataDir, first.body.id).container_id;
      const info = await docker.getContainer(firstContainer).inspect();
      expect(info.Mounts).toEqual([expect.objectContaining({ Type: 'bind', Source: profileDir, Destination: '/profile', RW: true })]);
      expect(info.Config.User).toBe('0:0');
      expect(info.Config.Labels['outpost.profile']).toBe('shop');
      expect(await titleInProfile(first.body.ws_endpoint, `${url}/set`)).toBe('no cookie');
      expect((await t.api('DELETE', `/api/sessions/${first.body.id}`)).status).toBe(200);
      expect(await containerExists(firstContainer)).toBe(false);
      expect(statSync(profileDir).mode & 0o777).toBe(0o700);
      expect(readdirSync(profileDir).filter((f) => f.startsWith('Singleton'))).toEqual([]);

      // Under systemd the appliance is the user outpost and its profiles are outpost's: the browser
      // then writes as that user, never as root (a live view too: Xvfb and x11vnc as that user).
      execFileSync('chown', ['-R', '4242:4242', profileDir]);
      // And a lock as a browser killed in another container leaves it (its hostname, its pid):
      // chromium alone would refuse the profile as in use "on another computer".
      symlinkSync('0123456789ab-41', join(profileDir, 'SingletonLock'));
      const second = await t.api('POST', '/api/sessions', { profile: 'shop', vnc: true });
      expect(second.status, JSON.stringify(second.body)).toBe(201);
      const secondContainer = recordOf(t.dataDir, second.body.id).container_id;
      expect((await docker.getContainer(secondContainer).inspect()).Config.User).toBe('4242:4242');
      expect(await titleInProfile(second.body.ws_endpoint, `${url}/get`)).toBe('login=alice');
      // One live session per profile, as with the process backend.
      const refused = await t.api('POST', '/api/sessions', { profile: 'shop' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('profile_in_use');
      expect((await t.api('DELETE', `/api/sessions/${second.body.id}`)).status).toBe(200);
      expect(await containerExists(secondContainer)).toBe(false);

      // The profile outlives its sessions: 0700, and all of it its owner's.
      const kept = statSync(profileDir);
      expect(kept.mode & 0o777).toBe(0o700);
      expect(ownersUnder(profileDir)).toEqual(new Set([4242]));
      expect((await t.api('GET', '/api/profiles')).body.profiles).toEqual([expect.objectContaining({ name: 'shop', session: null })]);

      // The process backend takes the profile over where the containers left it (a chromium as
      // new as the image's or newer: profiles move forward between versions, not back).
      await t.close();
      t = await startAppliance({ OUTPOST_DATA_DIR: dir.path });
      const local = await t.api('POST', '/api/sessions', { profile: 'shop' });
      expect(local.status, JSON.stringify(local.body)).toBe(201);
      expect(local.body.backend).toBe('process');
      expect(await titleInProfile(local.body.ws_endpoint, `${url}/get`)).toBe('login=alice');
      expect((await t.api('DELETE', `/api/sessions/${local.body.id}`)).status).toBe(200);
    } finally {
      site?.closeAllConnections();
      site?.close();
      await t?.close();
      await cleanupDocker(dir.path, env.OUTPOST_DOCKER_NETWORK!);
      t = null;
      dir.remove();
    }
  });
});

async function gatewayOf(network: string): Promise<string> {
  const info = await docker.getNetwork(network).inspect();
  const gw = info?.IPAM?.Config?.[0]?.Gateway as string | undefined;
  if (!gw) throw new Error(`network ${network} has no gateway`);
  return gw;
}


describe('reconcile after kill -9', () => {
  it('keeps live recorded containers, removes dead ones, adopts labelled strays and never touches unlabelled containers or profiles', { timeout: 240_000 }, async () => {
    const dir = tempDir('outpost-docker-kill9-');
    const port = await freePort();
    const denv = dockerEnv();
    const key = ownerKey(dir.path);
    const start = () =>
      spawn(process.execPath, [join(rootDir, 'dist/device/src/main.js')], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...denv, OUTPOST_PORT: String(port), OUTPOST_DATA_DIR: dir.path, OUTPOST_LOG_LEVEL: 'warn', OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      return { status: res.status, body: (await res.json()) as any };
    };
    let child: ChildProcess = start();
    const unlabelled = await docker.createContainer({ Image: BUSYBOX_IMAGE, name: `outpost-test-unlabelled-${process.pid}`, Labels: { [TEST_LABEL]: 'unlabelled' } });
    await unlabelled.start();
    try {
      await waitFor(async () => (await api('GET', '/api/health')).status === 200, { timeoutMs: 30_000, what: 'appliance' });
      // Both on persistent profiles: recovery must never take a profile with its container.
      const keep = (await api('POST', '/api/sessions', { client_id: 'keep', profile: 'kept' })).body;
      const dies = (await api('POST', '/api/sessions', { client_id: 'dies', profile: 'dies' })).body;
      const keepContainer = recordOf(dir.path, keep.id).container_id;
      const diesContainer = recordOf(dir.path, dies.id).container_id;

      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // While the appliance is down: one recorded container dies, and a labelled container appears
      // that state.json never heard of (as if the crash came between create and write).
      await docker.getContainer(diesContainer).kill();
      const strayPorts = [denv.OUTPOST_DOCKER_PORT_MAX, String(Number(denv.OUTPOST_DOCKER_PORT_MAX) - 1)];
      const stray = await docker.createContainer({
        Image: sessionImage(),
        name: `outpost-stray-${process.pid}`,
        Env: ['WIDTH=1280', 'HEIGHT=800', 'HEADLESS=true'],
        Labels: sessionLabels({ session: 'straysession01', client: 'stray-client', pool: false, owner: key, kind: 'headless', width: 1280, height: 800 }),
        ExposedPorts: { '3000/tcp': {}, '5900/tcp': {} },
        HostConfig: {
          NetworkMode: denv.OUTPOST_DOCKER_NETWORK,
          PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: strayPorts[0] }], '5900/tcp': [{ HostIp: '127.0.0.1', HostPort: strayPorts[1] }] },
        },
      });
      await stray.start();
      await waitFor(async () => (await stray.inspect()).State.Health?.Status === 'healthy', { timeoutMs: 60_000, what: 'the stray to be healthy' });

      child = start();
      await waitFor(async () => (await api('GET', '/api/health')).status === 200, { timeoutMs: 60_000, what: 'restart' });
      // Kept: same session, same container, still drivable.
      const kept = await api('GET', `/api/sessions/${keep.id}`);
      expect(kept.status).toBe(200);
      expect(recordOf(dir.path, keep.id).container_id).toBe(keepContainer);
      const client = await chromium.connect(kept.body.ws_endpoint);
      expect(await (await client.newPage()).evaluate('1 + 1')).toBe(2);
      await client.close();
      // Its profile stays held by it: one live session per profile across the restart.
      const held = await api('POST', '/api/sessions', { profile: 'kept' });
      expect(held.status).toBe(409);
      expect(held.body.error.message).toContain(keep.id);
      // Dead: record dropped and container removed.
      expect((await api('GET', `/api/sessions/${dies.id}`)).status).toBe(404);
      expect(await containerExists(diesContainer)).toBe(false);
      // Its profile stays, 0700, without the lock its killed browser left (which would keep the
      // next browser out of the profile).
      const diesProfile = join(dir.path, 'profiles', 'dies');
      expect(statSync(diesProfile).mode & 0o777).toBe(0o700);
      expect(readdirSync(diesProfile)).toContain('Default');
      expect(readdirSync(diesProfile).filter((f) => f.startsWith('Singleton'))).toEqual([]);
      // Stray: adopted as the client its labels name.
      const adopted = await api('GET', '/api/sessions/straysession01');
      expect(adopted.status).toBe(200);
      expect(adopted.body.client_id).toBe('stray-client');
      // Unlabelled: untouched.
      expect((await unlabelled.inspect()).State.Running).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await unlabelled.remove({ force: true }).catch(() => undefined);
      await cleanupDocker(dir.path, denv.OUTPOST_DOCKER_NETWORK!);
      dir.remove();
    }
  });
});
