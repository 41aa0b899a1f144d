import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFleetFile } from './fleet-file.js';
import { EXAMPLE_FLEET, inventoryFailure } from './test-support.js';

const fleet = (text: string, defaultPort = 8080) => readFleetFile(text, 'fleet.yaml', defaultPort);


describe('fleet.yaml', () => {
  it('reads testdata/fleet.yaml to the example fleet', () => {
    const text = readFileSync(join(import.meta.dirname, 'testdata', 'fleet.yaml'), 'utf8');
    expect(fleet(text)).toEqual(EXAMPLE_FLEET.map((d) => ({ ...d, labels: { country: 'pt', ...d.labels } })));
  });

  it('applies defaults and keeps the fields given', () => {
    const devices = fleet(`
defaults: {port: 9100, labels: {env: prod, site: hq}}
devices:
  - id: web01
  - {id: web02, address: 10.66.0.12, port: 8081, name: Kiosk, groups: [b, a, a, all], labels: {site: lisbon}}
`);
    expect(devices).toEqual([
      { id: 'web01', name: 'web01', address: 'web01', port: 9100, groups: [], labels: { env: 'prod', site: 'hq' } },
      { id: 'web02', name: 'Kiosk', address: '10.66.0.12', port: 8081, groups: ['a', 'b'], labels: { env: 'prod', site: 'lisbon' } },
    ]);
  });

  it('takes what Ansible variables hold, as the role renders them: a numeric string port, "k=v" labels, one group', () => {
    const [d] = fleet(`devices:\n  - {id: web01, port: "8443", name: 7, groups: lisbon, labels: "rack=r1, floor=2,empty="}\n`) ?? [];
    expect(d).toEqual({ id: 'web01', name: '7', address: 'web01', port: 8443, groups: ['lisbon'], labels: { rack: 'r1', floor: '2', empty: '' } });
  });

  it('follows anchors and merge keys, however often one is used', () => {
    const many = Array.from({ length: 500 }, (_, i) => `  - {id: d${i}, labels: *shared}`).join('\n');
    const devices = fleet(`defaults: &base {port: 8081, labels: &shared {site: lisbon}}\ndevices:\n  - {<<: *base, id: a, port: 8082}\n${many}\n`);
    expect(devices?.[0]).toMatchObject({ id: 'a', port: 8082, labels: { site: 'lisbon' } });
    expect(devices).toHaveLength(501);
    expect(devices?.[500]).toMatchObject({ id: 'd499', port: 8081, labels: { site: 'lisbon' } });
  });

  it('combines an id listed twice with the same address', () => {
    const devices = fleet(`devices:
  - {id: web01, address: 10.66.0.11, groups: [lisbon], labels: {rack: r1}}
  - {id: web01, address: 10.66.0.11, name: Kiosk, groups: [canary], labels: {floor: "2"}}
`);
    expect(devices).toHaveLength(1);
    expect(devices?.[0]).toMatchObject({ name: 'Kiosk', groups: ['canary', 'lisbon'], labels: { rack: 'r1', floor: '2' } });
  });

  it('reads an empty file, a file of comments or an empty device list as no devices', () => {
    expect(fleet('')).toEqual([]);
    expect(fleet('# nothing yet\n')).toEqual([]);
    expect(fleet('devices: []\n')).toEqual([]);
    expect(fleet('defaults: {port: 9100}\ndevices:\n')).toEqual([]);
  });

  it.each([
    ['devices:\n  - {id: a, address: 10.66.0.1}\n  - {id: a, address: 10.66.0.2}\n', 3, /host "a": listed twice with different addresses: 10.66.0.1:8080 \(first at line 2\) and 10.66.0.2:8080/],
    ['devices:\n  - {id: a, port: 8080}\n  - {id: a, port: 8081}\n', 3, /listed twice with different addresses/],
    ['devices:\n  - {id: a, name: X}\n  - {id: a, name: Y}\n', 3, /listed twice with different names/],
    ['devices:\n  - {id: a, labels: {k: x}}\n  - {id: a, labels: {k: y}}\n', 3, /different values for label k/],
    ['devices:\n  - id: a\n    adress: 10.66.0.1\n', 3, /unknown key "adress" in devices\[0\] \(expected id, address, port, name, groups, labels\)/],
    ['devices: []\nhosts: []\n', 2, /unknown key "hosts" in fleet.yaml/],
    ['devices: []\ndefaults: {prot: 1}\n', 2, /unknown key "prot" in defaults/],
    ['devices:\n  - {address: 10.66.0.1}\n', 2, /devices\[0\].id must be a string, got nothing/],
    ['devices:\n  - {id: 12}\n', 2, /devices\[0\].id must be a string, got 12/],
    ['devices:\n  - {id: "a b"}\n', 2, /host id "a b" is not valid/],
    ['devices:\n  - id: a\n    port: 0\n', 3, /host "a": port must be an integer from 1 to 65535, got 0/],
    ['defaults: {port: "x"}\ndevices: []\n', 1, /defaults.port must be an integer/],
    ['defaults: 5\ndevices: []\n', 1, /defaults must be a mapping, got 5/],
    ['devices:\n  - {id: a, groups: lisbon porto}\n', 2, /invalid group name "lisbon porto"/],
    ['devices:\n  - {id: a, labels: {"bad key": 1}}\n', 2, /invalid label name "bad key"/],
    ['devices:\n  - web01\n', 2, /devices\[0\] must be a mapping with at least an id/],
    ['devices:\n  - {id: a}\n  - {id: a}\n  - {id: b, id: c}\n', 4, /invalid YAML: Map keys must be unique/],
    ['devices:\n  - {id: a\n', 3, /invalid YAML/],
  ])('rejects %j', (text, line, message) => {
    const err = inventoryFailure(() => fleet(text));
    expect(err.message).toMatch(message);
    expect(err.file).toBe('fleet.yaml');
    expect(err.line).toBe(line);
  });
});

describe('what counts as a fleet.yaml', () => {
  it.each([
    ['an INI inventory', '[canary]\nweb01\n\n[lisbon]\nweb01 ansible_host=10.66.0.11\n'],
    ['an INI inventory of bare hosts', 'web01 ansible_host=10.66.0.1\n'],
    ['a YAML inventory', 'all:\n  hosts:\n    web01:\n'],
    ['a YAML inventory with a group named devices', 'devices:\n  hosts:\n    web01:\n  vars: {outpost_port: 8081}\n'],
    ['a YAML inventory with an empty devices group beside others', 'devices:\nfleet:\n  hosts: {f1: }\n'],
    ['a JSON inventory', '{"all": {"hosts": {"web01": null}}}'],
    ['an inventory plugin configuration', 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n'],
    ['broken YAML without a devices line', 'all:\n  hosts: {a: [\n'],
  ])('not %s', (_what, text) => {
    expect(fleet(text)).toBeUndefined();
  });

  it('reads a devices list, in YAML or JSON', () => {
    expect(fleet('devices:\n  - id: web01\n')?.map((d) => d.id)).toEqual(['web01']);
    expect(fleet('{"devices": [{"id": "web01"}]}')?.map((d) => d.id)).toEqual(['web01']);
  });

  it('reports a key beside a devices list rather than handing the file to Ansible', () => {
    expect(inventoryFailure(() => fleet('devices: [{id: web01}]\ngroups: {}\n')).message).toMatch(/unknown key "groups" in fleet.yaml/);
  });
});
