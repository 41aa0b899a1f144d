// Clients that send `content-type: application/json` on every request, bodiless ones too: the
// monitor takes an empty body as no body (acceptEmptyJsonBodies in the shared HTTP kit).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testToken } from '../../../device/test/index.js';
import { oneDeviceFleet } from '../../test/test-fleet.js';

const TOKEN = testToken();

describe('empty JSON bodies on the monitor', () => {
  const dir = tempDir('outpost-fleet-empty-bodies-');
  let app: FastifyInstance;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  beforeAll(async () => {
    app = await oneDeviceFleet(dir.path, { OUTPOST_FLEET_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await app.close();
    dir.remove();
  });

  it('answers bodiless DELETEs and POSTs with a JSON content-type as if it were not there', async () => {
    const silence = await app.inject({ method: 'POST', url: '/api/silences', headers, payload: { matchers: [{ name: 'device', value: 'kiosk-1' }], duration_s: 600, comment: 'x' } });
    expect(silence.statusCode).toBe(201);
    const ended = await app.inject({ method: 'DELETE', url: `/api/silences/${silence.json().id}`, headers, payload: '' });
    expect(ended.statusCode, ended.body).toBe(200);
    // A relayed session delete reaches the device (here: none listens, so 502), not a 400.
    const relayed = await app.inject({ method: 'DELETE', url: '/api/sessions/kiosk-1/abc', headers });
    expect(relayed.statusCode, relayed.body).not.toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/rollouts/stable/halt', headers })).statusCode).toBe(404);
    // A route that needs fields names the missing one.
    const start = await app.inject({ method: 'POST', url: '/api/rollouts/stable', headers, payload: '' });
    expect(start.statusCode).toBe(400);
    expect(start.json().error.message).toMatch(/missing the required field "version"/);
  });
});
