// Three monitors, each its own process (the compiled monitor, as systemd runs it), sharing one real
// PostgreSQL (fleet/test/postgres-cluster.ts), polling simulated devices on loopback, with a real
// webhook receiver counting every notification. What the issue asks of monitors that share the fleet:
// - each device is polled by exactly one monitor (the simulators see who asks: x-outpost-monitor);
// - kill -9 one of them (the leader): within one poll interval plus the lease, its devices are
//   polled by the others; no device shows offline because of it; no alert is sent twice, none lost;
// - start it again: the shares rebalance, and again each device has one poller;
// - the dashboard's API gives the same answers from every monitor.
// Deadlines come from the product's promise (poll interval + lease) or are generous waits for
// something that must happen eventually; nothing here is timed against this machine's speed.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runBuiltMain, tempDir, testToken, waitFor } from '../../../device/test/index.js';
import { startSimulators, type Simulators } from '../../test/device-simulator.js';
import { startPostgresCluster, type PostgresCluster } from '../../test/postgres-cluster.js';

const TOKEN = testToken();
const DEVICES = 60;
const INTERVAL_S = 2;
const LEASE_S = 3;
/** The promise: a dead monitor's devices are polled by the others within one poll interval plus the lease. */
const TAKEOVER_MS = (INTERVAL_S + LEASE_S) * 1000;
const IDS = ['m1', 'm2', 'm3'] as const;

interface Hook {
  kind: string;
  alert_id: string;
}

interface MonitorList {
  mode: string;
  self: string;
  leader: string | null;
  monitors: Array<{ id: string; alive: boolean; leader: boolean; self: boolean; devices: number }>;
}

interface DeviceItem {
  id: string;
  status: string;
  polled_by: string | null;
}

