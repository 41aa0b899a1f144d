// Entry point of the fleet monitor: config, build, listen, close gracefully. Configuration that
// cannot work (a bad variable, an invalid inventory, an alert channel missing a setting) stops the
// process here with status 1 and a message saying what to fix.
import { ConfigError } from '../../device/src/env.js';
import { runService } from '../../device/src/http/run-service.js';
import { AlertChannelConfigError, channelsFromEnv } from './alerts/channels/config.js';
import { buildFleetApp } from './app.js';
import { loadFleetConfig, type FleetConfig } from './config.js';
import { InventoryError } from './registry/inventory-error.js';

function fail(message: string): never {
  process.stderr.write(`outpost-fleet: configuration error: ${message}\n`);
  process.exit(1);
}

let config: FleetConfig;
try {
  config = loadFleetConfig();
  for (const channel of channelsFromEnv(config.alerts.channelEnv)) await channel.close?.();
} catch (err) {
  if (err instanceof ConfigError || err instanceof AlertChannelConfigError) fail(err.message);
  throw err;
}

await runService({
  name: 'outpost-fleet',
  // Building reads the inventory (an Ansible inventory through ansible-inventory, once rather than
  // twice), so one it cannot use stops the monitor here, before it listens.
  build: () =>
    buildFleetApp(config).catch((err: unknown) => {
      if (err instanceof InventoryError) fail(`OUTPOST_FLEET_INVENTORY: ${err.message}`);
      throw err;
    }),
  host: config.host,
  port: config.port,
});
