// Sessions across the fleet: list, create on a chosen device or the least-loaded online one,
// delete; the Playwright, VNC and CDP websockets (and CDP's discovery) are relayed through the monitor, so a client needs only
// the monitor's address (and its token). Device answers are passed through with their URLs
// rewritten to the monitor's. A session's logs, downloads and recording: artifact-routes.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import PQueue from 'p-queue';
import Type from 'typebox';
import { AppError, ErrorBody, NotFoundError, playwrightHeaders, relayWebSocket, SESSION_ID_PATTERN, SessionListQuery, wantsEnded, type ArtifactRecord, type RecordingView, type SessionView } from '../../../device/src/shared/index.js';
import { deviceBaseUrl } from '../devices/device-http.js';
import type { Device, DeviceRegistry } from '../devices/device-registry.js';
import { FleetCreateSessionBody, FleetSession, FleetSessionList, type FleetEndedSession } from './schemas.js';

/** A session of a device: `/…/:device/:id`. */
export const Params = Type.Object(
  { device: Type.String({ minLength: 1, maxLength: 253 }), id: Type.String({ pattern: SESSION_ID_PATTERN }) },
  { additionalProperties: false },
);

/**
 * Device answers pass through as they are, so a newer device's extra session fields reach its
 * clients: the response schemas say what this monitor knows of the shape (for the API docs),
 * and this serializer keeps them from filtering it.
 */
export const passThrough = { serializerCompiler: () => (data: unknown) => JSON.stringify(data) };
export const deviceErrors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody, 502: ErrorBody, 503: ErrorBody };
// Refusals before the upgrade (a device that is not online is 409).
const upgradeErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** A session as a device sends it (a newer device may send more fields; they pass through). */
type DeviceSession = SessionView;

/** Devices asked at once when listing sessions across the fleet. */
const LIST_CONCURRENCY = 16;

export const up = (d: Device) => d.health.status === 'online' || d.health.status === 'degraded';

/** Least loaded: lowest share of capacity in use, then the most warm sessions ready. */
export function pickDevice(devices: Device[]): Device | null {
  return rankDevices(devices, 1)[0] ?? null;
}

/** The `n` devices that would take a new session, least loaded first (pickDevice's order). */
export function rankDevices(devices: Device[], n: number): Device[] {
  const ranked: Array<{ d: Device; score: number }> = [];
  for (const d of devices) {
    const s = d.health.lastStatus?.sessions;
    // A draining device takes no new session (it would answer 503 draining).
    if (!up(d) || !s || s.capacity <= 0 || s.active >= s.capacity || d.health.lastStatus?.appliance.drain) continue;
    const ready = s.pool.headless.ready + s.pool.vnc.ready;
    const score = s.active / s.capacity - ready * 1e-3;
    // Keep only the best n (n is small): insert in order, drop the tail.
    const at = ranked.findIndex((r) => r.score > score);
    if (at === -1) {
      if (ranked.length < n) ranked.push({ d, score });
    } else {
      ranked.splice(at, 0, { d, score });
      if (ranked.length > n) ranked.pop();
    }
  }
  return ranked.map((r) => r.d);
}

export function publicBase(req: FastifyRequest): { http: string; ws: string } {
  const secure = req.protocol === 'https';
  return { http: `${secure ? 'https' : 'http'}://${req.host}`, ws: `${secure ? 'wss' : 'ws'}://${req.host}` };
}

/** The device an API path names; 404 when the registry has none. */
export function deviceById(registry: DeviceRegistry, id: string): Device {
  const d = registry.get(id);
  if (!d) throw new NotFoundError(`no device with id ${JSON.stringify(id)}`);
  return d;
}

/** A recording as the monitor shows it: its URL is the monitor's relay (artifact-routes.ts). */
function relayedRecording(base: string, device: string, id: string, r: RecordingView): RecordingView {
  return { ...r, url: `${base}/api/sessions/${encodeURIComponent(device)}/${id}/recording` };
}

/** Ended sessions newest end first (each device's list is; several are merged). */
const byEndDesc = (a: FleetEndedSession, b: FleetEndedSession) => Date.parse(b.ended_at ?? '') - Date.parse(a.ended_at ?? '') || a.device.localeCompare(b.device);

/** An ended session of device `d` as the monitor lists it. */
export function endedView(base: string, d: Device, rec: ArtifactRecord): FleetEndedSession {
  return { ...rec, device: d.id, recording: rec.recording ? relayedRecording(base, d.id, rec.id, rec.recording) : null };
}

