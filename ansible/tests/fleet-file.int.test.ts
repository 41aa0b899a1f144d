// The outpost_fleet role's fleet.yaml, rendered by the real ansible-playbook from a real inventory
// (INI groups, :children, host and group vars in the file, group_vars/ and host_vars/ beside it),
// read back with the monitor's own reader (fleet/src/registry/fleet-file.ts), and compared with the
// devices the monitor would take from `ansible-inventory --list` of the same inventory. Also: the
// roles' unit and env templates with default and moved paths, and no path hard-coded in a role.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/shared/index.js';
import { tempDir } from '../../device/test/index.js';
import { devicesOf } from '../../fleet/src/plugins/inventory.js';
import type { AnsibleInventoryList } from '../../fleet/src/registry/ansible-inventory.js';
import { devicesFromAnsibleList } from '../../fleet/src/registry/ansible-list.js';
import { DEFAULT_DEVICE_PORT } from '../../fleet/src/registry/device-fields.js';
import { readFleetFile as readFleetYaml } from '../../fleet/src/registry/fleet-file.js';
import { ANSIBLE, NASTY_DEVICE_NAME, playbook, runCommand } from './ansible-helpers.js';

const RENDER = 'tests/fleet-file/render.yml';
const UNITS = 'tests/fleet-file/units.yml';

// Every way a device gets its fields: host line vars, [group:vars] at several depths, a host in
// two branches of the tree, a range, a host named by its address, YAML group_vars/host_vars with
// labels as a mapping, and hosts outside the devices group (the fleet host, an ungrouped one).
const INVENTORY = `loose.example.com ansible_host=192.0.2.99

[fleet]
monitor ansible_host=203.0.113.10 outpost_address=10.99.0.1

[canary]
kiosk-lisbon-01

[lisbon]
kiosk-lisbon-01 ansible_host=203.0.113.21 outpost_address=10.99.0.11 outpost_labels="rack=r1, screen"
kiosk-lisbon-02 ansible_host=203.0.113.22 outpost_device_name='${NASTY_DEVICE_NAME}'

[porto]
kiosk-porto-[01:02] ansible_host=203.0.113.30
10.66.0.40

[lisbon:vars]
outpost_labels=site=lisbon,tier=edge
outpost_port=8082

[portugal:children]
lisbon
porto

[devices:children]
portugal
canary

[devices:vars]
outpost_labels=site=field
`;
const GROUP_VARS_PORTO = `outpost_labels:
  site: porto
  gpu: true
  floor: 2
  note: null
`;
const HOST_VARS_PORTO_02 = `outpost_address: kiosk-porto-02.vpn.example.org
outpost_port: 9443
outpost_device_name: Porto 2
`;


