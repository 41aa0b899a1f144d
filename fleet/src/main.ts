// Entry point of the fleet monitor: config, build, listen, close gracefully.
import { ConfigError } from '../../device/src/env.js';
import { runService } from '../../device/src/http/run-service.js';
import { buildFleetApp } from './app.js';
import { loadFleetConfig } from './config.js';

let config;
try {
  config = loadFleetConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`outpost-fleet: configuration error: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

await runService({
  name: 'outpost-fleet',
  build: () => buildFleetApp(config),
  host: config.host,
  port: config.port,
});
