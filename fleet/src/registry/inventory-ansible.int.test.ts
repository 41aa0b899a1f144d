// The registry against the real `ansible-inventory` (Debian's ansible-core): same hosts, same
// groups, same merged vars for the same files, and the same files refused. An integration test
// because it runs Ansible (about a second per file); inventory.test.ts checks the parser against
// recorded outputs of the same CLI, which the first test here keeps honest.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryError, parseInventory } from './inventory.js';
import { ansibleInventoryList, expectSameAsAnsible, type AnsibleList } from './test-support.js';

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
    letter: y
    mode: 0755
    day: 2024-01-02
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
  await writeFile(file, text);
  return file;
}

/** Whether ansible-inventory accepts the file (it exits non-zero when told to fail on parse errors). */
async function ansibleAccepts(file: string, plugin: 'ini' | 'yaml'): Promise<boolean> {
  try {
    await ansibleInventoryList(file, plugin, dir);
    return true;
  } catch {
    return false;
  }
}

describe('parseInventory against ansible-inventory', () => {
  it.each([
    ['example.ini', 'ini'],
    ['example.yml', 'yaml'],
  ] as const)('testdata/%s: the recorded output is current and the parser matches it', async (name, plugin) => {
    const file = join(testdata, name);
    const live = await ansibleInventoryList(file, plugin, dir);
    const recordedList = JSON.parse(await readFile(`${file}.ansible.json`, 'utf8')) as AnsibleList;
    // If this fails after an edit: ansible-inventory -i fleet/src/registry/testdata/<name> --list > <name>.ansible.json
    expect(live).toEqual(recordedList);
    expectSameAsAnsible(parseInventory(await readFile(file, 'utf8'), { file: name }), live);
  });

  it.each([
    ['hosts.ini', KITCHEN_SINK_INI, 'ini'],
    ['hosts', KITCHEN_SINK_INI, 'ini'],
    ['hosts.yml', KITCHEN_SINK_YAML, 'yaml'],
  ] as const)('%s with groups, children, vars, ranges and odd values', async (name, text, plugin) => {
    const file = await inventoryFile(name, text);
    const devices = parseInventory(text, { file });
    expect(devices.length).toBeGreaterThan(10);
    expectSameAsAnsible(devices, await ansibleInventoryList(file, plugin, dir));
  });

  it.each([
    ['ini', '[g]\nweb01 ; comment\n'],
    ['ini', '[p:children]\nnope\n'],
    ['ini', '[g:vars]\nx=1\n'],
    ['ini', '[g:foo]\n'],
    ['ini', '[g]\nweb01 x="unclosed\n'],
    ['ini', '[g]\nweb[1-3]\n'],
    ['ini', '[g]\nweb[c:a]\n'],
    ['ini', '[g]\nweb[1:3:0]\n'],
    ['ini', '[g]\nweb01:\n'],
    ['ini', '[a:children]\nb\n[b:children]\na\n[a]\n[b]\n'],
    ['ini', '[canary\n'],
    ['ini', '[g:vars]\nnoequals\n[g]\n'],
    ['ini', '[g:vars]\nansible_group_priority=high\n[g]\n'],
    ['yaml', '- web01\n'],
    ['yaml', ''],
    ['yaml', 'all:\n  hosts:\n    - web01\n'],
    ['yaml', 'all:\n  hosts:\n    web01: x\n'],
    ['yaml', 'all:\n  hosts:\n    1.5:\n'],
    ['yaml', 'all:\n  hosts:\n    on:\n'],
    ['yaml', 'all:\n  children:\n    lisbon: [web01]\n'],
    ['yaml', 'plugin: amazon.aws.aws_ec2\n'],
    ['yaml', 'all:\n  hosts: {a: [\n'],
  ] as const)('both refuse a %s inventory %j', async (format, text) => {
    const file = await inventoryFile(format === 'ini' ? 'bad.ini' : 'bad.yml', text);
    expect(() => parseInventory(text, { file })).toThrow(InventoryError);
    expect(await ansibleAccepts(file, format)).toBe(false);
  });

  // Deliberate differences: each is a file Ansible reads without complaint but that almost
  // certainly does not say what its author meant.
  it.each([
    ['ini', '[g]\nweb[3:1]\n', 'a range with begin after end (Ansible: no hosts at all)'],
    ['yaml', 'all:\n  hosts:\n    a:\n    a: {x: 1}\n', 'a duplicate YAML key (Ansible: the last one wins, with a warning)'],
    ['ini', '[g]\nfd00::1\n', 'an IPv6 address as the host id (not usable as a device id; use ansible_host)'],
  ] as const)('refuses a %s inventory Ansible accepts: %j, %s', async (format, text, _why) => {
    const file = await inventoryFile(format === 'ini' ? 'strict.ini' : 'strict.yml', text);
    expect(() => parseInventory(text, { file })).toThrow(InventoryError);
    expect(await ansibleAccepts(file, format)).toBe(true);
  });
});
