// The poll loop over the registry, with its Prometheus metrics. Started when the server is ready
// (tests may drive cycles themselves), stopped before the store closes.
import fp from 'fastify-plugin';
import { createFleetMetrics, type FleetMetrics } from '../fleet-metrics.js';
import { createFleetMonitor, type FleetMonitor } from '../monitor/fleet-monitor.js';

declare module 'fastify' {
  interface FastifyInstance {
    monitor: FleetMonitor;
    fleetMetrics: FleetMetrics;
  }
}

export interface MonitorPluginOptions {
  /** Start polling when the server is ready (default true). */
  autoStart?: boolean;
}

export default fp<MonitorPluginOptions>(
  async (app, { autoStart = true }) => {
    const log = app.log.child({ module: 'fleet' });
    const metrics = createFleetMetrics({
      registry: () => app.registry,
      alerts: () => app.alerts,
      rollouts: () => app.rollouts.list(),
      targetVersion: () => app.targetVersion(),
    });
    const monitor = createFleetMonitor({
      config: app.config,
      store: app.store,
      registry: app.registry,
      client: app.deviceClient,
      alerts: app.alerts,
      cluster: app.cluster,
      targetVersion: () => app.targetVersion(),
      log,
      onCycle: (stats) => {
        metrics.cycle(stats);
        log.debug(stats, 'poll cycle');
      },
      onPoll: (_d, result) => metrics.poll(result),
    });
    app.decorate('monitor', monitor);
    // Rollouts changed on another monitor (a halt, a start) reach this one's manifests within a tick.
    app.cluster.onTick(() => app.rollouts.refresh());
    app.decorate('fleetMetrics', metrics);
    if (autoStart) app.addHook('onReady', async () => monitor.start());
    app.addHook('onClose', async () => monitor.stop());
  },
  { name: 'fleet-monitor', dependencies: ['fleet-config', 'fleet-store', 'fleet-registry', 'fleet-cluster', 'fleet-device-client', 'fleet-alerts', 'fleet-updates'] },
);
