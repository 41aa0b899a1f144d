// npm run bench:update — what a pull update costs a device, on the testbed (systemd in Docker, the
// real update.sh, the fleet monitor as update server), this tree's way and the baseline's
// (BENCH_BASELINE_REF: the updates as they were before drain, readiness and socket activation), side
// by side in one run on the same testbed:
//   - downtime per device: from the last /api/health answer of the old release to the first of the
//     new one, probed every 100 ms from the host over the testbed network, a new connection each;
//   - connections refused during the update, and other failed probes (503, reset, timeout);
//   - where the time goes, from the device's journal: stop (SIGTERM to exit), systemd, start (exec
//     to listening), first answer;
//   - automatic rollback of a release that exits at start (seconds after its health deadline), and
//     of one whose browser cannot start (the baseline's gate cannot tell: it keeps that release).
// Devices tb1-2 run the baseline's releases and scripts, tb3-4 this tree's; updates run one device
// at a time, so no device's update competes with another's for the CPU.
// Traffic stays on the testbed network the bench creates; every loop is bounded.
//
// env: BENCH_BASELINE_REF (4cec6f5), BENCH_HEALTH_TIMEOUT_S (20), BENCH_ROUNDS (2 updates per device)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootDir } from '../../device/src/shared/index.js';
import { buildTestReleases, startTestbed, type Testbed, type TestbedDevice } from '../testbed/testbed.js';
import { probeWhile } from '../testbed/health-probe.js';
import { startUpdateFleet } from '../testbed/update-fleet.js';
import { mean } from './stats.js';

