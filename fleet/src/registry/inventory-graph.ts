// The groups-and-hosts graph both Ansible formats (INI and YAML) build, and how it becomes the
// device list. Mirrors ansible.inventory.data/group/host for the parts a static inventory uses:
// 'all' and 'ungrouped' always exist, groups without a parent hang under 'all', a host in no
// other group is in 'ungrouped', and a host's variables are merged from its groups ordered by
// (depth below 'all', ansible_group_priority, name), then its own — so all:vars < parent group
// vars < child group vars < host vars, and siblings at the same depth apply in name order.
import { checkDeviceId, FieldError, toAddress, toLabels, toName, toPort } from './device-fields.js';
import { InventoryError } from './inventory-error.js';
import type { InventoryDevice } from './inventory.js';

interface VarEntry {
  value: unknown;
  line: number | undefined;
}

interface GroupNode {
  name: string;
  vars: Map<string, VarEntry>;
  priority: number;
  parents: Set<string>;
  children: Set<string>;
}

interface HostNode {
  id: string;
  vars: Map<string, VarEntry>;
  groups: Set<string>;
}

const IMPLICIT_GROUPS = new Set(['all', 'ungrouped']);

export class InventoryGraph {
  private readonly groups = new Map<string, GroupNode>();
  private readonly hosts = new Map<string, HostNode>();

  constructor(private readonly file: string | undefined) {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  addGroup(name: string, line?: number): void {
    if (name.trim() === '') throw this.error('a group name is empty', line);
    if (!this.groups.has(name)) {
      this.groups.set(name, { name, vars: new Map(), priority: 1, parents: new Set(), children: new Set() });
    }
  }

  setGroupVar(group: string, key: string, value: unknown, line?: number): void {
    const node = this.groupNode(group, line);
    if (key === 'ansible_group_priority') {
      // Ansible turns this into the group's sort priority; it is not a variable hosts see.
      const n = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) {
        throw this.error(`ansible_group_priority of group ${JSON.stringify(group)} must be an integer, got ${JSON.stringify(value)}`, line);
      }
      node.priority = n;
      return;
    }
    node.vars.set(key, { value, line });
  }

  addHost(id: string, group: string, line?: number): void {
    try {
      checkDeviceId(id);
    } catch (err) {
      throw this.fieldError(err, line, id);
    }
    const groupNode = this.groupNode(group, line);
    let host = this.hosts.get(id);
    if (!host) {
      host = { id, vars: new Map(), groups: new Set() };
      this.hosts.set(id, host);
    }
    host.groups.add(groupNode.name);
  }

  setHostVar(id: string, key: string, value: unknown, line?: number): void {
    const host = this.hosts.get(id);
    if (!host) throw new Error(`setHostVar before addHost(${id})`);
    host.vars.set(key, { value, line });
  }

  addChild(parent: string, child: string, line?: number): void {
    const parentNode = this.groupNode(parent, line);
    const childNode = this.groupNode(child, line);
    if (child === 'all') throw this.error(`group "all" cannot be a child of ${JSON.stringify(parent)}`, line);
    if (child === parent) throw this.error(`group ${JSON.stringify(child)} cannot be a child of itself`, line);
    if (this.ancestors(parent).has(child)) {
      throw this.error(`adding group ${JSON.stringify(child)} as a child of ${JSON.stringify(parent)} creates a loop`, line);
    }
    parentNode.children.add(child);
    childNode.parents.add(parent);
  }

  /** The device list, in the order hosts first appear in the file. */
  resolve(defaultPort: number): InventoryDevice[] {
    const depths = new Map<string, number>();
    const depthOf = (name: string): number => {
      const known = depths.get(name);
      if (known !== undefined) return known;
      const parents = this.groupNode(name).parents;
      const depth = name === 'all' ? 0 : parents.size === 0 ? 1 : 1 + Math.max(...[...parents].map(depthOf));
      depths.set(name, depth);
      return depth;
    };
    // Thousands of hosts share a handful of group sets: work out each set's groups and merged
    // group vars once.
    const memberships = new Map<string, { groups: string[]; vars: Map<string, VarEntry> }>();
    const membershipOf = (direct: Set<string>) => {
      const key = [...direct].sort(compareNames).join('\n');
      let membership = memberships.get(key);
      if (!membership) {
        const memberOf = new Set<string>(['all']);
        for (const g of direct) {
          memberOf.add(g);
          for (const a of this.ancestors(g)) memberOf.add(a);
        }
        const ordered = [...memberOf]
          .map((name) => this.groupNode(name))
          .sort((a, b) => depthOf(a.name) - depthOf(b.name) || a.priority - b.priority || compareNames(a.name, b.name));
        const vars = new Map<string, VarEntry>();
        for (const group of ordered) for (const [k, entry] of group.vars) vars.set(k, entry);
        membership = { groups: [...memberOf].filter((g) => !IMPLICIT_GROUPS.has(g)).sort(compareNames), vars };
        memberships.set(key, membership);
      }
      return membership;
    };

    return [...this.hosts.values()].map((host) => {
      const direct = new Set(host.groups);
      if ([...direct].some((g) => !IMPLICIT_GROUPS.has(g))) direct.delete('ungrouped');
      else direct.add('ungrouped');
      const membership = membershipOf(direct);
      const merged = new Map(membership.vars);
      for (const [key, entry] of host.vars) merged.set(key, entry);

      const field = <T>(key: string, convert: (value: unknown, field: string) => T): T | undefined => {
        const entry = merged.get(key);
        if (entry === undefined) return undefined;
        try {
          return convert(entry.value, key);
        } catch (err) {
          throw this.fieldError(err, entry.line, host.id);
        }
      };

      return {
        id: host.id,
        name: field('outpost_device_name', toName) ?? host.id,
        // outpost_address: where the monitor reaches the device (its VPN address) when Ansible
        // connects some other way (a jump host, a published port).
        address: field('outpost_address', toAddress) ?? field('ansible_host', toAddress) ?? host.id,
        port: field('outpost_port', toPort) ?? defaultPort,
        groups: [...membership.groups],
        labels: field('outpost_labels', toLabels) ?? {},
        vars: Object.fromEntries([...merged].map(([key, entry]) => [key, entry.value])),
      };
    });
  }

  error(reason: string, line?: number, host?: string): InventoryError {
    return new InventoryError(reason, { file: this.file, line, host });
  }

  private fieldError(err: unknown, line: number | undefined, host: string): unknown {
    return err instanceof FieldError ? this.error(err.message, line, host) : err;
  }

  private groupNode(name: string, line?: number): GroupNode {
    this.addGroup(name, line);
    return this.groups.get(name) as GroupNode;
  }

  private ancestors(name: string): Set<string> {
    const seen = new Set<string>();
    const visit = (g: string): void => {
      for (const p of this.groups.get(g)?.parents ?? []) {
        if (!seen.has(p)) {
          seen.add(p);
          visit(p);
        }
      }
    };
    visit(name);
    return seen;
  }
}

/** Code-point order, as Python sorts group names (not locale order). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
