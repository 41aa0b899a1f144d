// A fleet monitor for tests of its HTTP side: an inventory of one device (kiosk-1, nothing
// listening behind it), its store in `dir`, never polling, with the given settings on top.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildFleetApp, type FleetBuildOptions } from '../src/app.js';
import { loadFleetConfig } from '../src/config.js';

export async function oneDeviceFleet(dir: string, env: Record<string, string> = {}, opts: FleetBuildOptions = {}): Promise<FastifyInstance> {
  writeFileSync(join(dir, 'fleet.yaml'), 'devices:\n  - {id: kiosk-1, address: 127.0.0.1, port: 1}\n');
  return buildFleetApp(
    loadFleetConfig({ OUTPOST_LOG_LEVEL: 'silent', OUTPOST_FLEET_INVENTORY: join(dir, 'fleet.yaml'), OUTPOST_FLEET_DB: join(dir, 'fleet.sqlite'), ...env }),
    { autoStart: false, ...opts },
  );
}
