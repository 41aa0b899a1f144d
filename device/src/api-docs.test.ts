// The device's OpenAPI document (/docs/json) and Swagger UI (/docs): closed like the API, valid
// OpenAPI 3, listing every route the app serves with its response schemas; and the response
// schemas added for it keep every field the handlers return (Fastify serializes by schema and
// drops what a schema does not list).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSessionBackend } from '../test/fake-backend.js';
import { deviceConfig, tempDir, testToken, testWebRoot } from '../test/helpers.js';
import { documentProblems, schemaErrors, type OpenApiDocument } from '../test/openapi.js';
import { buildApp } from './app.js';

const TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };

describe('device API docs', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    app = await buildApp(
      deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_API_TOKEN: TOKEN, OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' }),
      { webRoot: testWebRoot(dir.path), sessionBackend: fakeSessionBackend() },
    );
    const res = await app.inject({ url: '/docs/json', headers: auth });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  it('answers the docs page, the document and the UI files 401 without the token', async () => {
    for (const url of ['/docs', '/docs/', '/docs/json', '/docs/yaml', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code, url).toBe('unauthorized');
    }
  });

  it('serves the page with the token, under the UI pages\' Content-Security-Policy', async () => {
    const page = await app.inject({ url: '/docs', headers: auth });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.body).toContain('/docs/static/swagger-initializer.js');
    const script = await app.inject({ url: '/docs/static/swagger-ui-bundle.js', headers: auth });
    expect(script.statusCode).toBe(200);
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(await schemaErrors(doc)).toEqual([]);
  });

  it('lists every route the app serves, with its methods, response schemas and whether it needs the token', () => {
    expect(documentProblems(doc, app.routeCatalog())).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/sessions/{id}', '/sessions/{id}/vnc', '/metrics', '/access']));
    expect(doc.paths['/api/health']?.get?.security).toEqual([]);
  });

  it('serializes the compatibility routes with every field their handlers return', async () => {
    const anonymous = await app.sessionManager.create({});
    const named = await app.sessionManager.create({ client_id: 'kiosk', width: 1024, height: 768 });
    const status = await app.inject({ url: '/status', headers: auth });
    expect(status.statusCode).toBe(200);
    const expected = [anonymous.session, named.session].map((s) => ({
      client_id: s.clientId,
      session_id: s.id,
      kind: s.kind,
      status: s.status,
      width: String(s.width),
      height: String(s.height),
      created_at: new Date(s.createdAt).toISOString(),
      last_accessed_at: new Date(s.lastSeenAt).toISOString(),
    }));
    expect(status.json()).toEqual({ active_containers: 2, pool_containers: 0, max_slots: app.sessionManager.maxSlots(), records: expected });
    expect(status.json().records[0].client_id).toBeNull();

    expect((await app.inject({ url: '/health', headers: auth })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/remove-all', headers: auth })).json()).toEqual({ status: 'removed_all', removed: 2 });
    expect((await app.inject({ url: '/remove-all', headers: auth })).json()).toEqual({ status: 'empty', removed: 0 });
  });

  it('still sends /metrics and the readiness probe page as text', async () => {
    const metrics = await app.inject({ url: '/metrics', headers: auth });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('# TYPE outpost_info gauge');
    const probe = await app.inject('/api/ready/probe');
    expect(probe.headers['content-type']).toMatch(/^text\/html/);
    expect(probe.body).toContain(app.readiness.token);
  });
});
