// The monitor's OpenAPI document (/docs/json) and Swagger UI (/docs): closed like the API, valid
// OpenAPI 3, listing every route the app serves with its response schemas; and the response
// schemas added for it keep every field the handlers return (Fastify serializes by schema and
// drops what a schema does not list), device answers relayed as they are included.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentProblems, schemaErrors, tempDir, testToken, testWebRoot, type OpenApiDocument } from '../../device/test/index.js';
import { buildFleetApp } from './app.js';
import { loadFleetConfig } from './config.js';

const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };

/** A device's session as a newer device might send it: one field this monitor does not know. */
const deviceSession = {
  id: 's1',
  backend: 'process',
  status: 'ready',
  client_id: null,
  headless: true,
  vnc_enabled: false,
  ws_endpoint: 'ws://127.0.0.1/sessions/s1/playwright',
  vnc: null,
  width: 1280,
  height: 800,
  labels: {},
  start_url: null,
  ttl_s: 3600,
  idle_s: 600,
  created_at: '2030-01-01T00:00:00.000Z',
  last_seen_at: '2030-01-01T00:00:00.000Z',
  expires_at: '2030-01-01T01:00:00.000Z',
  connections: 0,
  from_pool: true,
  cdp_endpoint: 'ws://127.0.0.1/sessions/s1/cdp',
  // A field of a newer appliance this monitor knows nothing about.
  bidi_endpoint: 'ws://127.0.0.1/sessions/s1/bidi',
};

describe('fleet API docs', () => {
  const dir = tempDir('outpost-fleet-docs-');
  let app: FastifyInstance;
  let device: Server;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    // The device behind kiosk-1: answers every session request with deviceSession.
    device = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(deviceSession)));
    await new Promise<void>((resolve) => device.listen(0, '127.0.0.1', resolve));
    const port = (device.address() as { port: number }).port;
    writeFileSync(
      join(dir.path, 'fleet.yaml'),
      `devices:\n  - {id: kiosk-1, name: Kiosk one, address: 127.0.0.1, port: ${port}, groups: [lab, canary], labels: {site: north, "rack-id": "7"}}\n`,
    );
    app = await buildFleetApp(
      loadFleetConfig({ OUTPOST_LOG_LEVEL: 'silent', OUTPOST_FLEET_TOKEN: TOKEN, OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'), OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite') }),
      { autoStart: false, webRoot: testWebRoot(dir.path) },
    );
    const res = await app.inject({ url: '/docs/json', headers: auth });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => device?.close(resolve));
    dir.remove();
  });

  it('answers the docs page, the document and the UI files 401 without the token', async () => {
    for (const url of ['/docs', '/docs/json', '/docs/yaml', '/docs/static/swagger-ui-bundle.js']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(401);
    }
    const page = await app.inject({ url: '/docs', headers: auth });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(await schemaErrors(doc)).toEqual([]);
  });

  it('lists every route the app serves, with its methods, response schemas and whether it needs the token', () => {
    expect(documentProblems(doc, app.routeCatalog())).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/devices/{id}', '/sessions/{device}/{id}/playwright', '/api/rollouts/{channel}', '/releases/{file}']));
  });

  it('serializes notifications and http_sd targets with every field their handlers return', async () => {
    const alertId = await app.store.openAlert({ key: 'device:kiosk-1:offline', device_id: 'kiosk-1', rule: 'offline', severity: 'critical', title: 't', message: 'm', opened_at: 1 });
    await app.store.recordNotification({ alert_id: alertId, kind: 'opened', channel: 'webhook', ts: Date.UTC(2030, 0, 1), ok: 0, attempts: 3, error: 'status 500' });
    const notifications = await app.inject({ url: '/api/notifications', headers: auth });
    expect(notifications.json()).toEqual([{ alert_id: alertId, kind: 'opened', channel: 'webhook', ts: '2030-01-01T00:00:00.000Z', ok: false, attempts: 3, error: 'status 500' }]);

    const targets = await app.inject({ url: '/api/prometheus/targets', headers: auth });
    expect(targets.json()).toEqual([
      {
        targets: [`127.0.0.1:${(device.address() as { port: number }).port}`],
        labels: { device_id: 'kiosk-1', device_name: 'Kiosk one', groups: ',canary,lab,', label_site: 'north', label_rack_id: '7' },
      },
    ]);
  });

  it("relays a device's session with the fields this monitor does not know", async () => {
    const res = await app.inject({ url: '/api/sessions/kiosk-1/s1', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: 's1',
      device: 'kiosk-1',
      bidi_endpoint: deviceSession.bidi_endpoint,
      ws_endpoint: expect.stringContaining('/sessions/kiosk-1/s1/playwright'),
      cdp_endpoint: expect.stringContaining('/sessions/kiosk-1/s1/cdp'),
    });
  });

  it('still sends /metrics as text', async () => {
    const metrics = await app.inject({ url: '/metrics', headers: auth });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('# TYPE outpost_fleet_devices gauge');
  });
});
