// Pull updates on a testbed of real systemd devices (Docker containers booting systemd), with the
// real update.sh, install.sh and rollback.sh, releases built and signed by build-release.sh, and
// the real fleet monitor as update server on the testbed network's gateway.
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, createReadStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rootDir } from '../device/src/shared/index.js';
import { CHROMIUM, tempDir, useToken, waitFor } from '../device/test/index.js';
import { isSelected, stableHash } from '../fleet/src/updates/rollout-selection.js';
import { probeWhile } from './testbed/health-probe.js';
import { buildTestReleases, startTestbed, type Testbed, type TestbedDevice, type TestReleases } from './testbed/testbed.js';
import { startUpdateFleet, type UpdateFleet } from './testbed/update-fleet.js';

const V1 = '1.0.0';
const V2 = '2.0.0';
const V3_BROKEN = '3.0.0';
/** Starts and answers /api/health, but its browser cannot start. */
const V31_NO_BROWSER = '3.1.0';
/** Older than everything the devices run, and never installed on any of them. */
const V_NEVER_RUN = '1.5.0';
/** Reaches the monitor only through the dashboard's upload. */
const V_UPLOADED = '2.4.0';
/** The inventory group the dashboard's rollout targets; tb1 is the one device outside it. */
const LAB = 'lab';

