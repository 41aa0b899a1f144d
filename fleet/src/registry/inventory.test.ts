import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectInventoryFormat, InventoryError, parseInventory, type InventoryDevice, type ParseInventoryOptions } from './inventory.js';
import { expectSameAsAnsible, type AnsibleList } from './test-support.js';

const testdata = join(import.meta.dirname, 'testdata');
const read = (name: string) => readFileSync(join(testdata, name), 'utf8');
// Recorded with `ansible-inventory -i <file> --list` (ansible-core 2.14); inventory-ansible.int.test.ts
// checks that they still match the real CLI.
const recorded = (name: string) => JSON.parse(read(`${name}.ansible.json`)) as AnsibleList;

const ini = (text: string, opts: ParseInventoryOptions = {}) => parseInventory(text, { format: 'ini', file: 'hosts.ini', ...opts });
const yml = (text: string, opts: ParseInventoryOptions = {}) => parseInventory(text, { format: 'yaml', file: 'hosts.yml', ...opts });
const fleet = (text: string, opts: ParseInventoryOptions = {}) => parseInventory(text, { format: 'fleet', file: 'fleet.yaml', ...opts });

function byId(devices: InventoryDevice[]): Record<string, InventoryDevice> {
  return Object.fromEntries(devices.map((d) => [d.id, d]));
}

function failure(fn: () => unknown): InventoryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryError);
    return err as InventoryError;
  }
  throw new Error('expected an InventoryError');
}

/** Devices without vars, for comparing sources whose vars are spelled differently. */
const identities = (devices: InventoryDevice[]) => devices.map(({ vars: _vars, ...rest }) => rest);

describe('example inventories (testdata)', () => {
  const expected = [
    { id: 'lisbon-01', name: 'Lisbon kiosk 1', address: '10.66.0.11', port: 8080, groups: ['canary', 'lisbon', 'portugal'], labels: { rack: 'r1', floor: '0' } },
    { id: 'lisbon-02', name: 'lisbon-02', address: '10.66.0.12', port: 8080, groups: ['lisbon', 'portugal'], labels: { rack: 'r1', floor: '1' } },
    { id: 'lisbon-03', name: 'lisbon-03', address: '10.66.0.13', port: 8081, groups: ['lisbon', 'portugal'], labels: {} },
    { id: 'porto-01', name: 'porto-01', address: '10.66.0.21', port: 8090, groups: ['porto', 'portugal'], labels: {} },
    { id: 'porto-02', name: 'Porto gate', address: '10.66.0.22', port: 8090, groups: ['porto', 'portugal'], labels: {} },
  ];

  it('reads example.ini as ansible-inventory does', () => {
    const devices = parseInventory(read('example.ini'), { file: 'example.ini' });
    expectSameAsAnsible(devices, recorded('example.ini'));
    expect(identities(devices)).toEqual(expected);
  });

  it('reads example.yml as ansible-inventory does, to the same devices as example.ini', () => {
    const devices = parseInventory(read('example.yml'), { file: 'example.yml' });
    expectSameAsAnsible(devices, recorded('example.yml'));
    expect(identities(devices)).toEqual(expected);
  });

  it('reads fleet.yaml to the same devices', () => {
    const devices = parseInventory(read('fleet.yaml'), { file: 'fleet.yaml' });
    expect(identities(devices)).toEqual(expected.map((d) => ({ ...d, labels: { country: 'pt', ...d.labels } })));
  });

  it('lets ansible_group_priority decide between groups at the same depth', () => {
    const devices = byId(parseInventory(read('example.ini'), { file: 'example.ini' }));
    expect(devices['lisbon-01']?.vars.outpost_channel).toBe('canary');
    expect(devices['lisbon-02']?.vars.outpost_channel).toBe('stable');
    expect(devices['lisbon-01']?.vars).not.toHaveProperty('ansible_group_priority');
  });
});

