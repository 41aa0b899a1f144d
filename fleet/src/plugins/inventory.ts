// Which devices to poll: fleet.yaml (the outpost_fleet role renders it from the playbooks'
// inventory) or an Ansible inventory read with ansible-inventory, watched (changes apply while the
// monitor runs; an invalid change keeps the previous list), or just the local device (npm start).
import os from 'node:os';
import fp from 'fastify-plugin';
import type { DeviceIdentity } from '../devices/device-registry.js';
import { createInventorySource } from '../registry/inventory-watch.js';
import type { InventoryDevice } from '../registry/inventory.js';

function identityOf(d: InventoryDevice): DeviceIdentity {
  return { id: d.id, name: d.name, address: d.address, port: d.port, groups: d.groups, labels: d.labels };
}

/**
 * The playbooks' inventory also lists the fleet host itself: the devices are the hosts of
 * OUTPOST_FLEET_INVENTORY_GROUP, else of the group "devices" when there is one, else every host.
 */
export function devicesOf(all: InventoryDevice[], group: string | undefined): DeviceIdentity[] {
  const wanted = group ?? (all.some((d) => d.groups.includes('devices')) ? 'devices' : undefined);
  return (wanted ? all.filter((d) => d.groups.includes(wanted)) : all).map(identityOf);
}

export default fp(
  async (app) => {
    const { config, monitor } = app;
    if (!config.inventory) {
      const id = os.hostname();
      monitor.applyInventory([{ id, name: id, address: config.localDevice.address, port: config.localDevice.port, groups: ['local'], labels: {} }]);
      return;
    }
    const log = app.log.child({ module: 'inventory' });
    const source = await createInventorySource({
      file: config.inventory,
      defaultPort: 8080,
      log,
      onChange: (devices) => monitor.applyInventory(devicesOf(devices, config.inventoryGroup)),
      onError: (err) => log.error({ err: { message: err.message } }, 'inventory is invalid; keeping the previous device list'),
    });
    monitor.applyInventory(devicesOf(source.current(), config.inventoryGroup));
    // Closing stops an ansible-inventory run that is under way, and waits for it.
    app.addHook('onClose', async () => source.close());
  },
  { name: 'fleet-inventory', dependencies: ['fleet-config', 'fleet-monitor'] },
);
