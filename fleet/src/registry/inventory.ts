// The fleet monitor's device list from OUTPOST_FLEET_INVENTORY, which names one of two things:
// - a fleet.yaml (fleet-file.ts, which says exactly what counts as one): the registry's own
//   format, rendered from the playbooks' inventory by the outpost_fleet role; read here;
// - anything else: an Ansible inventory (INI, YAML, JSON, a script, a directory of them, with
//   group_vars/ and host_vars/), read by Ansible itself through `ansible-inventory --list`
//   (ansible-inventory.ts), whose answer ansible-list.ts turns into devices.
// Either way the result is the same device list, or an InventoryError that says what is wrong.
import { readFile, stat } from 'node:fs/promises';
import { runAnsibleInventory, type AnsibleInventoryOptions } from './ansible-inventory.js';
import { devicesFromAnsibleList } from './ansible-list.js';
import { DEFAULT_DEVICE_PORT } from './device-fields.js';
import { readFleetFile } from './fleet-file.js';
import { InventoryError } from './inventory-error.js';

export { DEFAULT_DEVICE_PORT } from './device-fields.js';
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
  /** Every group the host is in, parents through children included; sorted; never all/ungrouped. */
  groups: string[];
  /** outpost_labels ("k=v,k=v" or a mapping). */
  labels: Record<string, string>;
}

export type InventoryKind = 'fleet.yaml' | 'ansible';

export interface LoadInventoryOptions extends AnsibleInventoryOptions {
  defaultPort?: number;
}

export interface LoadedInventory {
  kind: InventoryKind;
  devices: InventoryDevice[];
  /** What Ansible warned about (nothing for a fleet.yaml). */
  warnings: string[];
}

export async function loadInventory(file: string, opts: LoadInventoryOptions = {}): Promise<LoadedInventory> {
  const defaultPort = opts.defaultPort ?? DEFAULT_DEVICE_PORT;
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(file)).isDirectory();
  } catch (err) {
    throw unreadable(err, file);
  }
  if (!isDirectory) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw unreadable(err, file);
    }
    const devices = readFleetFile(text, file, defaultPort);
    if (devices) return { kind: 'fleet.yaml', devices, warnings: [] };
  }
  const { list, warnings } = await runAnsibleInventory(file, opts);
  return { kind: 'ansible', devices: devicesFromAnsibleList(list, file, defaultPort), warnings };
}

function unreadable(err: unknown, file: string): InventoryError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new InventoryError('the inventory file does not exist', { file }, { cause: err });
  return new InventoryError(`cannot read the inventory: ${(err as Error).message}`, { file }, { cause: err });
}
