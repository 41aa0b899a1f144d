// Bad input on every sessions route: a 4xx whose message names the problem, never a 500, and
// nothing started. Runs without launching a browser (pool targets 0, nothing valid is created).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceConfig, tempDir } from '../../test/helpers.js';
import { buildApp } from '../app.js';

const dir = tempDir();
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' }));
  await app.ready();
});
afterAll(async () => {
  await app.close();
  dir.remove();
});

async function expect4xx(res: { statusCode: number; json: () => any }, status: number, mentions: RegExp) {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(typeof body.error.code).toBe('string');
  expect(body.error.message).toMatch(mentions);
}

describe('POST /api/sessions rejects bad bodies', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['wrong type (boolean)', { headless: 'yes' }, /body\.headless must be boolean/],
    ['wrong type (integer)', { width: 'wide' }, /body\.width must be integer/],
    ['a float size', { width: 800.5 }, /body\.width must be integer/],
    ['an unknown field', { colour: 'blue' }, /unknown field "colour"/],
    ['a huge width', { width: 1e9 }, /body\.width must be <= 7680/],
    ['a tiny height', { height: 10 }, /body\.height must be >= 200/],
    ['a huge ttl', { ttl_s: 1e12 }, /body\.ttl_s must be <= 86400/],
    ['a zero idle', { idle_s: 0 }, /body\.idle_s must be >= 1/],
    ['a javascript start_url', { start_url: 'javascript:alert(1)' }, /body\.start_url must match pattern/],
    ['a very long start_url', { start_url: `https://x.test/${'a'.repeat(3000)}` }, /body\.start_url must NOT have more than 2048 characters/],
    ['a bad start_url_wait', { start_url_wait: 'networkidle' }, /body\.start_url_wait/],
    ['a client id with spaces', { client_id: 'has space' }, /body\.client_id must match pattern/],
    ['a bad label key', { labels: { 'bad key': 'x' } }, /body\.labels has an invalid key "bad key"/],
    ['a non-string label', { labels: { ok: 1 } }, /body\.labels\.ok must be string/],
    ['too many labels', { labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, /body\.labels must NOT have more than 32 properties/],
    ['an array body', [], /body must be object/],
    ['a string body', '"hello"', /body must be object/],
    ['headless and vnc together', { headless: true, vnc: true }, /cannot be combined/],
  ];
  it.each(cases)('%s', async (_name, body, mentions) => {
    const res = await app.inject({ method: 'POST', url: '/api/sessions', payload: body as object, headers: { 'content-type': 'application/json' } });
    await expect4xx(res, 400, mentions);
  });

  it('malformed JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/sessions', payload: '{"vnc": tru', headers: { 'content-type': 'application/json' } });
    await expect4xx(res, 400, /JSON/);
    expect(res.json().error.code).toBe('bad_json');
  });

  it('a body that is not JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/sessions', payload: 'vnc=true', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await expect4xx(res, 415, /Unsupported Media Type/i);
  });

  it('a body over the size limit', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/sessions', payload: { labels: { a: 'x'.repeat(300_000) } } });
    await expect4xx(res, 413, /too large/i);
  });
});

describe('session ids and other routes', () => {
  it.each([
    ['GET', '/api/sessions/bad..id'],
    ['GET', `/api/sessions/${'a'.repeat(65)}`],
    ['DELETE', '/api/sessions/bad%20id'],
    ['POST', '/api/sessions/bad$id/touch'],
  ])('%s %s is a 400 naming the id', async (method, url) => {
    const res = await app.inject({ method: method as 'GET', url });
    await expect4xx(res, 400, /params\.id must match pattern/);
  });

  it('an unknown but well-formed id is a 404', async () => {
    for (const [method, url] of [
      ['GET', '/api/sessions/unknown'],
      ['DELETE', '/api/sessions/unknown'],
      ['POST', '/api/sessions/unknown/touch'],
    ] as const) {
      const res = await app.inject({ method, url });
      await expect4xx(res, 404, /no session with id "unknown"/);
    }
  });

  it('a very long id is refused, not crashed on', async () => {
    const res = await app.inject(`/api/sessions/${'x'.repeat(5000)}`);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });

  it('touch rejects a bad body', async () => {
    await expect4xx(await app.inject({ method: 'POST', url: '/api/sessions/unknown/touch', payload: { ttl_s: 'long' } }), 400, /body\.ttl_s must be integer/);
    await expect4xx(await app.inject({ method: 'POST', url: '/api/sessions/unknown/touch', payload: { forever: true } }), 400, /unknown field "forever"/);
  });

  it('compatibility routes validate their query', async () => {
    await expect4xx(await app.inject('/access'), 400, /Missing required parameter: id/);
    await expect4xx(await app.inject('/access?id='), 400, /Missing required parameter: id/);
    await expect4xx(await app.inject('/access?id=a%20b'), 400, /Parameter id must be/);
    await expect4xx(await app.inject('/access?id=a&width=abc&height=100'), 400, /querystring\.width must be integer/);
    await expect4xx(await app.inject('/access?id=a&width=99999&height=800'), 400, /querystring\.width must be <= 7680/);
    await expect4xx(await app.inject('/remove'), 400, /Missing required parameter: id/);
    await expect4xx(await app.inject('/remove?id=nobody'), 404, /no session for client "nobody"/);
  });

  it('the websocket routes need a known session', async () => {
    const res = await app.inject('/sessions/unknown/playwright');
    expect(res.statusCode).toBe(404);
  });

  it('nothing was started by any of it', async () => {
    expect(app.sessionManager.all()).toEqual([]);
    expect((await app.inject('/api/health')).statusCode).toBe(200);
  });
});
