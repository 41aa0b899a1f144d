// Streams from devices (device-stream.ts) against real HTTP servers on 127.0.0.1: a device that
// goes silent is cut off before or during its answer, one that is not there is unreachable, and
// close() ends what is in flight.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceUnreachableError } from './device-errors.js';
import { createDeviceStreams, type DeviceStreams } from './device-stream.js';

describe('device streams', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function device(handler: http.RequestListener) {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });
    return { id: 'kiosk-1', address: '127.0.0.1', port: (server.address() as AddressInfo).port };
  }
  const streams = (idleTimeoutMs = 2000): DeviceStreams => {
    const s = createDeviceStreams({ token: 'device-token', idleTimeoutMs, maxSockets: 2 });
    cleanup.push(() => s.close());
    return s;
  };
  /** How a body ends: 'end' when it is whole, else the error's message. */
  const outcome = (body: NodeJS.ReadableStream) =>
    new Promise<string>((resolve) => {
      body.on('data', () => undefined);
      body.on('end', () => resolve('end'));
      body.on('error', (err: Error) => resolve(err.message));
    });

  it('streams the answer with its status and headers, sending the token', async () => {
    let auth: string | undefined;
    const d = await device((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(206, { 'content-range': 'bytes 0-2/10' }).end('abc');
    });
    const answer = await streams().open(d, { path: '/x', headers: { range: 'bytes=0-2' } });
    expect(answer.status).toBe(206);
    expect(answer.headers['content-range']).toBe('bytes 0-2/10');
    const chunks: Buffer[] = [];
    for await (const c of answer.body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abc');
    expect(auth).toBe('Bearer device-token');
  });

  it('gives up on a device that never answers, and cuts off one that stops sending midway', async () => {
    const silent = await device(() => undefined);
    await expect(streams(200).open(silent, { path: '/x' })).rejects.toThrow(/did not answer: no data for 200 ms/);
    const stalls = await device((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('part of it');
    });
    const answer = await streams(200).open(stalls, { path: '/x' });
    expect(await outcome(answer.body)).toMatch(/aborted|no data/);
  });

  it('reports a device that is not there as unreachable', async () => {
    const err = await streams().open({ id: 'kiosk-gone', address: '127.0.0.1', port: 1 }, { path: '/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnreachableError);
    expect((err as Error).message).toMatch(/device kiosk-gone did not answer: .*ECONNREFUSED/);
  });

  it('ends transfers in flight on close, and opens none after', async () => {
    const d = await device((_req, res) => {
      res.writeHead(200);
      res.write('a long file');
    });
    const s = streams();
    const answer = await s.open(d, { path: '/x' });
    const ended = outcome(answer.body);
    s.close();
    s.close();
    expect(await ended).not.toBe('end');
    await expect(s.open(d, { path: '/x' })).rejects.toThrow(/shutting down/);
  });
});
