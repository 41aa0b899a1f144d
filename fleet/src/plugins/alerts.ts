// Alerts: the rules over device state and the channels that notify (none configured: alerts are
// kept and shown, nothing is sent). A channel missing a setting stops the monitor at boot.
import fp from 'fastify-plugin';
import { createAlertEngine, type AlertEngine } from '../alerts/alert-engine.js';
import { createChannelSet } from '../alerts/channels/channel-set.js';
import { channelsFromEnv } from '../alerts/channels/config.js';

declare module 'fastify' {
  interface FastifyInstance {
    alerts: AlertEngine;
  }
}

export default fp(
  async (app) => {
    const { config } = app;
    const log = app.log.child({ module: 'alerts' });
    const channels = channelsFromEnv(config.alerts.channelEnv);
    const channelSet = channels.length > 0 ? createChannelSet(channels, { log: app.log.child({ module: 'notify' }), maxPerMinute: config.alerts.ratePerMinute }) : null;
    const publicUrl = config.publicUrl?.replace(/\/$/, '');
    const engine = await createAlertEngine({
      store: app.store,
      channels: channelSet,
      rules: config.alerts,
      // Read when rules run, after the update server is up (plugins/updates.ts).
      targetVersion: () => app.targetVersion(),
      deviceUrl: (id) => (publicUrl ? `${publicUrl}/devices/${encodeURIComponent(id)}` : null),
      // Silences match a device's groups and labels as the inventory has them now.
      deviceInfo: (id) => app.registry.get(id) ?? null,
      // With monitors sharing the store, the leader alone evaluates and sends (cluster/cluster.ts).
      leader: () => app.cluster.isLeader(),
      shared: app.cluster.mode === 'shared',
      log,
    });
    app.decorate('alerts', engine);
    // After the monitor's stop (registered later, so closed earlier), before the store's close.
    app.addHook('onClose', async () => {
      await engine.close();
      await channelSet?.close();
    });
  },
  { name: 'fleet-alerts', dependencies: ['fleet-config', 'fleet-store', 'fleet-registry', 'fleet-cluster'] },
);
