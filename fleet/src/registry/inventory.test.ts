// Which kind of inventory a path is. With no Ansible on PATH, so nothing here runs it: reading an
// Ansible inventory for real is in inventory-ansible.int.test.ts.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InventoryError, loadInventory } from './inventory.js';
import { EXAMPLE_FLEET } from './test-support.js';

const noAnsible = { env: { PATH: '/nonexistent' } };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-inventory-kind-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadInventory', () => {
  it('reads a fleet.yaml itself, without Ansible', async () => {
    const loaded = await loadInventory(join(import.meta.dirname, 'testdata', 'fleet.yaml'), noAnsible);
    expect(loaded.kind).toBe('fleet.yaml');
    expect(loaded.devices).toEqual(EXAMPLE_FLEET.map((d) => ({ ...d, labels: { country: 'pt', ...d.labels } })));
  });

  it.each([
    ['an INI inventory', 'hosts.ini', '[lisbon]\nlisbon-01 ansible_host=10.66.0.11\n'],
    ['a YAML inventory', 'hosts.yml', 'all:\n  hosts:\n    lisbon-01:\n'],
    ['an inventory without an extension', 'hosts', '[lisbon]\nlisbon-01\n'],
  ])('hands %s to ansible-inventory, and says so when Ansible is not installed', async (_what, name, text) => {
    const file = join(dir, name);
    await writeFile(file, text);
    const err = await loadInventory(file, noAnsible).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InventoryError);
    expect((err as Error).message).toBe(
      `${file}: ansible-inventory was not found on PATH: reading an Ansible inventory needs Ansible on this host ` +
        '(Debian: apt install ansible-core), or use a fleet.yaml (the outpost_fleet role renders one)',
    );
  });

  it('hands an inventory directory to ansible-inventory', async () => {
    const inventoryDir = join(dir, 'inventory');
    await mkdir(inventoryDir);
    await expect(loadInventory(inventoryDir, noAnsible)).rejects.toThrow(/ansible-inventory was not found on PATH/);
  });

  it('says when the file does not exist', async () => {
    await expect(loadInventory(join(dir, 'missing.ini'), noAnsible)).rejects.toThrow(`${join(dir, 'missing.ini')}: the inventory file does not exist`);
  });
});
