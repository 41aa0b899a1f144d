// The registry with the real `ansible-inventory` (Debian's ansible-core): the monitor's device list
// for INI, YAML and directory inventories, checked against what Ansible itself says (its `groups`
// variable, from `ansible -m debug`); inventories Ansible refuses; vault; a hung inventory script;
// and the monitor refusing to boot, naming OUTPOST_FLEET_INVENTORY. An integration test because
// it runs Ansible (about a second a run).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../device/test/index.js';
import { rootDir } from '../../../device/src/shared/index.js';
import { runAnsibleInventory } from './ansible-inventory.js';
import { InventoryError, loadInventory, type InventoryDevice } from './inventory.js';
import { EXAMPLE_FLEET } from './test-support.js';

const run = promisify(execFile);
const testdata = join(import.meta.dirname, 'testdata');

const KITCHEN_SINK_INI = `# hosts before any section are ungrouped
bastion.example.com ansible_host=10.66.0.2
edge:2222 ansible_host=10.66.0.3

[canary]
web[01:02].example.com outpost_port=8081
db-[a:c]
s[1:10:3]
k[1:2]x[a:b]

[lisbon]
web01.example.com ansible_host="10.66.0.11" outpost_labels="site=lisbon,rack=r1"
x
y   # trailing comment
z foo='a b' bar="c d" baz=1 q=true lst="[1, 'two', None]" dct="{'k': False}" sp=" 5" cut=a#b gone=1

[porto]
p[01:03] outpost_device_name="Porto gate"
p02 outpost_port=8092

[portugal:children]
lisbon
porto

[europe:children]
portugal

[portugal:vars]
site=pt
outpost_port=9000

[lisbon:vars]
site=lis
note=hello # not a comment in :vars
port_with_comment=9001 # but gone after a literal

[canary:vars]
ansible_group_priority=5
channel=canary

[europe:vars]
channel=stable

[zeta]
z
[zeta:vars]
site=zeta

[all:vars]
site=all
env=prod
`;

