// Files the monitor relays from devices (session recordings and downloads): the device's status,
// headers and body as they come, streamed, never held whole. device-http.ts reads every answer
// whole under a size cap, which suits JSON and not a recording of hundreds of megabytes that a
// video player reads in ranges. Sockets of their own (a long transfer never holds a slot that a
// session create needs), with the device token; a device that stops sending for `idleTimeoutMs`
// is cut off, however long the whole transfer takes.
import http from 'node:http';
import { DeviceUnreachableError } from './device-errors.js';
import { describeNetworkError, type DeviceEndpoint } from './device-http.js';

export interface DeviceStreamOptions {
  /** Sent as `Authorization: Bearer` (OUTPOST_FLEET_DEVICE_TOKEN). */
  token?: string | undefined;
  /** Longest silence from the device, before its answer begins or while its body flows. */
  idleTimeoutMs: number;
  /** Transfers per device at once; more wait for one. */
  maxSockets: number;
}

export interface DeviceStreamRequest {
  method?: 'GET' | 'HEAD';
  /** Path and query, starting with '/'. */
  path: string;
  /** Sent as they are, besides the token. */
  headers?: Record<string, string>;
}

/** The device's answer, whatever its status; `body` is to be consumed or destroyed. */
export interface DeviceStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface DeviceStreams {
  /** Rejects with DeviceUnreachableError when no answer begins (refused, reset, silent). */
  open(device: DeviceEndpoint & { id: string }, req: DeviceStreamRequest): Promise<DeviceStream>;
  /** Ends every transfer in flight and every kept socket; idempotent. */
  close(): void;
}

export function createDeviceStreams(opts: DeviceStreamOptions): DeviceStreams {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: 2 });
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const inflight = new Set<http.ClientRequest>();
  let closed = false;

  return {
    open(device, r) {
      return new Promise((resolve, reject) => {
        if (closed) return reject(new DeviceUnreachableError(device.id, 'the monitor is shutting down'));
        const req = http.request({ host: device.address, port: device.port, method: r.method ?? 'GET', path: r.path, agent, headers: { ...r.headers, ...auth } });
        inflight.add(req);
        req.on('close', () => inflight.delete(req));
        // Before the answer a silence rejects; after it, destroying the request errors the body,
        // and whoever pipes it cuts the client's answer off (a client sees a short body, never
        // a hang).
        req.setTimeout(opts.idleTimeoutMs, () => req.destroy(new Error(`no data for ${opts.idleTimeoutMs} ms`)));
        req.on('response', (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res }));
        req.on('error', (err: NodeJS.ErrnoException) => reject(new DeviceUnreachableError(device.id, describeNetworkError(err))));
        req.end();
      });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const req of inflight) req.destroy(new Error('the device stream client closed'));
      inflight.clear();
      agent.destroy();
    },
  };
}
