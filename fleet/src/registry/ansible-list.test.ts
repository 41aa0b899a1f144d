import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnsibleInventoryList } from './ansible-inventory.js';
import { devicesFromAnsibleList } from './ansible-list.js';
import { EXAMPLE_FLEET, inventoryFailure } from './test-support.js';

// Recorded with `ansible-inventory -i <file> --list` (ansible-core 2.14); inventory-ansible.int.test.ts
// checks that they still match the real CLI.
const recorded = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'testdata', `${name}.ansible.json`), 'utf8')) as AnsibleInventoryList;
const devices = (list: AnsibleInventoryList, defaultPort = 8080) => devicesFromAnsibleList(list, 'hosts.ini', defaultPort);


describe('devicesFromAnsibleList', () => {
  it.each(['example.ini', 'example.yml'])("reads what ansible-inventory listed for testdata/%s to the example fleet", (name) => {
    expect(devices(recorded(name))).toEqual(EXAMPLE_FLEET);
  });

  it('gives each host every group above it, lists hosts without variables and leaves out all and ungrouped', () => {
    const list = {
      _meta: { hostvars: { web01: { ansible_host: '10.66.0.11' } } },
      all: { children: ['ungrouped', 'europe', 'canary'] },
      ungrouped: { hosts: ['bastion'] },
      europe: { children: ['portugal'] },
      portugal: { children: ['lisbon'] },
      lisbon: { hosts: ['web01', 'web02'] },
      canary: { hosts: ['web01'] },
    };
    expect(devices(list).map(({ id, groups, address }) => ({ id, groups, address }))).toEqual([
      { id: 'bastion', groups: [], address: 'bastion' },
      { id: 'web01', groups: ['canary', 'europe', 'lisbon', 'portugal'], address: '10.66.0.11' },
      { id: 'web02', groups: ['europe', 'lisbon', 'portugal'], address: 'web02' },
    ]);
  });

  it('sorts groups by code point, as Python does', () => {
    const list = { _meta: { hostvars: {} }, all: { children: ['b', 'B', 'a'] }, a: { hosts: ['h'] }, B: { hosts: ['h'] }, b: { hosts: ['h'] } };
    expect(devices(list)[0]?.groups).toEqual(['B', 'a', 'b']);
  });

  it('prefers outpost_address to ansible_host, and takes a name, labels and the default port', () => {
    const list = {
      _meta: { hostvars: { web01: { ansible_host: 'jump.example', outpost_address: '10.66.0.11', outpost_device_name: 'Kiosk 1', outpost_labels: 'site=lisbon, rack=r1' } } },
      all: { children: ['ungrouped'] },
      ungrouped: { hosts: ['web01'] },
    };
    expect(devices(list, 9100)).toEqual([{ id: 'web01', name: 'Kiosk 1', address: '10.66.0.11', port: 9100, groups: [], labels: { site: 'lisbon', rack: 'r1' } }]);
  });

  it.each([
    [{ outpost_port: 'http' }, /^hosts\.ini: host "web01": outpost_port must be an integer from 1 to 65535, got "http"$/],
    [{ outpost_port: 70000 }, /outpost_port must be an integer from 1 to 65535, got 70000/],
    [{ ansible_host: 'two words' }, /ansible_host must be a hostname or IP address/],
    [{ outpost_labels: { 'bad key': 1 } }, /invalid label name "bad key"/],
    [{ outpost_port: { __ansible_vault: '$ANSIBLE_VAULT;1.1;AES256\n3132\n' } }, /outpost_port must be .*, got a vault-encrypted value \(ansible-inventory --list does not decrypt these/],
  ])('refuses host variables %j, naming the file and host', (vars, message) => {
    const list = { _meta: { hostvars: { web01: vars } }, all: { children: ['ungrouped'] }, ungrouped: { hosts: ['web01'] } };
    const err = inventoryFailure(() => devices(list));
    expect(err).toMatchObject({ file: 'hosts.ini', host: 'web01' });
    expect(err.message).toMatch(message);
  });

  it('refuses a host name the monitor cannot use as a device id', () => {
    const list = { _meta: { hostvars: {} }, all: { children: ['ungrouped'] }, ungrouped: { hosts: ['fd00::1'] } };
    expect(inventoryFailure(() => devices(list)).message).toMatch(/host "fd00::1": the host id "fd00::1" is not valid: .* put other addresses in ansible_host/);
  });

  it('ignores vault values in variables it does not use', () => {
    const list = { _meta: { hostvars: { web01: { secret: { __ansible_vault: 'x' } } } }, all: { children: ['ungrouped'] }, ungrouped: { hosts: ['web01'] } };
    expect(devices(list)).toHaveLength(1);
  });
});