const KITCHEN_SINK_YAML = `all:
  vars:
    site: all
    env: prod
    flag: yes
    mode: 0755
    base: &base {outpost_port: 8081, outpost_labels: {site: lisbon, rack: 1}}
  hosts:
    bastion.example.com: {ansible_host: 10.66.0.2}
    "edge:2222": {ansible_host: 10.66.0.3}
  children:
    canary:
      vars: {ansible_group_priority: 5, channel: canary}
      hosts:
        web[01:02].example.com: {outpost_port: 8081}
        db-[a:c]:
        s[1:10:3]: ~
    europe:
      vars: {channel: stable}
      children:
        portugal:
          vars: {site: pt, outpost_port: 9000}
          children:
            lisbon:
              vars: {site: lis}
              hosts:
                web01.example.com: *base
                x:
                  <<: *base
                  outpost_port: 8082
                vaulted-host:
                  vaulted: !vault |
                    $ANSIBLE_VAULT;1.1;AES256
                    3132
            porto:
              hosts: p01
zeta:
  hosts:
    x: {}
  vars:
    site: zeta
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-ansible-inventory-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function inventoryFile(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** Ansible's own answer to "which hosts are in which group": the `groups` magic variable. */
async function ansibleGroups(file: string): Promise<Record<string, string[]>> {
  const home = await mkdtemp(join(dir, 'ansible-home-'));
  const { stdout } = await run('ansible', ['localhost', '-i', file, '-m', 'ansible.builtin.debug', '-a', 'var=groups'], {
    cwd: home,
    env: { ...process.env, ANSIBLE_HOME: home, ANSIBLE_LOCAL_TEMP: home, ANSIBLE_NOCOLOR: '1' },
  });
  return (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { groups: Record<string, string[]> }).groups;
}

/** Same hosts as Ansible, each in the same groups (all and ungrouped left out). */
async function expectSameGroupsAsAnsible(devices: InventoryDevice[], file: string): Promise<void> {
  const groups = await ansibleGroups(file);
  expect(devices.map((d) => d.id).sort()).toEqual([...(groups.all ?? [])].sort());
  const byAnsible = Object.fromEntries(
    devices.map((d) => [
      d.id,
      Object.keys(groups)
        .filter((g) => g !== 'all' && g !== 'ungrouped' && groups[g]?.includes(d.id))
        .sort(),
    ]),
  );
  expect(Object.fromEntries(devices.map((d) => [d.id, d.groups]))).toEqual(byAnsible);
}

const byId = (devices: InventoryDevice[]) => Object.fromEntries(devices.map((d) => [d.id, d]));

describe('an Ansible inventory, read by ansible-inventory', () => {
  it.each(['example.ini', 'example.yml'])('testdata/%s: the recorded list is what ansible-inventory prints today', async (name) => {
    const file = join(testdata, name);
    const recorded: unknown = JSON.parse(await readFile(`${file}.ansible.json`, 'utf8'));
    // If this fails after an edit: ansible-inventory -i fleet/src/registry/testdata/<name> --list > <name>.ansible.json
    expect((await runAnsibleInventory(file)).list).toEqual(recorded);
  });

  it('reads example.ini, example.yml and fleet.yaml in testdata/ to the same fleet', async () => {
    const [ini, yml, fleet] = await Promise.all(['example.ini', 'example.yml', 'fleet.yaml'].map((name) => loadInventory(join(testdata, name))));
    expect([ini?.kind, yml?.kind, fleet?.kind]).toEqual(['ansible', 'ansible', 'fleet.yaml']);
    expect(ini?.devices).toEqual(EXAMPLE_FLEET);
    expect(yml?.devices).toEqual(EXAMPLE_FLEET);
    expect(fleet?.devices).toEqual(EXAMPLE_FLEET.map((d) => ({ ...d, labels: { country: 'pt', ...d.labels } })));
  });

  it.each([
    ['hosts.ini', KITCHEN_SINK_INI],
    ['hosts', KITCHEN_SINK_INI],
  ])('%s: ranges, children, vars and odd values, each host in the groups Ansible puts it in', async (name, text) => {
    const file = await inventoryFile(name, text);
    const { kind, devices } = await loadInventory(file);
    expect(kind).toBe('ansible');
    expect(devices.length).toBeGreaterThan(10);
    await expectSameGroupsAsAnsible(devices, file);
    const d = byId(devices);
    expect(d['web01.example.com']).toEqual({
      id: 'web01.example.com',
      name: 'web01.example.com',
      address: '10.66.0.11',
      port: 8081,
      groups: ['canary', 'europe', 'lisbon', 'portugal'],
      labels: { site: 'lisbon', rack: 'r1' },
    });
    expect(d.edge).toMatchObject({ address: '10.66.0.3', port: 8080, groups: [] });
    expect(d.p01).toMatchObject({ name: 'Porto gate', address: 'p01', port: 9000 });
    expect(d.p02).toMatchObject({ name: 'Porto gate', port: 8092 });
  });

  it('hosts.yml: anchors, merge keys and a !vault value it does not need', async () => {
    const file = await inventoryFile('hosts.yml', KITCHEN_SINK_YAML);
    const { devices } = await loadInventory(file);
    await expectSameGroupsAsAnsible(devices, file);
    const d = byId(devices);
    expect(d['web01.example.com']).toMatchObject({ port: 8081, labels: { site: 'lisbon', rack: '1' } });
    expect(d.x).toMatchObject({ port: 8082, groups: ['europe', 'lisbon', 'portugal', 'zeta'] });
    expect(d['vaulted-host']).toMatchObject({ port: 9000 });
  });

  it('reads group_vars/ and host_vars/ next to the file, and an inventory directory', async () => {
    await inventoryFile('with-vars/hosts.yml', 'all:\n  children:\n    lisbon:\n      hosts:\n        lisbon-01:\n        lisbon-02:\n');
    await inventoryFile('with-vars/group_vars/lisbon.yml', 'outpost_port: 9100\noutpost_labels: {site: lisbon}\n');
    await inventoryFile('with-vars/host_vars/lisbon-02/main.yml', 'outpost_device_name: Lisbon 2\nansible_host: 10.66.0.12\n');
    const expected = [
      { id: 'lisbon-01', name: 'lisbon-01', address: 'lisbon-01', port: 9100, groups: ['lisbon'], labels: { site: 'lisbon' } },
      { id: 'lisbon-02', name: 'Lisbon 2', address: '10.66.0.12', port: 9100, groups: ['lisbon'], labels: { site: 'lisbon' } },
    ];
    expect((await loadInventory(join(dir, 'with-vars', 'hosts.yml'))).devices).toEqual(expected);
    expect((await loadInventory(join(dir, 'with-vars'))).devices).toEqual(expected);
  });

  it.each([
    ['bad.ini', '[canary\n'],
    ['bad.ini', '[g]\nweb01 x="unclosed\n'],
    ['bad.ini', '[g]\nweb[1-3]\n'],
    ['bad.ini', '[a:children]\nb\n[b:children]\na\n[a]\n[b]\n'],
    ['bad.yml', '- web01\n'],
    ['bad.yml', 'all:\n  hosts:\n    - web01\n'],
    ['bad.yml', 'all:\n  hosts: {a: [\n'],
  ])('refuses %s %j with what Ansible said', async (name, text) => {
    const file = await inventoryFile(name, text);
    const err = await loadInventory(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as Error).message).toMatch(new RegExp(`^${file}: ansible-inventory failed \\(exit status \\d+\\):\\nERROR! `));
  });

  it('refuses a host whose variables cannot be a device, naming the host', async () => {
    const file = await inventoryFile('bad-port.ini', '[lisbon]\nlisbon-01\nlisbon-02\n[lisbon:vars]\noutpost_port=http\n');
    await expect(loadInventory(file)).rejects.toThrow(`${file}: host "lisbon-01": outpost_port must be an integer from 1 to 65535, got "http"`);
  });

  describe('vault', () => {
    let vaultDir: string;
    let passwordFile: string;

    beforeAll(async () => {
      vaultDir = join(dir, 'vault');
      passwordFile = await inventoryFile('vault-password', 'correct horse\n');
      await inventoryFile('vault/hosts.ini', '[lisbon]\nlisbon-01 ansible_host=10.66.0.11\n');
      const secrets = await inventoryFile('vault/group_vars/lisbon.yml', 'outpost_port: 9443\n');
      await run('ansible-vault', ['encrypt', '--vault-password-file', passwordFile, secrets], { cwd: dir, env: { ...process.env, ANSIBLE_HOME: dir, ANSIBLE_LOCAL_TEMP: dir } });
    });

    it('fails at once, saying what to do, when a file is vault-encrypted and there is no password (even if asked to prompt)', async () => {
      const err = await loadInventory(join(vaultDir, 'hosts.ini'), { env: { ...process.env, ANSIBLE_ASK_VAULT_PASS: 'true' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InventoryError);
      expect((err as Error).message).toMatch(/ansible-inventory failed .*\nERROR! Attempting to decrypt but no vault secrets found/);
      expect((err as Error).message).toMatch(/give the monitor their password \(ANSIBLE_VAULT_PASSWORD_FILE in its environment\)/);
    });

    it('reads it with ANSIBLE_VAULT_PASSWORD_FILE in the environment', async () => {
      const { devices } = await loadInventory(join(vaultDir, 'hosts.ini'), { env: { ...process.env, ANSIBLE_VAULT_PASSWORD_FILE: passwordFile } });
      expect(devices).toMatchObject([{ id: 'lisbon-01', address: '10.66.0.11', port: 9443 }]);
    });

    it('says so when a field it needs is an encrypted !vault value', async () => {
      const file = await inventoryFile('vaulted-port.yml', 'all:\n  hosts:\n    h:\n      outpost_port: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        3132\n');
      await expect(loadInventory(file)).rejects.toThrow(/host "h": outpost_port must be .*, got a vault-encrypted value/);
    });
  });

  it('stops an inventory that does not finish, with everything it started', async () => {
    const scriptDir = join(dir, 'slow');
    const script = await inventoryFile('slow/inventory.sh', `#!/bin/sh\necho $$ > "${scriptDir}/script.pid"\nsleep 300 &\necho $! > "${scriptDir}/sleep.pid"\nwait\n`);
    await chmod(script, 0o755);
    await expect(loadInventory(script, { timeoutMs: 5000 })).rejects.toThrow(`${script}: ansible-inventory did not finish within 5 s and was stopped`);
    const pids = await Promise.all(['script.pid', 'sleep.pid'].map(async (name) => Number(await readFile(join(scriptDir, name), 'utf8'))));
    for (const pid of pids) await waitFor(() => !isRunning(pid), { what: `process ${pid} to end` });
  });
});