const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { registry, deviceApi, config } = app;
  // The websocket relay opens its own connection to the device, with the same token.
  const deviceHeaders: Record<string, string> = config.deviceToken ? { authorization: `Bearer ${config.deviceToken}` } : {};

  function rewrite(req: FastifyRequest, d: Device, s: DeviceSession) {
    const base = publicBase(req);
    const path = `/sessions/${encodeURIComponent(d.id)}/${s.id}`;
    const password = s.vnc?.http.match(/#password=([^&]+)/)?.[1];
    return {
      ...s,
      device: d.id,
      ws_endpoint: `${base.ws}${path}/playwright`,
      // A device older than CDP sends none; one whose backend has none sends null.
      ...(s.cdp_endpoint === undefined ? {} : { cdp_endpoint: s.cdp_endpoint ? `${base.ws}${path}/cdp` : null }),
      vnc: s.vnc
        ? {
            ws: `${base.ws}${path}/vnc`,
            http: `${base.http}/vnc/?device=${encodeURIComponent(d.id)}&session=${s.id}${password ? `#password=${password}` : ''}`,
            password_protected: s.vnc.password_protected,
          }
        : null,
      // A device older than recordings sends none.
      ...(s.recording === undefined ? {} : { recording: s.recording ? relayedRecording(base.http, d.id, s.id, s.recording) : null }),
    };
  }

  const deviceOf = (id: string) => deviceById(registry, id);

  /** Forward to a device; its status and JSON body come back as they are (502 when there is none). */
  const forward = (d: Device, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    deviceApi.json(d, { method, path, ...(body === undefined ? {} : { body }) });

  app.get('/api/sessions', { ...passThrough, schema: { querystring: SessionListQuery, response: { 200: FleetSessionList, 400: ErrorBody, 401: ErrorBody } } }, async (req): Promise<FleetSessionList> => {
    const withEnded = wantsEnded(req.query);
    // Only devices that report sessions are asked; with 10,000 devices most have none. Ended
    // sessions may be on any device (the status does not count them), so ?ended=1 asks every
    // device that is up: the dashboard asks for them only while its list of them is open.
    const asked = registry.all().filter((d) => up(d) && (withEnded || (d.health.lastStatus?.sessions.active ?? 0) > 0));
    const base = publicBase(req).http;
    const sessions: FleetSessionList['sessions'] = [];
    const ended: FleetEndedSession[] = [];
    const errors: Array<{ device: string; message: string }> = [];
    const limiter = new PQueue({ concurrency: LIST_CONCURRENCY });
    for (const d of asked) {
      void limiter.add(async () => {
        try {
          const { status, data } = await forward(d, 'GET', withEnded ? '/api/sessions?ended=1' : '/api/sessions');
          if (status !== 200) throw new Error(`status ${status}`);
          const list = data as { sessions: DeviceSession[]; ended?: ArtifactRecord[] };
          for (const s of list.sessions) sessions.push(rewrite(req, d, s));
          // A device older than artifacts sends no `ended`: it keeps none.
          if (withEnded) for (const e of list.ended ?? []) ended.push(endedView(base, d, e));
        } catch (err) {
          errors.push({ device: d.id, message: (err as Error).message });
        }
      });
    }
    await limiter.onIdle();
    return { sessions, ...(withEnded ? { ended: ended.sort(byEndDesc) } : {}), errors };
  });

  app.post('/api/sessions', { ...passThrough, schema: { body: FleetCreateSessionBody, response: { 200: FleetSession, 201: FleetSession, ...deviceErrors } } }, async (req, reply) => {
    const { device: wanted, ...fields } = req.body ?? {};
    let d: Device | null;
    if (wanted) {
      d = deviceOf(wanted);
      if (!up(d)) throw new AppError('device_not_online', `device ${d.id} is ${d.health.status}${d.health.reason ? ` (${d.health.reason})` : ''}`, 409);
    } else {
      d = pickDevice(registry.all());
      if (!d) throw new AppError('no_device_available', 'no online device has a free session slot', 503);
    }
    const { status, data } = await forward(d, 'POST', '/api/sessions', fields);
    // The device's answer, status and all; errors keep its { error } body.
    const body = status >= 300 ? data : rewrite(req, d, data as DeviceSession);
    return reply.code(status as 400).send(body as { error: { code: string; message: string } });
  });

  app.get('/api/sessions/:device/:id', { ...passThrough, schema: { params: Params, response: { 200: FleetSession, ...deviceErrors } } }, async (req, reply) => {
    const d = deviceOf(req.params.device);
    const { status, data } = await forward(d, 'GET', `/api/sessions/${req.params.id}`);
    return reply.code(status).send(status === 200 ? rewrite(req, d, data as DeviceSession) : (data as ErrorBody));
  });

  app.delete('/api/sessions/:device/:id', { ...passThrough, schema: { params: Params, response: { 200: FleetSession, ...deviceErrors } } }, async (req, reply) => {
    const d = deviceOf(req.params.device);
    const { status, data } = await forward(d, 'DELETE', `/api/sessions/${req.params.id}`);
    return reply.code(status).send(status === 200 ? rewrite(req, d, data as DeviceSession) : (data as ErrorBody));
  });

  const requireDevice = async (req: FastifyRequest, _reply: FastifyReply) => {
    const d = deviceOf((req.params as { device: string }).device);
    if (!up(d)) throw new AppError('device_not_online', `device ${d.id} is ${d.health.status}`, 409);
  };

  // The CDP relay's page sockets (json/list hands them out): /cdp/devtools/<kind>/<target>.
  const CdpTargetParams = Type.Object(
    { ...Params.properties, kind: Type.String({ pattern: '^[a-z_]{1,32}$' }), target: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }) },
    { additionalProperties: false },
  );
  const relays: Array<{ path: string; params: typeof Params | typeof CdpTargetParams; to: (p: Record<string, string>) => string }> = [
    ...(['playwright', 'vnc', 'cdp'] as const).map((kind) => ({ path: `/sessions/:device/:id/${kind}`, params: Params, to: (p: Record<string, string>) => `/sessions/${p.id}/${kind}` })),
    { path: '/sessions/:device/:id/cdp/devtools/:kind/:target', params: CdpTargetParams, to: (p) => `/sessions/${p.id}/cdp/devtools/${p.kind}/${p.target}` },
  ];
  for (const r of relays) {
    app.get(r.path, { websocket: true, schema: { params: r.params, response: upgradeErrors }, preValidation: requireDevice }, (socket, req) => {
      const params = req.params as Record<string, string>;
      const d = deviceOf(params.device!);
      // Never the browser's Origin or Sec-Fetch-* headers: the device would refuse the fleet's own
      // live view page as another site (device/src/shared/http/cross-site.ts). Held by
      // session-routes.int.test.ts ("shows a VNC session live through the monitor").
      const headers = { ...deviceHeaders, ...playwrightHeaders(req.headers) };
      relayWebSocket(socket, `${deviceBaseUrl(d).replace(/^http/, 'ws')}${r.to(params)}`, headers);
    });
  }

  // CDP discovery through the monitor: the device's answer with its socket URLs made the monitor's.
  const cdpUrl = (req: FastifyRequest, device: string, id: string, deviceUrl: string) =>
    `${publicBase(req).ws}/sessions/${encodeURIComponent(device)}/${id}/cdp${new URL(deviceUrl).pathname.replace(/^\/sessions\/[^/]+\/cdp/, '')}`;
  const discovery = { ...passThrough, schema: { params: Params, response: { 200: Type.Unknown(), ...deviceErrors } } };
  app.get('/sessions/:device/:id/cdp/json/version', discovery, async (req, reply) => {
    const d = deviceOf(req.params.device);
    const { status, data } = await forward(d, 'GET', `/sessions/${req.params.id}/cdp/json/version`);
    const v = data as { webSocketDebuggerUrl?: string };
    return reply.code(status as 200).send(status === 200 && v.webSocketDebuggerUrl ? { ...v, webSocketDebuggerUrl: cdpUrl(req, d.id, req.params.id, v.webSocketDebuggerUrl) } : data);
  });
  for (const path of ['/sessions/:device/:id/cdp/json/list', '/sessions/:device/:id/cdp/json']) {
    app.get(path, discovery, async (req, reply) => {
      const d = deviceOf((req.params as { device: string }).device);
      const id = (req.params as { id: string }).id;
      const { status, data } = await forward(d, 'GET', `/sessions/${id}/cdp/json/list`);
      if (status !== 200 || !Array.isArray(data)) return reply.code(status as 502).send(data as ErrorBody);
      return (data as Array<{ webSocketDebuggerUrl?: string }>).map((t) => (t.webSocketDebuggerUrl ? { ...t, webSocketDebuggerUrl: cdpUrl(req, d.id, id, t.webSocketDebuggerUrl) } : t));
    });
  }
};

export default sessionRoutes;
