// The monitor's one HTTP client for talking to devices: the poller's status requests and the
// proxied API calls (sessions) both go through it. Each instance keeps its own keep-alive sockets
// per device (one agent, pooled per host:port) with a bearer token, a hard deadline per request,
// a size cap on answers, and failures mapped to one shape. The monitor makes two instances, so a
// poll never queues behind a slow session create on the same device (fleet-plugin.ts).
//
// node:http rather than axios: at 10,000 devices axios's per-request work (config merging, header
// objects, proxy lookup) cost 2.5x the CPU of the request itself (bench:fleet).
//
// Every request has a hard deadline enforced by one watchdog for all requests (a device that
// trickles its answer cannot hold a slot for longer than the timeout).
import http from 'node:http';
import { DeviceBadAnswerError, DeviceUnreachableError } from './device-errors.js';

export interface DeviceEndpoint {
  address: string;
  port: number;
}

export interface DeviceRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  /** Path and query, starting with '/'. */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
}

/** A device's answer, whatever its status; or why there was none. */
export type DeviceAnswer =
  | { ok: true; status: number; body: string }
  | { ok: false; failure: 'timeout' | 'too_large' | 'network'; message: string };

export interface DeviceHttpOptions {
  /** Hard deadline of a request, connect to last byte. */
  timeoutMs: number;
  /** Sent as `Authorization: Bearer` (OUTPOST_FLEET_DEVICE_TOKEN). */
  token?: string | undefined;
  /** Answers larger than this are cut off and reported as too_large. */
  maxBytes: number;
  /** Connections per device at once; more requests wait for one. */
  maxSockets: number;
  /** Idle connections kept per device. */
  maxFreeSockets: number;
  /** Sent as `x-outpost-monitor`: which monitor of a shared fleet is asking. */
  monitorId?: string;
}

export interface DeviceHttp {
  /** Never rejects: failures come back as values, so 10,000 polls cost no exception per silent device. */
  send(device: DeviceEndpoint, req: DeviceRequest): Promise<DeviceAnswer>;
  /**
   * A proxied API call: the device's status and JSON body as they are. Rejects with
   * DeviceUnreachableError without an answer and DeviceBadAnswerError when it is not JSON.
   */
  json(device: DeviceEndpoint & { id: string }, req: DeviceRequest): Promise<{ status: number; data: unknown }>;
  /** Destroys every socket and request in flight (they resolve as network failures); idempotent. */
  close(): void;
}

export function deviceBaseUrl(d: DeviceEndpoint): string {
  const host = d.address.includes(':') && !d.address.startsWith('[') ? `[${d.address}]` : d.address;
  return `http://${host}:${d.port}`;
}

/** One line for a failed request: the error code where the message does not already name it. */
export function describeNetworkError(err: NodeJS.ErrnoException): string {
  return err.code && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message;
}

class TooLarge extends Error {
  readonly code = 'ETOOBIG';
}
class Deadline extends Error {
  readonly code = 'ETIMEDOUT';
}

type Raw = DeviceAnswer & { reusedSocket?: boolean; code?: string | undefined };

interface InFlight {
  deadline: number;
  res: http.IncomingMessage | null;
}

/**
 * Ends a request with err, unless its answer is already complete (a small answer read in one go):
 * the socket then goes back to the pool before 'end' is emitted, and an error destroyed into it
 * would have no listener left, an uncaught exception (test 'cuts off an answer larger than the
 * limit', with a limit of 1000 bytes). Its 'end' settles it instead.
 */
function abort(req: http.ClientRequest, res: http.IncomingMessage | null, err: Error): void {
  if (!res?.complete) req.destroy(err);
}

