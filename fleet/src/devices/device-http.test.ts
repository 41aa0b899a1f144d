// The device HTTP client against a real HTTP server on 127.0.0.1: one kept socket per device, the
// bearer token, the hard deadline, the size cap, the keep-alive race retry and error mapping.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { testToken } from '../../../device/test/index.js';
import { DeviceBadAnswerError, DeviceUnreachableError } from './device-errors.js';
import { createDeviceHttp, type DeviceHttp, type DeviceHttpOptions } from './device-http.js';

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Which connection carried it (1, 2, …), and how many requests that connection had carried before. */
  connection: number;
  onConnection: number;
}

type Handler = (seen: Seen, res: http.ServerResponse, socket: Socket) => void;

async function startDevice(handler: Handler) {
  const seen: Seen[] = [];
  const perSocket = new Map<Socket, { n: number; count: number }>();
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = perSocket.get(req.socket)!;
      const entry: Seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), connection: s.n, onConnection: s.count };
      s.count += 1;
      seen.push(entry);
      handler(entry, res, req.socket);
    });
  });
  server.on('connection', (socket: Socket) => perSocket.set(socket, { n: (connections += 1), count: 0 }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: { id: 'kiosk-1', address: '127.0.0.1', port: (server.address() as AddressInfo).port },
    seen,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('device HTTP client', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const client = (opts: Partial<DeviceHttpOptions> = {}): DeviceHttp => {
    const c = createDeviceHttp({ timeoutMs: 2000, maxBytes: 1024 * 1024, maxSockets: 2, maxFreeSockets: 1, ...opts });
    cleanup.push(() => c.close());
    return c;
  };
  const device = async (handler: Handler) => {
    const d = await startDevice(handler);
    cleanup.push(() => d.close());
    return d;
  };

  it('keeps one connection per device alive across requests', async () => {
    const d = await device((_s, res) => json(res, 200, { ok: true }));
    const c = client();
    for (let i = 0; i < 5; i += 1) expect(await c.send(d.endpoint, { path: '/api/fleet/status' })).toEqual({ ok: true, status: 200, body: '{"ok":true}' });
    expect(d.connections()).toBe(1);
    expect(d.seen.map((s) => s.onConnection)).toEqual([0, 1, 2, 3, 4]);
  });

  it('closes the kept connection to a device it releases, and opens a new one when called again', async () => {
    const d = await device((_s, res) => json(res, 200, { ok: true }));
    const c = client();
    await c.send(d.endpoint, { path: '/api/fleet/status' });
    c.release(d.endpoint);
    await c.send(d.endpoint, { path: '/api/fleet/status' });
    expect(d.connections()).toBe(2);
    expect(d.seen.map((s) => s.onConnection)).toEqual([0, 0]);
  });

  it('names the monitor asking, when it has a name', async () => {
    const d = await device((_s, res) => json(res, 200, {}));
    await client({ monitorId: 'fleet-b:9000' }).send(d.endpoint, { path: '/' });
    await client().send(d.endpoint, { path: '/' });
    expect(d.seen.map((s) => s.headers['x-outpost-monitor'])).toEqual(['fleet-b:9000', undefined]);
  });

  it('sends the bearer token, and none when it has none', async () => {
    const d = await device((_s, res) => json(res, 200, {}));
    const token = testToken();
    await client({ token }).send(d.endpoint, { path: '/a' });
    await client().send(d.endpoint, { path: '/b' });
    expect(d.seen[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(d.seen[1]!.headers).not.toHaveProperty('authorization');
  });

  it('sends a JSON body and passes any status through', async () => {
    const d = await device((s, res) => json(res, 429, { error: { code: 'capacity_exceeded', message: s.body } }));
    const res = await client().json(d.endpoint, { method: 'POST', path: '/api/sessions', body: { client_id: 'ü' } });
    expect(res).toEqual({ status: 429, data: { error: { code: 'capacity_exceeded', message: '{"client_id":"ü"}' } } });
    expect(d.seen[0]).toMatchObject({ method: 'POST', path: '/api/sessions', headers: { 'content-type': 'application/json' } });
  });

  it('sends GET unless told otherwise, and the method it is told', async () => {
    const d = await device((_s, res) => json(res, 200, {}));
    const c = client();
    await c.send(d.endpoint, { path: '/api/fleet/status' });
    await c.send(d.endpoint, { method: 'GET', path: '/api/drain' });
    await c.send(d.endpoint, { method: 'DELETE', path: '/api/drain' });
    expect(d.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /api/fleet/status', 'GET /api/drain', 'DELETE /api/drain']);
  });

  it('gives up at the deadline on a device that accepts but never answers', async () => {
    const d = await device(() => undefined);
    const res = await client({ timeoutMs: 200 }).send(d.endpoint, { path: '/api/fleet/status' });
    expect(res).toEqual({ ok: false, failure: 'timeout', message: 'timed out after 200 ms' });
  });

  it('gives up at the deadline on a device that trickles its answer', async () => {
    const d = await device((_s, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const res = await client({ timeoutMs: 300 }).send(d.endpoint, { path: '/api/fleet/status' });
    expect(res).toMatchObject({ ok: false, failure: 'timeout' });
  });

  it('cuts off an answer larger than the limit', async () => {
    const d = await device((_s, res) => res.writeHead(200).end('x'.repeat(64 * 1024)));
    const c = client({ maxBytes: 1000 });
    expect(await c.send(d.endpoint, { path: '/big' })).toEqual({ ok: false, failure: 'too_large', message: 'answer larger than 1000 bytes' });
    // The limit is in bytes, not characters.
    const exact = await device((_s, res) => res.writeHead(200).end('é'.repeat(500)));
    expect(await c.send(exact.endpoint, { path: '/exact' })).toMatchObject({ ok: true, body: 'é'.repeat(500) });
    const over = await device((_s, res) => res.writeHead(200).end('é'.repeat(501)));
    expect(await c.send(over.endpoint, { path: '/over' })).toMatchObject({ ok: false, failure: 'too_large' });
  });

  it('reports a refused connection with its code', async () => {
    const d = await device(() => undefined);
    await d.close();
    const res = await client().send(d.endpoint, { path: '/api/fleet/status' });
    expect(res).toMatchObject({ ok: false, failure: 'network' });
    expect(!res.ok && res.message).toMatch(/^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('retries a GET once on a fresh connection when the kept one was reset, but never a POST', async () => {
    // The second request on any connection finds it reset: a device closing an idle socket just
    // as the monitor reuses it.
    const d = await device((s, res, socket) => (s.onConnection === 0 ? json(res, 200, { n: s.connection }) : socket.resetAndDestroy()));
    const c = client();
    expect(await c.send(d.endpoint, { path: '/first' })).toMatchObject({ ok: true, body: '{"n":1}' });
    expect(await c.send(d.endpoint, { path: '/second' })).toMatchObject({ ok: true, body: '{"n":2}' });
    expect(d.seen.map((s) => `${s.path}@${s.connection}`)).toEqual(['/first@1', '/second@1', '/second@2']);
    const post = await c.send(d.endpoint, { method: 'POST', path: '/api/sessions', body: {} });
    expect(post).toMatchObject({ ok: false, failure: 'network', message: expect.stringMatching(/ECONNRESET/) });
    expect(d.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
  });

  it('maps failures of proxied calls to the API errors', async () => {
    const d = await device((_s, res) => res.writeHead(502).end('<html>bad gateway</html>'));
    const c = client({ timeoutMs: 200 });
    await expect(c.json(d.endpoint, { path: '/api/sessions' })).rejects.toThrow(DeviceBadAnswerError);
    await expect(c.json(d.endpoint, { path: '/api/sessions' })).rejects.toMatchObject({
      code: 'bad_gateway',
      statusCode: 502,
      message: 'device kiosk-1 answered with something that is not JSON (status 502)',
    });
    const silent = await device(() => undefined);
    await expect(c.json(silent.endpoint, { path: '/api/sessions' })).rejects.toThrow(DeviceUnreachableError);
    await expect(c.json(silent.endpoint, { path: '/api/sessions' })).rejects.toMatchObject({
      code: 'device_unreachable',
      statusCode: 502,
      message: 'device kiosk-1 did not answer: timed out after 200 ms',
    });
  });

  it('close() ends requests in flight and refuses new ones', async () => {
    const d = await device((_s, res) => {
      res.writeHead(200);
      res.write('{');
    });
    const c = client();
    const pending = c.send(d.endpoint, { path: '/api/fleet/status' });
    await expect.poll(() => d.seen.length).toBe(1);
    c.close();
    c.close();
    expect(await pending).toMatchObject({ ok: false, failure: 'network', message: 'the device client closed' });
    expect(await c.send(d.endpoint, { path: '/again' })).toMatchObject({ ok: false, message: 'the device client is closed' });
  });
});
