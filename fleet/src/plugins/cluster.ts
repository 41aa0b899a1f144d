// The monitors sharing the store (cluster/cluster.ts): this monitor's lease, its share of the
// devices and whether it leads. Single with a SQLite store. Started by the monitor before its first
// poll, stopped by it (plugins/monitor.ts).
import fp from 'fastify-plugin';
import { createCluster, type Cluster } from '../cluster/cluster.js';

declare module 'fastify' {
  interface FastifyInstance {
    cluster: Cluster;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const url = config.publicUrl?.replace(/\/$/, '') ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    const cluster = createCluster({
      db: app.store.database,
      self: config.cluster.monitorId,
      url,
      version: config.version,
      leaseMs: config.cluster.leaseS * 1000,
      deviceIds: () => app.registry.all().map((d) => d.id),
      stats: () => {
        const c = app.hasDecorator('monitor') ? app.monitor.poller.lastCycle() : null;
        let devices = 0;
        for (const d of app.registry.all()) if (cluster.owns(d.id)) devices += 1;
        return {
          devices,
          last_cycle: c ? { at: c.startedAt, duration_ms: c.durationMs, polled: c.polled, ok: c.ok, failed: c.failed, cpu_ms: Math.round(c.cpuMs) } : null,
          rss_bytes: process.memoryUsage.rss(),
        };
      },
      log: app.log.child({ module: 'cluster' }),
    });
    app.decorate('cluster', cluster);
  },
  { name: 'fleet-cluster', dependencies: ['fleet-config', 'fleet-store', 'fleet-registry'] },
);
