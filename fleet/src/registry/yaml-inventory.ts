// Ansible's YAML inventory format, read the way ansible.plugins.inventory.yaml reads it: top-level
// keys are groups (usually just `all`), each with optional `hosts`, `vars` and `children`;
// children are groups of the same shape, to any depth; a host maps to its variables or to nothing.
// Where Ansible only warns (an unknown key in a group, a top-level group that is not a mapping),
// this warns too; where Ansible fails, this throws an InventoryError with the line.
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import { expandHostPattern, HostPatternError } from './host-pattern.js';
import type { InventoryGraph } from './inventory-graph.js';
import { describeNode, YamlSource, type Entry } from './yaml-source.js';

const SECTIONS = new Set(['hosts', 'vars', 'children']);

export function parseYamlInventory(text: string, file: string | undefined, graph: InventoryGraph, warn: (message: string) => void): void {
  const src = new YamlSource(text, file, 'ansible', warn);
  const root = src.deref(src.doc.contents);
  if (root === null) throw graph.error('the YAML inventory is empty');
  if (!isMap(root)) {
    throw graph.error(
      `a YAML inventory must be a mapping of groups (all: {hosts: ..., vars: ..., children: ...}), got ${describeNode(root)}`,
      src.lineOf(root),
    );
  }
  const reader = new GroupReader(src, graph, warn);
  const pairs = src.pairs(root);
  const plugin = pairs.find((p) => src.keyText(p) === 'plugin');
  if (plugin && src.toJS(plugin.value)) {
    throw graph.error(
      `this is an inventory plugin configuration (plugin: ${String(src.toJS(plugin.value))}), not a static inventory; ` +
        'the fleet monitor reads static INI/YAML inventories or fleet.yaml',
      src.lineOf(plugin.key),
    );
  }
  for (const pair of pairs) reader.group(pair, undefined);
}

class GroupReader {
  constructor(
    private readonly src: YamlSource,
    private readonly graph: InventoryGraph,
    private readonly warn: (message: string) => void,
  ) {}

  /** Reads one `name: {hosts, vars, children}` entry; returns the group name if it is one. */
  group(pair: Entry, parent: string | undefined): string | undefined {
    const { src, graph } = this;
    const line = src.lineOf(pair.key);
    const name = src.stringKey(pair);
    if (name === undefined) {
      throw graph.error(`group name ${src.keyText(pair)} must be a string (quote it)`, line);
    }
    const body = src.deref(pair.value);
    if (body !== null && !isMap(body)) {
      if (parent !== undefined) {
        throw graph.error(`child group ${JSON.stringify(name)} of ${JSON.stringify(parent)} must be a mapping or empty, got ${describeNode(body)}`, line);
      }
      this.warn(`${this.where(line)}: skipping ${JSON.stringify(name)}: not a group (a mapping of hosts, vars and children), got ${describeNode(body)}`);
      return undefined;
    }
    graph.addGroup(name, line);
    if (body === null) return name;

    for (const entry of src.pairs(body)) {
      const key = src.keyText(entry);
      const entryLine = src.lineOf(entry.key);
      const value = src.deref(entry.value);
      if (!SECTIONS.has(key)) {
        this.warn(`${this.where(entryLine)}: group ${JSON.stringify(name)}: ignoring unexpected key ${JSON.stringify(key)} (only hosts, vars and children are valid)`);
        continue;
      }
      if (value === null) continue;
      const section = this.section(name, key, value, entryLine);
      for (const item of section) {
        if (key === 'vars') this.groupVar(name, item);
        else if (key === 'children') this.child(name, item);
        else this.hosts(name, item);
      }
    }
    return name;
  }

  /** A section's entries; a bare string is shorthand for a one-entry mapping, as in Ansible. */
  private section(group: string, key: string, value: Node, line: number | undefined): Entry[] {
    if (isScalar(value) && typeof value.value === 'string') return [{ key: value, value: null }];
    if (!isMap(value)) {
      const hint = key === 'hosts' ? ' (hosts: {web01: {}, web02: {}}, not a list)' : '';
      throw this.graph.error(`${key} of group ${JSON.stringify(group)} must be a mapping${hint}, got ${describeNode(value)}`, line);
    }
    return this.src.pairs(value);
  }

  private groupVar(group: string, item: Entry): void {
    this.graph.setGroupVar(group, this.src.keyText(item), this.src.toJS(item.value), this.src.lineOf(item.key));
  }

  private child(group: string, item: Entry): void {
    const child = this.group(item, group) as string;
    this.graph.addChild(group, child, this.src.lineOf(item.key));
  }

  private hosts(group: string, item: Entry): void {
    const { src, graph } = this;
    const line = src.lineOf(item.key);
    const pattern = src.stringKey(item);
    if (pattern === undefined) {
      throw graph.error(`host pattern ${src.keyText(item)} in group ${JSON.stringify(group)} must be a string (quote it)`, line);
    }
    let expanded;
    try {
      expanded = expandHostPattern(pattern);
    } catch (err) {
      if (err instanceof HostPatternError) throw graph.error(err.message, line);
      throw err;
    }

    const body = src.deref(item.value);
    let vars: Pair[] = [];
    if (isMap(body)) vars = src.pairs(body);
    else if (body !== null && src.toJS(body)) {
      // Ansible accepts only a mapping here (an empty value reads as no variables).
      throw graph.error(`the variables of host ${JSON.stringify(pattern)} must be a mapping or empty, got ${describeNode(body)}`, line);
    }
    for (const host of expanded.hosts) {
      graph.addHost(host, group, line);
      if (expanded.port !== undefined) graph.setHostVar(host, 'ansible_port', expanded.port, line);
      for (const v of vars) graph.setHostVar(host, src.keyText(v), src.toJS(v.value), src.lineOf(v.key));
    }
  }

  private where(line: number | undefined): string {
    return `${this.src.file ?? 'inventory'}${line !== undefined ? `:${line}` : ''}`;
  }
}
