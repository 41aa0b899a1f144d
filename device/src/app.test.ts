import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import si from 'systeminformation';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deviceConfig, tempDir, testToken } from '../test/helpers.js';
import { buildApp } from './app.js';
import { FleetStatus } from './shared/contract.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
const TOKEN = testToken();
const FLEET_DEVICE_TOKEN = testToken();

function webRoot(dir: string): string {
  const root = join(dir, 'web');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Outpost device</title><div id="root"></div>');
  writeFileSync(join(root, 'assets', 'main.js'), 'console.log(1)');
  return root;
}

describe('device appliance routes (no token)', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_DEVICE_LABELS: 'site=lab' }), { webRoot: webRoot(dir.path) });
  });
  afterAll(async () => {
    await app.close();
    dir.remove();
  });

  it('answers the health probe with the version', async () => {
    const res = await app.inject('/api/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', version: app.fleetStatus.current().appliance.version });
  });

  it('serves /api/fleet/status exactly per the contract schema', async () => {
    const res = await app.inject('/api/fleet/status');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(FleetStatus);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(body.schema).toBe(1);
    expect(body.device).toEqual({ id: 'test-device', name: 'test-device', labels: { site: 'lab' } });
    expect(body.payload).toBeNull();
    expect(body.host.cpu.cores).toBeGreaterThan(0);
    expect(body.host.memory.total).toBeGreaterThan(0);
    expect(body.host.disks.length).toBeGreaterThan(0);
    expect(body.appliance.update).toEqual({ channel: 'stable', last_check: null, last_result: null, previous_version: null, window: null, next_window: null });
  });

  it('answers from the cached host snapshot, never calling systeminformation per request', async () => {
    await app.hostMonitor.refresh(); // let the boot-time background sample settle first
    const spies = [vi.spyOn(si, 'currentLoad'), vi.spyOn(si, 'mem'), vi.spyOn(si, 'fsSize'), vi.spyOn(si, 'cpuTemperature')];
    for (let i = 0; i < 50; i += 1) expect((await app.inject('/api/fleet/status')).statusCode).toBe(200);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    // The spies do see the background sampler, so the assertion above is not vacuous.
    await app.hostMonitor.refresh();
    for (const spy of spies) {
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
    }
  });

  it('reports what update.sh recorded', async () => {
    writeFileSync(
      join(dir.path, 'update-state.json'),
      JSON.stringify({
        channel: 'beta',
        last_check: '2026-11-01T02:00:00Z',
        last_result: 'rolled_back',
        previous_version: '0.0.9',
        window: '01:00-05:00',
        next_window: '2026-11-02T01:00:00Z',
      }),
    );
    await app.updateState.refresh();
    const body = (await app.inject('/api/fleet/status')).json();
    expect(body.appliance.update).toEqual({
      channel: 'beta',
      last_check: '2026-11-01T02:00:00.000Z',
      last_result: 'rolled_back',
      previous_version: '0.0.9',
      window: '01:00-05:00',
      next_window: '2026-11-02T01:00:00.000Z',
    });
    expect(body.alerts.map((a: { id: string }) => a.id)).toContain('update');
  });

  it('exports Prometheus metrics with outpost gauges', async () => {
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.body).toMatch(/^outpost_info\{device_id="test-device",device_name="test-device",version="[^"]+"\} 1$/m);
    expect(res.body).toMatch(/^outpost_host_memory_total_bytes \d+/m);
    expect(res.body).toMatch(/^outpost_pool_target\{kind="headless"\} 1$/m);
    expect(res.body).toMatch(/^process_cpu_seconds_total /m);
  });

  it('gives unknown API routes a JSON 404', async () => {
    for (const url of ['/api/nope', '/api/fleet/status/extra', '/sessions/x/unknown', '/assets/missing.js']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('not_found');
      expect(res.json().error.message).toContain(url);
    }
    const post = await app.inject({ method: 'POST', url: '/api/health' });
    expect(post.statusCode).toBe(404);
  });

  it('serves the UI with a fallback to index.html for client routes', async () => {
    for (const url of ['/', '/sessions', '/payload/logs']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.body).toContain('<title>Outpost device</title>');
    }
    const asset = await app.inject('/assets/main.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers 404 for a payload that is not configured', async () => {
    const res = await app.inject('/api/payload');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('payload_not_configured');
  });
});

describe('device appliance routes (with a token)', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_API_TOKEN: TOKEN }), { webRoot: webRoot(dir.path) });
  });
  afterAll(async () => {
    await app.close();
    dir.remove();
  });

  it('requires the bearer token on every API route', async () => {
    for (const url of ['/api/fleet/status', '/metrics', '/api/payload', '/status']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(401);
      expect(res.json()).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid bearer token' } });
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
    // No such route, so nothing to protect: a JSON 404 that says only that (every route in every
    // spelling is in http/route-access.test.ts).
    const nope = await app.inject('/api/nope');
    expect(nope.statusCode).toBe(404);
    expect(nope.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /api/nope' } });
  });

  it('rejects a wrong token and a malformed header', async () => {
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, `Basic ${TOKEN}`, 'Bearer']) {
      const res = await app.inject({ url: '/api/fleet/status', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
  });

  it('accepts the right token', async () => {
    const res = await app.inject({ url: '/api/fleet/status', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
  });

  it('also accepts the fleet monitor token when one is configured', async () => {
    const other = tempDir();
    const both = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: other.path, OUTPOST_API_TOKEN: TOKEN, OUTPOST_FLEET_DEVICE_TOKEN: FLEET_DEVICE_TOKEN }), { webRoot: webRoot(other.path) });
    try {
      for (const t of [TOKEN, FLEET_DEVICE_TOKEN]) {
        expect((await both.inject({ url: '/api/fleet/status', headers: { authorization: `Bearer ${t}` } })).statusCode).toBe(200);
      }
      expect((await both.inject({ url: '/api/fleet/status', headers: { authorization: 'Bearer not-the-right-one-000000' } })).statusCode).toBe(401);
    } finally {
      await both.close();
      other.remove();
    }
  });

  it('does not take a query-string token on plain requests', async () => {
    const res = await app.inject({ url: `/api/fleet/status?access_token=${TOKEN}` });
    expect(res.statusCode).toBe(401);
  });

  it('leaves the health probe and the static UI public', async () => {
    expect((await app.inject('/api/health')).statusCode).toBe(200);
    expect((await app.inject('/')).statusCode).toBe(200);
    expect((await app.inject('/assets/main.js')).statusCode).toBe(200);
    expect((await app.inject('/sessions')).statusCode).toBe(200);
  });
});
