// GET /api/monitors and the devices' polled_by for a single SQLite monitor. STAND-IN tests of the
// dashboard's branch (c16-ui), with monitor-routes.ts: the cluster core's own tests replace them.
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testToken } from '../../../device/test/index.js';
import { oneDeviceFleet } from '../../test/test-fleet.js';

const TOKEN = testToken();

describe('the monitors of a single SQLite monitor', () => {
  const dir = tempDir('outpost-fleet-monitors-');
  let app: FastifyInstance;
  const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
  beforeAll(async () => {
    app = await oneDeviceFleet(dir.path, { OUTPOST_FLEET_TOKEN: TOKEN, OUTPOST_FLEET_PORT: '9123', OUTPOST_FLEET_POLL_TIMEOUT_MS: '200' });
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  it('needs the token', async () => {
    expect((await app.inject('/api/monitors')).statusCode).toBe(401);
  });

  it('lists itself as the one live leader polling every device, with its last cycle once it has run one', async () => {
    const self = `${hostname()}:9123`;
    const before = (await get('/api/monitors')).json();
    expect(before).toMatchObject({ mode: 'single', self, leader: self, lease_s: 15 });
    expect(before.monitors).toEqual([
      expect.objectContaining({ id: self, url: 'http://127.0.0.1:9123', pid: process.pid, alive: true, leader: true, self: true, devices: 1, last_cycle: null }),
    ]);
    expect(before.monitors[0].rss_bytes).toBeGreaterThan(0);
    expect((await get('/api/devices/kiosk-1')).json().polled_by).toBeNull();

    await app.monitor.poller.runCycle();
    const [me] = (await get('/api/monitors')).json().monitors;
    expect(me.last_cycle).toMatchObject({ polled: 1, ok: 0, failed: 1 });
    expect(me.last_cycle.cpu_ms).toBeGreaterThanOrEqual(0);
    expect((await get('/api/devices/kiosk-1')).json().polled_by).toBe(self);
    expect((await get(`/api/devices?polled_by=${encodeURIComponent(self)}`)).json().map((d: { id: string }) => d.id)).toEqual(['kiosk-1']);
    expect((await get('/api/devices?polled_by=elsewhere:9000')).json()).toEqual([]);
  });
});