describe('monitors sharing one PostgreSQL store', () => {
  const dir = tempDir('outpost-fleet-cluster-');
  const inventory = join(dir.path, 'fleet.yaml');
  const hooks: Hook[] = [];
  let pg: PostgresCluster;
  let dbUrl: string;
  let sims: Simulators;
  let receiver: Server;
  let hookUrl: string;
  const ports = new Map<string, number>();
  const procs = new Map<string, ReturnType<typeof runBuiltMain>>();

  function start(id: string): void {
    const run = runBuiltMain('fleet', {
      OUTPOST_LOG_LEVEL: 'info',
      OUTPOST_FLEET_DB: dbUrl,
      OUTPOST_FLEET_MONITOR_ID: id,
      OUTPOST_FLEET_PORT: String(ports.get(id)),
      OUTPOST_FLEET_DATA_DIR: join(dir.path, id),
      OUTPOST_FLEET_TOKEN: TOKEN,
      OUTPOST_FLEET_INVENTORY: inventory,
      OUTPOST_FLEET_POLL_INTERVAL_S: String(INTERVAL_S),
      OUTPOST_FLEET_POLL_TIMEOUT_MS: '1000',
      OUTPOST_FLEET_FAILURES_TO_OFFLINE: '2',
      OUTPOST_FLEET_LEASE_S: String(LEASE_S),
      OUTPOST_ALERT_WEBHOOK_URL: hookUrl,
      OUTPOST_ALERT_RATE_PER_MINUTE: '1000',
    });
    procs.set(id, run);
  }

  async function api<T>(id: string, path: string): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${ports.get(id)}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (!res.ok) throw new Error(`${id} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  const running = () => [...procs].filter(([, p]) => p.child.exitCode === null && p.child.signalCode === null).map(([id]) => id);
  const monitorsOf = (id: string) => api<MonitorList>(id, '/api/monitors');
  const devicesOf = async (id: string) => await api<DeviceItem[]>(id, '/api/devices?view=summary&limit=1000');
  const sent = (alert: string, kind: string) => hooks.filter((h) => h.alert_id === alert && h.kind === kind).length;

  /** Every running monitor sees exactly `ids` alive, and their shares cover the fleet. */
  async function settled(ids: readonly string[]): Promise<void> {
    await waitFor(
      async () => {
        for (const id of running()) {
          const list = await monitorsOf(id);
          const alive = list.monitors.filter((m) => m.alive);
          if (alive.map((m) => m.id).join() !== [...ids].sort().join()) return false;
          if (alive.reduce((n, m) => n + m.devices, 0) !== DEVICES) return false;
          if (alive.filter((m) => m.leader).length !== 1) return false;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `monitors ${ids.join(', ')} to settle` },
    );
  }

  /** From now on, each device answers polls of one monitor only: the one the API says polls it. */
  async function onePollerEach(): Promise<void> {
    for (const d of sims.devices) d.pollers.clear();
    const up = sims.devices.filter((d) => d.behaviour !== 'down');
    // Every live device polled at least twice since the reset.
    await waitFor(() => up.every((d) => [...d.pollers.values()].reduce((n, p) => n + p.count, 0) >= 2), {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'every device to be polled twice',
    });
    const byApi = new Map((await devicesOf(running()[0]!)).map((d) => [d.id, d.polled_by]));
    for (const d of up) {
      expect([...d.pollers.keys()], d.id).toEqual([byApi.get(d.id)]);
    }
  }

  beforeAll(async () => {
    pg = await startPostgresCluster();
    dbUrl = await pg.createDatabase();
    // Two devices are down from the start: their offline alerts are what the receiver counts.
    sims = await startSimulators({ count: DEVICES, base: 60, port: await freePort(), behaviour: (i) => (i < 2 ? 'down' : 'healthy') });
    writeFileSync(inventory, `devices:\n${sims.devices.map((d) => `  - id: ${d.id}\n    address: ${d.address}\n    port: ${d.port}\n`).join('')}`);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Hook);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    for (const id of IDS) ports.set(id, await freePort());
    for (const id of IDS) start(id);
  }, 120_000);

  afterAll(async () => {
    for (const p of procs.values()) p.child.kill('SIGTERM');
    await Promise.all([...procs.values()].map((p) => p.exited));
    await sims?.close();
    receiver?.closeAllConnections();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await pg?.stop();
    dir.remove();
  }, 60_000);

  it('splits the devices: each is polled by exactly one monitor, and one monitor leads', async () => {
    await settled(IDS);
    const list = await monitorsOf('m1');
    expect(list.mode).toBe('shared');
    for (const m of list.monitors) expect(m.devices).toBeGreaterThan(0);
    await onePollerEach();
    // The devices that are down are offline, and each offline alert went out once.
    await waitFor(() => sent('offline:sim-00000', 'open') === 1 && sent('offline:sim-00001', 'open') === 1, { timeoutMs: 60_000, what: 'the offline alerts' });
  }, 180_000);

  it('gives the same answers from every monitor', async () => {
    const view = async (id: string) => {
      const devices = (await devicesOf(id)).map((d) => `${d.id}:${d.status}:${d.polled_by}`).sort();
      const alerts = (await api<Array<{ key: string }>>(id, '/api/alerts')).map((a) => a.key).sort();
      const monitors = (await monitorsOf(id)).monitors.map((m) => `${m.id}:${m.alive}:${m.leader}:${m.devices}`);
      return JSON.stringify({ devices, alerts, monitors });
    };
    await waitFor(
      async () => {
        const [a, b, c] = await Promise.all(IDS.map(view));
        return a === b && b === c;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'every monitor to answer the same' },
    );
    const answer = JSON.parse(await view('m2')) as { devices: string[]; alerts: string[] };
    expect(answer.devices.filter((d) => d.includes(':offline:'))).toHaveLength(2);
    expect(answer.alerts).toEqual(expect.arrayContaining(['offline:sim-00000', 'offline:sim-00001']));
  }, 60_000);

  it('takes a killed leader devices over within the poll interval plus the lease; no device goes offline, no alert is sent twice', async () => {
    const leader = (await monitorsOf('m1')).leader!;
    const own = new Map((await devicesOf('m1')).map((d) => [d.id, d.polled_by]));
    const orphans = sims.devices.filter((d) => own.get(d.id) === leader && d.behaviour !== 'down');
    expect(orphans.length).toBeGreaterThan(0);
    const survivors = IDS.filter((id) => id !== leader);
    const before = hooks.length;

    const killedAt = Date.now();
    procs.get(leader)!.child.kill('SIGKILL');
    await procs.get(leader)!.exited;
    // Polled by a survivor since the kill: the first time each was, taken from the simulators.
    const takenOver = () => orphans.every((d) => [...d.pollers].some(([m, p]) => m !== leader && p.lastAt > killedAt));
    // Meanwhile no healthy device may show anything but online on any survivor.
    const notOnline = new Set<string>();
    while (!takenOver() && Date.now() - killedAt < TAKEOVER_MS + 5000) {
      for (const id of survivors) for (const d of await devicesOf(id)) if (!['sim-00000', 'sim-00001'].includes(d.id) && d.status !== 'online') notOnline.add(`${id}: ${d.id} ${d.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const took = Math.max(...orphans.map((d) => Math.min(...[...d.pollers].filter(([m, p]) => m !== leader && p.lastAt > killedAt).map(([, p]) => p.lastAt)) - killedAt));
    expect(takenOver(), 'every orphan polled by a survivor').toBe(true);
    expect(took).toBeLessThanOrEqual(TAKEOVER_MS);
    expect([...notOnline]).toEqual([]);

    await settled(survivors);
    // A survivor leads now; the alerts it found open were sent already and are not sent again.
    expect(hooks.slice(before).filter((h) => h.kind === 'open')).toEqual([]);
    for (const id of survivors) for (const d of await devicesOf(id)) if (!['sim-00000', 'sim-00001'].includes(d.id)) expect(d.status, `${id}: ${d.id}`).toBe('online');

    // What happens after the takeover is notified once: a device going down, one coming back.
    await sims.set('sim-00002', 'down');
    await sims.set('sim-00000', 'healthy');
    await waitFor(() => sent('offline:sim-00002', 'open') === 1 && sent('offline:sim-00000', 'resolved') === 1, { timeoutMs: 60_000, what: 'the new leader to notify' });
    await onePollerEach();
  }, 180_000);

  it('rebalances when the killed monitor starts again, and no notification was ever sent twice', async () => {
    const gone = IDS.find((id) => !running().includes(id))!;
    start(gone);
    await settled(IDS);
    const list = await monitorsOf(gone);
    for (const m of list.monitors) expect(m.devices, m.id).toBeGreaterThan(0);
    await onePollerEach();
    const counts = new Map<string, number>();
    for (const h of hooks) counts.set(`${h.alert_id} ${h.kind}`, (counts.get(`${h.alert_id} ${h.kind}`) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(counts.get('offline:sim-00001 open')).toBe(1);
  }, 180_000);
});
