// Entry point of the device appliance: config, build, listen, close gracefully.
import { buildApp } from './app.js';
import { loadDeviceConfig } from './config.js';
import { ConfigError } from './shared/env.js';
import { runService } from './shared/http/run-service.js';

let config;
try {
  config = loadDeviceConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`outpost-device: configuration error: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

await runService({
  name: 'outpost-device',
  build: () => buildApp(config),
  host: config.host,
  port: config.port,
  // Ending every session (containers included) can take a while; systemd's TimeoutStopSec is longer.
  closeTimeoutMs: 45_000,
});
