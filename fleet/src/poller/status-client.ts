// Fetches and checks one device's /api/fleet/status. axios with keep-alive agents (one kept socket
// per device), a hard per-request deadline (AbortSignal, so a device that trickles bytes cannot hold
// a slot), and the contract schema compiled once with Ajv.
import http from 'node:http';
import https from 'node:https';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import axios, { type AxiosInstance } from 'axios';
import { FleetStatus } from '../../../device/src/contract.js';
import type { PollResult } from './device-state.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

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

export function createStatusClient(opts: { timeoutMs: number; token?: string; maxSockets?: number }): StatusClient {
  const agentOpts = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: opts.maxSockets ?? 4, maxFreeSockets: 1, scheduling: 'lifo' as const };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  const validate = ajv.compile(FleetStatus);
  const client = axios.create({
    httpAgent,
    httpsAgent,
    timeout: opts.timeoutMs,
    maxContentLength: 4 * 1024 * 1024,
    maxRedirects: 0,
    responseType: 'text',
    transformResponse: [(d: unknown) => d],
    validateStatus: () => true,
    headers: { accept: 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
  });

  return {
    axios: client,
    baseUrl: deviceBaseUrl,
    async poll(device) {
      const started = performance.now();
      const took = () => Math.round((performance.now() - started) * 10) / 10;
      let res;
      const url = `${deviceBaseUrl(device)}/api/fleet/status`;
      try {
        const signal = AbortSignal.timeout(opts.timeoutMs);
        try {
          res = await client.get<string>(url, { signal });
        } catch (first) {
          // A kept-alive socket the device closed just as we reused it: one immediate retry on a
          // fresh socket, so a keep-alive race is never reported as an outage. (GET is idempotent.)
          const code = (first as { code?: string }).code;
          if (code !== 'ECONNRESET' && code !== 'EPIPE') throw first;
          res = await client.get<string>(url, { signal });
        }
      } catch (err) {
        const e = err as { code?: string; message?: string };
        const message =
          e.code === 'ECONNABORTED' || e.code === 'ERR_CANCELED' || e.code === 'ETIMEDOUT'
            ? `timed out after ${opts.timeoutMs} ms`
            : `${e.code ?? 'error'}${e.message && !e.message.includes(e.code ?? '~') ? ` ${e.message}` : ''}`.trim();
        return { ok: false, kind: 'no_answer', message, durationMs: took() };
      }
      if (res.status !== 200) return { ok: false, kind: 'http_error', message: `status ${res.status}`, durationMs: took() };
      let body: unknown;
      try {
        body = JSON.parse(res.data);
      } catch {
        return { ok: false, kind: 'bad_payload', message: 'not JSON', durationMs: took() };
      }
      if (!validate(body)) {
        const e = validate.errors?.[0];
        return { ok: false, kind: 'bad_payload', message: `${e?.instancePath || '/'} ${e?.message ?? 'does not match the contract'}`, durationMs: took() };
      }
      return { ok: true, status: body as FleetStatus, durationMs: took() };
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
