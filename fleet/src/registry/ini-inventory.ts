// Ansible's INI inventory format, read the way ansible.plugins.inventory.ini reads it:
// - lines before any section are hosts of 'ungrouped'; `#` and `;` start a comment line;
// - `[group]` lists hosts (`host key=value ...`, split like a POSIX shell: quotes group, a `#`
//   ends the line — but `;` is only a comment at the start of a line), `[group:vars]` has
//   `key=value` lines, `[group:children]` names child groups;
// - every value goes through Python's literal_eval (python-literal.ts);
// - a group named in `:children` or given `:vars` must be declared with `[group]` or
//   `[group:children]` somewhere in the file.
// Where Ansible would report a confusing error (a malformed `[section]` header is read as a host
// range there), the message here says what is wrong with the line.
import { expandHostPattern, HostPatternError } from './host-pattern.js';
import type { InventoryGraph } from './inventory-graph.js';
import { iniValue } from './python-literal.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface PendingReference {
  group: string;
  line: number;
  message: string;
}

export function parseIniInventory(text: string, graph: InventoryGraph): void {
  const declared = new Set(['all', 'ungrouped']);
  const references: PendingReference[] = [];
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;

    if (line.startsWith('[')) {
      const m = SECTION.exec(line);
      if (!m) {
        throw graph.error(
          `bad section header ${line}: expected [group], [group:vars] or [group:children] (no spaces; comments after it start with #)`,
          lineNo,
        );
      }
      const name = m[1] as string;
      const kind = m[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        throw graph.error(`section [${name}:${kind}] has unknown type "${kind}" (expected vars or children)`, lineNo);
      }
      group = name;
      state = kind;
      graph.addGroup(group, lineNo);
      if (kind === 'vars') references.push({ group, line: lineNo, message: `section [${group}:vars] is for a group that is never declared` });
      else declared.add(group);
      return;
    }

    if (state === 'hosts') {
      parseHostLine(line, lineNo, group, graph);
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq === -1) throw graph.error(`expected key=value in [${group}:vars], got: ${line}`, lineNo);
      const key = line.slice(0, eq).trim();
      if (key === '') throw graph.error(`a variable name is empty in [${group}:vars]: ${line}`, lineNo);
      // No comment stripping here, as in Ansible: `x=9000 # note` is 9000 (literal_eval skips the
      // comment) but `x=lisbon # note` is the string "lisbon # note".
      graph.setGroupVar(group, key, iniValue(line.slice(eq + 1).trim()), lineNo);
    } else {
      const m = GROUP_NAME.exec(line);
      if (!m) throw graph.error(`expected a group name in [${group}:children], got: ${line}`, lineNo);
      const child = m[1] as string;
      references.push({ group: child, line: lineNo, message: `[${group}:children] includes undefined group ${JSON.stringify(child)}` });
      graph.addChild(group, child, lineNo);
    }
  });

  const undeclared = references.find((r) => !declared.has(r.group));
  if (undeclared) throw graph.error(`${undeclared.message} (declare it with [${undeclared.group}])`, undeclared.line);
}

function parseHostLine(line: string, lineNo: number, group: string, graph: InventoryGraph): void {
  let tokens: string[];
  try {
    tokens = shellSplit(line);
  } catch (err) {
    throw graph.error(`cannot parse host line ${JSON.stringify(line)}: ${(err as Error).message}`, lineNo);
  }
  const [pattern, ...assignments] = tokens;
  if (pattern === undefined) return; // only a comment after all

  const vars: [string, unknown][] = [];
  for (const token of assignments) {
    const eq = token.indexOf('=');
    if (eq === -1) {
      const hint = token.startsWith(';') ? ' (inline comments start with #; ; is a comment only at the start of a line)' : '';
      throw graph.error(`expected key=value host variable, got: ${token}${hint}`, lineNo);
    }
    if (eq === 0) throw graph.error(`a variable name is empty in: ${token}`, lineNo);
    vars.push([token.slice(0, eq), iniValue(token.slice(eq + 1))]);
  }

  let expanded;
  try {
    expanded = expandHostPattern(pattern);
  } catch (err) {
    if (err instanceof HostPatternError) throw graph.error(err.message, lineNo);
    throw err;
  }
  for (const host of expanded.hosts) {
    graph.addHost(host, group, lineNo);
    if (expanded.port !== undefined) graph.setHostVar(host, 'ansible_port', expanded.port, lineNo);
    for (const [key, value] of vars) graph.setHostVar(host, key, value, lineNo);
  }
}

/**
 * Python's shlex.split(line, comments=True): whitespace separates words, quotes group (no
 * escapes inside '...', only \" and \\ inside "..."), a backslash outside quotes escapes the
 * next character, and `#` outside quotes ends the line even in the middle of a word.
 */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '#') {
      break;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error('no escaped character');
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'" || c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('no closing quotation');
        const d = line[i] as string;
        if (d === c) {
          i++;
          break;
        }
        if (c === '"' && d === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
