// fleet.yaml: the registry's own device list. The outpost_fleet role renders it from the
// playbooks' inventory on every run, so the monitor needs no Ansible; it can be written by hand too.
//
//   defaults:                # optional
//     port: 8080             # optional: port of devices that give none (default 8080)
//     labels: {env: prod}    # optional: labels every device has (a device's own labels win)
//   devices:                 # a list; `devices: []` for none
//     - id: web01            # required: a string, hostname or IPv4 address: [A-Za-z0-9][A-Za-z0-9_.-]{0,252}
//       address: 10.66.0.11  # optional: where the monitor polls it, a string without spaces (default: the id)
//       port: 8081           # optional: 1-65535, a number or a string of digits (default: defaults.port)
//       name: Lisbon 1       # optional: display name, a string or number; empty means the id
//       groups: [lisbon]     # optional: a list of group names, or one name; names have no spaces,
//                            #   ':' or ']'; all and ungrouped are dropped
//       labels: {rack: r1}   # optional: label name -> string, number, boolean or null (""), or
//                            #   "rack=r1,floor=0" text; names [A-Za-z0-9][A-Za-z0-9_./-]{0,62}
//
// Plain YAML 1.2 (JSON too); anchors and `<<` merge keys work; a field set to null counts as not
// given. A duplicate key or an unknown key is an error (a typo such as `adress` must not silently
// fall back to the id). The same id may appear twice if both entries agree on address, port, name
// and label values; their groups and labels are then combined. Devices keep the order of the
// file; their groups are sorted. These are the same fields, with the same checks, that an Ansible
// inventory's hosts get from outpost_address/ansible_host, outpost_port, outpost_device_name,
// group membership and outpost_labels (ansible-list.ts), so the role can pass those through.
//
// Which file is a fleet.yaml (anything else is an Ansible inventory, see inventory.ts): a YAML
// mapping whose `devices` holds a list, or is empty with `defaults` as the only other key; a
// file with nothing but comments (no devices); and a file that is not valid YAML but has a line
// starting with `devices:`, so that a broken fleet.yaml gets its YAML error, not Ansible's.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { checkDeviceId, describeValue, FieldError, toAddress, toLabels, toName, toPort } from './device-fields.js';
import { InventoryError } from './inventory-error.js';
import type { InventoryDevice } from './inventory.js';