describe('pull updates on a testbed of systemd devices', () => {
  const dir = tempDir('outpost-update-test-');
  let tb: Testbed;
  let rel: TestReleases;
  let fleet: FastifyInstance;
  let updates: UpdateFleet;
  const releasesDir = join(dir.path, 'fleet', 'releases');

  const admin = async (method: string, url: string, body?: unknown) => {
    const res = await fleet.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${updates.tokens.fleet}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: res.json() };
  };
  const publish = (file: string) => updates.publish(file);
  const update = (d: TestbedDevice, env: Record<string, string> = {}) => tb.exec(d, '/opt/outpost/current/scripts/update.sh', { env, timeoutMs: 240_000 });
  const version = async (d: TestbedDevice) => (await tb.exec(d, "curl -fsS http://127.0.0.1:8080/api/health | jq -r .version")).stdout.trim();
  const current = async (d: TestbedDevice) => (await tb.exec(d, 'basename "$(readlink /opt/outpost/current)"')).stdout.trim();
  const state = async (d: TestbedDevice) => JSON.parse((await tb.exec(d, 'cat /var/lib/outpost-update/state.json')).stdout || '{}');
  const pollFleet = async () => {
    for (const d of fleet.registry.all()) d.nextPollAt = 0;
    await fleet.monitor.poller.runCycle();
  };
  /**
   * Waits until the monitor reports `want` for the device. One poll can miss (its deadline is
   * OUTPOST_FLEET_POLL_TIMEOUT_MS, and a loaded test machine may answer later), so this polls until
   * the monitor has it, as its own cycles would.
   */
  const fleetSees = async (d: TestbedDevice, want: string) =>
    waitFor(
      async () => {
        await pollFleet();
        return (await admin('GET', `/api/devices/${d.host}`)).body.version === want;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: `the fleet to see ${d.host} on ${want}` },
    );
  /** Every release directory is complete and `current` points at one; returns what `current` names. */
  const assertComplete = async (d: TestbedDevice) => {
    const check = await tb.exec(
      d,
      'set -e; for r in /opt/outpost/releases/*/; do v=$(basename "$r"); test "$(cat "$r/VERSION")" = "$v"; test -x "$r/bin/node"; done; test -x /opt/outpost/current/bin/node; cat /opt/outpost/current/VERSION',
    );
    expect(check.code, check.stderr).toBe(0);
    return check.stdout.trim();
  };
  /** The service answers healthy with `want` (systemd restarts it after a kill; it may take a while on a loaded host). */
  const runs = (d: TestbedDevice, want: string) => waitFor(async () => (await version(d)) === want, { timeoutMs: 120_000, intervalMs: 500, what: `${d.host} to run ${want}` });

  beforeAll(async () => {
    rel = buildTestReleases(inject('testReleasesDir'), []); // built once by the global setup
    tb = await startTestbed({ name: 'outpost-tb-update', count: 4, net: 78, sshBase: 2300, httpBase: 18200 });
    updates = await startUpdateFleet(
      tb,
      dir.path,
      { OUTPOST_FLEET_FAILURES_TO_OFFLINE: '1', OUTPOST_FLEET_ROLLOUT_FAILURE_PCT: '20', OUTPOST_FLEET_RELEASE_PUBKEY: rel.pubkey },
      { groupsOf: (d) => (d.host === 'tb1' ? ['shop'] : [LAB]) },
    );
    fleet = updates.fleet;
    await updates.installAll(rel, V1, '0 0 31 2 *');
  }, 900_000);
  // (The cron entry is installed for a date that never comes: the tests run update.sh themselves,
  // and a cron run in the middle of one would race it.)

  afterAll(async () => {
    await fleet?.close();
    await tb?.down();
    dir.remove();
  });

  it('installs v1 on every device under systemd, and the fleet sees v1', async () => {
    for (const d of tb.devices) {
      expect(await version(d)).toBe(V1);
      expect((await tb.exec(d, 'systemctl is-active outpost-device')).stdout.trim()).toBe('active');
      expect((await tb.exec(d, 'cat /etc/cron.d/outpost-update')).stdout).toMatch(/root \/opt\/outpost\/current\/scripts\/update\.sh/);
      expect((await tb.exec(d, 'stat -c %a /etc/outpost/device.env')).stdout.trim()).toBe('600');
      await fleetSees(d, V1);
    }
  });

  it('reads env files as data: a device name with spaces, quotes, $(…) and backticks reaches the appliance as written and runs nothing', async () => {
    const d = tb.devices[3]!;
    const name = `Lab "north" it's $(touch /tmp/pwned) \`touch /tmp/pwned2\` \\ end`;
    const tarball = rel.tarball(V1).split('/').pop()!;
    const r = await tb.exec(
      d,
      `bash /tmp/install.sh --tarball /tmp/${tarball} --pubkey /tmp/release-signing.pub --fleet-url ${updates.url} --device-id ${d.host} --host 0.0.0.0 --update-token ${updates.tokens.updateFor(d.host)} --fleet-token ${updates.tokens.device} --cron '0 0 31 2 *' --device-name "$NAME" --labels "$LABELS"`,
      { env: { NAME: name, LABELS: 'site=north lab,owner=$(id)' } },
    );
    expect(r.code, r.stderr).toBe(0);
    // The monitor polls it with the device token and keeps what it answered.
    const status = await waitFor(
      async () => {
        await pollFleet();
        const st = (await admin('GET', `/api/devices/${d.host}`)).body.last_status;
        return st?.device.name === name ? st : null;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: `the fleet to see ${d.host} with its new name` },
    );
    expect(status.device.labels).toEqual({ site: 'north lab', owner: '$(id)' });
    const u = await update(d);
    expect(u.code, u.stderr).toBe(0);
    expect((await tb.exec(d, 'ls /tmp/pwned /tmp/pwned2 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
  });

  it('moves exactly the devices the hash selects in a 50% staged rollout', async () => {
    publish(rel.tarball(V2));
    expect((await admin('POST', '/api/rollouts/stable', { version: V2, percent: 50 })).status).toBe(200);
    const results = await Promise.all(tb.devices.map((d) => update(d)));
    for (const [i, d] of tb.devices.entries()) {
      const selected = stableHash(`stable:${V2}:${d.host}`) % 100 < 50;
      expect(results[i]!.code, results[i]!.stderr).toBe(0);
      expect(await version(d), d.host).toBe(selected ? V2 : V1);
    }
  });

  it('updates the rest when the rollout reaches 100%, and the fleet sees v2 everywhere', async () => {
    expect((await admin('POST', '/api/rollouts/stable', { version: V2, percent: 100 })).status).toBe(200);
    // Probed all along, a new connection every 100 ms: the socket (outpost-device.socket) stays open
    // across the restart, so no connection is refused, whatever the restart's length.
    const probes = await Promise.all(tb.devices.map((d) => probeWhile(d.ip, update(d))));
    for (const [i, p] of probes.entries()) expect(p.filter((x) => x.error === 'ECONNREFUSED'), tb.devices[i]!.host).toEqual([]);
    for (const d of tb.devices) {
      expect(await version(d)).toBe(V2);
      expect(await current(d)).toBe(V2);
      await fleetSees(d, V2);
      const s = await state(d);
      expect(s.last_result === 'updated' || s.last_result === 'current').toBe(true);
    }
    const reports = (await admin('GET', '/api/updates/reports?limit=50')).body as Array<{ device_id?: string; device?: string; result: string; to_version: string }>;
    expect(reports.filter((r) => r.result === 'updated' && r.to_version === V2)).toHaveLength(4);
    // The device reports what it did in its own status, too: update.sh records the result after
    // the new appliance has started, which picks it up on its next read of the state file.
    await waitFor(
      async () => {
        await pollFleet();
        return (await admin('GET', `/api/devices/${tb.devices[0]!.host}`)).body.last_status?.appliance.update.previous_version === V1;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'the fleet to show the previous version in the device status' },
    );
  });

  it('refuses a corrupt tarball, a bad signature and a missing signature, changing nothing', async () => {
    const d = tb.devices[0]!;
    const before = (await tb.exec(d, 'ls /opt/outpost/releases')).stdout;
    const cases: Array<[string, (file: string) => void, RegExp]> = [
      ['2.1.0', (f) => writeFileSync(join(releasesDir, f.split('/').pop()!), 'not a tarball at all'), /checksum mismatch/],
      [
        '2.2.0',
        (f) => {
          // Signed, but by a key the devices do not trust.
          const otherKey = tempDir('outpost-other-key-');
          const other = join(otherKey.path, 'other.pem');
          execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', other]);
          execFileSync('openssl', ['pkeyutl', '-sign', '-rawin', '-inkey', other, '-in', `${f}.sha256`, '-out', join(releasesDir, `${f.split('/').pop()}.sha256.sig`)]);
          otherKey.remove();
        },
        /bad signature/,
      ],
    ];
    for (const [v, tamper, why] of cases) {
      publish(rel.tarball(v));
      expect((await admin('POST', '/api/rollouts/stable', { version: v, percent: 100 })).status).toBe(200);
      tamper(rel.tarball(v));
      const r = await update(d);
      expect(r.code, `${v}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(why);
      expect(await version(d)).toBe(V2);
      expect(await current(d)).toBe(V2);
      expect((await tb.exec(d, 'ls /opt/outpost/releases')).stdout).toBe(before);
      expect((await state(d)).last_result).toBe('refused');
    }

    // The monitor never offers a release without a signature; an update server that does (a
    // stand-in served by the test) is refused by the device all the same.
    const unsigned = await standInMonitor(d, '2.3.0', { tarball: rel.tarball('2.3.0'), signed: false });
    expect(unsigned.code, unsigned.stderr).toBe(3);
    expect(unsigned.stderr).toMatch(/no signature/);
    // A stand-in that offers 2.3.0 but hands over 2.2.0's genuine, signed files: the signed line
    // names 2.2.0's file, so the signature does not vouch for what the manifest says.
    const relabelled = await standInMonitor(d, '2.3.0', { tarball: rel.tarball('2.2.0'), signed: true });
    expect(relabelled.code, relabelled.stderr).toBe(3);
    expect(relabelled.stderr).toMatch(/signed checksum does not name outpost-2\.3\.0-linux-x64\.tar\.gz/);
    for (const r of [unsigned, relabelled]) expect(r.releases).toBe(before);
    expect(await version(d)).toBe(V2);
  });

  /**
   * Points the device's update.env at a stand-in update server on the testbed gateway that offers
   * `version` with the files of `files.tarball`, runs update.sh, and puts update.env back.
   */
  async function standInMonitor(d: TestbedDevice, version: string, files: { tarball: string; signed: boolean }) {
    const name = `outpost-${version}-linux-x64.tar.gz`;
    const served: Record<string, string> = { [`/releases/${name}`]: files.tarball, [`/releases/${name}.sha256`]: `${files.tarball}.sha256` };
    if (files.signed) served[`/releases/${name}.sha256.sig`] = `${files.tarball}.sha256.sig`;
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      const base = `http://${tb.gateway}:${port}/releases/${name}`;
      if (path.startsWith('/api/channels/')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ channel: 'stable', version, url: base, sha256_url: `${base}.sha256`, signature_url: `${base}.sha256.sig` }));
      } else if (served[path]) createReadStream(served[path]).pipe(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, tb.gateway, r));
    const port = (server.address() as AddressInfo).port;
    try {
      await tb.exec(d, `cp /etc/outpost/update.env /tmp/update.env.keep && sed -i 's|^OUTPOST_UPDATE_URL=.*|OUTPOST_UPDATE_URL="http://${tb.gateway}:${port}"|' /etc/outpost/update.env`);
      const r = await update(d);
      return { ...r, releases: (await tb.exec(d, 'ls /opt/outpost/releases')).stdout };
    } finally {
      await tb.exec(d, 'cp /tmp/update.env.keep /etc/outpost/update.env');
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  it('rolls back a release that fails its health check, reports it and raises a fleet alert', async () => {
    const d = tb.devices[1]!;
    publish(rel.tarball(V3_BROKEN));
    expect((await admin('POST', '/api/rollouts/stable', { version: V3_BROKEN, percent: 100 })).status).toBe(200);
    const r = await update(d, { OUTPOST_UPDATE_HEALTH_TIMEOUT_S: '15' });
    expect(r.code, r.stderr).toBe(4);
    expect(await version(d)).toBe(V2);
    expect(await current(d)).toBe(V2);
    const s = await state(d);
    expect(s.last_result).toBe('rolled_back');
    expect(s.failed_versions).toContain(V3_BROKEN);
    const alerts = (await admin('GET', '/api/alerts')).body as Array<{ key: string }>;
    expect(alerts.map((a) => a.key)).toContain(`device:${d.host}:update`);
    // One failure of four passes the 20% threshold: the rollout halts and offers v2 again.
    const rollouts = (await admin('GET', '/api/rollouts')).body as Array<{ channel: string; state: string }>;
    expect(rollouts.find((x) => x.channel === 'stable')?.state).toBe('halted');
    const manifest = await fleet.inject({ url: `/api/channels/stable/manifest?device=${tb.devices[2]!.host}`, headers: { authorization: `Bearer ${updates.tokens.updateFor(tb.devices[2]!.host)}` } });
    expect(manifest.json().version).not.toBe(V3_BROKEN);
    // The device itself reports the rollback (it re-reads update-state.json every few seconds),
    // and the fleet shows it.
    await waitFor(
      async () => {
        await pollFleet();
        return (await admin('GET', `/api/devices/${d.host}`)).body.last_status?.appliance.update.last_result === 'rolled_back';
      },
      { timeoutMs: 20_000, intervalMs: 1000, what: 'the fleet to show the rollback' },
    );
    // A second run does not try the broken version again.
    expect((await update(d)).code).toBe(0);
    expect(await version(d)).toBe(V2);
  });

  it('rolls back a release whose browser cannot start: it answers /api/health, its readiness check fails', async () => {
    const d = tb.devices[2]!;
    expect(await version(d)).toBe(V2);
    publish(rel.tarball(V31_NO_BROWSER));
    expect((await admin('POST', '/api/rollouts/stable', { version: V31_NO_BROWSER, percent: 100 })).status).toBe(200);
    // A deadline far longer than the check needs: the gate gives up when the appliance says its
    // check failed, not when the deadline passes (the message says which).
    const r = await update(d, { OUTPOST_UPDATE_HEALTH_TIMEOUT_S: '600' });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`version ${V31_NO_BROWSER.replaceAll('.', '\\.')} did not pass its health gate: its readiness check failed: `));
    expect(await version(d)).toBe(V2);
    expect(await current(d)).toBe(V2);
    const s = await state(d);
    expect(s.last_result).toBe('rolled_back');
    expect(s.failed_versions).toContain(V31_NO_BROWSER);
    // The release rolled back to passed the same gate: its readiness check ran a real browser.
    expect(JSON.parse((await tb.exec(d, 'curl -sS http://127.0.0.1:8080/api/ready')).stdout)).toMatchObject({ status: 'ready', version: V2 });
  });

  // What the product promises after kill -9 of update.sh (README, "Pull updates"): every release
  // directory is complete and the service runs a complete release. Killed before the switch,
  // `current` and the service still agree on the old release. Killed after it, `current` names the
  // new release while the service may still run the old one, and a `pending` record says so; the
  // next run settles it (here: the new release is healthy, so it is kept).
  it('leaves a complete release after kill -9 of update.sh at every step, and the next run converges', { timeout: 900_000 }, async () => {
    const target = '2.1.0';
    publish(rel.tarball(target)); // a good copy again (the earlier case overwrote it)
    expect((await admin('POST', '/api/rollouts/stable/resume')).status).toBeLessThan(300);
    expect((await admin('POST', '/api/rollouts/stable', { version: target, percent: 100 })).status).toBe(200);
    const steps = ['download', 'verify', 'unpack', 'drain', 'switch', 'restart'];
    for (const [i, step] of steps.entries()) {
      const d = tb.devices[i % tb.devices.length]!;
      if ((await version(d)) === target) {
        // Put it back on v2 to have something to update.
        expect((await tb.exec(d, `/opt/outpost/current/scripts/rollback.sh ${V2}`)).code).toBe(0);
      }
      const from = await version(d);
      // The wait keys on this run's id, so no earlier run's journal line can stand in for it.
      const runId = `kill-${step}-${Date.now()}`;
      const started = tb.exec(d, '/opt/outpost/current/scripts/update.sh', { env: { OUTPOST_UPDATE_PAUSE_AT: step, OUTPOST_UPDATE_RUN_ID: runId } });
      await waitFor(async () => (await tb.exec(d, `journalctl -t outpost-update --no-pager -o cat | grep -cF "[${runId}] step ${step}:"`)).stdout.trim() !== '0', {
        timeoutMs: 240_000,
        intervalMs: 500,
        what: `update.sh to reach ${step} on ${d.host}`,
      });
      await tb.exec(d, "pkill -9 -f 'scripts/update.sh' || true");
      await started;
      const pointed = await assertComplete(d);
      const switched = step === 'switch' || step === 'restart';
      expect(pointed, step).toBe(switched ? target : from);
      if (step === 'drain') {
        // Killed while draining: the appliance drains still, until the next run ends it, even a
        // run that changes nothing (here: outside its window).
        expect((await tb.exec(d, 'set -a; . /etc/outpost/device.env; curl -sS -H "authorization: Bearer $OUTPOST_API_TOKEN" http://127.0.0.1:8080/api/drain')).stdout).toMatch(/"state":"drained"/);
        const hour = Number((await tb.exec(d, 'date +%H')).stdout.trim());
        const elsewhen = `${String((hour + 2) % 24).padStart(2, '0')}:00-${String((hour + 3) % 24).padStart(2, '0')}:00`;
        expect((await update(d, { OUTPOST_UPDATE_WINDOW: elsewhen })).code).toBe(0);
        expect((await tb.exec(d, 'set -a; . /etc/outpost/device.env; curl -sS -H "authorization: Bearer $OUTPOST_API_TOKEN" http://127.0.0.1:8080/api/drain')).stdout).toBe('{"drain":null}');
      }
      if (switched) expect((await state(d)).pending?.version, step).toBe(target);
      // The service runs a complete release: the old one, or (killed after the restart) the new one.
      await waitFor(async () => [from, target].includes(await version(d)), { timeoutMs: 120_000, intervalMs: 500, what: `${d.host} to answer after the kill at ${step}` });
      const again = await update(d);
      expect(again.code, `${step}: ${again.stderr}`).toBe(0);
      expect(await version(d), step).toBe(target);
      expect(await assertComplete(d), step).toBe(target);
      expect((await state(d)).pending, step).toBeUndefined();
    }
  });

  it('brings the appliance back within 5 s after kill -9', async () => {
    const d = tb.devices[2]!;
    const pid = (await tb.exec(d, 'systemctl show -p MainPID --value outpost-device')).stdout.trim();
    // Measured on the device itself, so docker exec round trips do not count. "Back" is systemd
    // running a new appliance process; how soon that process answers depends on the CPU the test
    // run leaves it (bench:update reports it), so the health check only has to come eventually.
    const r = await tb.exec(
      d,
      [
        `kill -9 ${pid}; start=$(date +%s%N)`,
        `until p=$(systemctl show -p MainPID --value outpost-device) && [ "$p" != 0 ] && [ "$p" != ${pid} ] && [ "$(systemctl is-active outpost-device)" = active ]; do sleep 0.05; done`,
        'echo $(( ($(date +%s%N) - start) / 1000000 ))',
        'until curl -fsS -o /dev/null --max-time 1 http://127.0.0.1:8080/api/health; do sleep 0.1; done',
      ].join('; '),
      { timeoutMs: 60_000 },
    );
    const ms = Number(r.stdout.trim());
    expect(ms, r.stderr).toBeLessThan(5000);
    expect((await tb.exec(d, 'systemctl show -p MainPID --value outpost-device')).stdout.trim()).not.toBe(pid);
  });

  it('rolls back by hand with rollback.sh', async () => {
    const d = tb.devices[3]!;
    const from = await version(d);
    const r = await tb.exec(d, '/opt/outpost/current/scripts/rollback.sh');
    expect(r.code, r.stderr).toBe(0);
    expect(await version(d)).not.toBe(from);
    expect((await state(d)).last_result).toBe('rolled_back');
  });

  it("trusts nothing the service user can write: planted state, lock links and temp files change nothing as root", async () => {
    const d = tb.devices[2]!;
    const before = { current: await current(d), version: await version(d) };
    // A file only root may change, and what the outpost user plants to make root write through it
    // or point `current` at it: the update path of earlier versions read all of these.
    const planted = await tb.exec(
      d,
      [
        'set -e',
        'echo precious > /root/victim; chmod 600 /root/victim',
        'runuser -u outpost -- ln -sfn /root/victim /var/lib/outpost/update.lock',
        'runuser -u outpost -- ln -sfn /root/victim /var/lib/outpost/update-state.json.tmp.1',
        `runuser -u outpost -- sh -c 'echo "{\\"pending\\":{\\"version\\":\\"${before.current}\\",\\"previous\\":\\"../../../tmp\\"}}" > /var/lib/outpost/update-state.json'`,
        // Root's own directory is out of the service user's reach.
        'if runuser -u outpost -- touch /var/lib/outpost-update/x 2>/dev/null; then echo writable; exit 1; fi',
        'if runuser -u outpost -- touch /var/lib/outpost-update/work/x 2>/dev/null; then echo writable; exit 1; fi',
        'stat -c "%U %a" /var/lib/outpost-update /var/lib/outpost-update/work /var/lib/outpost-update/state.json',
      ].join('\n'),
    );
    expect(planted.code, planted.stdout + planted.stderr).toBe(0);
    expect(planted.stdout.trim().split('\n')).toEqual(['root 755', 'root 700', 'root 644']);
    const r = await update(d);
    expect(r.code, r.stderr).toBe(0);
    const victim = await tb.exec(d, 'cat /root/victim; stat -c %a /root/victim');
    expect(victim.stdout.trim().split('\n')).toEqual(['precious', '600']);
    expect(await current(d)).toBe(before.current);
    expect(await version(d)).toBe(before.version);
    await tb.exec(d, 'rm -f /var/lib/outpost/update.lock /var/lib/outpost/update-state.json* /root/victim');
  });

  it('waits while Ansible holds the device: a hold in force changes nothing, one past its end is lifted', async () => {
    const d = tb.devices[2]!;
    const before = await current(d);
    // What deploy.yml's hold (roles/outpost_device/tasks/hold.yml) leaves while it unpacks a release.
    const hold = (offsetS: number) => `echo "$(($(date +%s) + ${offsetS}))" > /var/lib/outpost-update/hold`;
    await tb.exec(d, `mkdir -p /opt/outpost/releases/.unpack-ansible; ${hold(600)}`);
    const held = await update(d);
    expect(held.code, held.stderr).toBe(2);
    expect(held.stderr).toMatch(/Ansible holds pull updates on this host until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect((await tb.exec(d, 'test -d /opt/outpost/releases/.unpack-ansible')).code, 'the unpack in progress was cleaned away').toBe(0);
    // Root's directory: the service user can neither lift a hold nor set one.
    expect((await tb.exec(d, 'runuser -u outpost -- rm -f /var/lib/outpost-update/hold; test -e /var/lib/outpost-update/hold')).code).toBe(0);
    // A play that never ended its hold: past its end, the next run lifts it and goes on.
    await tb.exec(d, hold(-1));
    const lifted = await update(d);
    expect(lifted.code, lifted.stderr).toBe(0);
    expect((await tb.exec(d, 'test ! -e /var/lib/outpost-update/hold && test ! -e /opt/outpost/releases/.unpack-ansible')).code).toBe(0);
    expect(await current(d)).toBe(before);
  });

  it('refuses to go down to a version the device never ran until the operator signs off the rollback', async () => {
    const d = tb.devices[2]!;
    const from = await version(d);
    expect(from).not.toBe(V_NEVER_RUN);
    publish(rel.tarball(V_NEVER_RUN));
    expect((await admin('POST', '/api/rollouts/stable', { version: V_NEVER_RUN, percent: 100 })).status).toBe(200);
    const refused = await update(d);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(/never ran, is not signed off/);
    expect(await version(d)).toBe(from);
    expect((await state(d)).last_result).toBe('refused');
    // A refusal counts against the rollout (one device of four passes 20%): it halted.
    expect((await admin('POST', '/api/rollouts/stable/resume')).status).toBe(200);
    // The operator signs it off with the release key, and the monitor serves the sign-off beside it.
    execFileSync(join(rootDir, 'scripts/build-release.sh'), ['approve-rollback', V_NEVER_RUN, '--out', releasesDir], { env: { ...process.env, OUTPOST_KEYS_DIR: rel.keysDir }, stdio: 'ignore' });
    const approved = await update(d);
    expect(approved.code, approved.stderr).toBe(0);
    expect(await version(d)).toBe(V_NEVER_RUN);
    // Back up again to what it ran, and down once more to the version it has now run: no sign-off needed.
    rmSync(join(releasesDir, `outpost-${V_NEVER_RUN}-linux-x64.tar.gz.rollback.sig`));
    expect((await tb.exec(d, `/opt/outpost/current/scripts/rollback.sh ${from}`)).code).toBe(0);
    expect((await update(d)).code).toBe(0);
    expect(await version(d)).toBe(V_NEVER_RUN);
  });

  it('waits for the device: outside its window it changes nothing; with a session live it postpones, and updates once the session ends', { timeout: 600_000 }, async () => {
    const d = tb.devices[0]!;
    // A version the monitor has no reports about (2.3.0 was only offered by stand-in monitors).
    const target = '2.3.0';
    publish(rel.tarball(target));
    await admin('POST', '/api/rollouts/stable/resume');
    expect((await admin('POST', '/api/rollouts/stable', { version: target, percent: 100 })).status).toBe(200);
    const from = await version(d);
    expect(from).not.toBe(target);
    /** The device's own API, with the token install.sh wrote. */
    const api = async (method: 'GET' | 'POST' | 'DELETE', path: string) => {
      const body = method === 'POST' ? "-H 'content-type: application/json' --data '{}'" : '';
      const r = await tb.exec(d, `set -a; . /etc/outpost/device.env; curl -sS -X ${method} ${body} -H "authorization: Bearer $OUTPOST_API_TOKEN" http://127.0.0.1:8080${path}`);
      return JSON.parse(r.stdout) as Record<string, any>;
    };

    // A window that is not now (the device's local hour + 2): one log line, nothing changes.
    const hour = Number((await tb.exec(d, 'date +%H')).stdout.trim());
    const window = `${String((hour + 2) % 24).padStart(2, '0')}:00-${String((hour + 3) % 24).padStart(2, '0')}:00`;
    const outside = await update(d, { OUTPOST_UPDATE_WINDOW: window });
    expect(outside.code, outside.stderr).toBe(0);
    expect(outside.stderr).toMatch(new RegExp(`outside the update window ${window}: ${target} waits until`));
    expect(await version(d)).toBe(from);
    expect((await state(d)).next_window).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
    const waiting = (await admin('GET', '/api/updates/reports?limit=20')).body as Array<{ device: string; result: string }>;
    expect(waiting.some((r) => r.device === d.host && r.result === 'waiting_window')).toBe(true);

    // A client's session is live: the drain waits for it, times out, ends, and nothing changes.
    const session = await api('POST', '/api/sessions');
    expect(session.id, JSON.stringify(session)).toMatch(/^[A-Za-z0-9_-]+$/);
    const postponed = await update(d, { OUTPOST_UPDATE_DRAIN_TIMEOUT_S: '5' });
    expect(postponed.code, postponed.stderr).toBe(7);
    expect(postponed.stderr).toMatch(/result: postponed/);
    expect(await version(d)).toBe(from);
    expect(await api('GET', '/api/drain')).toEqual({ drain: null });
    expect((await api('GET', `/api/sessions/${session.id}`)).id).toBe(session.id);
    expect((await state(d)).last_result).toBe('postponed');
    // Postponed is not a failure: the rollout counts it apart and does not halt.
    const rollout = ((await admin('GET', '/api/rollouts')).body as Array<{ channel: string; state: string; postponed: number; waiting_window: number }>).find((r) => r.channel === 'stable');
    expect(rollout?.postponed, JSON.stringify(rollout)).toBe(1);
    expect(rollout?.state, JSON.stringify(rollout)).not.toBe('halted');

    // The session ends: the next run drains at once and updates.
    await api('DELETE', `/api/sessions/${session.id}`);
    const updated = await update(d, { OUTPOST_UPDATE_DRAIN_TIMEOUT_S: '5' });
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stderr).toMatch(/step drain: drained/);
    expect(await version(d)).toBe(target);
    expect(await api('GET', '/api/drain')).toEqual({ drain: null });
  });

  it('the fleet owner uploads a release from the dashboard and rolls it out to half of a group, and the real update.sh runs follow it, halted and resumed', { timeout: 600_000 }, async () => {
    const shots = join(rootDir, 'test-results');
    mkdirSync(shots, { recursive: true });
    const files = (tarball: string, v = V_UPLOADED) => [tarball, ...['.sha256', '.sha256.sig'].map((x) => `${rel.tarball(v)}${x}`)];
    // Which lab devices 50% selects is a hash of channel, version and id: fixed for these names.
    const lab = tb.devices.filter((d) => d.host !== 'tb1');
    const [first, second] = lab.filter((d) => isSelected('stable', V_UPLOADED, d.host, 50));
    const left = lab.filter((d) => !isSelected('stable', V_UPLOADED, d.host, 50));
    expect([first, second].every(Boolean) && left.length > 0, 'the split puts lab devices on both sides').toBe(true);
    const outside = tb.devices.find((d) => d.host === 'tb1')!;

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await useToken(page, updates.tokens.fleet);

      // Upload: a tampered tarball is refused with the reason and nothing kept; the real one verifies.
      await page.goto(`${updates.url}/releases`);
      const tampered = join(dir.path, 'tampered', rel.tarball(V_UPLOADED).split('/').pop()!);
      mkdirSync(join(dir.path, 'tampered'), { recursive: true });
      copyFileSync(rel.tarball(V_UPLOADED), tampered);
      appendFileSync(tampered, 'not what was signed');
      await page.getByTestId('release-upload-files').setInputFiles(files(tampered));
      await page.getByTestId('release-upload-submit').click();
      await page.getByText(/does not match its signed sha256/).waitFor({ timeout: 120_000 });
      expect(await page.getByTestId(`release-row-${V_UPLOADED}`).count()).toBe(0);
      await page.getByTestId('release-upload-files').setInputFiles(files(rel.tarball(V_UPLOADED)));
      await page.getByTestId('release-upload-submit').click();
      await page.getByTestId('release-upload-done').getByText(`Release ${V_UPLOADED} verified and added.`).waitFor({ timeout: 120_000 });
      await page.screenshot({ path: join(shots, 'fleet-e2e-releases.png'), fullPage: true });

      // 50% of the lab group, from the Rollouts page.
      await page.goto(`${updates.url}/rollouts`);
      const summary = page.getByTestId('rollout-summary-stable');
      const count = (what: string) => page.getByTestId(`count-stable-${what}`).textContent();
      await page.getByTestId('start-stable').click();
      await page.getByTestId('start-version').selectOption(V_UPLOADED);
      await page.getByTestId('start-percent').fill('50');
      await page.getByTestId('start-group').fill(LAB);
      await page.getByTestId('start-submit').click();
      await expect.poll(() => summary.textContent(), { timeout: 10_000 }).toMatch(new RegExp(`${V_UPLOADED.replace(/\./g, '\\.')} offered to 50% of group ${LAB}`));
      expect(await count('selected')).toBe('2 selected');
      expect(await count('pending')).toBe('2 not yet reported');

      // The first selected device runs update.sh (as its cron would): it updates, and the count moves.
      expect((await update(first!)).code).toBe(0);
      expect(await version(first!)).toBe(V_UPLOADED);
      await expect.poll(() => count('updated'), { timeout: 30_000 }).toBe('1 updated');
      expect(await count('pending')).toBe('1 not yet reported');

      // Halted from the page: the second selected device is not offered the release meanwhile.
      await page.getByTestId('halt-stable').click();
      await expect.poll(() => page.getByTestId('rollout-state-stable').textContent(), { timeout: 10_000 }).toBe('halted');
      await update(second!);
      expect(await version(second!)).not.toBe(V_UPLOADED);
      await page.screenshot({ path: join(shots, 'fleet-e2e-rollout-halted.png'), fullPage: true });

      // Resumed: its next run takes it; the device outside the group and the one left out do not move to it.
      await page.getByTestId('resume-stable').click();
      await expect.poll(() => page.getByTestId('rollout-state-stable').textContent(), { timeout: 10_000 }).toBe('active');
      const secondFrom = await version(second!);
      expect((await update(second!)).code).toBe(0);
      expect(await version(second!)).toBe(V_UPLOADED);
      for (const d of [outside, ...left]) expect((await update(d)).code, d.host).toBe(0);
      expect(await version(outside)).not.toBe(V_UPLOADED);
      for (const d of left) expect(await version(d)).not.toBe(V_UPLOADED);
      await expect.poll(() => count('updated'), { timeout: 30_000 }).toBe('2 updated');
      expect(await count('pending')).toBe('0 not yet reported');
      await page.screenshot({ path: join(shots, 'fleet-e2e-rollout-done.png'), fullPage: true });

      // The history has each change; the device page has the real report in its timeline.
      const history = (await page.getByTestId('history-list').textContent()) ?? '';
      for (const line of [`stable: ${V_UPLOADED} to group ${LAB}`, 'started by admin', 'halted by admin', 'resumed by admin']) expect(history).toContain(line);
      await page.getByTestId('count-stable-updated').click();
      await page.getByTestId('rollout-devices-stable-updated').getByText(second!.host).click();
      await page.getByTestId('device-detail').waitFor();
      await expect.poll(() => page.getByTestId('update-timeline').textContent(), { timeout: 10_000 }).toMatch(new RegExp(`updated\\s*${secondFrom} → ${V_UPLOADED} on stable`.replace(/\./g, '\\.')));
      await page.screenshot({ path: join(shots, 'fleet-e2e-device-timeline.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
