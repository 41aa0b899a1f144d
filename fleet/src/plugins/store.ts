// The monitor's store (SQLite): opened first, closed last.
import fp from 'fastify-plugin';
import { openFleetStore, type FleetStore } from '../store/fleet-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: FleetStore;
  }
}

export default fp(
  async (app) => {
    const store = openFleetStore(app.config.db);
    app.decorate('store', store);
    app.addHook('onClose', async () => store.close());
  },
  { name: 'fleet-store', dependencies: ['fleet-config'] },
);
