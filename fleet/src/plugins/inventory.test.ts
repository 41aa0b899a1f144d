import { describe, expect, it } from 'vitest';

import { loadFleetConfig } from '../config.js';
import { devicesOf } from './inventory.js';
import type { InventoryDevice } from '../registry/inventory.js';

function host(id: string, groups: string[]): InventoryDevice {
  return { id, name: id, address: id, port: 8080, groups, labels: {} };
}

const inventory = [host('fleet1', ['fleet']), host('tb1', ['devices', 'lab']), host('tb2', ['devices'])];

describe('devicesOf', () => {
  it('takes the hosts of the group "devices" when the inventory has one, so the fleet host is not polled', () => {
    expect(devicesOf(inventory, undefined).map((d) => d.id)).toEqual(['tb1', 'tb2']);
  });

  it('takes every host when there is no "devices" group', () => {
    expect(devicesOf([host('a', ['lab']), host('b', [])], undefined).map((d) => d.id)).toEqual(['a', 'b']);
  });

  it('takes the configured group', () => {
    expect(devicesOf(inventory, 'lab').map((d) => d.id)).toEqual(['tb1']);
  });

  it('refuses a group name that cannot be an inventory group, naming the variable', () => {
    expect(() => loadFleetConfig({ OUTPOST_FLEET_INVENTORY_GROUP: 'two words' })).toThrow(/OUTPOST_FLEET_INVENTORY_GROUP/);
  });
});
