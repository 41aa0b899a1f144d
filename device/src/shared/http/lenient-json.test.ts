// Clients that send `content-type: application/json` on every request, bodiless ones too: the
// appliance takes an empty body as no body, and still refuses bad JSON and prototype poisoning.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceConfig, tempDir, testWebRoot } from '../../../test/helpers.js';
import { buildApp } from '../../app.js';

const JSON_HEADER = { 'content-type': 'application/json' };

describe('empty JSON bodies on the appliance', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path }), { webRoot: testWebRoot(dir.path) });
  });
  afterAll(async () => {
    await app.close();
    dir.remove();
  });

  it('takes a bodiless DELETE or POST with a JSON content-type as having no body', async () => {
    for (const payload of [undefined, '', '  \n']) {
      const gone = await app.inject({ method: 'DELETE', url: '/api/sessions/no-such-session', headers: JSON_HEADER, ...(payload === undefined ? {} : { payload }) });
      expect(gone.statusCode, gone.body).toBe(404);
      expect(gone.json().error.code).toBe('session_not_found');
      const touch = await app.inject({ method: 'POST', url: '/api/sessions/no-such-session/touch', headers: JSON_HEADER, ...(payload === undefined ? {} : { payload }) });
      expect(touch.statusCode, touch.body).toBe(404);
    }
    // The drain takes an optional body: none at all starts one without a deadline.
    const drain = await app.inject({ method: 'POST', url: '/api/drain', headers: JSON_HEADER });
    expect(drain.statusCode, drain.body).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/api/drain', headers: JSON_HEADER })).statusCode).toBe(200);
  });

  it('still refuses broken JSON and prototype poisoning with a 400', async () => {
    const broken = await app.inject({ method: 'POST', url: '/api/sessions', headers: JSON_HEADER, payload: '{"width":' });
    expect(broken.statusCode).toBe(400);
    const poisoned = await app.inject({ method: 'POST', url: '/api/sessions', headers: JSON_HEADER, payload: '{"__proto__":{"admin":true}}' });
    expect(poisoned.statusCode).toBe(400);
  });
});
