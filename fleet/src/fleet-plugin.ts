// The monitor's services on the Fastify instance: store, registry, device clients, alerts, monitor.
import os from 'node:os';
import fp from 'fastify-plugin';
import { createAlertEngine, type AlertEngine } from './alerts/alert-engine.js';
import { createChannelSet } from './alerts/channels/channel-set.js';
import { channelsFromEnv } from './alerts/channels/config.js';
import type { FleetConfig } from './config.js';
import { createDeviceHttp, type DeviceHttp } from './devices/device-http.js';
import { createDeviceRegistry, type DeviceIdentity, type DeviceRegistry } from './devices/device-registry.js';
import { createFleetMetrics, type FleetMetrics } from './fleet-metrics.js';
import { createFleetMonitor, type FleetMonitor } from './monitor/fleet-monitor.js';
import { createStatusClient, type StatusClient } from './poller/status-client.js';
import { createInventorySource } from './registry/inventory-watch.js';
import type { InventoryDevice } from './registry/inventory.js';
import { openFleetStore, type FleetStore } from './store/fleet-store.js';
import { createRolloutService, type RolloutService } from './updates/rollouts.js';

export interface FleetServices {
  config: FleetConfig;
  store: FleetStore;
  registry: DeviceRegistry;
  client: StatusClient;
  /** Proxied API calls to devices (sessions); its own sockets, so polls never wait behind them. */
  deviceApi: DeviceHttp;
  alertEngine: AlertEngine;
  monitor: FleetMonitor;
  /** The update server: releases, rollouts, manifests and update reports. */
  rollouts: RolloutService;
  /** The version devices should run: config, else the stable channel's release (update server). */
  targetVersion: () => string | null;
  setTargetVersionSource(fn: () => string | null): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    fleet: FleetServices;
    fleetMetrics: FleetMetrics;
  }
}

export interface FleetPluginOptions {
  config: FleetConfig;
  /** Start polling when the server is ready (tests may drive cycles themselves). */
  autoStart?: boolean;
}

function identityOf(d: InventoryDevice): DeviceIdentity {
  return { id: d.id, name: d.name, address: d.address, port: d.port, groups: d.groups, labels: d.labels };
}

/**
 * The playbooks' inventory also lists the fleet host itself: the devices are the hosts of
 * OUTPOST_FLEET_INVENTORY_GROUP, else of the group "devices" when there is one, else every host.
 */
export function devicesOf(all: InventoryDevice[], group: string | undefined): DeviceIdentity[] {
  const wanted = group ?? (all.some((d) => d.groups.includes('devices')) ? 'devices' : undefined);
  return (wanted ? all.filter((d) => d.groups.includes(wanted)) : all).map(identityOf);
}

export default fp<FleetPluginOptions>(
  async (app, { config, autoStart = true }) => {
    const log = app.log.child({ module: 'fleet' });
    const store = openFleetStore(config.db);
    const registry = createDeviceRegistry();
    let targetSource: () => string | null = () => null;
    const targetVersion = () => config.alerts.targetVersion ?? targetSource();
    let channelSet = null;
    try {
      const channels = channelsFromEnv(config.alerts.channelEnv);
      channelSet = channels.length > 0 ? createChannelSet(channels, { log: log.child({ module: 'notify' }), maxPerMinute: config.alerts.ratePerMinute }) : null;
    } catch (err) {
      store.close();
      throw err;
    }
    // Polls: one kept socket per device (a second only if a poll overlaps a late one), 1 MiB answers.
    const pollHttp = createDeviceHttp({ timeoutMs: config.poll.timeoutMs, token: config.deviceToken, maxBytes: 1024 * 1024, maxSockets: 2, maxFreeSockets: 1 });
    const client = createStatusClient(pollHttp);
    // Session calls: a create launches a browser, so a minute; a listing of 4 MiB is plenty.
    const deviceApi = createDeviceHttp({ timeoutMs: 60_000, token: config.deviceToken, maxBytes: 4 * 1024 * 1024, maxSockets: 8, maxFreeSockets: 2 });
    const alertEngine = createAlertEngine({
      store,
      channels: channelSet,
      rules: config.alerts,
      targetVersion,
      deviceUrl: (id) => (config.publicUrl ? `${config.publicUrl.replace(/\/$/, '')}/devices/${encodeURIComponent(id)}` : null),
      log: log.child({ module: 'alerts' }),
    });
    const rollouts = createRolloutService({ store, config, registry, alerts: alertEngine, log: log.child({ module: 'updates' }) });
    const metrics = createFleetMetrics({ registry: () => registry, alerts: () => alertEngine });
    const monitor = createFleetMonitor({
      config,
      store,
      registry,
      client,
      alerts: alertEngine,
      log,
      onCycle: (stats) => {
        metrics.cycle(stats);
        log.debug(stats, 'poll cycle');
      },
      onPoll: (_d, result) => metrics.poll(result),
    });

    // The inventory: a file the playbooks share, or just the local device (npm start).
    let source: { close(): void } | null = null;
    if (config.inventory) {
      const inv = await createInventorySource({
        file: config.inventory,
        defaultPort: 8080,
        log: log.child({ module: 'inventory' }),
        onChange: (devices) => monitor.applyInventory(devicesOf(devices, config.inventoryGroup)),
        onError: (err) => log.error({ err: { message: err.message } }, 'inventory is invalid; keeping the previous device list'),
      });
      monitor.applyInventory(devicesOf(inv.current(), config.inventoryGroup));
      source = inv;
    } else {
      const id = os.hostname();
      monitor.applyInventory([{ id, name: id, address: config.localDevice.address, port: config.localDevice.port, groups: ['local'], labels: {} }]);
    }

    app.decorate('fleetMetrics', metrics);
    app.decorate('fleet', {
      config,
      store,
      registry,
      client,
      deviceApi,
      alertEngine,
      monitor,
      rollouts,
      targetVersion,
      setTargetVersionSource(fn) {
        targetSource = fn;
      },
    });
    // Version drift compares devices with what the stable channel has fully rolled out.
    app.fleet.setTargetVersionSource(() => rollouts.targetVersion());
    if (autoStart) app.addHook('onReady', async () => monitor.start());
    app.addHook('onClose', async () => {
      source?.close();
      await monitor.stop();
      await channelSet?.close();
      pollHttp.close();
      deviceApi.close();
      store.close();
    });
  },
  { name: 'fleet' },
);
