// Loading YAML for the registry with line numbers for messages. Ansible inventories are read as
// Ansible's PyYAML loader reads them — YAML 1.1 (`yes`/`no`/`on`/`off` are booleans, 0755 is
// octal), but not `y`/`n` as booleans and dates kept as text (that is what ansible-inventory
// prints), `!vault` values as {__ansible_vault: ciphertext} (never decrypted here) and `!unsafe`
// as plain strings. fleet.yaml is our own format and uses plain YAML 1.2.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type ScalarTag,
  type Tags,
  type YAMLMap,
  visit,
} from 'yaml';
import { InventoryError } from './inventory-error.js';

export type YamlDialect = 'ansible' | 'fleet';

/** A mapping entry: a parsed Pair, or a stand-in for shorthand such as `hosts: web01`. */
export interface Entry {
  key: unknown;
  value: unknown;
}

const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

const ansibleTags: ScalarTag[] = [
  { tag: '!vault', resolve: (ciphertext) => ({ __ansible_vault: ciphertext }) },
  { tag: '!vault-encrypted', resolve: (ciphertext) => ({ __ansible_vault: ciphertext }) },
  { tag: '!unsafe', resolve: (text) => text },
];

function ansibleSchema(tags: Tags): Tags {
  const adjusted = tags
    .filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp')
    .map((t) => {
      if (typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:bool' || !('test' in t) || !t.test) return t;
      return { ...t, test: t.identify?.(true) ? PYYAML_TRUE : PYYAML_FALSE };
    });
  return [...adjusted, ...ansibleTags];
}

export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(
    text: string,
    readonly file: string | undefined,
    dialect: YamlDialect,
    warn: (message: string) => void,
  ) {
    this.doc = parseDocument(text, {
      lineCounter: this.lines,
      merge: true,
      uniqueKeys: true,
      ...(dialect === 'ansible' ? { version: '1.1' as const, customTags: ansibleSchema } : {}),
    });
    const [first] = this.doc.errors;
    if (first) {
      throw new InventoryError(`invalid YAML: ${firstLine(first.message)}`, { file, line: first.linePos?.[0].line });
    }
    // An alias inside the node it names (`a: &x {b: *x}`) is legal YAML but an endless inventory.
    visit(this.doc, {
      Alias: (_key, alias, path) => {
        const source = alias.resolve(this.doc);
        if (source && path.includes(source)) {
          throw new InventoryError(`the YAML alias *${alias.source} refers to a node that contains it`, { file, line: this.lineOf(alias) });
        }
      },
    });
    for (const w of this.doc.warnings) warn(`${file ?? 'inventory'}:${w.linePos?.[0].line ?? '?'}: ${firstLine(w.message)}`);
  }

  lineOf(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }

  /** Follows an alias to the node it names; null for an absent or null value. */
  deref(node: unknown): Node | null {
    const target = isAlias(node) ? node.resolve(this.doc) : node;
    if (target === undefined || target === null) return null;
    if (isScalar(target) && target.value === null) return null;
    return target as Node;
  }

  /** A map's pairs with `<<` merge keys expanded; the map's own keys win over merged ones. */
  pairs(map: YAMLMap): Pair[] {
    const own = new Set(map.items.filter((p) => !isMergeKey(p)).map((p) => this.keyText(p)));
    const seen = new Set<string>();
    const out: Pair[] = [];
    for (const pair of map.items) {
      const candidates = isMergeKey(pair) ? this.mergedPairs(pair.value) : [pair];
      for (const p of candidates) {
        const key = this.keyText(p);
        if (p !== pair && own.has(key)) continue;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(p);
      }
    }
    return out;
  }

  keyText(pair: Entry): string {
    const key = this.deref(pair.key);
    return isScalar(key) ? String(key.value) : 'null';
  }

  /** The key if it is a string scalar (hosts and groups must be; numbers need quotes in Ansible). */
  stringKey(pair: Entry): string | undefined {
    const key = this.deref(pair.key);
    return isScalar(key) && typeof key.value === 'string' ? key.value : undefined;
  }

  toJS(node: unknown): unknown {
    const target = this.deref(node);
    return target === null ? null : target.toJS(this.doc);
  }

  private mergedPairs(value: unknown): Pair[] {
    const target = this.deref(value);
    const sources = isSeq(target) ? target.items.map((n) => this.deref(n)) : [target];
    return sources.flatMap((m) => (isMap(m) ? this.pairs(m) : []));
  }
}

export function describeNode(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return `${typeof node.value === 'string' ? 'the string' : 'the value'} ${JSON.stringify(node.value)}`;
  return 'something else';
}

function isMergeKey(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol';
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
