import fp from 'fastify-plugin';
import { createPayloadService, type PayloadService } from './payload-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    payload: PayloadService | null;
  }
}

export default fp<{ name: string | undefined; refreshS: number }>(
  async (app, opts) => {
    if (!opts.name) {
      app.decorate('payload', null);
      return;
    }
    const service = createPayloadService({
      docker: app.docker,
      name: opts.name,
      refreshS: opts.refreshS,
      log: app.log.child({ module: 'payload' }),
    });
    await service.refresh();
    app.decorate('payload', service);
    app.addHook('onClose', async () => service.close());
  },
  { name: 'payload', dependencies: ['docker'] },
);
