// Entry point of the fleet monitor: config, build, listen, close gracefully. Configuration that
// cannot work (a bad variable, a store from a newer release or a PostgreSQL store it cannot reach,
// an invalid inventory, an alert channel missing a setting) stops the process with status 1 and a message saying what to fix:
// variables here, the rest while the app is built (plugins/store.ts, plugins/inventory.ts,
// plugins/alerts.ts), each read once.
import { ConfigError, runService } from '../../device/src/shared/index.js';
import { AlertChannelConfigError } from './alerts/channels/config.js';
import { buildFleetApp } from './app.js';
import { loadFleetConfig, type FleetConfig } from './config.js';
import { InventoryError } from './registry/inventory-error.js';
import { StoreTooNewError, StoreUnavailableError } from './store/store-errors.js';

let config: FleetConfig;
try {
  config = loadFleetConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`outpost-fleet: configuration error: ${err.message}\n`);
  process.exit(1);
}

await runService({
  name: 'outpost-fleet',
  build: () => buildFleetApp(config),
  host: config.host,
  port: config.port,
  configurationError: (err) => {
    if (err instanceof AlertChannelConfigError || err instanceof StoreTooNewError || err instanceof StoreUnavailableError) return err.message;
    if (err instanceof InventoryError) return `OUTPOST_FLEET_INVENTORY: ${err.message}`;
    return undefined;
  },
});
