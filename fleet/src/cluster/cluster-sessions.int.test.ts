// Any monitor of a shared fleet serves the whole fleet: two monitors on one real PostgreSQL over a
// real appliance, which only one of them polls. Through the other, the device is listed as its
// owner's rows say, a session is placed on it, and a Playwright client drives that session through
// the other monitor's websocket relay.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, startTestPages, tempDir, type TestAppliance, type TestPages, testToken, waitFor } from '../../../device/test/index.js';
import { startPostgresCluster, type PostgresCluster } from '../../test/postgres-cluster.js';
import { buildFleetApp } from '../app.js';
import { loadFleetConfig } from '../config.js';

const DEVICE_TOKEN = testToken();
const FLEET_TOKEN = testToken();
const auth = { authorization: `Bearer ${FLEET_TOKEN}` };

describe('a session placed through a monitor that does not poll the device', () => {
  const dir = tempDir('outpost-fleet-cluster-sessions-');
  let pg: PostgresCluster;
  let device: TestAppliance;
  let pages: TestPages;
  const monitors = new Map<string, { app: FastifyInstance; base: string }>();

  beforeAll(async () => {
    pg = await startPostgresCluster();
    const db = await pg.createDatabase();
    pages = await startTestPages();
    device = await startAppliance({ OUTPOST_API_TOKEN: DEVICE_TOKEN, OUTPOST_DEVICE_ID: 'kiosk-1' });
    writeFileSync(join(dir.path, 'fleet.yaml'), `devices:\n  - {id: kiosk-1, address: 127.0.0.1, port: ${new URL(device.base).port}}\n`);
    for (const id of ['a', 'b']) {
      const app = await buildFleetApp(
        loadFleetConfig({
          OUTPOST_LOG_LEVEL: 'silent',
          OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'),
          OUTPOST_FLEET_DB: db,
          OUTPOST_FLEET_DATA_DIR: join(dir.path, id),
          OUTPOST_FLEET_MONITOR_ID: id,
          OUTPOST_FLEET_TOKEN: FLEET_TOKEN,
          OUTPOST_FLEET_DEVICE_TOKEN: DEVICE_TOKEN,
          OUTPOST_FLEET_POLL_INTERVAL_S: '1',
          OUTPOST_FLEET_LEASE_S: '3',
        }),
        { webRoot: join(dir.path, 'no-ui') },
      );
      await app.listen({ host: '127.0.0.1', port: 0 });
      monitors.set(id, { app, base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` });
    }
  });
  afterAll(async () => {
    for (const m of monitors.values()) await m.app.close();
    await device?.close();
    await pages?.close();
    await pg?.stop();
    dir.remove();
  });

  const api = async (id: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(monitors.get(id)!.base + url, { method, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('lists the device as online from both, and creates and drives a session through the one that does not poll it', async () => {
    // Both alive, and the device online on both: on its poller from its polls, on the other from the store.
    const owner = await waitFor(
      async () => {
        const [a, b] = await Promise.all([api('a', 'GET', '/api/devices/kiosk-1'), api('b', 'GET', '/api/devices/kiosk-1')]);
        const both = a.body.status === 'online' && b.body.status === 'online' && a.body.polled_by === b.body.polled_by && (await api('a', 'GET', '/api/monitors')).body.monitors.every((m: { alive: boolean }) => m.alive);
        return both ? (a.body.polled_by as string) : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'kiosk-1 online on both monitors' },
    );
    const other = owner === 'a' ? 'b' : 'a';
    expect((await api(other, 'GET', '/api/monitors')).body.monitors.find((m: { id: string }) => m.id === other).devices).toBe(0);

    const created = await api(other, 'POST', '/api/sessions', { client_id: 'via-the-other-monitor' });
    expect(created.status).toBe(201);
    expect(created.body.device).toBe('kiosk-1');
    expect(created.body.ws_endpoint).toBe(`${monitors.get(other)!.base.replace('http', 'ws')}/sessions/kiosk-1/${created.body.id}/playwright`);
    const client = await chromium.connect(created.body.ws_endpoint, { headers: auth });
    const page = await client.newPage();
    await page.goto(`${pages.url}/title?t=placed%20by%20${other}`);
    expect(await page.title()).toBe(`placed by ${other}`);
    await client.close();
    expect((await api(other, 'DELETE', `/api/sessions/kiosk-1/${created.body.id}`)).status).toBe(200);
  }, 120_000);
});
