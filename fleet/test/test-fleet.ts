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

export interface TestMonitor {
  app: FastifyInstance;
  /** http://127.0.0.1:<port> */
  base: string;
  /** A JSON call with the monitor's token. */
  api(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** One poll of every device, now. */
  poll(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A monitor on loopback over devices that run (real appliances, in tests that drive sessions
 * through it), with `token` for its API and `deviceToken` for theirs; polled once before it returns.
 */
export async function monitorOver(
  dir: string,
  devices: Array<{ id: string; port: number | string }>,
  tokens: { token: string; deviceToken: string },
  env: Record<string, string> = {},
): Promise<TestMonitor> {
  writeFileSync(join(dir, 'fleet.yaml'), `devices:\n${devices.map((d) => `  - {id: ${d.id}, address: 127.0.0.1, port: ${d.port}}\n`).join('')}`);
  const app = await buildFleetApp(
    loadFleetConfig({
      OUTPOST_LOG_LEVEL: 'silent',
      OUTPOST_FLEET_INVENTORY: join(dir, 'fleet.yaml'),
      OUTPOST_FLEET_DB: join(dir, 'fleet.sqlite'),
      OUTPOST_FLEET_TOKEN: tokens.token,
      OUTPOST_FLEET_DEVICE_TOKEN: tokens.deviceToken,
      ...env,
    }),
    { autoStart: false },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const auth = { authorization: `Bearer ${tokens.token}` };
  const poll = async () => {
    for (const d of app.registry.all()) d.nextPollAt = 0;
    await app.monitor.poller.runCycle();
  };
  await poll();
  return {
    app,
    base,
    poll,
    async api(method, url, body) {
      const res = await fetch(base + url, { method, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    },
    close: () => app.close(),
  };
}
