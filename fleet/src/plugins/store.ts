// The monitor's store (SQLite): opened first (migrated, or refused when a newer release wrote it),
// closed last.
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
    if (store.schema.from !== store.schema.to) app.log.info({ db: app.config.db, ...store.schema }, `store migrated from schema version ${store.schema.from} to ${store.schema.to}`);
    app.decorate('store', store);
    app.addHook('onClose', async () => store.close());
  },
  { name: 'fleet-store', dependencies: ['fleet-config'] },
);
