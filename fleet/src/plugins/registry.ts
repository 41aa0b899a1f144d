// The devices the monitor knows, in memory: filled from the inventory, updated by every poll.
import fp from 'fastify-plugin';
import { createDeviceRegistry, type DeviceRegistry } from '../devices/device-registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    registry: DeviceRegistry;
  }
}

export default fp(
  async (app) => {
    app.decorate('registry', createDeviceRegistry());
  },
  { name: 'fleet-registry' },
);
