// Fetches and checks one device's /api/fleet/status.
//
// The poll itself uses node:http with a keep-alive agent (one kept socket per device) rather than
// axios: at 10,000 devices axios's per-request work (config merging, header objects, proxy lookup)
// cost 2.5x the CPU of the request itself and pushed the monitor past Prometheus scraping the same
// fleet (bench:fleet). axios, on the same kind of agent, carries the proxied API calls (sessions),
// where convenience matters more than microseconds.
//
// Every poll has a hard deadline enforced by one watchdog for all requests (a device that trickles
// its answer cannot hold a slot), a size cap, and the contract schema compiled once with Ajv.
import http from 'node:http';
import https from 'node:https';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import axios, { type AxiosInstance } from 'axios';
import { FleetStatus } from '../../../device/src/shared/index.js';
import type { PollResult } from './device-state.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
const MAX_BODY = 1024 * 1024;

export interface DeviceEndpoint {
  address: string;
  port: number;
}

export interface StatusClient {
  poll(device: DeviceEndpoint): Promise<PollResult>;
  /** For proxied API calls to a device (sessions). */
  axios: AxiosInstance;
  baseUrl(device: DeviceEndpoint): string;
  close(): void;
}

export function deviceBaseUrl(d: DeviceEndpoint): string {
  const host = d.address.includes(':') && !d.address.startsWith('[') ? `[${d.address}]` : d.address;
  return `http://${host}:${d.port}`;
}

type Raw = { status: number; body: string } | { error: string; code: string | undefined };

export function createStatusClient(opts: { timeoutMs: number; token?: string; maxSockets?: number }): StatusClient {
  const pollAgent = new http.Agent({ keepAlive: true, maxSockets: 2, maxFreeSockets: 1, scheduling: 'lifo' });
  const apiAgent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 8, maxFreeSockets: 2 });
  const apiHttpsAgent = new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 8, maxFreeSockets: 2 });
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  const validate = ajv.compile(FleetStatus);
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) };
  const client = axios.create({
    httpAgent: apiAgent,
    httpsAgent: apiHttpsAgent,
    proxy: false,
    timeout: opts.timeoutMs,
    maxContentLength: 4 * 1024 * 1024,
    maxRedirects: 0,
    responseType: 'text',
    transformResponse: [(d: unknown) => d],
    validateStatus: () => true,
    headers,
  });

  const inflight = new Map<http.ClientRequest, number>();
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const [req, deadline] of inflight) if (now > deadline) req.destroy(Object.assign(new Error('deadline'), { code: 'ETIMEDOUT' }));
  }, Math.max(50, Math.min(250, opts.timeoutMs / 4)));
  watchdog.unref();

  function get(device: DeviceEndpoint, deadline: number): Promise<Raw> {
    return new Promise((resolve) => {
      const req = http.get({ host: device.address, port: device.port, path: '/api/fleet/status', agent: pollAgent, headers }, (res) => {
        let body = '';
        let size = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          size += chunk.length;
          if (size > MAX_BODY) req.destroy(Object.assign(new Error(`answer larger than ${MAX_BODY} bytes`), { code: 'ETOOBIG' }));
          else body += chunk;
        });
        res.on('end', () => {
          inflight.delete(req);
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', () => undefined);
      });
      inflight.set(req, deadline);
      req.on('error', (err: NodeJS.ErrnoException) => {
        inflight.delete(req);
        resolve({ error: err.message, code: err.code });
      });
    });
  }

  return {
    axios: client,
    baseUrl: deviceBaseUrl,
    async poll(device) {
      const started = performance.now();
      const deadline = started + opts.timeoutMs;
      const took = () => Math.round((performance.now() - started) * 10) / 10;
      let res = await get(device, deadline);
      // A kept-alive socket the device closed just as we reused it: one immediate retry on a fresh
      // socket, so a keep-alive race is never reported as an outage. (GET is idempotent.)
      if ('error' in res && (res.code === 'ECONNRESET' || res.code === 'EPIPE') && performance.now() < deadline) res = await get(device, deadline);
      if ('error' in res) {
        const message = res.code === 'ETIMEDOUT' ? `timed out after ${opts.timeoutMs} ms` : res.code && !res.error.includes(res.code) ? `${res.code} ${res.error}` : res.error;
        return { ok: false, kind: 'no_answer', message, durationMs: took() };
      }
      if (res.status !== 200) return { ok: false, kind: 'http_error', message: `status ${res.status}`, durationMs: took() };
      let body: unknown;
      try {
        body = JSON.parse(res.body);
      } catch {
        return { ok: false, kind: 'bad_payload', message: 'not JSON', durationMs: took() };
      }
      if (!validate(body)) {
        const e = validate.errors?.[0];
        return { ok: false, kind: 'bad_payload', message: `${e?.instancePath || '/'} ${e?.message ?? 'does not match the contract'}`, durationMs: took() };
      }
      return { ok: true, status: body as FleetStatus, durationMs: took(), text: res.body };
    },
    close() {
      clearInterval(watchdog);
      for (const req of inflight.keys()) req.destroy();
      inflight.clear();
      pollAgent.destroy();
      apiAgent.destroy();
      apiHttpsAgent.destroy();
    },
  };
}