const byId = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('outpost_fleet renders fleet.yaml from the inventory (real ansible-playbook)', () => {
  const dir = tempDir('outpost-fleet-file-');
  const out = join(dir.path, 'out');
  let owner: { owner: string; group: string };

  /** Writes an inventory (and optional vars files beside it) into its own directory. */
  const inventory = (name: string, ini: string, files: Record<string, string> = {}): string => {
    const base = join(dir.path, name);
    for (const [path, text] of Object.entries({ 'hosts.ini': ini, ...files })) {
      mkdirSync(join(base, path, '..'), { recursive: true });
      writeFileSync(join(base, path), text);
    }
    return join(base, 'hosts.ini');
  };
  const render = (inv: string, file: string, extra: Record<string, unknown> = {}) =>
    playbook(inv, RENDER, { outpost_fleet_file: file, outpost_fleet_file_owner: owner.owner, outpost_fleet_file_group: owner.group, ...extra });
  const ansibleList = async (inv: string): Promise<AnsibleInventoryList> => {
    const r = await runCommand('ansible-inventory', ['-i', inv, '--list'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as AnsibleInventoryList;
  };
  const readFleetFile = (file: string) => {
    const text = readFileSync(file, 'utf8');
    // undefined would mean the monitor takes the file for an Ansible inventory, not its own format.
    const devices = readFleetYaml(text, file, DEFAULT_DEVICE_PORT);
    expect(devices, 'read as a fleet.yaml').toBeDefined();
    return { text, devices: devices! };
  };

  beforeAll(async () => {
    mkdirSync(out);
    // The file's owner and group are variables so this runs as any user; on a fleet host they are
    // root and the monitor's group.
    const group = await runCommand('id', ['-gn']);
    owner = { owner: userInfo().username, group: group.stdout.trim() };
  });
  afterAll(() => dir.remove());

  it('lists the devices the monitor would read from the inventory itself, 0640, and a second run changes nothing', { timeout: 180_000 }, async () => {
    const inv = inventory('field', INVENTORY, { 'group_vars/porto.yml': GROUP_VARS_PORTO, 'host_vars/kiosk-porto-02.yml': HOST_VARS_PORTO_02 });
    const file = join(out, 'fleet.yaml');
    const first = await render(inv, file);
    expect(first.code, first.output.slice(-3000)).toBe(0);

    const { text, devices } = readFleetFile(file);
    const expected = devicesOf(devicesFromAnsibleList(await ansibleList(inv), inv, DEFAULT_DEVICE_PORT), undefined);
    expect(byId(devicesOf(devices, undefined))).toEqual(byId(expected));
    // The comparison above is only as good as the inventory is varied: spot-check that it was.
    const rendered = new Map(devices.map((d) => [d.id, d]));
    expect([...rendered.keys()].sort()).toEqual(['10.66.0.40', 'kiosk-lisbon-01', 'kiosk-lisbon-02', 'kiosk-porto-01', 'kiosk-porto-02']);
    expect(rendered.get('kiosk-lisbon-01')).toMatchObject({ address: '10.99.0.11', port: 8082, groups: ['canary', 'devices', 'lisbon', 'portugal'], labels: { rack: 'r1', screen: '' } });
    expect(rendered.get('kiosk-lisbon-02')).toMatchObject({ address: '203.0.113.22', name: NASTY_DEVICE_NAME, labels: { site: 'lisbon', tier: 'edge' } });
    expect(rendered.get('kiosk-porto-01')).toMatchObject({ address: '203.0.113.30', port: 8080, labels: { site: 'porto', gpu: 'true', floor: '2', note: '' } });
    expect(rendered.get('kiosk-porto-02')).toMatchObject({ address: 'kiosk-porto-02.vpn.example.org', port: 9443, name: 'Porto 2' });
    expect(rendered.get('10.66.0.40')).toMatchObject({ address: '10.66.0.40', groups: ['devices', 'porto', 'portugal'], labels: { site: 'porto' } });

    const stat = statSync(file);
    expect(stat.mode & 0o777).toBe(0o640);
    expect(stat.uid).toBe(process.getuid?.());

    const second = await render(inv, file);
    expect(second.code, second.output.slice(-3000)).toBe(0);
    expect(second.recap.localhost?.changed).toBe(0);
    expect(statSync(file).ino).toBe(stat.ino);
  });

  it('follows an inventory change by replacing the file (a rename the monitor sees), not by editing it in place', { timeout: 180_000 }, async () => {
    const file = join(out, 'changing.yaml');
    const inv = inventory('changing', '[devices]\nd1 ansible_host=10.0.0.1\n');
    expect((await render(inv, file)).code).toBe(0);
    const before = statSync(file).ino;
    writeFileSync(inv, '[devices]\nd1 ansible_host=10.0.0.1\nd2 ansible_host=10.0.0.2 outpost_port=8090\n');
    const r = await render(inv, file);
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.recap.localhost?.changed).toBe(1);
    expect(statSync(file).ino).not.toBe(before);
    expect(readFleetFile(file).devices.map((d) => [d.id, d.address, d.port])).toEqual([
      ['d1', '10.0.0.1', 8080],
      ['d2', '10.0.0.2', 8090],
    ]);
  });

  it('picks the devices as the monitor does: every host without a devices group, or outpost_fleet_device_group', { timeout: 180_000 }, async () => {
    const inv = inventory('groups', '[fleet]\nmon\n\n[kiosks]\na1 ansible_host=10.0.0.1\n\n[lab]\nb1 outpost_labels="bench=1"\n\n[lab:children]\nkiosks\n');
    const list = devicesFromAnsibleList(await ansibleList(inv), inv, DEFAULT_DEVICE_PORT);

    const all = join(out, 'all.yaml');
    expect((await render(inv, all)).code).toBe(0);
    expect(byId(devicesOf(readFleetFile(all).devices, undefined))).toEqual(byId(devicesOf(list, undefined)));
    expect(readFleetFile(all).devices.map((d) => d.id)).toEqual(['a1', 'b1', 'mon']);

    // With the group set, the role also sets OUTPOST_FLEET_INVENTORY_GROUP ('unit templates' below).
    const kiosks = join(out, 'kiosks.yaml');
    expect((await render(inv, kiosks, { outpost_fleet_device_group: 'kiosks' })).code).toBe(0);
    expect(byId(devicesOf(readFleetFile(kiosks).devices, 'kiosks'))).toEqual(byId(devicesOf(list, 'kiosks')));
    expect(readFleetFile(kiosks).devices.map((d) => [d.id, d.groups])).toEqual([['a1', ['kiosks', 'lab']]]);

    const missing = await render(inv, join(out, 'missing.yaml'), { outpost_fleet_device_group: 'nope' });
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("outpost_fleet_device_group 'nope' is not a group of the inventory");
  });

  it('refuses an inventory the monitor would refuse, naming the host, and leaves fleet.yaml as it was', { timeout: 180_000 }, async () => {
    const file = join(out, 'kept.yaml');
    const inv = inventory('bad', '[devices]\nd1 ansible_host=10.0.0.1\n');
    expect((await render(inv, file)).code).toBe(0);
    const before = readFileSync(file, 'utf8');
    writeFileSync(inv, '[devices]\nd1 ansible_host=10.0.0.1\nd2 outpost_port=99999 outpost_labels="bad key=1"\n');
    const r = await render(inv, file);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("d2: outpost_port must be an integer from 1 to 65535, not '99999'");
    expect(r.output).toContain("d2: outpost_labels has an invalid label name 'bad key'");
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('unit templates', () => {
  const dir = tempDir('outpost-units-');
  afterAll(() => dir.remove());
  const units = async (name: string, paths: Record<string, string>) => {
    const outDir = join(dir.path, name);
    mkdirSync(outDir);
    const r = await playbook(join(ANSIBLE, 'inventory/example.ini'), UNITS, {
      outpost_test_out: outDir,
      outpost_device_unit_source: join(rootDir, 'systemd/outpost-device.service'),
      outpost_device_socket_source: join(rootDir, 'systemd/outpost-device.socket'),
      outpost_fleet_unit_source: join(rootDir, 'systemd/outpost-fleet.service'),
      outpost_fleet_effective_token: 'api-token',
      outpost_fleet_effective_device_token: 'device-token',
      outpost_fleet_effective_update_token: 'update-token',
      ...paths,
    });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    const read = (f: string) => readFileSync(join(outDir, f), 'utf8');
    return { device: read('outpost-device.service'), socket: read('outpost-device.socket'), fleet: read('outpost-fleet.service'), env: read('fleet.env') };
  };

  it('with the defaults, install the repository units byte for byte, and point the monitor at fleet.yaml', { timeout: 120_000 }, async () => {
    const r = await units('defaults', {});
    expect(r.device).toBe(readFileSync(join(rootDir, 'systemd/outpost-device.service'), 'utf8'));
    expect(r.fleet).toBe(readFileSync(join(rootDir, 'systemd/outpost-fleet.service'), 'utf8'));
    // The socket listens where the role's device.env says the appliance does (0.0.0.0:8080).
    expect(r.socket).toBe(readFileSync(join(rootDir, 'systemd/outpost-device.socket'), 'utf8').replace(/^ListenStream=.*$/m, 'ListenStream=0.0.0.0:8080'));
    expect(r.env).toContain('OUTPOST_FLEET_INVENTORY="/etc/outpost/fleet.yaml"\n');
    expect(r.env).not.toContain('OUTPOST_FLEET_INVENTORY_GROUP');
    // One monitor on its SQLite file: the unit's OUTPOST_FLEET_DB, nothing of several monitors.
    for (const name of ['OUTPOST_FLEET_DB', 'OUTPOST_FLEET_DATA_DIR', 'OUTPOST_FLEET_MONITOR_ID', 'OUTPOST_FLEET_LEASE_S', 'OUTPOST_FLEET_RELEASES_DIR']) {
      expect(r.env).not.toContain(`${name}=`);
    }
  });

  it('with a shared PostgreSQL, write its URL as data, the data dir, the monitor id and the lease into fleet.env', { timeout: 120_000 }, async () => {
    // tasks/store.yml works the URL out; an outpost_fleet_db_url from vault may hold anything.
    const r = await units('shared', { outpost_fleet__db_url: 'postgres://outpost:pa$s"w`d@db.vpn:5432/fleet', outpost_fleet_monitor_id: 'fleet02', outpost_fleet_lease_s: '20' });
    expect(r.env).toContain('OUTPOST_FLEET_DB="postgres://outpost:pa\\$s\\"w\\`d@db.vpn:5432/fleet"\n');
    expect(r.env).toContain('OUTPOST_FLEET_DATA_DIR="/var/lib/outpost-fleet"\nOUTPOST_FLEET_MONITOR_ID="fleet02"\nOUTPOST_FLEET_LEASE_S="20"\n');
    expect(r.env).not.toContain('OUTPOST_FLEET_RELEASES_DIR');
    expect(r.fleet).toBe(readFileSync(join(rootDir, 'systemd/outpost-fleet.service'), 'utf8'));
  });

  it('with the releases on a shared mount outside the data dir, name it in fleet.env and let the unit write it', { timeout: 120_000 }, async () => {
    const r = await units('releases', { outpost_fleet_releases_dir: '/srv/outpost-releases' });
    expect(r.env).toContain('OUTPOST_FLEET_RELEASES_DIR="/srv/outpost-releases"\n');
    expect(r.fleet).toMatch(/^ReadWritePaths=\/var\/lib\/outpost-fleet \/srv\/outpost-releases$/m);
    // Under the data dir it needs neither.
    const inside = await units('releases-inside', { outpost_fleet_releases_dir: '/var/lib/outpost-fleet/shared-releases' });
    expect(inside.env).toContain('OUTPOST_FLEET_RELEASES_DIR="/var/lib/outpost-fleet/shared-releases"\n');
    expect(inside.fleet).toMatch(/^ReadWritePaths=\/var\/lib\/outpost-fleet$/m);
  });

  it('with moved paths, name only those paths', { timeout: 120_000 }, async () => {
    const r = await units('moved', {
      outpost_device_install_dir: '/srv/outpost',
      outpost_device_config_dir: '/srv/outpost-etc',
      outpost_device_data_dir: '/data/outpost',
      outpost_device_update_dir: '/data/outpost-update',
      outpost_fleet_install_dir: '/srv/fleet',
      outpost_fleet_config_dir: '/srv/fleet-etc',
      outpost_fleet_data_dir: '/var/lib/fleet-state',
      outpost_fleet_device_group: 'kiosks',
      outpost_device_listen_host: 'fd00::7',
      outpost_device_port: '8181',
    });
    expect(r.socket).toMatch(/^ListenStream=\[fd00::7\]:8181$/m);
    expect(r.device).toMatch(/^EnvironmentFile=\/srv\/outpost-etc\/device\.env$/m);
    expect(r.device).toMatch(/^Environment=OUTPOST_DATA_DIR=\/data\/outpost NODE_ENV=production$/m);
    expect(r.device).toMatch(/^Environment=OUTPOST_UPDATE_STATE_FILE=\/data\/outpost-update\/state\.json$/m);
    expect(r.device).toMatch(/^WorkingDirectory=\/data\/outpost$/m);
    expect(r.device).toMatch(/^ExecStart=\/srv\/outpost\/current\/bin\/node \/srv\/outpost\/current\/dist\/device\/src\/main\.js$/m);
    expect(r.device).toMatch(/^ReadWritePaths=\/data\/outpost$/m);
    // A data dir outside /var/lib cannot be a StateDirectory=; the role creates it instead.
    expect(r.device).not.toMatch(/^StateDirectory/m);
    expect(r.fleet).toMatch(/^EnvironmentFile=\/srv\/fleet-etc\/fleet\.env$/m);
    expect(r.fleet).toMatch(/^Environment=OUTPOST_FLEET_DB=\/var\/lib\/fleet-state\/fleet\.sqlite NODE_ENV=production$/m);
    expect(r.fleet).toMatch(/^ExecStart=\/srv\/fleet\/current\/bin\/node .* \/srv\/fleet\/current\/dist\/fleet\/src\/main\.js$/m);
    expect(r.fleet).toMatch(/^StateDirectory=fleet-state$/m);
    expect(r.fleet).toMatch(/^ReadWritePaths=\/var\/lib\/fleet-state$/m);
    for (const unit of [r.device, r.fleet]) expect(unit).not.toMatch(/\/opt\/outpost|\/etc\/outpost|\/var\/lib\/outpost/);
    expect(r.env).toContain('OUTPOST_FLEET_INVENTORY="/srv/fleet-etc/fleet.yaml"\n');
    expect(r.env).toContain('OUTPOST_FLEET_INVENTORY_GROUP="kiosks"\n');
  });
});

describe('role files', () => {
  it('name no host path of their own: every place a role installs to or reads from is a variable', () => {
    // Host locations a role could want moved. Program paths (/usr/bin/wg, /bin/bash,
    // /usr/sbin/nologin) are the packages' and stay. Comments may name the defaults; so may the
    // unit templates' string literals, which map the repository units' paths to the variables.
    const HOST_PATH = /(^|[\s"'=:(])\/(opt|etc|var|srv|run|home|tmp|usr\/local)(\/|\b)/;
    const rolesDir = join(ANSIBLE, 'roles');
    const offenders: string[] = [];
    for (const role of readdirSync(rolesDir)) {
      for (const part of ['tasks', 'handlers', 'templates']) {
        let files: string[] = [];
        try {
          files = readdirSync(join(rolesDir, role, part));
        } catch {
          continue;
        }
        for (const f of files) {
          const text = readFileSync(join(rolesDir, role, part, f), 'utf8').replace(/\{#[\s\S]*?#\}/g, '');
          text.split('\n').forEach((line, i) => {
            const code = line.replace(/(^|\s)#.*$/, '');
            if (/\.service\.j2$/.test(f) && code.includes("('/")) return;
            if (HOST_PATH.test(code)) offenders.push(`${role}/${part}/${f}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('have a README that documents every variable of defaults/main.yml', () => {
    const rolesDir = join(ANSIBLE, 'roles');
    const undocumented: string[] = [];
    for (const role of readdirSync(rolesDir)) {
      const readme = readFileSync(join(rolesDir, role, 'README.md'), 'utf8');
      for (const section of ['## Requirements', '## Role Variables', '## Dependencies', '## Example Playbook', '## License']) {
        if (!readme.includes(section)) undocumented.push(`${role}: no "${section}"`);
      }
      const defaults = readFileSync(join(rolesDir, role, 'defaults/main.yml'), 'utf8');
      for (const [, name] of defaults.matchAll(/^([a-z][a-z0-9_]*):/gm)) {
        if (!readme.includes(`\`${name}\``)) undocumented.push(`${role}: ${name}`);
      }
    }
    expect(undocumented).toEqual([]);
  });
});