describe('INI inventories', () => {
  it('gives a host listed in several groups one device with every group, parents included', () => {
    const devices = ini(`
[canary]
web01 outpost_port=8081
[lisbon]
web01 ansible_host=10.66.0.11
web02
[portugal:children]
lisbon
[europe:children]
portugal
`);
    expect(devices.map((d) => d.id)).toEqual(['web01', 'web02']);
    expect(byId(devices).web01).toMatchObject({ address: '10.66.0.11', port: 8081, groups: ['canary', 'europe', 'lisbon', 'portugal'] });
    expect(byId(devices).web02).toMatchObject({ address: 'web02', port: 8080, groups: ['europe', 'lisbon', 'portugal'] });
  });

  it('merges vars as Ansible does: all < parent < child < host, same-depth groups in name order', () => {
    const devices = byId(
      ini(`
h1 who=host
h2
h3
[zeta]
h1
h2
[alpha]
h2
h3
[child]
h3
[alpha:children]
child
[alpha:vars]
who=alpha
[zeta:vars]
who=zeta
[child:vars]
who=child
[all:vars]
who=all
site=everywhere
`),
    );
    expect(devices.h1?.vars).toEqual({ who: 'host', site: 'everywhere' });
    expect(devices.h2?.vars.who).toBe('zeta'); // alpha and zeta are both depth 1: zeta sorts last
    expect(devices.h3?.vars.who).toBe('child');
    expect(devices.h3?.groups).toEqual(['alpha', 'child']);
  });

  it('expands numeric, zero-padded, stepped, alphabetic and repeated host ranges', () => {
    const ids = ini(`
[web]
web[01:03].example.com
db-[a:c]
s[1:10:3]
k[1:2]x[a:b]
w[x:B:2]
`).map((d) => d.id);
    expect(ids).toEqual([
      'web01.example.com',
      'web02.example.com',
      'web03.example.com',
      'db-a',
      'db-b',
      'db-c',
      's1',
      's4',
      's7',
      's10',
      'k1xa',
      'k1xb',
      'k2xa',
      'k2xb',
      'wx',
      'wz',
      'wB', // Python's ascii_letters runs a–z then A–Z
    ]);
  });

  it('splits host lines like a shell and types values like ansible-inventory does', () => {
    const [h1] = ini(`h1 a=" 5" b='010' c=0x1F d=1_000 e=1e3 f="[1, 'x', None]" g="{'k': True}" h=yes i=-3 q='a b' k=a#b l="x y"`);
    expect(h1?.vars).toEqual({ a: 5, b: '010', c: 31, d: 1000, e: 1000, f: [1, 'x', null], g: { k: true }, h: 'yes', i: -3, q: 'a b', k: 'a' });
  });

  it('reads :vars values whole, so a trailing comment only disappears after a literal', () => {
    const [h] = ini(`[g]\nh\n[g:vars]\nport=9000 # note\nsite=pt # note\nquoted = 'x' \n`);
    expect(h?.vars).toEqual({ port: 9000, site: 'pt # note', quoted: 'x' });
  });

  it('puts hosts before the first section in ungrouped and host:port into ansible_port', () => {
    const devices = ini(`top.example:2222 ansible_host=10.66.0.9\n# comment\n; comment\n\n[canary]\nweb01\n`);
    expect(byId(devices)['top.example']).toMatchObject({ groups: [], address: '10.66.0.9', vars: { ansible_port: 2222, ansible_host: '10.66.0.9' } });
    expect(byId(devices).web01?.groups).toEqual(['canary']);
  });

  it('applies [ungrouped:vars] only to hosts in no other group', () => {
    const devices = byId(ini(`a\nb\n[g]\nb\n[ungrouped:vars]\nlonely=true\n`));
    expect(devices.a?.vars).toEqual({ lonely: 'true' });
    expect(devices.b?.vars).toEqual({});
  });

  it('reads labels from "k=v,k=v", a name and the default port', () => {
    const [d] = ini(`web01 outpost_labels="site=lisbon, rack=r1,empty=" outpost_device_name="Kiosk 1"`, { defaultPort: 9100 });
    expect(d).toMatchObject({ name: 'Kiosk 1', port: 9100, labels: { site: 'lisbon', rack: 'r1', empty: '' } });
  });

  it('accepts a group declared after the :children or :vars section that names it', () => {
    const devices = ini(`[parent:children]\nchild\n[child:vars]\nx=1\n[child]\nh\n`);
    expect(devices[0]).toMatchObject({ groups: ['child', 'parent'], vars: { x: 1 } });
  });

  it.each([
    ['[canary', 1, /bad section header \[canary/],
    ['[canary] ; old', 1, /bad section header/],
    ['[canary:host]', 1, /unknown type "host"/],
    ['[g]\nh\n[other:vars]\nx=1', 3, /\[other:vars\] is for a group that is never declared/],
    ['[p:children]\nnope\n[p]\nh', 2, /undefined group "nope"/],
    ['[g:vars]\nno equals here\n[g]', 2, /expected key=value/],
    ['[g]\nweb01 ; old comment', 2, /expected key=value host variable, got: ;.*; is a comment only at the start/],
    ['[g]\nweb01 x="unclosed', 2, /no closing quotation/],
    ['[g]\nweb[1-3]', 2, /must be \[begin:end\]/],
    ['[g]\nweb[10:01]', 2, /begin <= end/],
    ['[g]\nweb[01:100]', 2, /equal length/],
    ['[g]\nweb[1:3:0]', 2, /step '0'/],
    ['[a:children]\nb\n[b:children]\na\n[a]\n[b]', 4, /creates a loop/],
    ['[g]\n""', 2, /host id is empty/],
    ['[g]\n-web01', 2, /host id "-web01" is not valid/],
    ['[g]\nweb/01', 2, /host id "web\/01" is not valid/],
    ['[g]\nweb01:', 2, /trailing ':'/],
    ['[g:vars]\nansible_group_priority=high\n[g]', 2, /ansible_group_priority .* must be an integer/],
  ])('rejects %j (line %i)', (text, line, message) => {
    const err = failure(() => ini(text));
    expect(err.reason).toMatch(message);
    expect(err.file).toBe('hosts.ini');
    expect(err.line).toBe(line);
    expect(err.message).toMatch(new RegExp(`^hosts\\.ini:${line}: `));
  });

  it.each([
    ['abc', /got "abc"/],
    ['0', /got 0/],
    ['70000', /got 70000/],
    ['80.5', /got 80.5/],
    ['True', /got true/],
  ])('rejects outpost_port=%s, naming the host and the line that set it', (value, got) => {
    const err = failure(() => ini(`[lisbon]\nweb01\nweb02\n[lisbon:vars]\noutpost_port=${value}\n`));
    expect(err.host).toBe('web01');
    expect(err.line).toBe(5);
    expect(err.message).toMatch(/^hosts\.ini:5: host "web01": outpost_port must be an integer from 1 to 65535/);
    expect(err.reason).toMatch(got);
  });

  it('rejects labels with an invalid name', () => {
    expect(failure(() => ini('web01 outpost_labels="bad key=1"')).reason).toMatch(/invalid label name "bad key"/);
  });

  it('accepts outpost_port given as a quoted number in :vars', () => {
    expect(ini(`[g]\nh\n[g:vars]\noutpost_port="8443"\n`)[0]?.port).toBe(8443);
  });
});

describe('YAML inventories', () => {
  it('reads any top-level groups, children at any depth and empty host entries', () => {
    const devices = byId(
      yml(`
all:
  vars: {site: all}
  hosts:
    top:
  children:
    europe:
      children:
        portugal:
          vars: {site: pt}
          children:
            lisbon:
              hosts:
                web01: {ansible_host: 10.66.0.11}
                web02:
lisbon:
  vars: {site: lis}
canary:
  hosts: web01
`),
    );
    expect(Object.keys(devices)).toEqual(['top', 'web01', 'web02']);
    expect(devices.top).toMatchObject({ groups: [], vars: { site: 'all' } });
    expect(devices.web01).toMatchObject({ address: '10.66.0.11', groups: ['canary', 'europe', 'lisbon', 'portugal'], vars: { site: 'lis' } });
    expect(devices.web02?.address).toBe('web02');
  });

  it('expands ranges and ports in host keys', () => {
    const devices = yml(`all:\n  hosts:\n    web[01:02].example.com: {outpost_port: 8081}\n    "10.66.0.7:2200":\n`);
    expect(devices.map((d) => [d.id, d.port, d.vars.ansible_port])).toEqual([
      ['web01.example.com', 8081, undefined],
      ['web02.example.com', 8081, undefined],
      ['10.66.0.7', 8080, 2200],
    ]);
  });

  it('reads values as Ansible (PyYAML, YAML 1.1) does, and keeps vault values encrypted', () => {
    const [h] = yml(`all:
  hosts:
    h:
      flag: yes
      letter: y
      mode: 0755
      day: 2024-01-02
      vaulted: !vault |
        $ANSIBLE_VAULT;1.1;AES256
        3132
      raw: !unsafe '{{ x }}'
`);
    expect(h?.vars).toEqual({
      flag: true,
      letter: 'y',
      mode: 493,
      day: '2024-01-02',
      vaulted: { __ansible_vault: '$ANSIBLE_VAULT;1.1;AES256\n3132\n' },
      raw: '{{ x }}',
    });
  });

  it('follows anchors and merge keys', () => {
    const devices = yml(`all:
  vars:
    base: &base {outpost_port: 8081, outpost_labels: {site: lisbon}}
  hosts:
    a: *base
    b:
      <<: *base
      outpost_port: 8082
`);
    expect(devices.map((d) => [d.id, d.port, d.labels])).toEqual([
      ['a', 8081, { site: 'lisbon' }],
      ['b', 8082, { site: 'lisbon' }],
    ]);
  });

  it('warns, like Ansible, about keys it ignores', () => {
    const warnings: string[] = [];
    const devices = yml(`all:\n  hosts: {a: }\n  host: {b: }\nstray: 5\n`, { onWarning: (m) => warnings.push(m) });
    expect(devices.map((d) => d.id)).toEqual(['a']);
    expect(warnings).toEqual([
      expect.stringMatching(/^hosts\.yml:3: group "all": ignoring unexpected key "host"/),
      expect.stringMatching(/^hosts\.yml:4: skipping "stray": not a group/),
    ]);
  });

  it.each([
    ['', undefined, /inventory is empty/],
    ['- web01\n- web02\n', 1, /must be a mapping of groups.*got a list/],
    ['web01\n', 1, /must be a mapping of groups.*got the string "web01"/],
    ['all:\n  hosts:\n    - web01\n', 2, /hosts of group "all" must be a mapping \(hosts: \{web01: \{\}, web02: \{\}\}, not a list\)/],
    ['all:\n  children:\n    lisbon: [web01]\n', 3, /child group "lisbon" of "all" must be a mapping/],
    ['all:\n  hosts:\n    web01: just-a-string\n', 3, /variables of host "web01" must be a mapping/],
    ['all:\n  hosts:\n    1.5:\n', 3, /host pattern 1.5 .* must be a string/],
    ['plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n', 1, /inventory plugin configuration/],
    ['all:\n  hosts:\n    a:\n    a:\n', 3, /invalid YAML: Map keys must be unique/],
    ['all:\n  hosts: {a: [\n', 3, /invalid YAML/],
    ['all:\n  hosts:\n    "":\n', 3, /host id is empty/],
    ['all:\n  hosts:\n    "web 01":\n', 3, /host id "web 01" is not valid/],
    ['all: &all\n  children:\n    again: *all\n', 3, /alias \*all refers to a node that contains it/],
  ])('rejects %j', (text, line, message) => {
    const err = failure(() => yml(text));
    expect(err.reason).toMatch(message);
    expect(err.file).toBe('hosts.yml');
    expect(err.line).toBe(line);
  });

  it('names the host and the line of an invalid outpost_port', () => {
    const err = failure(() => yml(`all:\n  children:\n    porto:\n      vars:\n        outpost_port: http\n      hosts:\n        porto-01:\n`));
    expect(err.message).toBe('hosts.yml:5: host "porto-01": outpost_port must be an integer from 1 to 65535, got "http"');
  });
});

describe('fleet.yaml', () => {
  it('applies defaults, keeps given fields and mirrors them into vars', () => {
    const devices = fleet(`
defaults: {port: 9100, labels: {env: prod, site: hq}}
devices:
  - id: web01
  - {id: web02, address: 10.66.0.12, port: 8081, name: Kiosk, groups: [b, a, a], labels: {site: lisbon}}
`);
    expect(devices).toEqual([
      {
        id: 'web01',
        name: 'web01',
        address: 'web01',
        port: 9100,
        groups: [],
        labels: { env: 'prod', site: 'hq' },
        vars: { ansible_host: 'web01', outpost_port: 9100, outpost_device_name: 'web01', outpost_labels: { env: 'prod', site: 'hq' } },
      },
      {
        id: 'web02',
        name: 'Kiosk',
        address: '10.66.0.12',
        port: 8081,
        groups: ['a', 'b'],
        labels: { env: 'prod', site: 'lisbon' },
        vars: { ansible_host: '10.66.0.12', outpost_port: 8081, outpost_device_name: 'Kiosk', outpost_labels: { env: 'prod', site: 'lisbon' } },
      },
    ]);
  });

  it('combines an id listed twice with the same address', () => {
    const devices = fleet(`devices:
  - {id: web01, address: 10.66.0.11, groups: [lisbon], labels: {rack: r1}}
  - {id: web01, address: 10.66.0.11, name: Kiosk, groups: [canary], labels: {floor: "2"}}
`);
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ name: 'Kiosk', groups: ['canary', 'lisbon'], labels: { rack: 'r1', floor: '2' } });
  });

  it('reads an empty file or an empty device list as no devices', () => {
    expect(fleet('')).toEqual([]);
    expect(fleet('devices: []\n')).toEqual([]);
  });

  it.each([
    ['devices:\n  - {id: a, address: 10.66.0.1}\n  - {id: a, address: 10.66.0.2}\n', 3, /host "a": listed twice with different addresses: 10.66.0.1:8080 \(first at line 2\) and 10.66.0.2:8080/],
    ['devices:\n  - {id: a, port: 8080}\n  - {id: a, port: 8081}\n', 3, /listed twice with different addresses/],
    ['devices:\n  - {id: a, name: X}\n  - {id: a, name: Y}\n', 3, /listed twice with different names/],
    ['devices:\n  - {id: a, labels: {k: x}}\n  - {id: a, labels: {k: y}}\n', 3, /different values for label k/],
    ['devices:\n  - {id: a, adress: 10.66.0.1}\n', 2, /unknown key "adress" in devices\[0\] \(expected id, address, port, name, groups, labels\)/],
    ['hosts: []\n', 1, /unknown key "hosts" in fleet.yaml/],
    ['devices:\n  - {address: 10.66.0.1}\n', 2, /devices\[0\].id must be a string, got nothing/],
    ['devices:\n  - {id: 12}\n', 2, /devices\[0\].id must be a string, got 12/],
    ['devices:\n  - {id: "a b"}\n', 2, /host id "a b" is not valid/],
    ['devices:\n  - {id: a, port: 0}\n', 2, /host "a": port must be an integer from 1 to 65535, got 0/],
    ['defaults: {port: "x"}\ndevices: []\n', 1, /defaults.port must be an integer/],
    ['devices:\n  - {id: a, groups: lisbon porto}\n', 2, /invalid group name "lisbon porto"/],
    ['devices: {a: {}}\n', 1, /devices must be a list/],
    ['devices:\n  - web01\n', 2, /devices\[0\] must be a mapping with at least an id/],
    ['- a\n', 1, /must be a mapping with "devices"/],
  ])('rejects %j', (text, line, message) => {
    const err = failure(() => fleet(text));
    expect(err.message).toMatch(message);
    expect(err.file).toBe('fleet.yaml');
    expect(err.line).toBe(line);
  });
});

