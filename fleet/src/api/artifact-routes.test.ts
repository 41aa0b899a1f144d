// A session's artifacts through the monitor, against a stand-in device on 127.0.0.1 (a real HTTP
// server: what the relay sends it is the point): the recording and downloads streamed with the
// client's Range and the device's 200/206/416 and byte headers; nothing of the client's but the
// range reaches the device, and the monitor's own token does; logs and download lists relayed as
// they are; ended sessions of every online device merged, tagged and pointed at the monitor.
// The real appliance behind a real monitor: session-routes.int.test.ts.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testToken, testWebRoot } from '../../../device/test/index.js';
import { buildFleetApp } from '../app.js';
import { loadFleetConfig } from '../config.js';

const TOKEN = testToken();
const DEVICE_TOKEN = testToken();
const auth = { authorization: `Bearer ${TOKEN}` };

/** The stand-in recording: 1000 bytes, an MP4's `ftyp` at offset 4. */
const VIDEO = Buffer.alloc(1000, 7);
VIDEO.write('ftyp', 4);
const FILE = Buffer.from('the downloaded bytes');

const record = (id: string, endedAt: string) => ({
  id,
  client_id: null,
  profile: null,
  protocol: 'api',
  headless: false,
  vnc_enabled: true,
  width: 800,
  height: 600,
  labels: {},
  start_url: null,
  created_at: '2030-01-01T00:00:00.000Z',
  ended_at: endedAt,
  end_reason: 'deleted',
  recording: { status: 'finished', error: null, size_bytes: 1000 },
  downloads: 1,
  size_bytes: 1100,
});

