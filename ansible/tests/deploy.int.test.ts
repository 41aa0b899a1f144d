// The push side, for real: site.yml, deploy.yml, status.yml and rollback.yml against a testbed of
// systemd hosts (one fleet host, three devices) joined by WireGuard (wireguard-go), with the fleet
// monitor deployed by its role polling the devices over the tunnel.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir, waitFor } from '../../device/test/helpers.js';
import { buildTestReleases, startTestbed, type Testbed, type TestbedDevice, type TestReleases } from '../../scripts/testbed/testbed.js';
import { ANSIBLE, playbook, writeInventory } from './ansible-helpers.js';

const run = promisify(execFile);

describe('Ansible against a testbed of systemd hosts', () => {
  const dir = tempDir('outpost-ansible-');
  const inventory = join(dir.path, 'hosts.ini');
  let tb: Testbed;
  let rel: TestReleases;
  let devices: TestbedDevice[];
  let fleetHost: TestbedDevice;
  const version = async (d: TestbedDevice) => (await tb.exec(d, 'curl -fsS http://127.0.0.1:8080/api/health | jq -r .version')).stdout.trim();
  const fleetApi = async (path: string) => {
    const token = (await tb.exec(fleetHost, "sed -n 's/^OUTPOST_FLEET_TOKEN=//p' /etc/outpost/fleet.env")).stdout.trim();
    const r = await tb.exec(fleetHost, `curl -fsS -H 'Authorization: Bearer ${token}' http://127.0.0.1:9000${path}`);
    return JSON.parse(r.stdout || 'null');
  };

  beforeAll(async () => {
    rel = buildTestReleases(inject('testReleasesDir'), []);
    tb = await startTestbed({ name: 'outpost-tb-ansible', count: 4, net: 80, sshBase: 2500, httpBase: 18400 });
    [fleetHost, ...devices] = tb.devices as [TestbedDevice, ...TestbedDevice[]];
    writeInventory(inventory, tb, rel, { fleet: true, vpn: true });
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
    // The monitor, deployed by its role, polls the devices over the tunnel addresses.
    await waitFor(
      async () => {
        const list = (await fleetApi('/api/devices')) as Array<{ id: string; address: string; status: string; version: string }> | null;
        return list && list.length === devices.length && list.every((x) => x.status === 'online' && x.version === '1.0.0' && x.address.startsWith('10.99.0.'));
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'the fleet to see every device online with 1.0.0 over WireGuard' },
    );
    // A second run changes nothing.
    const second = await playbook(inventory, 'site.yml', { outpost_release_version: '1.0.0' });
    expect(second.code, second.output.slice(-3000)).toBe(0);
    for (const [host, r] of Object.entries(second.recap)) expect(r.changed, `${host} changed on the second run`).toBe(0);
    expect(Object.keys(second.recap).sort()).toEqual(tb.devices.map((d) => d.host).sort());
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
    for (const d of devices.filter((x) => x !== canary)) {
      expect(await version(d)).toBe('1.0.0');
      expect((await tb.exec(d, 'test -e /opt/outpost/releases/3.0.0 && echo present || echo absent')).stdout.trim(), `${d.host} was touched`).toBe('absent');
      expect(r.recap[d.host]).toBeUndefined();
    }
  });

  it('deploy.yml of a good release completes every wave, the fleet sees it, and rollback.yml brings one host back', { timeout: 900_000 }, async () => {
    const r = await playbook(inventory, 'deploy.yml', { outpost_release_version: '2.0.0', outpost_deploy_waves: [1, '50%', '100%'] });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output.match(/^PLAY \[Deploy the release in canary waves\]/gm)?.length).toBe(3);
    for (const d of devices) expect(await version(d)).toBe('2.0.0');
    await waitFor(
      async () => ((await fleetApi('/api/devices')) as Array<{ version: string }>).every((x) => x.version === '2.0.0'),
      { timeoutMs: 60_000, intervalMs: 1000, what: 'the fleet to see 2.0.0 everywhere' },
    );
    const target = devices[1]!;
    const back = await playbook(inventory, 'rollback.yml', {}, ['--limit', target.host]);
    expect(back.code, back.output.slice(-2000)).toBe(0);
    expect(back.output).toContain(`${target.host} runs 1.0.0`);
    expect(await version(target)).toBe('1.0.0');
    for (const d of devices.filter((x) => x !== target)) expect(await version(d)).toBe('2.0.0');
  });
});

describe('Ansible code quality', () => {
  it('passes ansible-playbook --syntax-check, ansible-lint and yamllint', { timeout: 300_000 }, async () => {
    const env = { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1' };
    for (const pb of ['site.yml', 'deploy.yml', 'status.yml', 'rollback.yml', 'tests/vpn/vpn.yml']) {
      await expect(run('ansible-playbook', ['--syntax-check', '-i', 'inventory/example.ini', pb], { cwd: ANSIBLE, env })).resolves.toBeTruthy();
    }
    const lint = await run('ansible-lint', ['--nocolor', '-p', 'roles', 'site.yml', 'deploy.yml', 'status.yml', 'rollback.yml'], { cwd: ANSIBLE, env, maxBuffer: 16 << 20 }).then(
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
