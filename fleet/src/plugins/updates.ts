// The update server's state: releases, rollouts per channel, update reports; and the version
// devices should run (OUTPOST_FLEET_TARGET_VERSION, else what the stable channel fully rolled out).
import fp from 'fastify-plugin';
import { createReleaseUploads, type ReleaseUploads } from '../updates/release-uploads.js';
import { createRolloutService, type RolloutService } from '../updates/rollouts.js';

declare module 'fastify' {
  interface FastifyInstance {
    rollouts: RolloutService;
    /** Uploads and deletions of releases (POST/DELETE /api/releases). */
    releaseUploads: ReleaseUploads;
    /** The version devices should run, for version drift alerts and the dashboard. */
    targetVersion(): string | null;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const rollouts = await createRolloutService({ store: app.store, config, registry: app.registry, alerts: app.alerts, log: app.log.child({ module: 'updates' }) });
    app.decorate('rollouts', rollouts);
    const { releasesDir, releasePublicKey, releaseMaxBytes } = config.updates;
    app.decorate('releaseUploads', createReleaseUploads({ dir: releasesDir, publicKey: releasePublicKey, maxBytes: releaseMaxBytes, log: app.log.child({ module: 'release-uploads' }) }));
    app.decorate('targetVersion', () => config.alerts.targetVersion ?? rollouts.targetVersion());
  },
  { name: 'fleet-updates', dependencies: ['fleet-config', 'fleet-store', 'fleet-registry', 'fleet-alerts'] },
);
