// The monitor's configuration (config.ts, read once in main.ts) on the instance, for every plugin.
import fp from 'fastify-plugin';
import type { FleetConfig } from '../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: FleetConfig;
  }
}

export default fp<{ config: FleetConfig }>(
  async (app, { config }) => {
    app.decorate('config', config);
  },
  { name: 'fleet-config' },
);
