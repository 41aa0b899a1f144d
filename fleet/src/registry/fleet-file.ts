// fleet.yaml: the registry's own format, for fleets that are not managed with Ansible.
//
//   defaults: {port: 8080, labels: {env: prod}}
//   devices:
//     - {id: web01, address: 10.66.0.11, port: 8081, name: Lisbon 1, groups: [lisbon], labels: {rack: r1}}
//
// Unknown keys are errors (a typo such as `adress` must not silently fall back to the id). The
// same id may appear twice if both entries agree on address, port, name and label values; their
// groups and labels are then combined.
import { isMap, isSeq, type Node, type YAMLMap } from 'yaml';
import { checkDeviceId, describeValue, FieldError, toAddress, toLabels, toName, toPort } from './device-fields.js';
import { InventoryError } from './inventory-error.js';
import { compareNames } from './inventory-graph.js';
import type { InventoryDevice } from './inventory.js';
import { describeNode, YamlSource } from './yaml-source.js';

const TOP_KEYS = ['defaults', 'devices'];
const DEFAULT_KEYS = ['port', 'labels'];
const DEVICE_KEYS = ['id', 'address', 'port', 'name', 'groups', 'labels'];
const GROUP_NAME = /^[^\s:\]]+$/;

interface Field {
  key: Node;
  value: Node | null;
}

interface Listed {
  id: string;
  line: number | undefined;
  address: string;
  port: number;
  name: string | undefined;
  groups: Set<string>;
  /** Labels given on the device itself (defaults.labels are applied under them at the end). */
  labels: Record<string, string>;
}

export function parseFleetFile(text: string, file: string | undefined, defaultPort: number, warn: (message: string) => void): InventoryDevice[] {
  const src = new YamlSource(text, file, 'fleet', warn);
  const fail = (reason: string, node?: unknown, host?: string): InventoryError =>
    new InventoryError(reason, { file, line: src.lineOf(node), host });

  /** The mapping's entries by key, refusing keys not in `allowed`. */
  const fieldsOf = (map: YAMLMap, allowed: string[], where: string): Map<string, Field> => {
    const out = new Map<string, Field>();
    for (const pair of src.pairs(map)) {
      const key = src.keyText(pair);
      if (!allowed.includes(key)) throw fail(`unknown key ${JSON.stringify(key)} in ${where} (expected ${allowed.join(', ')})`, pair.key);
      out.set(key, { key: pair.key as Node, value: src.deref(pair.value) });
    }
    return out;
  };
  const convert = <T>(field: Field | undefined, name: string, fn: (value: unknown, field: string) => T, host?: string): T | undefined => {
    if (!field || field.value === null) return undefined;
    try {
      return fn(src.toJS(field.value), name);
    } catch (err) {
      if (err instanceof FieldError) throw fail(err.message, field.key, host);
      throw err;
    }
  };

  const root = src.deref(src.doc.contents);
  if (root === null) return [];
  if (!isMap(root)) throw fail(`fleet.yaml must be a mapping with "devices" (and optional "defaults"), got ${describeNode(root)}`, root);
  const top = fieldsOf(root, TOP_KEYS, 'fleet.yaml');

  let port = defaultPort;
  let defaultLabels: Record<string, string> = {};
  const defaults = top.get('defaults');
  if (defaults && defaults.value !== null) {
    if (!isMap(defaults.value)) throw fail(`defaults must be a mapping, got ${describeNode(defaults.value)}`, defaults.key);
    const d = fieldsOf(defaults.value, DEFAULT_KEYS, 'defaults');
    port = convert(d.get('port'), 'defaults.port', toPort) ?? port;
    defaultLabels = convert(d.get('labels'), 'defaults.labels', toLabels) ?? defaultLabels;
  }

  const list = top.get('devices');
  if (!list || list.value === null) return [];
  if (!isSeq(list.value)) throw fail(`devices must be a list, got ${describeNode(list.value)}`, list.key);

  const byId = new Map<string, Listed>();
  list.value.items.forEach((item, index) => {
    const node = src.deref(item);
    const where = `devices[${index}]`;
    if (!isMap(node)) throw fail(`${where} must be a mapping with at least an id, got ${describeNode(node)}`, item);
    const f = fieldsOf(node, DEVICE_KEYS, where);

    const idField = f.get('id');
    const idValue = idField ? src.toJS(idField.value) : undefined;
    if (typeof idValue !== 'string') throw fail(`${where}.id must be a string, got ${describeValue(idValue)}`, idField?.key ?? node);
    const id = convert(idField, `${where}.id`, () => checkDeviceId(idValue)) as string;

    const entry: Listed = {
      id,
      line: src.lineOf(node),
      address: convert(f.get('address'), 'address', toAddress, id) ?? id,
      port: convert(f.get('port'), 'port', toPort, id) ?? port,
      name: convert(f.get('name'), 'name', toName, id),
      groups: new Set(convert(f.get('groups'), 'groups', toGroups, id)),
      labels: convert(f.get('labels'), 'labels', toLabels, id) ?? {},
    };
    const first = byId.get(id);
    if (!first) {
      byId.set(id, entry);
      return;
    }
    const firstAt = `first at line ${first.line ?? '?'}`;
    const conflict = (what: string, a: string, b: string) => fail(`listed twice with different ${what}: ${a} (${firstAt}) and ${b}`, node, id);
    if (first.address !== entry.address || first.port !== entry.port) {
      throw conflict('addresses', `${first.address}:${first.port}`, `${entry.address}:${entry.port}`);
    }
    if (first.name !== undefined && entry.name !== undefined && first.name !== entry.name) {
      throw conflict('names', JSON.stringify(first.name), JSON.stringify(entry.name));
    }
    for (const [key, value] of Object.entries(entry.labels)) {
      const had = first.labels[key];
      if (had !== undefined && had !== value) throw conflict(`values for label ${key}`, JSON.stringify(had), JSON.stringify(value));
    }
    first.name ??= entry.name;
    for (const g of entry.groups) first.groups.add(g);
    Object.assign(first.labels, entry.labels);
  });

  return [...byId.values()].map((d) => {
    const name = d.name ?? d.id;
    const labels = { ...defaultLabels, ...d.labels };
    return {
      id: d.id,
      name,
      address: d.address,
      port: d.port,
      groups: [...d.groups].sort(compareNames),
      labels,
      // The fields again under their Ansible names, so consumers can read vars from either source.
      vars: { ansible_host: d.address, outpost_port: d.port, outpost_device_name: name, outpost_labels: labels },
    };
  });
}

function toGroups(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new FieldError(`${field} must be a list of group names, got ${describeValue(value)}`);
  const groups = new Set<string>();
  for (const g of list) {
    if (typeof g !== 'string' || !GROUP_NAME.test(g)) throw new FieldError(`${field} has an invalid group name ${describeValue(g)}`);
    if (g !== 'all' && g !== 'ungrouped') groups.add(g);
  }
  return [...groups];
}
