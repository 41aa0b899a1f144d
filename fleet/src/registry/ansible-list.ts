// What `ansible-inventory --list` printed, as the monitor's devices. Ansible has already done the
// work (ranges, children, variable precedence, group_vars/ and host_vars/): every host is a
// device, with fields from the host variables Ansible merged for it:
//
//   id       the inventory hostname (a hostname or IPv4 address, see checkDeviceId)
//   name     outpost_device_name, else the id
//   address  outpost_address (the VPN address when Ansible connects some other way, e.g. through
//            a jump host), else ansible_host, else the id
//   port     outpost_port, else the default port (8080)
//   labels   outpost_labels, "k=v,k=v" text or a mapping
//   groups   every group the host is in, parents through children included, sorted; never
//            all or ungrouped
import { checkDeviceId, FieldError, toAddress, toLabels, toName, toPort } from './device-fields.js';
import type { AnsibleInventoryList } from './ansible-inventory.js';
import { compareNames } from './fleet-file.js';
import { InventoryError } from './inventory-error.js';
import type { InventoryDevice } from './inventory.js';

const IMPLICIT_GROUPS = new Set(['all', 'ungrouped']);

interface GroupEntry {
  hosts: string[];
  children: string[];
}

/** The devices in the order Ansible lists them (walking the groups from `all`), which follows the file. */
export function devicesFromAnsibleList(list: AnsibleInventoryList, file: string, defaultPort: number): InventoryDevice[] {
  const hostvars = list._meta?.hostvars ?? {};
  const groups = new Map<string, GroupEntry>();
  const parents = new Map<string, string[]>();
  for (const [name, entry] of Object.entries(list)) {
    if (name === '_meta') continue;
    const { hosts, children } = (entry ?? {}) as { hosts?: unknown; children?: unknown };
    groups.set(name, { hosts: strings(hosts), children: strings(children) });
  }
  for (const [name, { children }] of groups) for (const child of children) parents.set(child, [...(parents.get(child) ?? []), name]);

  // A group and everything above it; Ansible refuses loops, the guard only keeps this finite.
  const lineage = new Map<string, string[]>();
  const lineageOf = (group: string, path: Set<string> = new Set()): string[] => {
    const known = lineage.get(group);
    if (known) return known;
    const out = new Set([group]);
    path.add(group);
    for (const p of parents.get(group) ?? []) if (!path.has(p)) for (const g of lineageOf(p, path)) out.add(g);
    path.delete(group);
    const result = [...out];
    lineage.set(group, result);
    return result;
  };

  const direct = new Map<string, Set<string>>();
  const visited = new Set<string>();
  const visit = (group: string): void => {
    if (visited.has(group)) return;
    visited.add(group);
    const entry = groups.get(group);
    if (!entry) return;
    for (const host of entry.hosts) direct.set(host, (direct.get(host) ?? new Set()).add(group));
    for (const child of entry.children) visit(child);
  };
  visit('all');
  for (const group of groups.keys()) visit(group);
  for (const host of Object.keys(hostvars)) if (!direct.has(host)) direct.set(host, new Set());

  return [...direct].map(([id, memberOf]) => {
    const vars = hostvars[id] ?? {};
    const field = <T>(key: string, convert: (value: unknown, field: string) => T): T | undefined => {
      if (vars[key] === undefined) return undefined;
      try {
        return convert(vars[key], key);
      } catch (err) {
        if (err instanceof FieldError) throw new InventoryError(err.message, { file, host: id });
        throw err;
      }
    };
    try {
      checkDeviceId(id);
    } catch (err) {
      throw new InventoryError((err as Error).message, { file, host: id });
    }
    const all = new Set<string>();
    for (const g of memberOf) for (const a of lineageOf(g)) if (!IMPLICIT_GROUPS.has(a)) all.add(a);
    return {
      id,
      name: field('outpost_device_name', toName) ?? id,
      address: field('outpost_address', toAddress) ?? field('ansible_host', toAddress) ?? id,
      port: field('outpost_port', toPort) ?? defaultPort,
      groups: [...all].sort(compareNames),
      labels: field('outpost_labels', toLabels) ?? {},
    };
  });
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