export function createDeviceHttp(opts: DeviceHttpOptions): DeviceHttp {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets, maxFreeSockets: opts.maxFreeSockets, scheduling: 'lifo' });
  const baseHeaders: Record<string, string> = {
    accept: 'application/json',
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...(opts.monitorId ? { 'x-outpost-monitor': opts.monitorId } : {}),
  };
  const inflight = new Map<http.ClientRequest, InFlight>();
  const tooLarge = `answer larger than ${opts.maxBytes} bytes`;
  let closed = false;
  const watchdog = setInterval(
    () => {
      const now = performance.now();
      for (const [req, f] of inflight) if (now > f.deadline) abort(req, f.res, new Deadline('deadline'));
    },
    Math.max(50, Math.min(250, opts.timeoutMs / 4)),
  );
  watchdog.unref();

  function once(device: DeviceEndpoint, r: DeviceRequest, payload: string | undefined, deadline: number): Promise<Raw> {
    return new Promise((resolve) => {
      if (closed) return resolve({ ok: false, failure: 'network', message: 'the device client is closed' });
      const headers = payload === undefined ? baseHeaders : { ...baseHeaders, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
      const options: http.RequestOptions = { host: device.address, port: device.port, path: r.path, agent, headers };
      // GET is node's default. Named anyway, one more property makes every copy of the options
      // that node:http takes per request (null-prototype dictionaries) a size larger: 1.5 KB more
      // per poll, 15 MB more garbage per cycle at 10,000 devices (bench:fleet).
      if (r.method !== undefined && r.method !== 'GET') options.method = r.method;
      const req = http.request(options, (res) => {
        flight.res = res;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          const first = size <= opts.maxBytes;
          size += chunk.length;
          if (size <= opts.maxBytes) chunks.push(chunk);
          else if (first) {
            chunks.length = 0;
            abort(req, res, new TooLarge(tooLarge));
          }
        });
        res.on('end', () => {
          inflight.delete(req);
          if (size > opts.maxBytes) resolve({ ok: false, failure: 'too_large', message: tooLarge });
          else resolve({ ok: true, status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') });
        });
        // A destroyed request reports on `req`; the response's own error adds nothing.
        res.on('error', () => undefined);
      });
      const flight: InFlight = { deadline, res: null };
      inflight.set(req, flight);
      req.on('error', (err: NodeJS.ErrnoException) => {
        inflight.delete(req);
        if (err instanceof Deadline) resolve({ ok: false, failure: 'timeout', message: `timed out after ${opts.timeoutMs} ms` });
        else if (err instanceof TooLarge) resolve({ ok: false, failure: 'too_large', message: tooLarge });
        else resolve({ ok: false, failure: 'network', message: describeNetworkError(err), code: err.code, reusedSocket: req.reusedSocket });
      });
      req.end(payload);
    });
  }

  async function send(device: DeviceEndpoint, r: DeviceRequest): Promise<DeviceAnswer> {
    const deadline = performance.now() + opts.timeoutMs;
    const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
    let res = await once(device, r, payload, deadline);
    // A kept-alive socket the device closed just as we reused it: one immediate retry on a fresh
    // socket, so a keep-alive race is never reported as an outage. Only for GET (idempotent, and
    // no body the device may have acted on); not a backoff, so not backoff.ts.
    if (!res.ok && res.reusedSocket && (res.code === 'ECONNRESET' || res.code === 'EPIPE') && (r.method ?? 'GET') === 'GET' && performance.now() < deadline) {
      res = await once(device, r, payload, deadline);
    }
    return res.ok ? { ok: true, status: res.status, body: res.body } : { ok: false, failure: res.failure, message: res.message };
  }

  return {
    send,
    async json(device, r) {
      const res = await send(device, r);
      if (!res.ok) throw new DeviceUnreachableError(device.id, res.message);
      try {
        return { status: res.status, data: JSON.parse(res.body) as unknown };
      } catch {
        throw new DeviceBadAnswerError(device.id, res.status);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(watchdog);
      // With an error, so each pending send() resolves (a plain destroy can leave a started answer hanging).
      for (const req of inflight.keys()) req.destroy(new Error('the device client closed'));
      inflight.clear();
      agent.destroy();
    },
  };
}
