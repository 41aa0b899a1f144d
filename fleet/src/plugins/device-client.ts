// How the monitor talks to devices: polls and the calls it relays carry the device token.
import fp from 'fastify-plugin';
import { createStatusClient, type StatusClient } from '../poller/status-client.js';

declare module 'fastify' {
  interface FastifyInstance {
    deviceClient: StatusClient;
  }
}

export default fp(
  async (app) => {
    const client = createStatusClient({ timeoutMs: app.config.poll.timeoutMs, token: app.config.deviceToken });
    app.decorate('deviceClient', client);
    app.addHook('onClose', async () => client.close());
  },
  { name: 'fleet-device-client', dependencies: ['fleet-config'] },
);
