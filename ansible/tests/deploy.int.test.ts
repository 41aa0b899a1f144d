// The push side, for real: site.yml, deploy.yml, status.yml and rollback.yml against a testbed of
// systemd hosts (one fleet host, three devices) joined by WireGuard (wireguard-go), with the fleet
// monitor deployed by its role polling the devices over the tunnel.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir, testToken, waitFor } from '../../device/test/index.js';
import { buildTestReleases, startTestbed, type Testbed, type TestbedDevice, type TestReleases } from '../../scripts/testbed/testbed.js';
import { ANSIBLE, FLEET_BACKOFF_MAX_S, NASTY_DEVICE_NAME, playbook, writeInventory } from './ansible-helpers.js';

const run = promisify(execFile);
/** CI's own API token on the monitor (outpost_fleet_named_tokens): deploy.yml and rollback.yml record with it. */
const CI_TOKEN = testToken();

describe('Ansible against a testbed of systemd hosts', () => {
  const dir = tempDir('outpost-ansible-');
  const inventory = join(dir.path, 'hosts.ini');
  let tb: Testbed;
  let rel: TestReleases;
  let devices: TestbedDevice[];
  let fleetHost: TestbedDevice;
  const version = async (d: TestbedDevice) => (await tb.exec(d, 'curl -fsS http://127.0.0.1:8080/api/health | jq -r .version')).stdout.trim();
  /** The appliance's own API on a device, with the token the role keeps in device.env (off the command line: curl reads the header from stdin). */
  const deviceApi = async (d: TestbedDevice, method: 'GET' | 'POST' | 'DELETE', path: string) => {
    const body = method === 'POST' ? "-H 'content-type: application/json' --data '{}'" : '';
    const r = await tb.exec(d, `set -a; . /etc/outpost/device.env; printf 'authorization: Bearer %s\\n' "$OUTPOST_API_TOKEN" | curl -sS -X ${method} ${body} -H @- http://127.0.0.1:8080${path}`);
    return JSON.parse(r.stdout || 'null') as Record<string, any>;
  };
  const fleetApi = async (path: string) => {
    // fleet.env is written quoted (values are data), which the shell reads back as they were.
    const token = (await tb.exec(fleetHost, '. /etc/outpost/fleet.env && printf %s "$OUTPOST_FLEET_TOKEN"')).stdout.trim();
    const r = await tb.exec(fleetHost, `curl -fsS -H 'Authorization: Bearer ${token}' http://127.0.0.1:9000${path}`);
    return JSON.parse(r.stdout || 'null');
  };

  beforeAll(async () => {
    rel = buildTestReleases(inject('testReleasesDir'), []);
    tb = await startTestbed({ name: 'outpost-tb-ansible', count: 4, net: 80, sshBase: 2500, httpBase: 18400 });
    [fleetHost, ...devices] = tb.devices as [TestbedDevice, ...TestbedDevice[]];
    writeInventory(inventory, tb, rel, { fleet: true, vpn: true, namedTokens: { ci: CI_TOKEN } });
  }, 600_000);
  afterAll(async () => {
    await tb?.down();
    dir.remove();
  });

  it('site.yml from nothing: every device runs v1 under systemd, and the fleet sees them online over WireGuard', { timeout: 900_000 }, async () => {
    const first = await playbook(inventory, 'site.yml', { outpost_release_version: '1.0.0' });
    expect(first.code, first.output.slice(-3000)).toBe(0);
    for (const d of devices) {
      expect(await version(d)).toBe('1.0.0');
      expect((await tb.exec(d, 'systemctl is-active outpost-device wg-quick@wg0')).stdout.trim().split('\n')).toEqual(['active', 'active']);
      expect((await tb.exec(d, 'stat -c %a /etc/outpost/device.env')).stdout.trim()).toBe('600');
    }
    // The monitor, deployed by its role, polls the devices over the tunnel addresses. It started
    // before the devices answered and backs off, at most FLEET_BACKOFF_MAX_S between polls: the
    // deadline is that ceiling and a few polls more, not a guess at how fast the machine is.
    await waitFor(
      async () => {
        const list = (await fleetApi('/api/devices')) as Array<{ id: string; address: string; status: string; version: string }> | null;
        return list && list.length === devices.length && list.every((x) => x.status === 'online' && x.version === '1.0.0' && x.address.startsWith('10.99.0.'));
      },
      { timeoutMs: (FLEET_BACKOFF_MAX_S + 60) * 1000, intervalMs: 1000, what: 'the fleet to see every device online with 1.0.0 over WireGuard' },
    );
    // The monitor reads only fleet.yaml, which the role rendered from the inventory: root's, the
    // monitor's group may read it; the raw inventory is not copied to the fleet host.
    expect((await tb.exec(fleetHost, 'stat -c "%a %U %G" /etc/outpost/fleet.yaml /etc/outpost/fleet-tokens')).stdout.trim().split('\n')).toEqual([
      '640 root outpost-fleet',
      '640 root outpost-fleet',
    ]);
    expect((await tb.exec(fleetHost, 'ls /etc/outpost')).stdout.trim().split('\n').sort()).toEqual(['fleet-tokens', 'fleet.env', 'fleet.yaml']);
    // The role writes env values as data: the name reaches the appliance as written, update.sh
    // (run here with the command line of the role's cron entry) reads the same file, and nothing in it ran.
    const named = [...devices].sort((a, b) => a.host.localeCompare(b.host))[0]!;
    expect((await fleetApi(`/api/devices/${named.host}`)).last_status.device.name).toBe(NASTY_DEVICE_NAME);
    const cron = (await tb.exec(named, 'cat /etc/cron.d/outpost-update')).stdout;
    const job = /^\S+ \S+ \S+ \S+ \S+ root (.+) >\/dev\/null 2>&1$/m.exec(cron)?.[1];
    expect(job).toBe('OUTPOST_ROOT=/opt/outpost OUTPOST_ETC=/etc/outpost OUTPOST_UPDATE_DIR=/var/lib/outpost-update /opt/outpost/current/scripts/update.sh');
    const updated = await tb.exec(named, job!);
    expect(updated.code, updated.stderr).toBe(0);
    expect((await tb.exec(named, 'ls /tmp/pwned /tmp/pwned2 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
    // A second run changes nothing.
    const second = await playbook(inventory, 'site.yml', { outpost_release_version: '1.0.0' });
    expect(second.code, second.output.slice(-3000)).toBe(0);
    for (const [host, r] of Object.entries(second.recap)) expect(r.changed, `${host} changed on the second run`).toBe(0);
    expect(Object.keys(second.recap).sort()).toEqual(tb.devices.map((d) => d.host).sort());
  });

  it('least privilege on a deployed device: outpost leaves the docker group, chromium keeps its sandbox, other users cannot reach the X display', { timeout: 900_000 }, async () => {
    const [d, withPayload, other] = devices as [TestbedDevice, TestbedDevice, TestbedDevice];
    const sh = async (x: TestbedDevice, cmd: string) => {
      const r = await tb.exec(x, cmd, { timeoutMs: 60_000 });
      return { ...r, stdout: r.stdout.trim() };
    };
    const groups = async (x: TestbedDevice) => (await sh(x, 'id -nG outpost')).stdout.split(/\s+/);

    // The docker group: the host has one; an older role left outpost in it on d; withPayload gets a
    // payload container configured. Only the role's group tasks run (tag), so nothing else moves.
    for (const x of devices) await sh(x, 'getent group docker >/dev/null || groupadd --system docker');
    await sh(d, 'usermod -aG docker outpost');
    const tags = ['--tags', 'outpost_device_docker_group'];
    const join = await playbook(inventory, 'site.yml', { outpost_device_payload_container: 'payload' }, [...tags, '--limit', withPayload.host]);
    expect(join.code, join.output.slice(-3000)).toBe(0);
    expect(await groups(withPayload)).toContain('docker');
    const leave = await playbook(inventory, 'site.yml', {}, tags);
    expect(leave.code, leave.output.slice(-3000)).toBe(0);
    expect(leave.recap[d.host]?.changed).toBeGreaterThan(0);
    expect(leave.recap[withPayload.host]?.changed).toBeGreaterThan(0);
    expect(leave.recap[other.host]?.changed).toBe(0);
    for (const x of devices) expect(await groups(x), x.host).not.toContain('docker');
    const again = await playbook(inventory, 'site.yml', {}, tags);
    expect(again.code, again.output.slice(-3000)).toBe(0);
    for (const [host, r] of Object.entries(again.recap)) expect(r.changed, `${host} changed on the second run`).toBe(0);

    // The appliance runs as outpost (restarted by the role without the group), with its VNC pool
    // session: Xvfb, x11vnc and a headful chromium with renderers.
    expect((await sh(d, 'systemctl show -p User --value outpost-device')).stdout).toBe('outpost');
    expect((await sh(d, 'ps -o user= -p "$(systemctl show -p MainPID --value outpost-device)"')).stdout).toBe('outpost');
    const xvfb = await waitFor(
      async () => {
        const r = await sh(d, 'pgrep -u outpost -x x11vnc >/dev/null && pgrep -u outpost -f -- --type=renderer >/dev/null && pgrep -u outpost -a -x Xvfb');
        return r.code === 0 ? /Xvfb :(\d+) .*-auth (\S+)/.exec(r.stdout) : null;
      },
      { timeoutMs: 180_000, intervalMs: 1000, what: 'the VNC pool session with its browser' },
    );
    const [, display, authFile] = xvfb;

    // Chromium has its sandbox: no --no-sandbox anywhere, and renderers in pid namespaces of their own.
    const chromium = (await sh(d, 'for p in $(pgrep -u outpost chromium); do printf "%s|%s\\n" "$(grep ^NSpid: /proc/$p/status | cut -f2-)" "$(tr "\\0" " " </proc/$p/cmdline)"; done')).stdout.split('\n');
    expect(chromium.length).toBeGreaterThan(1);
    for (const line of chromium) expect(line.split(' '), line).not.toContain('--no-sandbox');
    const renderers = chromium.filter((l) => l.includes('--type=renderer'));
    expect(renderers.length).toBeGreaterThan(0);
    for (const r of renderers) expect(r.split('|')[0]!.trim().split(/\s+/).length, r).toBeGreaterThan(1);

    // The display. The cookie is outpost's alone. There is no abstract socket (PrivateTmp could not
    // hide it: it belongs to the network namespace): connecting to it is refused.
    expect((await sh(d, `stat -c '%a %U' '${authFile}' "$(dirname '${authFile}')"`)).stdout.split('\n')).toEqual(['600 outpost', '700 outpost']);
    expect((await sh(d, `grep -c '@/tmp/.X11-unix/X${display}$' /proc/net/unix`)).stdout).toBe('0');
    const nobody = 'setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH=/usr/bin:/bin HOME=/nonexistent';
    const abstract = await sh(d, `${nobody} python3 -c "import socket; socket.socket(socket.AF_UNIX).connect('\\0/tmp/.X11-unix/X${display}')"`);
    expect(abstract.code).not.toBe(0);
    expect(abstract.stderr).toContain('ConnectionRefusedError');
    // The socket file: inside a container systemd cannot make mount namespaces, so the unit's
    // PrivateTmp is a no-op and the file is in the /tmp every user sees. That is the harder case:
    // the X authority alone has to refuse.
    expect((await sh(d, `${nobody} test -S /tmp/.X11-unix/X${display}`)).code).toBe(0);
    const stranger = await sh(d, `${nobody} xwininfo -root -tree -display :${display} 2>&1`);
    expect(stranger.code, stranger.stdout).not.toBe(0);
    expect(stranger.stdout).toMatch(/Authorization required/);
    // The same command with the session's cookie lists the browser's windows: the refusal above is
    // the cookie's doing, not a display that is not there.
    const owner = await sh(d, `setpriv --reuid=outpost --regid=outpost --clear-groups env -i PATH=/usr/bin:/bin XAUTHORITY='${authFile}' xwininfo -root -tree -display :${display}`);
    expect(owner.code, owner.stderr).toBe(0);
    expect(owner.stdout).toMatch(/chromium/i);
  });

  it('status.yml prints one line per device', async () => {
    const r = await playbook(inventory, 'status.yml', {});
    expect(r.code).toBe(0);
    for (const d of devices) expect(r.output).toMatch(new RegExp(`"${d.host} id=${d.host} version=1\\.0\\.0 state=(online|degraded) sessions=\\d+/\\d+ update=`));
  });

  it('deploy.yml of a release that fails its health check stops after the canary and rolls it back', { timeout: 900_000 }, async () => {
    const r = await playbook(inventory, 'deploy.yml', { outpost_release_version: '3.0.0', outpost_deploy_waves: [1, '50%', '100%'], outpost_device_health_timeout_s: 15 });
    expect(r.code).not.toBe(0);
    const canary = [...devices].sort((a, b) => a.host.localeCompare(b.host))[0]!;
    expect(r.output).toMatch(new RegExp(`${canary.host}: 3\\.0\\.0 failed its health check; rolled back to 1\\.0\\.0`));
    expect(await version(canary)).toBe('1.0.0');
    // It was drained before the switch; the release rolled back to runs without a drain.
    expect(r.output).toContain(`${canary.host}: drained: no session is live`);
    expect(await deviceApi(canary, 'GET', '/api/drain')).toEqual({ drain: null });
    for (const d of devices.filter((x) => x !== canary)) {
      expect(await version(d)).toBe('1.0.0');
      expect((await tb.exec(d, 'test -e /opt/outpost/releases/3.0.0 && echo present || echo absent')).stdout.trim(), `${d.host} was touched`).toBe('absent');
      expect(r.recap[d.host]).toBeUndefined();
    }
  });

  it('deploy.yml of a good release completes every wave while cron runs update.sh, the fleet sees it, and rollback.yml brings one host back', { timeout: 900_000 }, async () => {
    // The role's cron entry runs update.sh every five minutes; one that started during the unpack
    // used to clean away the directory Ansible was unpacking into. Here it runs on every device
    // once a second for the whole deploy (bounded: until told to stop, at most 15 minutes).
    const job = 'OUTPOST_ROOT=/opt/outpost OUTPOST_ETC=/etc/outpost OUTPOST_UPDATE_DIR=/var/lib/outpost-update /opt/outpost/current/scripts/update.sh';
    const race = devices.map((d) =>
      tb.exec(d, `rm -f /tmp/race.stop; for i in $(seq 900); do [ -e /tmp/race.stop ] && break; ${job} >/dev/null 2>>/tmp/race.log; sleep 1; done`, { timeoutMs: 960_000 }),
    );
    // The controller records the run in the monitor's deploy history (the fleet host's own address).
    // CI's own token (outpost_fleet_named_tokens), so the history says who ran it.
    const token = CI_TOKEN;
    const record = { outpost_fleet_url: `http://${fleetHost.ip}:9000`, outpost_fleet_token: token };
    const r = await playbook(inventory, 'deploy.yml', { outpost_release_version: '2.0.0', outpost_deploy_waves: [1, '50%', '100%'], ...record });
    for (const d of devices) await tb.exec(d, 'touch /tmp/race.stop');
    await Promise.all(race);
    expect(r.code, r.output.slice(-3000)).toBe(0);
    // Each host's update.sh runs met the hold while the play worked on it, and the hold is gone.
    for (const d of devices) {
      const held = await tb.exec(d, "grep -c 'Ansible holds pull updates on this host until' /tmp/race.log; test ! -e /var/lib/outpost-update/hold");
      expect(Number(held.stdout.trim()), d.host).toBeGreaterThan(0);
      expect(held.code, `${d.host} kept the hold`).toBe(0);
    }
    expect(r.output.match(/^PLAY \[Deploy the release in canary waves\]/gm)?.length).toBe(3);
    for (const d of devices) expect(await version(d)).toBe('2.0.0');
    await waitFor(
      async () => ((await fleetApi('/api/devices')) as Array<{ version: string }>).every((x) => x.version === '2.0.0'),
      { timeoutMs: 60_000, intervalMs: 1000, what: 'the fleet to see 2.0.0 everywhere' },
    );
    const target = devices[1]!;
    const back = await playbook(inventory, 'rollback.yml', record, ['--limit', target.host]);
    expect(back.code, back.output.slice(-2000)).toBe(0);
    expect(back.output).toContain(`${target.host} runs 1.0.0`);
    expect(await version(target)).toBe('1.0.0');
    for (const d of devices.filter((x) => x !== target)) expect(await version(d)).toBe('2.0.0');

    // Both runs are in the history the dashboard shows, newest first; the token never in the output.
    type Entry = { source: string; version: string; outcome: string | null; events: Array<{ kind: string; message: string; devices: string[] }> };
    const [rollback, deploy] = (await fleetApi('/api/rollouts/history?limit=2')) as Entry[];
    expect(deploy).toMatchObject({ source: 'ansible', version: '2.0.0', outcome: 'succeeded' });
    expect(deploy!.events.map((e) => e.kind)).toEqual(['started', 'wave', 'wave', 'wave', 'succeeded']);
    expect(deploy!.events.flatMap((e) => e.devices).sort()).toEqual(devices.map((d) => d.host).sort());
    expect(deploy!.events[0]!.message).toMatch(/^Ansible deploy of 2\.0\.0 started by ci on 3 hosts$/);
    expect(rollback).toMatchObject({ source: 'ansible', version: '1.0.0', outcome: 'succeeded' });
    expect(rollback!.events.map((e) => e.message)).toEqual(['Ansible rollback to 1.0.0 started by ci on 1 host', 'rolled back to 1.0.0 and healthy']);
    expect(r.output + back.output).not.toContain(token);
  });

  it('deploy.yml drains a host before its switch: a live session postpones it unchanged, outpost_deploy_force switches anyway, a host already on the release is not drained', { timeout: 900_000 }, async () => {
    const canary = [...devices].sort((a, b) => a.host.localeCompare(b.host))[0]!;
    const target = '2.1.0';
    const before = await Promise.all(devices.map(version));
    expect(before).not.toContain(target);
    const current = async (d: TestbedDevice) => (await tb.exec(d, 'readlink /opt/outpost/current')).stdout.trim();
    const currentBefore = await current(canary);
    // How long live sessions may hold the switch back (outpost_device_drain_timeout_s): short here.
    const drainTimeoutS = 5;
    const deploy = (extra: Record<string, unknown> = {}) =>
      playbook(inventory, 'deploy.yml', { outpost_release_version: target, outpost_deploy_waves: [1, '50%', '100%'], outpost_device_drain_timeout_s: drainTimeoutS, ...extra });

    // A client's session is live on the canary: the drain times out, ends, and the host fails as
    // postponed with nothing switched and no rollback; the rollout stops there.
    const session = await deviceApi(canary, 'POST', '/api/sessions');
    expect(session.id, JSON.stringify(session)).toMatch(/^[A-Za-z0-9_-]+$/);
    const postponed = await deploy();
    expect(postponed.code).not.toBe(0);
    expect(postponed.output).toMatch(
      new RegExp(`${canary.host}: 2\\.1\\.0 postponed: 1 session still live after ${drainTimeoutS}s of draining; rerun later or with -e outpost_deploy_force=true`),
    );
    expect(postponed.recap[canary.host]?.failed).toBe(1);
    expect(postponed.output).not.toContain('Roll the host back');
    expect(await current(canary)).toBe(currentBefore);
    expect(await Promise.all(devices.map(version))).toEqual(before);
    expect(await deviceApi(canary, 'GET', '/api/drain')).toEqual({ drain: null });
    expect((await deviceApi(canary, 'GET', `/api/sessions/${session.id}`)).id).toBe(session.id);
    for (const d of devices.filter((x) => x !== canary)) expect(postponed.recap[d.host], `${d.host} was reached`).toBeUndefined();

    // Forced: the switch does not wait for the session (it ends with the restart), every wave runs.
    const forced = await deploy({ outpost_deploy_force: true });
    expect(forced.code, forced.output.slice(-3000)).toBe(0);
    expect(forced.output).toContain(`${canary.host}: forced: 1 live session(s) end with the restart`);
    for (const d of devices) expect(await version(d)).toBe(target);
    expect(await deviceApi(canary, 'GET', '/api/drain')).toEqual({ drain: null });

    // Already on the release: nothing drains, so a live session holds nothing back and stays.
    const live = await deviceApi(canary, 'POST', '/api/sessions');
    expect(live.id, JSON.stringify(live)).toMatch(/^[A-Za-z0-9_-]+$/);
    const again = await deploy();
    expect(again.code, again.output.slice(-3000)).toBe(0);
    expect(again.output).not.toContain('Start draining the appliance');
    for (const [host, r] of Object.entries(again.recap)) expect(r.changed, `${host} changed on the second run`).toBe(0);
    expect((await deviceApi(canary, 'GET', `/api/sessions/${live.id}`)).id).toBe(live.id);
    await deviceApi(canary, 'DELETE', `/api/sessions/${live.id}`);
  });
});

describe('Ansible code quality', () => {
  it('passes ansible-playbook --syntax-check, ansible-lint and yamllint', { timeout: 300_000 }, async () => {
    const env = { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' };
    const testPlaybooks = ['tests/fleet-file/render.yml', 'tests/fleet-file/units.yml'];
    for (const pb of ['site.yml', 'deploy.yml', 'status.yml', 'rollback.yml', 'tests/vpn/vpn.yml', 'tests/vpn/tailscale.yml', ...testPlaybooks]) {
      await expect(run('ansible-playbook', ['--syntax-check', '-i', 'inventory/example.ini', pb], { cwd: ANSIBLE, env })).resolves.toBeTruthy();
    }
    const lint = await run('ansible-lint', ['--nocolor', '-p', 'roles', 'site.yml', 'deploy.yml', 'status.yml', 'rollback.yml', ...testPlaybooks], { cwd: ANSIBLE, env, maxBuffer: 16 << 20 }).then(
      () => 0,
      (err: { code?: number; stdout?: string }) => {
        console.error(err.stdout);
        return err.code ?? 1;
      },
    );
    expect(lint).toBe(0);
    await expect(run('yamllint', ['-s', '.'], { cwd: ANSIBLE })).resolves.toBeTruthy();
  });
});
