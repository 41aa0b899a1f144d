// Entry point of the fleet monitor: config, build, listen, close gracefully. Configuration that
// cannot work (a bad variable, an invalid inventory, an alert channel missing a setting, a store
// file from a newer release) stops the process here with status 1 and a message saying what to fix.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../device/src/env.js';
import { runService } from '../../device/src/http/run-service.js';
import { AlertChannelConfigError, channelsFromEnv } from './alerts/channels/config.js';
import { buildFleetApp } from './app.js';
import { loadFleetConfig, type FleetConfig } from './config.js';
import { parseInventory } from './registry/inventory.js';
import { InventoryError } from './registry/inventory-error.js';
import { checkFleetStoreVersion } from './store/fleet-store.js';
import { StoreTooNewError } from './store/store-errors.js';

function fail(message: string): never {
  process.stderr.write(`outpost-fleet: configuration error: ${message}\n`);
  process.exit(1);
}

let config: FleetConfig;
try {
  config = loadFleetConfig();
  for (const channel of channelsFromEnv(config.alerts.channelEnv)) await channel.close?.();
  if (config.inventory) {
    let text: string;
    try {
      text = readFileSync(config.inventory, 'utf8');
    } catch (err) {
      fail(`OUTPOST_FLEET_INVENTORY: cannot read ${config.inventory}: ${(err as Error).message}`);
    }
    parseInventory(text, { file: config.inventory, format: 'auto' });
  }
  checkFleetStoreVersion(config.db);
} catch (err) {
  if (err instanceof ConfigError || err instanceof AlertChannelConfigError || err instanceof StoreTooNewError) fail(err.message);
  if (err instanceof InventoryError) fail(`OUTPOST_FLEET_INVENTORY: ${err.message}`);
  throw err;
}

await runService({
  name: 'outpost-fleet',
  build: () => buildFleetApp(config),
  host: config.host,
  port: config.port,
});
