// The fleet monitor's device list, from the Ansible inventory the playbooks use (INI or YAML) or
// from a simpler fleet.yaml. Pure: text in, devices out, or an InventoryError that says where and
// what is wrong. The Ansible formats are read as ansible-inventory reads them (checked against
// the real CLI in inventory-ansible.int.test.ts); group_vars/ and host_vars/ directories next to
// the inventory are not read.
import { extname } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { DEFAULT_DEVICE_PORT } from './device-fields.js';
import { parseFleetFile } from './fleet-file.js';
import { parseIniInventory } from './ini-inventory.js';
import { InventoryGraph } from './inventory-graph.js';
import { parseYamlInventory } from './yaml-inventory.js';

export { DEFAULT_DEVICE_PORT, DEVICE_ID_PATTERN } from './device-fields.js';
export { InventoryError } from './inventory-error.js';

export interface InventoryDevice {
  /** The inventory hostname (or fleet.yaml id). */
  id: string;
  /** outpost_device_name, else the id. */
  name: string;
  /** outpost_address, else ansible_host, else the id. */
  address: string;
  /** outpost_port, else the default port. */
  port: number;
  /** Every group the host is in, parents through :children included; sorted; never all/ungrouped. */
  groups: string[];
  /** outpost_labels ("k=v,k=v" or a mapping). */
  labels: Record<string, string>;
  /**
   * The host's merged variables (all < parent groups < child groups < host). These can hold
   * secrets (ansible_password, ansible_become_password, vault ciphertext): never serve them as is.
   */
  vars: Record<string, unknown>;
}

export type InventoryFormat = 'ini' | 'yaml' | 'fleet';

export interface ParseInventoryOptions {
  /** 'auto' (the default) decides by file extension, then by content; see detectInventoryFormat. */
  format?: InventoryFormat | 'auto';
  /** Named in error messages, and used to detect the format. */
  file?: string;
  defaultPort?: number;
  /** Things Ansible also only warns about (an unknown key in a YAML group, an unknown tag). */
  onWarning?: (message: string) => void;
}

export function parseInventory(text: string, opts: ParseInventoryOptions = {}): InventoryDevice[] {
  const defaultPort = opts.defaultPort ?? DEFAULT_DEVICE_PORT;
  if (!Number.isInteger(defaultPort) || defaultPort < 1 || defaultPort > 65535) {
    throw new RangeError(`defaultPort must be an integer from 1 to 65535, got ${defaultPort}`);
  }
  const warn = opts.onWarning ?? (() => undefined);
  const format = opts.format === undefined || opts.format === 'auto' ? detectInventoryFormat(text, opts.file) : opts.format;
  if (format === 'fleet') return parseFleetFile(text, opts.file, defaultPort, warn);
  const graph = new InventoryGraph(opts.file);
  if (format === 'ini') parseIniInventory(text, graph);
  else parseYamlInventory(text, opts.file, graph, warn);
  return graph.resolve(defaultPort);
}

/**
 * .ini/.cfg → ini; .yml/.yaml/.json → fleet if the document has a top-level `devices:` list,
 * else yaml. Any other name (or none): YAML-looking content (`key:` or `---` or `{` on the first
 * line that is not a comment) is treated like .yml, everything else is ini — which is also how
 * Ansible treats an inventory file without an extension (YAML first, then INI).
 */
export function detectInventoryFormat(text: string, file?: string): InventoryFormat {
  const ext = file ? extname(file).toLowerCase() : '';
  if (ext === '.ini' || ext === '.cfg') return 'ini';
  if (ext === '.yml' || ext === '.yaml' || ext === '.json' || looksLikeYaml(text)) return hasDevicesList(text) ? 'fleet' : 'yaml';
  return 'ini';
}

function looksLikeYaml(text: string): boolean {
  const first = firstContentLine(text, 0);
  return first !== undefined && /^(?:---|\{|[^\s[=]+:(?:\s|$))/.test(first.trim());
}

const TOP_LEVEL_DEVICES = /^(["']?)devices\1[ \t]*:(?=[ \t]|$)([^\r\n]*)/gm;
const TOP_LEVEL_DEFAULTS = /^(["']?)defaults\1[ \t]*:/m;

/**
 * Whether the document's top level has `devices:` holding a list. Read from the text rather
 * than by parsing, because YAML parsing is most of the cost of a large inventory and the file is
 * parsed properly right after; layouts this cannot judge (flow style, anchors, tags) are parsed.
 */
function hasDevicesList(text: string): boolean {
  if (firstContentLine(text, 0)?.trim().startsWith('{')) return parsedHasDevicesList(text);
  TOP_LEVEL_DEVICES.lastIndex = 0;
  const m = TOP_LEVEL_DEVICES.exec(text);
  if (!m) return false;
  const inline = (m[2] ?? '').trim();
  if (inline.startsWith('[')) return true;
  if (inline !== '' && !inline.startsWith('#')) return parsedHasDevicesList(text);
  const next = firstContentLine(text, m.index + m[0].length);
  if (next?.trim().startsWith('-')) return true;
  // `devices:` with nothing under it: ours if there is a top-level `defaults:` too.
  return (next === undefined || !/^\s/.test(next)) && TOP_LEVEL_DEFAULTS.test(text);
}

function parsedHasDevicesList(text: string): boolean {
  const doc = parseDocument(text);
  return doc.errors.length === 0 && isMap(doc.contents) && isSeq(doc.contents.get('devices', true));
}

const CONTENT_LINE = /^[ \t]*[^\s#;][^\r\n]*/gm;

/** The first line from `from` on that is not blank or a comment, with its indentation. */
function firstContentLine(text: string, from: number): string | undefined {
  CONTENT_LINE.lastIndex = from === 0 && text.startsWith('\uFEFF') ? 1 : from;
  return CONTENT_LINE.exec(text)?.[0];
}
