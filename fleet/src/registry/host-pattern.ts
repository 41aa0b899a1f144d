// Host patterns as Ansible reads them in INI and YAML inventories: an optional `:port` suffix
// (which becomes ansible_port) and `[begin:end(:step)]` ranges that expand to several hosts.
// Follows ansible.plugins.inventory.expand_hostname_range and parsing.utils.addresses, except
// that a range which would silently produce no hosts (begin after end, a step below 1) is an
// error here: a fleet monitor that quietly watches fewer devices than the file lists is worse
// than one that says why it refuses the file.

export interface HostPattern {
  hosts: string[];
  /** From `host:port`; Ansible stores it as ansible_port (the SSH port), not outpost_port. */
  port: number | undefined;
}

export class HostPatternError extends Error {}

// What Ansible accepts as the host part before a `:port` (parse_address): IPv4 with numeric
// ranges, or DNS-like labels with ranges. Anything else is taken whole as the name, port included.
const NUMERIC_RANGE = String.raw`\[\d+:\d+(?::\d+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|\d+:\d+)(?::\d+)?\]`;
const IPV4_PART = String.raw`(?:[01]?\d{1,2}|2[0-4]\d|25[0-5]|${NUMERIC_RANGE})`;
const IPV4 = new RegExp(String.raw`^(?:${IPV4_PART}\.){3}${IPV4_PART}$`, 'i');
const LABEL = String.raw`(?:[\p{L}\p{N}_]|${ALNUM_RANGE})(?:[\p{L}\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu');
// Good enough to recognise "[fd00::1]:22"; the id check rejects IPv6 ids anyway, with a message.
const IPV6 = /^[0-9a-f]*:[0-9a-f:.]*$/i;
const BRACKETED_HOST_PORT = /^\[(.+)\]:(\d+)$/;
const HOST_PORT = /^((?:[^:[\]]|\[[^\]]*\])*):(\d+)$/;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'; // Python's string.ascii_letters

export function expandHostPattern(pattern: string): HostPattern {
  let host = pattern;
  let port: number | undefined;
  const bracketed = BRACKETED_HOST_PORT.exec(pattern);
  const plain = bracketed ? null : HOST_PORT.exec(pattern);
  const m = bracketed ?? plain;
  if (m) {
    const candidate = m[1] as string;
    if (IPV4.test(candidate) || HOSTNAME.test(candidate) || (bracketed && IPV6.test(candidate))) {
      host = candidate;
      port = Number(m[2]);
    }
  }
  if (host.trim().endsWith(':') && port === undefined) {
    throw new HostPatternError(`invalid host pattern '${pattern}': a trailing ':' must be followed by a port`);
  }
  if (host.trim() === '---') {
    throw new HostPatternError(`invalid host pattern '${pattern}': '---' is normally a sign this is a YAML file`);
  }
  const hosts: string[] = [];
  expandRanges(host, pattern, hosts);
  return { hosts, port };
}

const MAX_HOSTS_PER_PATTERN = 100_000;

function expandRanges(name: string, pattern: string, out: string[]): void {
  const open = name.indexOf('[');
  if (open === -1) {
    if (out.length >= MAX_HOSTS_PER_PATTERN) throw new HostPatternError(`host pattern '${pattern}' expands to too many hosts`);
    out.push(name);
    return;
  }
  const close = name.indexOf(']', open);
  if (close === -1) throw new HostPatternError(`host range in '${pattern}' has no closing ']'`);
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const bounds = name.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostPatternError(`host range in '${pattern}' must be [begin:end] or [begin:end:step]`);
  }
  const begin = bounds[0] || '0';
  const end = bounds[1] as string;
  const stepText = bounds[2] ?? '1';
  if (!end) throw new HostPatternError(`host range in '${pattern}' must specify an end value`);
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
    throw new HostPatternError(`host range in '${pattern}' has step '${stepText}': it must be an integer of at least 1`);
  }
  const step = Number(stepText);

  let items: string[];
  const alphaBegin = begin.length === 1 ? LETTERS.indexOf(begin) : -1;
  const alphaEnd = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (alphaBegin !== -1 && alphaEnd !== -1) {
    if (alphaBegin > alphaEnd) throw new HostPatternError(`host range in '${pattern}' must have begin <= end`);
    items = [];
    for (let i = alphaBegin; i <= alphaEnd; i += step) items.push(LETTERS[i] as string);
  } else {
    if (!/^\d+$/.test(begin) || !/^\d+$/.test(end)) {
      throw new HostPatternError(`host range in '${pattern}' must be numeric ([01:10]) or single letters ([a:f])`);
    }
    // A leading zero means "keep this width" (web[01:10] → web01 … web10), as in Ansible.
    const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
    if (width && end.length !== width) {
      throw new HostPatternError(`host range in '${pattern}' must have begin and end of equal length when zero-padded`);
    }
    const from = Number(begin);
    const to = Number(end);
    if (from > to) throw new HostPatternError(`host range in '${pattern}' must have begin <= end`);
    if ((to - from) / step >= MAX_HOSTS_PER_PATTERN) throw new HostPatternError(`host pattern '${pattern}' expands to too many hosts`);
    items = [];
    for (let i = from; i <= to; i += step) items.push(String(i).padStart(width, '0'));
  }
  for (const item of items) expandRanges(head + item + tail, pattern, out);
}
