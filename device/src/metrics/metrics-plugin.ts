import fp from 'fastify-plugin';
import { createDeviceMetrics, type DeviceMetrics } from './device-metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: DeviceMetrics;
  }
}

export default fp(
  async (app) => {
    app.decorate('metrics', createDeviceMetrics({ status: app.fleetStatus }));
  },
  { name: 'metrics', dependencies: ['fleet-status'] },
);
