// The monitors of the fleet (cluster/cluster.ts): which are alive, which leads, each one's share
// and its own health. With a SQLite store there is one, the monitor answering.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MonitorList } from './schemas.js';

const monitorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { cluster } = app;
  app.get('/api/monitors', { schema: { response: { 200: MonitorList } } }, async () => {
    const monitors = await cluster.monitors();
    return {
      mode: cluster.mode,
      self: cluster.self,
      leader: monitors.find((m) => m.leader)?.id ?? null,
      lease_s: cluster.leaseMs / 1000,
      monitors,
    };
  });
};

export default monitorRoutes;
