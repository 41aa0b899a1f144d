// Several monitors on one PostgreSQL, deployed for real: site.yml against a testbed of systemd hosts
// where tb1 runs PostgreSQL (group fleet_db) and a monitor, tb2 a second monitor, tb3 a device.
// What the role promises (its README, "Several monitors on one PostgreSQL"): Debian's PostgreSQL
// listening where the monitors reach it and letting in only them, with scram-sha-256; every
// monitor's fleet.env naming the database, its own id and the same tokens; a password that is in
// no command line, journal, PostgreSQL log or Ansible output; a second run that changes nothing.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir, waitFor } from '../../device/test/index.js';
import { buildTestReleases, startTestbed, type Testbed, type TestbedDevice, type TestReleases } from '../../scripts/testbed/testbed.js';
import { FLEET_BACKOFF_MAX_S, playbook, testbedVars } from './ansible-helpers.js';

describe('outpost_fleet with a fleet_db group: PostgreSQL and two monitors on a testbed', () => {
  const dir = tempDir('outpost-fleet-cluster-');
  const inventory = join(dir.path, 'hosts.ini');
  let tb: Testbed;
  let rel: TestReleases;
  let db: TestbedDevice;
  let monitors: TestbedDevice[];
  let device: TestbedDevice;

  const sh = async (d: TestbedDevice, cmd: string) => {
    const r = await tb.exec(d, cmd, { timeoutMs: 60_000 });
    return { ...r, stdout: r.stdout.trim() };
  };
  /** A value of the monitor's fleet.env, read as systemd and the shell read it (values are quoted data). */
  const envOf = async (d: TestbedDevice, name: string) => (await sh(d, `set -a; . /etc/outpost/fleet.env; printf %s "$${name}"`)).stdout;
  /** The monitor's API with its token, the header from stdin (not on curl's command line). */
  const fleetApi = async (d: TestbedDevice, path: string) => {
    const r = await sh(d, `. /etc/outpost/fleet.env; printf 'authorization: Bearer %s\\n' "$OUTPOST_FLEET_TOKEN" | curl -fsS -H @- http://127.0.0.1:9000${path}`);
    return JSON.parse(r.stdout || 'null') as unknown;
  };
  /** psql as the superuser on the database host, in the monitors' database. */
  const asPostgres = (sql: string) => sh(db, `runuser -u postgres -- psql -d outpost_fleet -Atc "${sql}"`);
  /**
   * psql on a host to the database on tb1 as the monitors' role, with the password in the file
   * `passwordFile` on that host (the environment carries it to psql, not its command line).
   */
  const psqlFrom = (d: TestbedDevice, passwordFile: string, sql: string) =>
    sh(d, `PGPASSWORD="$(cat ${passwordFile})" PGCONNECT_TIMEOUT=5 psql -h ${db.ip} -U outpost_fleet -d outpost_fleet -Atc "${sql}" 2>&1`);
  /** Puts `text` into a root-only file on a host, through a file here rather than a command line. */
  const putFile = async (d: TestbedDevice, path: string, text: string) => {
    const local = join(dir.path, 'put');
    writeFileSync(local, text, { mode: 0o600 });
    await tb.copyIn(d, local, path);
    rmSync(local);
  };

  beforeAll(async () => {
    rel = buildTestReleases(inject('testReleasesDir'), []);
    tb = await startTestbed({ name: 'outpost-tb-cluster', count: 3, net: 83, sshBase: 2800, httpBase: 18700 });
    const [tb1, tb2, tb3] = tb.devices as [TestbedDevice, TestbedDevice, TestbedDevice];
    db = tb1;
    monitors = [tb1, tb2];
    device = tb3;
    const line = (d: TestbedDevice) => `${d.host} ansible_host=127.0.0.1 ansible_port=${d.sshPort} outpost_address=${d.ip}`;
    const lines = [
      '[fleet]',
      ...monitors.map(line),
      '',
      '[fleet_db]',
      db.host,
      '',
      '[devices]',
      line(device),
      '',
      ...testbedVars(tb, rel),
      'outpost_vpn=none',
      // No browsers: this test is about the monitors, and the machine has two cores.
      'outpost_device_pool_headless=0',
      'outpost_device_pool_vnc=0',
    ];
    writeFileSync(inventory, `${lines.join('\n')}\n`, { mode: 0o600 });
  }, 600_000);
  afterAll(async () => {
    await tb?.down();
    dir.remove();
  });

  it('site.yml runs PostgreSQL on tb1 and a monitor on tb1 and tb2 on it, both see the device, the password shows nowhere, a second run changes nothing', { timeout: 900_000 }, async () => {
    const first = await playbook(inventory, 'site.yml', { outpost_release_version: '1.0.0' });
    expect(first.code, first.output.slice(-3000)).toBe(0);

    // PostgreSQL runs on the database host only, enabled, listening on localhost and its address.
    expect((await sh(db, 'systemctl is-enabled postgresql; systemctl is-active postgresql@15-main')).stdout.split('\n')).toEqual(['enabled', 'active']);
    expect((await sh(monitors[1]!, 'systemctl is-active postgresql@15-main')).stdout).not.toBe('active');
    const listening = (await sh(db, "ss -Hltn 'sport = :5432' | awk '{print $4}'")).stdout.split('\n');
    expect(listening).toEqual(expect.arrayContaining([`${db.ip}:5432`, '127.0.0.1:5432']));
    expect(listening.filter((a) => /^(0\.0\.0\.0|\*|\[::\]):/.test(a))).toEqual([]);

    // Every monitor: fleet.env root's alone, the same database URL, its own id, the same tokens.
    const url = await envOf(db, 'OUTPOST_FLEET_DB');
    const password = /^postgres:\/\/outpost_fleet:([A-Za-z0-9]{40})@([0-9.]+):5432\/outpost_fleet$/.exec(url);
    expect(password, 'OUTPOST_FLEET_DB is a postgres:// URL').not.toBeNull();
    expect(password![2]).toBe(db.ip);
    const secret = password![1]!;
    for (const m of monitors) {
      expect((await sh(m, 'stat -c "%a %U %G" /etc/outpost/fleet.env')).stdout, m.host).toBe('600 root root');
      expect(await envOf(m, 'OUTPOST_FLEET_DB'), m.host).toBe(url);
      expect(await envOf(m, 'OUTPOST_FLEET_MONITOR_ID'), m.host).toBe(m.host);
      expect(await envOf(m, 'OUTPOST_FLEET_LEASE_S'), m.host).toBe('15');
      expect(await envOf(m, 'OUTPOST_FLEET_DATA_DIR'), m.host).toBe('/var/lib/outpost-fleet');
      for (const t of ['OUTPOST_FLEET_TOKEN', 'OUTPOST_FLEET_DEVICE_TOKEN', 'OUTPOST_FLEET_UPDATE_TOKEN']) {
        expect(await envOf(m, t), `${m.host} ${t}`).toBe(await envOf(db, t));
      }
      expect(JSON.parse((await sh(m, 'curl -fsS http://127.0.0.1:9000/api/health')).stdout), m.host).toMatchObject({ version: '1.0.0' });
      // Each keeps its own copy of the release for the update server.
      expect((await sh(m, 'ls /var/lib/outpost-fleet/releases')).stdout.split('\n'), m.host).toContain('outpost-1.0.0-linux-x64.tar.gz');
    }
    // The generated password is kept on the database host, root's alone, and nowhere else.
    expect((await sh(db, 'stat -c "%a %U %G" /etc/outpost/fleet-db.password; cat /etc/outpost/fleet-db.password')).stdout.split('\n')).toEqual(['600 root root', secret]);
    expect((await sh(monitors[1]!, 'ls /etc/outpost')).stdout.split('\n').sort()).toEqual(['fleet.env', 'fleet.yaml']);

    // PostgreSQL keeps a SCRAM verifier, lets the monitors in with the password, and nobody else:
    // not a wrong password, not the right one from a host that is no monitor.
    expect((await asPostgres("select left(rolpassword, 14) from pg_authid where rolname = 'outpost_fleet'")).stdout).toBe('SCRAM-SHA-256$');
    await putFile(db, '/root/pw', secret);
    await putFile(monitors[1]!, '/root/pw', 'not-the-password');
    await putFile(device, '/root/pw', secret);
    expect((await psqlFrom(db, '/root/pw', 'select current_user')).stdout).toBe('outpost_fleet');
    expect((await psqlFrom(monitors[1]!, '/root/pw', 'select 1')).stdout).toMatch(/password authentication failed for user "outpost_fleet"/);
    expect((await psqlFrom(device, '/root/pw', 'select 1')).stdout).toMatch(new RegExp(`no pg_hba\\.conf entry for host "${device.ip.replaceAll('.', '\\.')}"`));
    for (const h of tb.devices) await sh(h, 'rm -f /root/pw');

    // Both monitors run on it: PostgreSQL has sessions of the monitors' role from each monitor's
    // address, and the tables their migrations made.
    const clients = (await asPostgres("select distinct client_addr from pg_stat_activity where usename = 'outpost_fleet' order by 1")).stdout.split('\n');
    expect(clients).toEqual(monitors.map((m) => m.ip).sort());
    expect((await asPostgres("select count(*) > 0 from schema_migrations")).stdout).toBe('t');

    // Both monitors work from the one store: each sees the device online (it accepts either
    // monitor's polls: they hold the same device token).
    for (const m of monitors) {
      await waitFor(
        async () => {
          const list = (await fleetApi(m, '/api/devices')) as Array<{ id: string; status: string; version: string }> | null;
          return list?.find((x) => x.id === device.host && x.status === 'online' && x.version === '1.0.0') !== undefined;
        },
        { timeoutMs: (FLEET_BACKOFF_MAX_S + 60) * 1000, intervalMs: 1000, what: `${m.host} to see ${device.host} online` },
      );
    }

    // They share the fleet: each lists both alive at their own addresses, one leading, and the one
    // device in exactly one share.
    for (const m of monitors) {
      const list = await waitFor(
        async () => {
          const l = (await fleetApi(m, '/api/monitors')) as { mode: string; monitors: Array<{ id: string; url: string; alive: boolean; leader: boolean; devices: number }> } | null;
          return l && l.monitors.filter((x) => x.alive).length === 2 && l.monitors.reduce((n, x) => n + x.devices, 0) === 1 ? l : null;
        },
        { timeoutMs: 60_000, intervalMs: 1000, what: `${m.host} to list both monitors` },
      );
      expect(list.mode).toBe('shared');
      expect(list.monitors.map((x) => [x.id, x.url]).sort()).toEqual(monitors.map((x) => [x.host, `http://${x.ip}:9000`]).sort());
      expect(list.monitors.filter((x) => x.leader)).toHaveLength(1);
    }

    // The password is in no command line, no journal, no PostgreSQL log and not in Ansible's output.
    for (const h of tb.devices) {
      expect((await sh(h, 'ps -eo args')).stdout, `${h.host}: ps`).not.toContain(secret);
      expect((await sh(h, 'journalctl --no-pager -o cat')).stdout, `${h.host}: journal`).not.toContain(secret);
    }
    expect((await sh(db, 'cat /var/log/postgresql/*.log')).stdout).not.toContain(secret);
    expect(first.output).not.toContain(secret);

    // A second run changes nothing, on any host.
    const second = await playbook(inventory, 'site.yml', { outpost_release_version: '1.0.0' });
    expect(second.code, second.output.slice(-3000)).toBe(0);
    expect(Object.keys(second.recap).sort()).toEqual(tb.devices.map((d) => d.host).sort());
    for (const [host, r] of Object.entries(second.recap)) expect(r.changed, `${host} changed on the second run`).toBe(0);
    expect(second.output).not.toContain(secret);
  });

  it('a run limited to the second monitor reads the password and the tokens from tb1 and changes nothing', { timeout: 600_000 }, async () => {
    const before = await Promise.all(['OUTPOST_FLEET_DB', 'OUTPOST_FLEET_TOKEN', 'OUTPOST_FLEET_DEVICE_TOKEN'].map((n) => envOf(monitors[1]!, n)));
    const r = await playbook(inventory, 'site.yml', { outpost_release_version: '1.0.0' }, ['--limit', monitors[1]!.host]);
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(Object.keys(r.recap)).toEqual([monitors[1]!.host]);
    expect(r.recap[monitors[1]!.host]?.changed).toBe(0);
    expect(await Promise.all(['OUTPOST_FLEET_DB', 'OUTPOST_FLEET_TOKEN', 'OUTPOST_FLEET_DEVICE_TOKEN'].map((n) => envOf(monitors[1]!, n)))).toEqual(before);
  });
});
