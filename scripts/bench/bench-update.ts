// npm run bench:update — pull updates on the testbed (real systemd devices, real cron, real
// update.sh, the fleet monitor as update server), in one run:
//   time from publishing a release to every device running it (cron every minute, the shortest),
//   update downtime per device (gap in /api/health answers, probed every 100 ms from the host),
//   rollback time (a release that fails its health check, and a manual rollback.sh).
// Traffic stays on loopback and the testbed network the bench creates; everything is bounded.
//
// env: BENCH_DEVICES (4)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../device/test/index.js';
import { buildTestReleases, startTestbed } from '../testbed/testbed.js';
import { startUpdateFleet } from '../testbed/update-fleet.js';
import { mean } from './stats.js';

const N = Number(process.env.BENCH_DEVICES ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-update-'));
const rel = buildTestReleases(join(dir, 'releases'), [{ version: '1.0.0' }, { version: '2.0.0' }, { version: '3.0.0', broken: true }]);
const tb = await startTestbed({ name: 'outpost-tb-bench', count: N, net: 81, sshBase: 2600, httpBase: 18500 });
const updates = await startUpdateFleet(tb, dir);
const { fleet } = updates;
const publish = (v: string) => updates.publish(rel.tarball(v));
const rollout = async (v: string) => {
  const r = await fleet.inject({ method: 'POST', url: '/api/rollouts/stable', headers: { authorization: `Bearer ${updates.tokens.fleet}` }, payload: { version: v, percent: 100 } });
  if (r.statusCode >= 300) throw new Error(`rollout ${v}: ${r.body}`);
};
const health = async (port: number): Promise<string | null> => {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(500) });
    return r.ok ? ((await r.json()) as { version: string }).version : null;
  } catch {
    return null;
  }
};

try {
  await updates.installAll(rel, '1.0.0', '* * * * *');

  // 1. Publish v2; cron (every minute) brings it to every device. Probe each device meanwhile.
  const gaps = new Map<string, { lastOld: number; firstNew: number }>();
  let probing = true;
  const probes = tb.devices.map(async (d) => {
    const g = { lastOld: 0, firstNew: 0 };
    gaps.set(d.host, g);
    while (probing) {
      const v = await health(d.httpPort);
      const t = performance.now();
      if (v === '1.0.0') g.lastOld = t;
      if (v === '2.0.0' && !g.firstNew) g.firstNew = t;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  publish('2.0.0');
  const published = performance.now();
  await rollout('2.0.0');
  await waitFor(async () => (await Promise.all(tb.devices.map((d) => health(d.httpPort)))).every((v) => v === '2.0.0'), {
    timeoutMs: 240_000,
    intervalMs: 200,
    what: 'every device on 2.0.0',
  });
  const allUpdatedS = (performance.now() - published) / 1000;
  probing = false;
  await Promise.all(probes);
  const downtimes = [...gaps.values()].map((g) => (g.firstNew - g.lastOld) / 1000);

  // 2. A release that fails its health check: update.sh rolls back on its own.
  // Cron stops first (and any run it started finishes), so the timed run is the one that meets 3.0.0.
  await Promise.all(tb.devices.map((x) => tb.exec(x, 'rm -f /etc/cron.d/outpost-update; while pgrep -f scripts/update.sh >/dev/null; do sleep 0.2; done')));
  publish('3.0.0');
  await rollout('3.0.0');
  const d = tb.devices[0]!;
  let t0 = performance.now();
  const auto = await tb.exec(d, '/opt/outpost/current/scripts/update.sh', { env: { OUTPOST_UPDATE_HEALTH_TIMEOUT_S: '20' }, timeoutMs: 240_000 });
  const autoS = (performance.now() - t0) / 1000;
  if (auto.code !== 4) throw new Error(`expected a rollback (exit 4), got ${auto.code}: ${auto.stderr}`);
  // 3. A manual rollback of a healthy device.
  const m = tb.devices[1]!;
  t0 = performance.now();
  const manual = await tb.exec(m, '/opt/outpost/current/scripts/rollback.sh');
  const manualS = (performance.now() - t0) / 1000;
  if (manual.code !== 0) throw new Error(`rollback.sh: ${manual.stderr}`);

  console.log(`devices: ${N} testbed hosts (systemd in Docker), cron runs update.sh every minute`);
  console.log(`publish -> every device on the new version: ${allUpdatedS.toFixed(1)} s (cron wait included; at most a minute of it)`);
  console.log(`update downtime per device (last old answer -> first new answer): ${downtimes.map((x) => x.toFixed(2)).join(', ')} s; mean ${mean(downtimes).toFixed(2)} s`);
  console.log(`automatic rollback of a release that fails its health check: ${autoS.toFixed(1)} s in all (20 s of it is the health-check deadline)`);
  console.log(`manual rollback.sh (switch, restart, healthy): ${manualS.toFixed(1)} s`);
} finally {
  await fleet.close();
  await tb.down();
  rmSync(dir, { recursive: true, force: true });
}