describe('format detection', () => {
  const iniText = '[canary]\nweb01\n';
  const yamlText = 'all:\n  hosts:\n    web01:\n';
  const fleetText = '# ours\ndevices:\n  - id: web01\n';

  it.each([
    ['hosts.ini', iniText, 'ini'],
    ['hosts.cfg', iniText, 'ini'],
    ['hosts', iniText, 'ini'],
    ['hosts', 'web01 ansible_host=10.66.0.1\n', 'ini'],
    ['hosts', yamlText, 'yaml'],
    ['hosts.yml', yamlText, 'yaml'],
    ['hosts.yaml', yamlText, 'yaml'],
    ['hosts.json', '{"all": {"hosts": {"web01": null}}}', 'yaml'],
    ['fleet.yaml', fleetText, 'fleet'],
    ['fleet.yml', fleetText, 'fleet'],
    ['fleet', fleetText, 'fleet'],
    [undefined, iniText, 'ini'],
    [undefined, fleetText, 'fleet'],
  ])('reads %s with %j as %s', (file, text, format) => {
    expect(detectInventoryFormat(text, file)).toBe(format);
    expect(parseInventory(text, { format: 'auto', ...(file ? { file } : {}) }).map((d) => d.id)).toEqual(['web01']);
  });

  it('names a file it was not given as "inventory" in errors', () => {
    expect(failure(() => parseInventory('[bad')).message).toMatch(/^inventory:1: bad section header/);
  });
});
