// The real fleet monitor as the update server of a testbed, with its tokens generated per run:
// it listens on the testbed network's gateway (the devices reach it there), publishes signed
// releases and installs a first release on every device with scripts/install.sh. Shared by the
// update tests and bench:update.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { rootDir } from '../../device/src/shared/index.js';
import { testToken } from '../../device/test/index.js';
import { buildFleetApp } from '../../fleet/src/app.js';
import { loadFleetConfig } from '../../fleet/src/config.js';
import { createDeviceCredentials } from '../../fleet/src/updates/device-credential.js';
import type { Testbed, TestbedDevice, TestReleases } from './testbed.js';

export interface UpdateFleet {
  fleet: FastifyInstance;
  /** The monitor's URL as the devices reach it. */
  url: string;
  /** fleet: the admin API; update: the monitor's update secret; device: what it polls devices with. */
  tokens: { fleet: string; update: string; device: string; updateFor(deviceId: string): string };
  /** Copy a release (tarball, .sha256, .sha256.sig) into the monitor's releases dir. */
  publish(tarball: string): void;
  /**
   * install.sh `version` on every device (or those given), pulling updates from this monitor on
   * `cron`; `installScript`: another checkout's install.sh (bench:update's baseline).
   */
  installAll(rel: TestReleases, version: string, cron: string, opts?: { devices?: TestbedDevice[]; channel?: string; installScript?: string }): Promise<void>;
}

/** `groupsOf`: the inventory groups of each device (none by default). */
export async function startUpdateFleet(tb: Testbed, dir: string, env: Record<string, string> = {}, opts: { groupsOf?: (d: TestbedDevice) => string[] } = {}): Promise<UpdateFleet> {
  const update = testToken();
  const credentials = createDeviceCredentials(update);
  const tokens = { fleet: testToken(), update, device: testToken(), updateFor: (id: string) => credentials.tokenFor(id) };
  const releasesDir = join(dir, 'fleet', 'releases');
  mkdirSync(releasesDir, { recursive: true });
  const inventory = join(dir, 'fleet.yaml');
  const groups = (d: TestbedDevice) => {
    const g = opts.groupsOf?.(d) ?? [];
    return g.length > 0 ? `, groups: [${g.join(', ')}]` : '';
  };
  writeFileSync(inventory, `devices:\n${tb.devices.map((d) => `  - {id: ${d.host}, address: ${d.ip}, port: 8080${groups(d)}}`).join('\n')}\n`);
  const fleet = await buildFleetApp(
    loadFleetConfig({
      OUTPOST_LOG_LEVEL: 'warn',
      OUTPOST_FLEET_HOST: tb.gateway,
      OUTPOST_FLEET_TOKEN: tokens.fleet,
      OUTPOST_FLEET_UPDATE_TOKEN: tokens.update,
      OUTPOST_FLEET_DEVICE_TOKEN: tokens.device,
      OUTPOST_FLEET_INVENTORY: inventory,
      OUTPOST_FLEET_DB: join(dir, 'fleet', 'fleet.sqlite'),
      ...env,
    }),
    { autoStart: false },
  );
  await fleet.listen({ host: tb.gateway, port: 0 });
  const addr = fleet.server.address();
  const url = `http://${tb.gateway}:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    fleet,
    url,
    tokens,
    publish(tarball) {
      for (const suffix of ['', '.sha256', '.sha256.sig']) copyFileSync(`${tarball}${suffix}`, join(releasesDir, `${tarball.split('/').pop()}${suffix}`));
    },
    async installAll(rel, version, cron, opts = {}) {
      const tarball = rel.tarball(version);
      await Promise.all(
        (opts.devices ?? tb.devices).map(async (d) => {
          for (const f of [tarball, `${tarball}.sha256`, `${tarball}.sha256.sig`, rel.pubkey]) await tb.copyIn(d, f, '/tmp/');
          await tb.copyIn(d, opts.installScript ?? join(rootDir, 'scripts/install.sh'), '/tmp/install.sh');
          const r = await tb.exec(
            d,
            `bash /tmp/install.sh --tarball /tmp/${tarball.split('/').pop()} --pubkey /tmp/release-signing.pub --fleet-url ${url} --channel ${opts.channel ?? 'stable'} --device-id ${d.host} --host 0.0.0.0 --update-token ${tokens.updateFor(d.host)} --fleet-token ${tokens.device} --cron '${cron}'`,
          );
          if (r.code !== 0) throw new Error(`install.sh on ${d.host}: ${r.stderr}`);
        }),
      );
    },
  };
}
