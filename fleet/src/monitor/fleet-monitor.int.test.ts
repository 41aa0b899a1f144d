// The monitor against real HTTP device simulators on loopback, with real alert receivers (an HTTP
// server and an SMTP server on loopback) and the real SQLite store.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testToken, waitFor } from '../../../device/test/index.js';
import { startSimulators, type Behaviour, type Simulators } from '../../test/device-simulator.js';
import { buildFleetApp } from '../app.js';
import { loadFleetConfig } from '../config.js';

const TOKEN = testToken();
const BEHAVIOURS: Behaviour[] = ['healthy', 'healthy', 'healthy', 'healthy', 'down', 'slow', 'hang', 'http500', 'garbage', 'wrong_schema', 'degraded', 'healthy'];

interface Received {
  webhooks: Array<{ kind: string; alert_id: string; title: string; rule: string }>;
  emails: string[];
}

async function startReceivers(received: Received) {
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.webhooks.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, cb) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        received.emails.push(raw);
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  return {
    webhookUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`,
    smtpPort: (smtp.server.address() as AddressInfo).port,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
      await new Promise<void>((r) => smtp.close(() => r()));
    },
  };
}

describe('fleet monitor', () => {
  const dir = tempDir('outpost-fleet-');
  const inventory = join(dir.path, 'fleet.yaml');
  const received: Received = { webhooks: [], emails: [] };
  let sims: Simulators;
  let receivers: Awaited<ReturnType<typeof startReceivers>>;
  let app: FastifyInstance;
  const env = () => ({
    OUTPOST_LOG_LEVEL: 'silent',
    OUTPOST_FLEET_INVENTORY: inventory,
    OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
    OUTPOST_FLEET_TOKEN: TOKEN,
    OUTPOST_FLEET_POLL_TIMEOUT_MS: '400',
    OUTPOST_FLEET_FAILURES_TO_OFFLINE: '3',
    OUTPOST_FLEET_SUCCESSES_TO_ONLINE: '2',
    OUTPOST_FLEET_TARGET_VERSION: '1.0.0',
    OUTPOST_ALERT_WEBHOOK_URL: receivers.webhookUrl,
    OUTPOST_ALERT_SMTP_URL: `smtp://127.0.0.1:${receivers.smtpPort}`,
    OUTPOST_ALERT_EMAIL_FROM: 'outpost@fleet.test',
    OUTPOST_ALERT_EMAIL_TO: 'ops@fleet.test',
    OUTPOST_ALERT_RATE_PER_MINUTE: '1000',
  });
  const cycles = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      // Every device is due each time: the test drives cycles instead of waiting an interval.
      for (const d of app.registry.all()) d.nextPollAt = 0;
      await app.monitor.poller.runCycle();
    }
    // The cycle's batch goes to the store without the poller waiting for it.
    await app.monitor.flush();
  };
  const api = async (url: string) => {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  };
  const writeInventory = (devices: typeof sims.devices) =>
    writeFileSync(
      inventory,
      `devices:\n${devices
        .map((d, i) => `  - id: ${d.id}\n    address: ${d.address}\n    port: ${d.port}\n    groups: [${i % 2 === 0 ? 'lisbon' : 'porto'}${i === 0 ? ', canary' : ''}]\n`)
        .join('')}`,
    );

  beforeAll(async () => {
    sims = await startSimulators({ count: BEHAVIOURS.length, port: 18081, behaviour: (i) => BEHAVIOURS[i]!, version: (i) => (i === 11 ? '0.9.0' : '1.0.0'), slowMs: 5000 });
    receivers = await startReceivers(received);
    writeInventory(sims.devices);
    app = await buildFleetApp(loadFleetConfig(env()), { autoStart: false, webRoot: join(dir.path, 'no-ui') });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await sims?.close();
    await receivers?.close();
    dir.remove();
  });

  it('tells healthy, down, slow, hung, HTTP error, garbage, wrong schema and degraded devices apart', async () => {
    await cycles(3);
    const devices = (await api('/api/devices')).body as Array<{ id: string; status: string; reason: string | null }>;
    const byId = Object.fromEntries(devices.map((d) => [d.id, d]));
    const d = (i: number) => byId[sims.devices[i]!.id]!;
    for (const i of [0, 1, 2, 3, 11]) expect(d(i)).toMatchObject({ status: 'online', reason: null });
    expect(d(4)).toMatchObject({ status: 'offline' });
    expect(d(4).reason).toMatch(/^no answer: connect ECONNREFUSED/);
    expect(d(5)).toMatchObject({ status: 'offline', reason: 'no answer: timed out after 400 ms' });
    expect(d(6)).toMatchObject({ status: 'offline', reason: 'no answer: timed out after 400 ms' });
    expect(d(7)).toMatchObject({ status: 'offline', reason: 'HTTP error: status 500' });
    expect(d(8)).toMatchObject({ status: 'offline', reason: 'bad payload: not JSON' });
    expect(d(9).status).toBe('offline');
    expect(d(9).reason).toMatch(/^bad payload: \/host/);
    expect(d(10)).toMatchObject({ status: 'degraded' });
    expect(d(10).reason).toMatch(/payload autopilot is exited; disk \/ is 97% full/);
    // Online first, then by name.
    expect(devices.slice(0, 5).map((x) => x.status)).toEqual(['online', 'online', 'online', 'online', 'online']);
  });

  it('keeps polling healthy devices while others hang', async () => {
    const before = sims.devices[0]!.requests;
    await cycles(2);
    expect(sims.devices[0]!.requests - before).toBe(2);
  });

  it('opens alerts, deduplicates them and sends them to the webhook and by email', async () => {
    const alerts = (await api('/api/alerts')).body as Array<{ key: string; rule: string }>;
    const keys = alerts.map((a) => a.key);
    for (const i of [4, 5, 6, 7, 8, 9]) expect(keys).toContain(`offline:${sims.devices[i]!.id}`);
    expect(keys).toContain(`device:${sims.devices[10]!.id}:disk:/`);
    expect(keys).toContain(`payload:${sims.devices[10]!.id}`);
    expect(keys).toContain(`version_drift:${sims.devices[11]!.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    await waitFor(() => received.webhooks.filter((w) => w.kind === 'open').length >= alerts.length, { timeoutMs: 10_000, what: 'webhooks' });
    const offlineHooks = received.webhooks.filter((w) => w.alert_id === `offline:${sims.devices[4]!.id}`);
    expect(offlineHooks).toHaveLength(1);
    expect(offlineHooks[0]).toMatchObject({ kind: 'open', rule: 'device_offline', title: `${sims.devices[4]!.id} is offline` });
    await waitFor(() => received.emails.some((e) => e.includes(`${sims.devices[4]!.id} is offline`)), { timeoutMs: 10_000, what: 'email' });
    expect(received.emails.find((e) => e.includes(`${sims.devices[4]!.id} is offline`))).toMatch(/Subject: \[Outpost\] CRITICAL/);
  });

  it('confirms an outage after N failures and a recovery after M answers, with a resolve message', async () => {
    const id = sims.devices[1]!.id;
    await sims.set(id, 'down');
    await cycles(1);
    expect((await api(`/api/devices/${id}`)).body.status).toBe('suspect');
    await cycles(2);
    expect((await api(`/api/devices/${id}`)).body.status).toBe('offline');
    await sims.set(id, 'healthy');
    await cycles(1);
    expect((await api(`/api/devices/${id}`)).body.status).toBe('offline');
    await cycles(1);
    const detail = (await api(`/api/devices/${id}`)).body;
    expect(detail.status).toBe('online');
    expect(detail.transitions.map((t: { to: string }) => t.to)).toEqual(['online', 'offline', 'suspect', 'online']);
    await waitFor(() => received.webhooks.some((w) => w.alert_id === `offline:${id}` && w.kind === 'resolved'), { timeoutMs: 10_000, what: 'resolve webhook' });
    expect(received.webhooks.find((w) => w.alert_id === `offline:${id}` && w.kind === 'resolved')?.title).toBe(`${id} is back online`);
  });

  it('never flaps healthy devices', async () => {
    for (const i of [0, 2, 3]) {
      const t = (await api(`/api/devices/${sims.devices[i]!.id}`)).body.transitions;
      expect(t.map((x: { from: string; to: string }) => `${x.from}>${x.to}`)).toEqual(['unknown>online']);
    }
  });

  it('filters and searches server-side, and serves history, versions, metrics and Prometheus targets', async () => {
    const offline = await api('/api/devices?status=offline');
    expect(offline.headers['x-total-count']).toBe(String(offline.body.length));
    expect(offline.body.every((d: { status: string }) => d.status === 'offline')).toBe(true);
    expect((await api('/api/devices?group=canary')).body.map((d: { id: string }) => d.id)).toEqual([sims.devices[0]!.id]);
    expect((await api('/api/devices?version=0.9.0')).body.map((d: { id: string }) => d.id)).toEqual([sims.devices[11]!.id]);
    expect((await api(`/api/devices?q=${sims.devices[3]!.id.slice(-3)}`)).body.some((d: { id: string }) => d.id === sims.devices[3]!.id)).toBe(true);
    const page = await api('/api/devices?offset=2&limit=3');
    expect(page.body).toHaveLength(3);
    expect(page.headers['x-total-count']).toBe(String(BEHAVIOURS.length));
    expect((await api('/api/devices?status=sideways')).status).toBe(400);
    expect((await api('/api/devices/nope')).status).toBe(404);

    const history = (await api(`/api/devices/${sims.devices[0]!.id}/history?hours=1`)).body;
    expect(history.snapshots.length).toBeGreaterThan(0);
    expect(history.snapshots[0]).toMatchObject({ status: 'online', cpu_pct: 12.5 });
    const versions = (await api('/api/versions')).body;
    expect(versions).toEqual(expect.arrayContaining([expect.objectContaining({ version: '0.9.0', count: 1 })]));
    const summary = (await api('/api/devices/summary')).body;
    expect(summary.total).toBe(BEHAVIOURS.length);
    expect(summary.target_version).toBe('1.0.0');

    const metrics = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(metrics.body).toMatch(new RegExp(`^outpost_fleet_device_up\\{device="${sims.devices[0]!.id}"\\} 1$`, 'm'));
    expect(metrics.body).toMatch(new RegExp(`^outpost_fleet_device_state\\{device="${sims.devices[4]!.id}",state="offline"\\} 1$`, 'm'));
    expect(metrics.body).toMatch(/^outpost_fleet_cycle_duration_seconds \d/m);
    expect(metrics.body).toMatch(/^outpost_fleet_poll_duration_seconds_count\{result="ok"\} \d+/m);
    const targets = (await api('/api/prometheus/targets')).body;
    expect(targets[0]).toEqual({ targets: [`${sims.devices[0]!.address}:18081`], labels: expect.objectContaining({ device_id: sims.devices[0]!.id, groups: ',canary,lisbon,' }) });
  });

  it('needs the token for the API but not for health', async () => {
    expect((await app.inject('/api/devices')).statusCode).toBe(401);
    expect((await app.inject('/api/health')).statusCode).toBe(200);
  });

  it('reloads the inventory on change and keeps the previous list when the new one is invalid', async () => {
    writeInventory(sims.devices.slice(0, 10));
    await waitFor(() => app.registry.size() === 10, { timeoutMs: 10_000, what: 'the inventory reload' });
    // The removed devices' alerts close.
    expect(((await api('/api/alerts')).body as Array<{ key: string }>).some((a) => a.key.includes(sims.devices[11]!.id))).toBe(false);
    writeFileSync(inventory, 'devices:\n  - id: "bad id with spaces"\n');
    await new Promise((r) => setTimeout(r, 800));
    expect(app.registry.size()).toBe(10);
    writeInventory(sims.devices);
    await waitFor(() => app.registry.size() === BEHAVIOURS.length, { timeoutMs: 10_000, what: 'the inventory reload' });
  });

  it('starts from the last known state after a restart', async () => {
    await cycles(1);
    const before = (await api('/api/devices')).body.map((d: { id: string; status: string }) => `${d.id}:${d.status}`);
    await app.close();
    app = await buildFleetApp(loadFleetConfig(env()), { autoStart: false, webRoot: join(dir.path, 'no-ui') });
    await app.ready();
    await app.monitor.start();
    await app.monitor.poller.stop();
    const after = (await api('/api/devices')).body.map((d: { id: string; status: string }) => `${d.id}:${d.status}`);
    expect(after.sort()).toEqual(before.sort());
    // Open alerts survive the restart and are not notified again.
    const opened = received.webhooks.filter((w) => w.kind === 'open').length;
    await cycles(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.webhooks.filter((w) => w.kind === 'open').length).toBe(opened);
  });
});
