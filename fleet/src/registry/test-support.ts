// Helpers for the registry tests: reading `ansible-inventory --list` output (recorded in testdata/
// or produced live) and comparing it with what parseInventory made of the same file.
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { InventoryDevice } from './inventory.js';

export interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList['_meta'];
}

export interface AnsibleHost {
  groups: string[];
  vars: Record<string, unknown>;
}

/** Every host with all of its groups (ancestors included, all/ungrouped left out) and its vars. */
export function hostsOfAnsibleList(list: AnsibleList): Map<string, AnsibleHost> {
  const parents = new Map<string, Set<string>>();
  const direct = new Map<string, Set<string>>();
  for (const [group, entry] of Object.entries(list)) {
    if (group === '_meta') continue;
    const { hosts = [], children = [] } = entry as { hosts?: string[]; children?: string[] };
    for (const child of children) parents.set(child, (parents.get(child) ?? new Set()).add(group));
    for (const host of hosts) direct.set(host, (direct.get(host) ?? new Set()).add(group));
  }
  const withAncestors = (group: string, out: Set<string>): void => {
    if (out.has(group)) return;
    out.add(group);
    for (const p of parents.get(group) ?? []) withAncestors(p, out);
  };
  const result = new Map<string, AnsibleHost>();
  const ids = new Set([...Object.keys(list._meta.hostvars), ...direct.keys()]);
  for (const id of ids) {
    const groups = new Set<string>();
    for (const g of direct.get(id) ?? []) withAncestors(g, groups);
    result.set(id, {
      groups: [...groups].filter((g) => g !== 'all' && g !== 'ungrouped').sort(),
      vars: list._meta.hostvars[id] ?? {},
    });
  }
  return result;
}

/** Same hosts, same groups, same merged vars (so the same ansible_host and outpost_port). */
export function expectSameAsAnsible(devices: InventoryDevice[], list: AnsibleList): void {
  const ansible = hostsOfAnsibleList(list);
  expect(devices.map((d) => d.id).sort()).toEqual([...ansible.keys()].sort());
  for (const device of devices) {
    const host = ansible.get(device.id) as AnsibleHost;
    expect({ id: device.id, groups: device.groups, vars: device.vars }).toEqual({ id: device.id, ...host });
    expect(device.address).toBe(host.vars.ansible_host ?? device.id);
    if (host.vars.outpost_port !== undefined) expect(device.port).toBe(Number(host.vars.outpost_port));
  }
}

/**
 * The real CLI, limited to the one plugin the format needs and made to fail (not just warn) when
 * it cannot parse the file — by default ansible-inventory exits 0 with a partial or empty list.
 * `tempDir` takes Ansible's local temp files, so nothing is left in ~/.ansible.
 */
export async function ansibleInventoryList(file: string, plugin: 'ini' | 'yaml', tempDir: string): Promise<AnsibleList> {
  const { stdout } = await promisify(execFile)('ansible-inventory', ['-i', file, '--list'], {
    cwd: dirname(file), // no ansible.cfg from the repository
    env: {
      ...process.env,
      ANSIBLE_INVENTORY_ENABLED: plugin,
      ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
      ANSIBLE_LOCAL_TEMP: tempDir,
      ANSIBLE_NOCOLOR: '1',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as AnsibleList;
}
