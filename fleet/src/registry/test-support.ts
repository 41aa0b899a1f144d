// For the registry's tests: the example fleet of testdata/ as devices, and catching an InventoryError.
import { expect } from 'vitest';
import { InventoryError, type InventoryDevice } from './inventory.js';

/** testdata/example.ini and example.yml as devices; testdata/fleet.yaml adds the label country=pt. */
export const EXAMPLE_FLEET: InventoryDevice[] = [
  { id: 'lisbon-01', name: 'Lisbon kiosk 1', address: '10.66.0.11', port: 8080, groups: ['canary', 'lisbon', 'portugal'], labels: { rack: 'r1', floor: '0' } },
  { id: 'lisbon-02', name: 'lisbon-02', address: '10.66.0.12', port: 8080, groups: ['lisbon', 'portugal'], labels: { rack: 'r1', floor: '1' } },
  { id: 'lisbon-03', name: 'lisbon-03', address: '10.66.0.13', port: 8081, groups: ['lisbon', 'portugal'], labels: {} },
  { id: 'porto-01', name: 'porto-01', address: '10.66.0.21', port: 8090, groups: ['porto', 'portugal'], labels: {} },
  { id: 'porto-02', name: 'Porto gate', address: '10.66.0.22', port: 8090, groups: ['porto', 'portugal'], labels: {} },
];

/** The InventoryError that fn throws. */
export function inventoryFailure(fn: () => unknown): InventoryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryError);
    return err as InventoryError;
  }
  throw new Error('expected an InventoryError');
}