/** What a device with one live recorded session and two ended ones answers; `seen` has each request. */
function standInDevice(ended: Array<ReturnType<typeof record>>) {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (req.headers.authorization !== `Bearer ${DEVICE_TOKEN}`) return json(res, 401, { error: { code: 'unauthorized', message: 'token' } });
    const url = req.url ?? '';
    if (url === '/api/sessions?ended=1' || url === '/api/sessions') {
      const live = { id: 'live1', status: 'ready', ws_endpoint: 'ws://device/sessions/live1/playwright', vnc: null, recording: { status: 'recording', error: null, size_bytes: 10, url: 'http://device/api/sessions/live1/recording' } };
      return json(res, 200, { sessions: [live], pool: {}, capacity: {}, ...(url.endsWith('ended=1') ? { ended } : {}) });
    }
    if (url === '/api/sessions/s1/recording') {
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      const common = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'cache-control': 'no-store', 'x-device-only': 'yes' };
      if (!m) return res.writeHead(200, { ...common, 'content-length': VIDEO.length }).end(req.method === 'HEAD' ? undefined : VIDEO);
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), VIDEO.length - 1) : VIDEO.length - 1;
      if (start >= VIDEO.length) return res.writeHead(416, { 'content-type': 'application/json', 'content-range': `bytes */${VIDEO.length}` }).end('{"error":{"code":"range_not_satisfiable","message":"outside"}}');
      return res.writeHead(206, { ...common, 'content-range': `bytes ${start}-${end}/${VIDEO.length}`, 'content-length': end - start + 1 }).end(VIDEO.subarray(start, end + 1));
    }
    if (url === '/api/sessions/s1/downloads/a%20b.bin') {
      return res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': FILE.length, 'content-disposition': "attachment; filename*=UTF-8''a%20b.bin" }).end(FILE);
    }
    if (url === '/api/sessions/s1/downloads') return json(res, 200, { session: 's1', downloads: [{ name: 'a b.bin', size_bytes: FILE.length, modified_at: '2030-01-01T00:00:00.000Z' }] });
    if (url === '/api/sessions/s1/logs') return json(res, 200, { session: 's1', ended: true, dropped: 0, entries: [{ at: '2030-01-01T00:00:00.000Z', kind: 'console', level: 'info', message: 'hello' }] });
    return json(res, 404, { error: { code: 'session_not_found', message: `no session at ${url}` } });
  });
  return { server, seen };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('session artifacts through the monitor', () => {
  const dir = tempDir('outpost-fleet-artifacts-');
  const one = standInDevice([record('s2', '2030-01-01T00:20:00.000Z'), record('s1', '2030-01-01T00:05:00.000Z')]);
  const two = standInDevice([record('t1', '2030-01-01T00:10:00.000Z')]);
  let app: FastifyInstance;

  beforeAll(async () => {
    const ports = [await listen(one.server), await listen(two.server)];
    writeFileSync(
      join(dir.path, 'fleet.yaml'),
      `devices:\n  - {id: kiosk-1, address: 127.0.0.1, port: ${ports[0]}}\n  - {id: kiosk-2, address: 127.0.0.1, port: ${ports[1]}}\n  - {id: kiosk-gone, address: 127.0.0.1, port: 1}\n`,
    );
    app = await buildFleetApp(
      loadFleetConfig({ OUTPOST_LOG_LEVEL: 'silent', OUTPOST_FLEET_TOKEN: TOKEN, OUTPOST_FLEET_DEVICE_TOKEN: DEVICE_TOKEN, OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'), OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite') }),
      { autoStart: false, webRoot: testWebRoot(dir.path) },
    );
    await app.ready();
    // As the poller would have found them: all up (kiosk-gone too, so that it is asked and fails).
    for (const d of app.registry.all()) d.health.status = 'online';
  });
  afterAll(async () => {
    await app?.close();
    for (const s of [one.server, two.server]) await new Promise((resolve) => s.close(resolve));
    dir.remove();
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ url, headers: { ...auth, host: 'monitor.test', ...headers } });

  it('streams a range of the recording with the device status and byte headers, and passes the range only', async () => {
    const res = await get('/api/sessions/kiosk-1/s1/recording', { range: 'bytes=0-99', origin: 'http://monitor.test', 'sec-fetch-site': 'same-origin', cookie: 'a=b' });
    expect(res.statusCode).toBe(206);
    expect(res.rawPayload.length).toBe(100);
    expect(res.rawPayload.subarray(4, 8).toString()).toBe('ftyp');
    expect(res.headers).toMatchObject({ 'content-type': 'video/mp4', 'content-range': 'bytes 0-99/1000', 'content-length': '100', 'accept-ranges': 'bytes', 'cache-control': 'no-store' });
    expect(res.headers['x-device-only']).toBeUndefined();
    const asked = one.seen.at(-1)!;
    expect(asked).toMatchObject({ method: 'GET', url: '/api/sessions/s1/recording' });
    expect(asked.headers).toMatchObject({ range: 'bytes=0-99', authorization: `Bearer ${DEVICE_TOKEN}` });
    for (const h of ['origin', 'sec-fetch-site', 'cookie']) expect(asked.headers[h], h).toBeUndefined();

    const whole = await get('/api/sessions/kiosk-1/s1/recording');
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(VIDEO)).toBe(true);
    const past = await get('/api/sessions/kiosk-1/s1/recording', { range: 'bytes=5000-' });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */1000');
    expect(past.json().error.code).toBe('range_not_satisfiable');
  });

  it('takes the token from the query for a <video> element and sends the device its own, never that one', async () => {
    const res = await app.inject({ url: `/api/sessions/kiosk-1/s1/recording?access_token=${TOKEN}`, headers: { range: 'bytes=10-19' } });
    expect(res.statusCode).toBe(206);
    expect(res.rawPayload.equals(VIDEO.subarray(10, 20))).toBe(true);
    expect(one.seen.at(-1)!.url).toBe('/api/sessions/s1/recording');
    expect((await app.inject({ url: `/api/sessions/kiosk-1/s1/recording?access_token=${testToken()}` })).statusCode).toBe(401);
    // Not on the other artifact routes.
    expect((await app.inject({ url: `/api/sessions/kiosk-1/s1/logs?access_token=${TOKEN}` })).statusCode).toBe(401);
  });

  it('answers HEAD with the device headers and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/api/sessions/kiosk-1/s1/recording', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.rawPayload.length).toBe(0);
    expect(one.seen.at(-1)!.method).toBe('HEAD');
  });

  it('relays a download under its name, the download list and the logs as the device gave them', async () => {
    const file = await get('/api/sessions/kiosk-1/s1/downloads/a%20b.bin');
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(FILE)).toBe(true);
    expect(file.headers['content-disposition']).toBe("attachment; filename*=UTF-8''a%20b.bin");
    expect((await get('/api/sessions/kiosk-1/s1/downloads')).json()).toEqual({ session: 's1', downloads: [{ name: 'a b.bin', size_bytes: FILE.length, modified_at: '2030-01-01T00:00:00.000Z' }] });
    expect((await get('/api/sessions/kiosk-1/s1/logs')).json().entries[0].message).toBe('hello');
    const missing = await get('/api/sessions/kiosk-1/nope/logs');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('session_not_found');
  });

  it('answers 404 for a device it does not know, 502 for one that does not answer, 400 for a name that is no file name', async () => {
    expect((await get('/api/sessions/nope/s1/recording')).statusCode).toBe(404);
    const gone = await get('/api/sessions/kiosk-gone/s1/recording');
    expect(gone.statusCode).toBe(502);
    expect(gone.json().error.code).toBe('device_unreachable');
    expect((await get('/api/sessions/kiosk-1/s1/downloads/a%2Fb')).statusCode).toBe(400);
    expect((await get('/api/sessions/kiosk-1/s1/downloads/%01')).statusCode).toBe(400);
  });

  it('lists the ended sessions of every online device with ?ended=1, newest first, tagged and pointed at the monitor', async () => {
    const res = await get('/api/sessions?ended=1');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.ended.map((e: { device: string; id: string }) => `${e.device}/${e.id}`)).toEqual(['kiosk-1/s2', 'kiosk-2/t1', 'kiosk-1/s1']);
    expect(body.ended[0].recording.url).toBe('http://monitor.test/api/sessions/kiosk-1/s2/recording');
    // The live sessions come along, their recordings pointed at the monitor too.
    expect(body.sessions.map((s: { device: string }) => s.device).sort()).toEqual(['kiosk-1', 'kiosk-2']);
    expect(body.sessions[0].recording.url).toMatch(/^http:\/\/monitor\.test\/api\/sessions\/kiosk-[12]\/live1\/recording$/);
    // The device that did not answer, as the live list reports one.
    expect(body.errors).toEqual([{ device: 'kiosk-gone', message: expect.stringMatching(/did not answer/) }]);
    // Without ?ended=1, no `ended` (and only devices that report sessions are asked: none here).
    expect((await get('/api/sessions')).json()).toEqual({ sessions: [], errors: [] });
  });
});