const BASE_REF = process.env.BENCH_BASELINE_REF ?? '4cec6f5';
const HEALTH_TIMEOUT_S = Number(process.env.BENCH_HEALTH_TIMEOUT_S ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PROBE_EVERY_MS = 100;

interface Way {
  label: string;
  channel: string;
  /** Versions in update order: the first is installed, each next one is an update. */
  versions: string[];
  broken: string;
  brokenBrowser: string;
  devices: TestbedDevice[];
}

interface UpdateFigures {
  downtimeS: number;
  refused: number;
  otherFailures: number;
  phases: { stopS: number; systemdS: number; startS: number; firstAnswerS: number } | null;
  totalS: number;
}

const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-update-'));
const keysDir = join(dir, 'keys');
const baseRoot = join(dir, 'baseline');
let tb: Testbed | undefined;
let closeFleet: (() => Promise<void>) | undefined;

interface JournalEntry {
  t: number;
  message: string;
  identifier: string;
}

async function journal(d: TestbedDevice, sinceMs: number, args: string): Promise<JournalEntry[]> {
  const r = await tb!.exec(d, `journalctl -o json --no-pager --since @${Math.floor(sinceMs / 1000)} ${args}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { __REALTIME_TIMESTAMP: string; MESSAGE?: unknown; SYSLOG_IDENTIFIER?: string })
    .map((e) => ({ t: Number(e.__REALTIME_TIMESTAMP) / 1000, message: typeof e.MESSAGE === 'string' ? e.MESSAGE : '', identifier: e.SYSLOG_IDENTIFIER ?? '' }));
}

/** Where a restart's time went, from systemd's and the appliance's own lines in the journal. */
function phases(entries: JournalEntry[], firstNew: number): UpdateFigures['phases'] {
  const after = (t: number, test: (e: JournalEntry) => boolean) => entries.find((e) => e.t >= t && test(e))?.t;
  const sigterm = after(0, (e) => e.identifier === 'outpost-device' && e.message.includes('"msg":"shutting down"'));
  if (sigterm === undefined) return null;
  const exited = after(sigterm, (e) => e.identifier === 'systemd' && (e.message.includes('Deactivated successfully') || e.message.startsWith('Stopped ')));
  const started = exited && after(exited, (e) => e.identifier === 'systemd' && e.message.startsWith('Started '));
  const listening = started && after(started, (e) => e.identifier === 'outpost-device' && e.message.includes('Server listening at'));
  if (!exited || !started || !listening) return null;
  return { stopS: (exited - sigterm) / 1000, systemdS: (started - exited) / 1000, startS: (listening - started) / 1000, firstAnswerS: (firstNew - listening) / 1000 };
}

async function publishAndRoll(updates: Awaited<ReturnType<typeof startUpdateFleet>>, way: Way, tarball: string, version: string) {
  updates.publish(tarball);
  const r = await updates.fleet.inject({
    method: 'POST',
    url: `/api/rollouts/${way.channel}`,
    headers: { authorization: `Bearer ${updates.tokens.fleet}` },
    payload: { version, percent: 100 },
  });
  if (r.statusCode >= 300) throw new Error(`rollout of ${version} on ${way.channel}: ${r.body}`);
}

const runUpdate = (d: TestbedDevice, env: Record<string, string> = {}) =>
  tb!.exec(d, '/opt/outpost/current/scripts/update.sh', { env: { OUTPOST_UPDATE_HEALTH_TIMEOUT_S: String(HEALTH_TIMEOUT_S), ...env }, timeoutMs: 600_000 });

async function measureUpdate(d: TestbedDevice, from: string, to: string): Promise<UpdateFigures> {
  const t0 = Date.now();
  const run = runUpdate(d);
  const probes = await probeWhile(d.ip, run, PROBE_EVERY_MS);
  const r = await run;
  if (r.code !== 0) throw new Error(`update.sh ${from} -> ${to} on ${d.host} exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const firstNew = probes.find((p) => p.version === to);
  if (!firstNew) throw new Error(`${d.host} never answered with ${to}`);
  const lastOld = [...probes].reverse().find((p) => p.version === from && p.end <= firstNew.end);
  return {
    downtimeS: (firstNew.end - (lastOld?.end ?? t0)) / 1000,
    refused: probes.filter((p) => p.error === 'ECONNREFUSED').length,
    otherFailures: probes.filter((p) => p.error !== null && p.error !== 'ECONNREFUSED').length,
    phases: phases(await journal(d, t0, '-u outpost-device.service'), firstNew.end),
    totalS: (Date.now() - t0) / 1000,
  };
}

/** Runs update.sh against a release that should be rolled back; times from update.sh's own journal lines. */
async function measureRollback(d: TestbedDevice) {
  const t0 = Date.now();
  const r = await runUpdate(d);
  const lines = await journal(d, t0, '-t outpost-update');
  const restart = lines.find((e) => e.message.includes('step restart:'))?.t;
  const end = lines.find((e) => e.message.includes('result: '));
  return { code: r.code, result: end?.message.replace(/^\[[^\]]*\] /, '') ?? '(none)', afterRestartS: restart && end ? (end.t - restart) / 1000 : NaN };
}

const fmt = (xs: number[]) => (xs.length ? `${mean(xs).toFixed(2)} (max ${Math.max(...xs).toFixed(2)})` : 'n/a');

try {
  // This tree's releases, and the baseline's from a checkout of BASE_REF, signed with one key.
  const ours: Way = { label: 'this tree', channel: 'stable', versions: ['1.0.0', '2.0.0', '2.1.0'].slice(0, ROUNDS + 1), broken: '3.0.0', brokenBrowser: '3.1.0', devices: [] };
  const base: Way = { label: `baseline ${BASE_REF}`, channel: 'beta', versions: ['0.8.0', '0.9.0', '0.9.1'].slice(0, ROUNDS + 1), broken: '0.9.5', brokenBrowser: '0.9.6', devices: [] };
  const specs = (w: Way) => [...w.versions.map((version) => ({ version })), { version: w.broken, broken: true }, { version: w.brokenBrowser, brokenBrowser: true }];
  const relOurs = buildTestReleases(join(dir, 'ours'), specs(ours), { keysDir });
  execFileSync('git', ['-C', rootDir, 'worktree', 'add', '--detach', baseRoot, BASE_REF], { stdio: 'inherit' });
  execFileSync('cp', ['-a', join(rootDir, 'node_modules'), baseRoot]);
  const relBase = buildTestReleases(join(dir, 'base'), specs(base), { root: baseRoot, keysDir });

  tb = await startTestbed({ name: 'outpost-tb-bench', count: 4, net: 81, sshBase: 2600, httpBase: 18500 });
  base.devices = tb.devices.slice(0, 2);
  ours.devices = tb.devices.slice(2);
  const updates = await startUpdateFleet(tb, dir);
  closeFleet = () => updates.fleet.close();
  // No cron run in between (a date that never comes): the bench runs update.sh itself.
  await updates.installAll(relBase, base.versions[0]!, '0 0 31 2 *', { devices: base.devices, channel: base.channel, installScript: join(baseRoot, 'scripts/install.sh') });
  await updates.installAll(relOurs, ours.versions[0]!, '0 0 31 2 *', { devices: ours.devices, channel: ours.channel });

  const results = new Map<Way, { updates: UpdateFigures[]; broken: Array<Awaited<ReturnType<typeof measureRollback>>>; brokenBrowser: Array<Awaited<ReturnType<typeof measureRollback>>> }>();
  for (const way of [base, ours]) results.set(way, { updates: [], broken: [], brokenBrowser: [] });
  for (let i = 1; i < base.versions.length; i++) {
    for (const way of [base, ours]) {
      const rel = way === base ? relBase : relOurs;
      await publishAndRoll(updates, way, rel.tarball(way.versions[i]!), way.versions[i]!);
      for (const d of way.devices) results.get(way)!.updates.push(await measureUpdate(d, way.versions[i - 1]!, way.versions[i]!));
    }
  }
  for (const way of [base, ours]) {
    const rel = way === base ? relBase : relOurs;
    const [d1, d2] = way.devices as [TestbedDevice, TestbedDevice];
    await publishAndRoll(updates, way, rel.tarball(way.broken), way.broken);
    results.get(way)!.broken.push(await measureRollback(d1));
    await publishAndRoll(updates, way, rel.tarball(way.brokenBrowser), way.brokenBrowser);
    results.get(way)!.brokenBrowser.push(await measureRollback(d2));
  }

  const row = (name: string, f: (w: Way) => string) => console.log(`${name.padEnd(58)} ${f(base).padEnd(28)} ${f(ours)}`);
  console.log(`testbed: 4 systemd devices in Docker; ${ROUNDS} updates per device, one device at a time; health deadline ${HEALTH_TIMEOUT_S} s`);
  row('', (w) => w.label);
  const ups = (w: Way) => results.get(w)!.updates;
  const ph = (w: Way, k: keyof NonNullable<UpdateFigures['phases']>) => fmt(ups(w).flatMap((u) => (u.phases ? [u.phases[k]] : [])));
  row('downtime per device, s: mean (max)          [target <= 3]', (w) => fmt(ups(w).map((u) => u.downtimeS)));
  row('  stop: SIGTERM to exit, s', (w) => ph(w, 'stopS'));
  row('  systemd: exit to the new start, s', (w) => ph(w, 'systemdS'));
  row('  start: exec to listening, s', (w) => ph(w, 'startS'));
  row('  listening to first answer, s', (w) => ph(w, 'firstAnswerS'));
  row('connections refused during updates          [target 0]', (w) => String(ups(w).reduce((n, u) => n + u.refused, 0)));
  row('other failed probes (503, reset, timeout)', (w) => String(ups(w).reduce((n, u) => n + u.otherFailures, 0)));
  row('update.sh wall time per update, s', (w) => fmt(ups(w).map((u) => u.totalS)));
  const rb = (w: Way, k: 'broken' | 'brokenBrowser') => {
    const x = results.get(w)![k][0]!;
    return `${x.code === 4 ? 'rolled back' : x.code === 0 ? 'kept it' : `exit ${x.code}`}, ${x.afterRestartS.toFixed(1)} s`;
  };
  row('release exits at start: result, restart->rolled back', (w) => rb(w, 'broken'));
  row(`  after the ${HEALTH_TIMEOUT_S} s deadline, s                [target <= 15]`, (w) => {
    const x = results.get(w)!.broken[0]!;
    return (x.afterRestartS - HEALTH_TIMEOUT_S).toFixed(1);
  });
  row('browser cannot start: result, restart->end', (w) => rb(w, 'brokenBrowser'));
  for (const w of [base, ours]) {
    for (const x of [...results.get(w)!.broken, ...results.get(w)!.brokenBrowser]) console.log(`  ${w.label}: ${x.result}`);
  }
} finally {
  await closeFleet?.();
  await tb?.down();
  try {
    execFileSync('git', ['-C', rootDir, 'worktree', 'remove', '--force', baseRoot], { stdio: 'ignore' });
  } catch {
    // never added
  }
  rmSync(dir, { recursive: true, force: true });
}