const TOP_KEYS = ['defaults', 'devices'];
const DEFAULT_KEYS = ['port', 'labels'];
const DEVICE_KEYS = ['id', 'address', 'port', 'name', 'groups', 'labels'];
const GROUP_NAME = /^[^\s:\]]+$/;
const DEVICES_LINE = /^["']?devices["']?[ \t]*:/m;
// The YAML library refuses more uses of anchors than this (against "billion laughs" files); a
// rendered fleet.yaml may legitimately share one labels mapping between thousands of devices.
const MAX_ALIAS_COUNT = 1_000_000;

type Mapping = Record<string, unknown>;

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

/** The devices of a fleet.yaml; undefined when the text is not one (then it is an Ansible inventory). */
export function readFleetFile(text: string, file: string, defaultPort: number): InventoryDevice[] | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true });
  const [syntaxError] = doc.errors;
  if (syntaxError) {
    if (!DEVICES_LINE.test(text)) return undefined;
    throw new InventoryError(`invalid YAML: ${firstLine(syntaxError.message)}`, { file, line: syntaxError.linePos?.[0].line });
  }
  const rootNode = deref(doc, doc.contents);
  if (rootNode === null) return [];
  if (!isMap(rootNode) || !isFleetDocument(doc, rootNode)) return undefined;
  const devicesNode = deref(doc, rootNode.get('devices', true));

  /** The line of `key` in the mapping `node` (or of the node itself). */
  const lineOf = (node: unknown, key?: string): number | undefined => {
    const target = deref(doc, node);
    const pair = key !== undefined && isMap(target) ? target.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined;
    const range = (pair?.key as Node | undefined)?.range ?? target?.range;
    return range ? lines.linePos(range[0]).line : undefined;
  };
  const fail = (reason: string, line: number | undefined, host?: string) => new InventoryError(reason, { file, line, host });
  const checkKeys = (value: Mapping, node: unknown, allowed: string[], where: string): void => {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) throw fail(`unknown key ${JSON.stringify(key)} in ${where} (expected ${allowed.join(', ')})`, lineOf(node, key));
    }
  };
  /** A field through its conversion; absent or null is undefined. */
  const field = <T>(value: Mapping, node: unknown, key: string, name: string, convert: (v: unknown, f: string) => T, host?: string): T | undefined => {
    if (value[key] === undefined || value[key] === null) return undefined;
    try {
      return convert(value[key], name);
    } catch (err) {
      if (err instanceof FieldError) throw fail(err.message, lineOf(node, key), host);
      throw err;
    }
  };

  let root: Mapping;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Mapping;
  } catch (err) {
    throw fail(`invalid YAML: ${(err as Error).message}`, undefined);
  }
  checkKeys(root, rootNode, TOP_KEYS, 'fleet.yaml');
  let port = defaultPort;
  let defaultLabels: Record<string, string> = {};
  const defaultsNode = rootNode.get('defaults', true);
  if (root.defaults !== undefined && root.defaults !== null) {
    if (!isMapping(root.defaults)) throw fail(`defaults must be a mapping, got ${describeValue(root.defaults)}`, lineOf(rootNode, 'defaults'));
    checkKeys(root.defaults, defaultsNode, DEFAULT_KEYS, 'defaults');
    port = field(root.defaults, defaultsNode, 'port', 'defaults.port', toPort) ?? port;
    defaultLabels = field(root.defaults, defaultsNode, 'labels', 'defaults.labels', toLabels) ?? defaultLabels;
  }

  const byId = new Map<string, Listed>();
  const list = (root.devices ?? []) as unknown[];
  list.forEach((device, index) => {
    const node = isSeq(devicesNode) ? devicesNode.items[index] : undefined;
    const where = `devices[${index}]`;
    if (!isMapping(device)) throw fail(`${where} must be a mapping with at least an id, got ${describeValue(device)}`, lineOf(node));
    checkKeys(device, node, DEVICE_KEYS, where);
    if (typeof device.id !== 'string') throw fail(`${where}.id must be a string, got ${describeValue(device.id)}`, lineOf(node, 'id'));
    const id = field(device, node, 'id', `${where}.id`, (v) => checkDeviceId(v as string)) as string;

    const entry: Listed = {
      id,
      line: lineOf(node),
      address: field(device, node, 'address', 'address', toAddress, id) ?? id,
      port: field(device, node, 'port', 'port', toPort, id) ?? port,
      name: field(device, node, 'name', 'name', toName, id),
      groups: new Set(field(device, node, 'groups', 'groups', toGroups, id)),
      labels: field(device, node, 'labels', 'labels', toLabels, id) ?? {},
    };
    const first = byId.get(id);
    if (!first) {
      byId.set(id, entry);
      return;
    }
    const firstAt = `first at line ${first.line ?? '?'}`;
    const conflict = (what: string, a: string, b: string) => fail(`listed twice with different ${what}: ${a} (${firstAt}) and ${b}`, entry.line, id);
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

  return [...byId.values()].map((d) => ({
    id: d.id,
    name: d.name ?? d.id,
    address: d.address,
    port: d.port,
    groups: [...d.groups].sort(compareNames),
    labels: { ...defaultLabels, ...d.labels },
  }));
}

/** `devices` holds a list, or is empty with `defaults` as the only other key (see the top). */
function isFleetDocument(doc: Document.Parsed, root: YAMLMap): boolean {
  const devices = deref(doc, root.get('devices', true));
  if (isSeq(devices)) return true;
  const keys = root.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
  return devices === null && keys.includes('devices') && keys.every((key) => TOP_KEYS.includes(key));
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

/** Code-point order, as Ansible (Python) sorts group names, not locale order. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The node an alias names; null for nothing or a null scalar. */
function deref(doc: Document.Parsed, node: unknown): Node | null {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (target === undefined || target === null || (isScalar(target) && target.value === null)) return null;
  return target as Node;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
