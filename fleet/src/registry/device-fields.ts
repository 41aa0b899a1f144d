// Checks and conversions for the fields a device gets from fleet.yaml or from the host variables
// ansible-inventory reports. They throw FieldError with just the reason; the callers add the
// file, line and host.

export class FieldError extends Error {}

export const DEFAULT_DEVICE_PORT = 8080;

/** Hostnames and IPv4 addresses; what the rest of the monitor may use as a key and in URLs. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

// The same rule as OUTPOST_DEVICE_LABELS on the device (device/src/shared/env.ts envLabels), so a label
// set in the inventory can also be reported by the device itself.
const LABEL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$/;

export function checkDeviceId(id: string): string {
  if (id.trim() === '') throw new FieldError('the host id is empty');
  if (!DEVICE_ID_PATTERN.test(id)) {
    throw new FieldError(
      `the host id ${JSON.stringify(id)} is not valid: use a hostname or IPv4 address (letters, digits, '.', '-', '_'; ` +
        'at most 253 characters, starting with a letter or digit), and put other addresses in ansible_host',
    );
  }
  return id;
}

export function toPort(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new FieldError(`${field} must be an integer from 1 to 65535, got ${describeValue(value)}`);
  }
  return n;
}

export function toAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\S+$/.test(value.trim())) {
    throw new FieldError(`${field} must be a hostname or IP address, got ${describeValue(value)}`);
  }
  return value.trim();
}

/** A display name; empty means "use the id". */
export function toName(value: unknown, field: string): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new FieldError(`${field} must be a string, got ${describeValue(value)}`);
  return value.trim() === '' ? undefined : value.trim();
}

/** `k=v,k=v` text (INI) or a mapping of scalars (YAML). */
export function toLabels(value: unknown, field: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (value === undefined || value === null) return labels;
  if (typeof value === 'string') {
    for (const part of value.split(',')) {
      const item = part.trim();
      if (item === '') continue;
      const eq = item.indexOf('=');
      const key = eq === -1 ? item : item.slice(0, eq).trim();
      labels[checkLabelKey(key, field)] = eq === -1 ? '' : item.slice(eq + 1).trim();
    }
    return labels;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new FieldError(`${field} must be "k=v,k=v" or a mapping of label names to values, got ${describeValue(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) labels[checkLabelKey(key, field)] = '';
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') labels[checkLabelKey(key, field)] = String(v);
    else throw new FieldError(`${field}.${key} must be a string, number or boolean, got ${describeValue(v)}`);
  }
  return labels;
}

function checkLabelKey(key: string, field: string): string {
  if (!LABEL_KEY_PATTERN.test(key)) {
    throw new FieldError(`${field} has an invalid label name ${JSON.stringify(key)} (letters, digits, _ . - /; at most 63 characters)`);
  }
  return key;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // ansible-inventory prints a `!vault` value still encrypted, as {__ansible_vault: ciphertext}.
  if (value !== null && typeof value === 'object' && '__ansible_vault' in value) {
    return 'a vault-encrypted value (ansible-inventory --list does not decrypt these: keep this variable in plain text)';
  }
  if (Array.isArray(value)) return `a list (${truncate(json(value))})`;
  if (value !== null && typeof value === 'object') return `a mapping (${truncate(json(value))})`;
  return truncate(json(value));
}

/** JSON for a message; YAML anchors can make a value that contains itself. */
function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '…';
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
