// The update server's state: releases, rollouts per channel, update reports; and the version
// devices should run (OUTPOST_FLEET_TARGET_VERSION, else what the stable channel fully rolled out).
import fp from 'fastify-plugin';
import { createRolloutService, type RolloutService } from '../updates/rollouts.js';

declare module 'fastify' {
  interface FastifyInstance {
    rollouts: RolloutService;
    /** The version devices should run, for version drift alerts and the dashboard. */
    targetVersion(): string | null;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const rollouts = createRolloutService({ store: app.store, config, registry: app.registry, alerts: app.alerts, log: app.log.child({ module: 'updates' }) });
    app.decorate('rollouts', rollouts);
    app.decorate('targetVersion', () => config.alerts.targetVersion ?? rollouts.targetVersion());
  },
  { name: 'fleet-updates', dependencies: ['fleet-config', 'fleet-store', 'fleet-registry', 'fleet-alerts'] },
);
