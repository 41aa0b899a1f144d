import fp from 'fastify-plugin';
import { createHostMonitor, type HostMonitor } from './host-monitor.js';

declare module 'fastify' {
  interface FastifyInstance {
    hostMonitor: HostMonitor;
  }
}

export default fp<{ refreshS: number }>(
  async (app, opts) => {
    const monitor = createHostMonitor({ refreshS: opts.refreshS, log: app.log.child({ module: 'host' }) });
    await monitor.refresh(false);
    void monitor.refresh();
    app.decorate('hostMonitor', monitor);
    app.addHook('onClose', async () => monitor.close());
  },
  { name: 'host-monitor' },
);
