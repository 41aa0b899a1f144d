// The monitor's store (SQLite, or PostgreSQL by URL): opened first (migrated, or refused when a
// newer release wrote it), closed last. Logs name it by its display form (no password).
import fp from 'fastify-plugin';
import { openFleetStore, type FleetStore } from '../store/fleet-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: FleetStore;
  }
}

export default fp(
  async (app) => {
    const { db } = app.config;
    const store = await openFleetStore(db, { log: app.log.child({ module: 'store' }) });
    if (store.schema.from !== store.schema.to) app.log.info({ db: db.display, ...store.schema }, `store migrated from schema version ${store.schema.from} to ${store.schema.to}`);
    app.decorate('store', store);
    app.addHook('onClose', async () => store.close());
  },
  { name: 'fleet-store', dependencies: ['fleet-config'] },
);