describe('the monitor at boot', () => {
  /** Runs the built monitor until it exits; it must, for every case here. */
  async function boot(inventory: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
    const db = await mkdtemp(join(dir, 'boot-'));
    const result = await run(process.execPath, [join(rootDir, 'dist', 'fleet', 'src', 'main.js')], {
      env: { ...process.env, OUTPOST_LOG_LEVEL: 'silent', OUTPOST_FLEET_PORT: '0', OUTPOST_FLEET_DB: join(db, 'fleet.sqlite'), OUTPOST_FLEET_INVENTORY: inventory, ...env },
      timeout: 90_000,
    }).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (err: { code?: number | null; stderr?: string }) => ({ code: err.code ?? null, stderr: err.stderr ?? '' }),
    );
    return result;
  }

  it('stops with status 1, naming OUTPOST_FLEET_INVENTORY, when Ansible is not installed', async () => {
    const file = await inventoryFile('boot/hosts.ini', '[lisbon]\nlisbon-01\n');
    const { code, stderr } = await boot(file, { PATH: '/nonexistent' });
    expect(code).toBe(1);
    expect(stderr).toContain(`outpost-fleet: configuration error: OUTPOST_FLEET_INVENTORY: ${file}: ansible-inventory was not found on PATH`);
  });

  it('stops with status 1 on an inventory Ansible refuses', async () => {
    const file = await inventoryFile('boot/bad.ini', '[canary\n');
    const { code, stderr } = await boot(file);
    expect(code).toBe(1);
    expect(stderr).toContain(`outpost-fleet: configuration error: OUTPOST_FLEET_INVENTORY: ${file}: ansible-inventory failed`);
  });

  it('stops with status 1 on a broken fleet.yaml', async () => {
    const file = await inventoryFile('boot/fleet.yaml', 'devices:\n  - {id: a, adress: 10.66.0.1}\n');
    const { code, stderr } = await boot(file, { PATH: '/nonexistent' });
    expect(code).toBe(1);
    expect(stderr).toContain(`outpost-fleet: configuration error: OUTPOST_FLEET_INVENTORY: ${file}:2: unknown key "adress" in devices[0]`);
  });
});

/** Alive and not a zombie (in a container nothing may reap the orphans of a killed group). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
