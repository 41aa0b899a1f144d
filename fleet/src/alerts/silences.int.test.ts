// A silence against the real monitor: device simulators on loopback go down, the alert engine opens
// their alerts, and a real HTTP receiver on 127.0.0.1 (the webhook endpoint) gets only what no
// silence mutes, while /api/alerts still lists the silenced alert, marked with the silence's id.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testToken, waitFor } from '../../../device/test/index.js';
import { startSimulators, type Simulators } from '../../test/device-simulator.js';
import { buildFleetApp } from '../app.js';
import { loadFleetConfig } from '../config.js';
import { startHttpReceiver, type HttpReceiver } from './channels/test-support.js';

const TOKEN = testToken();

describe('silences against a real webhook receiver', () => {
  const dir = tempDir('outpost-silences-int-');
  const inventory = join(dir.path, 'fleet.yaml');
  let sims: Simulators;
  let receiver: HttpReceiver;
  let app: FastifyInstance;
  const hooks = () => receiver.requests.map((r) => JSON.parse(r.body) as { kind: string; alert_id: string });
  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${TOKEN}` }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json() };
  };
  const cycles = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      for (const d of app.registry.all()) d.nextPollAt = 0;
      await app.monitor.poller.runCycle();
    }
  };

  beforeAll(async () => {
    sims = await startSimulators({ count: 2, port: 18093, base: 40, behaviour: () => 'down' });
    receiver = await startHttpReceiver();
    const [lab, shop] = sims.devices;
    writeFileSync(
      inventory,
      `devices:\n  - id: ${lab!.id}\n    address: ${lab!.address}\n    port: ${lab!.port}\n    labels: {site: lab}\n` +
        `  - id: ${shop!.id}\n    address: ${shop!.address}\n    port: ${shop!.port}\n    labels: {site: shop}\n`,
    );
    const config = loadFleetConfig({
      OUTPOST_LOG_LEVEL: 'silent',
      OUTPOST_FLEET_INVENTORY: inventory,
      OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
      OUTPOST_FLEET_TOKEN: TOKEN,
      OUTPOST_FLEET_POLL_TIMEOUT_MS: '400',
      OUTPOST_FLEET_FAILURES_TO_OFFLINE: '2',
      OUTPOST_ALERT_WEBHOOK_URL: `${receiver.url}/hook`,
      OUTPOST_ALERT_RATE_PER_MINUTE: '1000',
    });
    app = await buildFleetApp(config, { autoStart: false, webRoot: join(dir.path, 'no-ui') });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await sims?.close();
    await receiver?.close();
    dir.remove();
  });

  it('refuses bad matchers with a 400 that names the matcher', async () => {
    const bad = await api('POST', '/api/silences', { matchers: [{ name: 'site', value: 'lab' }], duration_s: 3600, comment: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('matchers[0].name must be device, group, rule, severity or label:<key>');
    const none = await api('POST', '/api/silences', { matchers: [], duration_s: 3600, comment: 'x' });
    expect(none.status).toBe(400);
    const noEnd = await api('POST', '/api/silences', { matchers: [{ name: 'label:site', value: 'lab' }], comment: 'x' });
    expect(noEnd).toMatchObject({ status: 400, body: { error: { message: 'ends_at or duration_s is needed: a silence always ends' } } });
    const badTime = await api('POST', '/api/silences', { matchers: [{ name: 'label:site', value: 'lab' }], starts_at: 'tomorrow', duration_s: 600, comment: 'x' });
    expect(badTime.body.error.message).toContain('starts_at must be an ISO 8601 time');
  });

  it('sends nothing for the silenced device and lists its alert as silenced; ending the silence sends it', async () => {
    const [lab, shop] = sims.devices;
    const created = await api('POST', '/api/silences', { matchers: [{ name: 'label:site', value: 'lab' }], duration_s: 3600, comment: 'rewiring the lab' });
    expect(created).toMatchObject({ status: 201, body: { state: 'active', created_by: 'admin', comment: 'rewiring the lab', matchers: [{ name: 'label:site', value: 'lab' }] } });
    const id = created.body.id as number;

    await cycles(3);
    await receiver.waitForRequests(1);
    // The shop device's alert went out; nothing for the lab device, whose alert is open and marked.
    const alerts = (await api('GET', '/api/alerts')).body as Array<{ key: string; silenced_by: number[] }>;
    expect(alerts.find((a) => a.key === `offline:${lab!.id}`)).toMatchObject({ silenced_by: [id] });
    expect(alerts.find((a) => a.key === `offline:${shop!.id}`)).toMatchObject({ silenced_by: [] });
    // Both opened in the same cycle, and the engine decides to hold a message before it sends any:
    // once the shop's message is in, a lab message would have been too.
    expect(hooks().filter((h) => h.alert_id === `offline:${lab!.id}`)).toEqual([]);
    expect(hooks().map((h) => `${h.kind} ${h.alert_id}`)).toContain(`open offline:${shop!.id}`);

    const listed = (await api('GET', '/api/silences')).body as Array<{ id: number; state: string }>;
    expect(listed).toEqual([expect.objectContaining({ id, state: 'active' })]);
    const ended = await api('DELETE', `/api/silences/${id}`);
    expect(ended).toMatchObject({ status: 200, body: { id, state: 'expired' } });
    await waitFor(() => hooks().find((h) => h.alert_id === `offline:${lab!.id}`), { what: 'the held alert sent once its silence ended' });
    expect(hooks().filter((h) => h.alert_id === `offline:${lab!.id}`).map((h) => h.kind)).toEqual(['open']);
    expect((await api('GET', '/api/alerts')).body.find((a: { key: string }) => a.key === `offline:${lab!.id}`)).toMatchObject({ silenced_by: [] });
    expect((await api('DELETE', '/api/silences/999')).status).toBe(404);
  });

  it('acknowledges an open alert and takes it back', async () => {
    const key = encodeURIComponent(`offline:${sims.devices[1]!.id}`);
    const acked = await api('POST', `/api/alerts/${key}/ack`);
    expect(acked).toMatchObject({ status: 200, body: { acked_by: 'admin', state: 'open' } });
    expect(acked.body.acked_at).toEqual(expect.any(String));
    const back = await api('DELETE', `/api/alerts/${key}/ack`);
    expect(back).toMatchObject({ status: 200, body: { acked_by: null, acked_at: null } });
    expect((await api('POST', '/api/alerts/nope/ack')).status).toBe(404);
  });
});
