// Fetches and checks one device's /api/fleet/status through the device HTTP client
// (devices/device-http.ts): the answer is parsed and checked against the contract schema, compiled
// once with Ajv.
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { FleetStatus } from '../../../device/src/shared/index.js';
import type { DeviceEndpoint, DeviceHttp } from '../devices/device-http.js';
import type { PollResult } from './device-state.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

export interface StatusClient {
  poll(device: DeviceEndpoint): Promise<PollResult>;
  /** The device is polled elsewhere now: its idle connection is closed (DeviceHttp.release). */
  release(device: DeviceEndpoint): void;
}

export function createStatusClient(http: DeviceHttp): StatusClient {
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats(ajv);
  const validate = ajv.compile(FleetStatus);
  const request = { path: '/api/fleet/status' } as const;

  return {
    release: (device) => http.release(device),
    async poll(device) {
      const started = performance.now();
      const took = () => Math.round((performance.now() - started) * 10) / 10;
      const res = await http.send(device, request);
      if (!res.ok) return { ok: false, kind: 'no_answer', message: res.message, durationMs: took() };
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
  };
}
