// WebDriver through the monitor: `http://<monitor>/wd/hub` places a new session on the least-loaded
// online device (or on `outpost:options.device`), by the device's own /wd/hub
// (device/src/webdriver/), and relays every later command of that session to the device that holds
// it, as Selenium Grid's router does. The capabilities' URLs (se:cdp, se:vnc, outpost:vnc,
// webSocketUrl) are made the monitor's, and BiDi is W3C_RELAYED too. Auth as on the device: a bearer
// header, or the token as HTTP Basic's password.
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, relayWebSocket, W3CAnswer, W3CError, W3C_RELAYED, WEBDRIVER_BODY_LIMIT, WEBDRIVER_ROUTE, WebDriverCommandParams, WebDriverSessionParams } from '../../../device/src/shared/index.js';
import { createDeviceHttp, deviceBaseUrl } from '../devices/device-http.js';
import type { Device } from '../devices/device-registry.js';
import { publicBase, rankDevices, up } from './session-routes.js';

/** Devices tried in turn when the first ones are full or draining. */
const TRIES = 3;
/** A session nobody has used for this long is forgotten (the device ended it long ago). */
const FORGET_AFTER_MS = 24 * 3600_000;

interface Placed {
  device: Device;
  /** The Outpost session on the device. */
  session: string;
  usedAt: number;
}

function w3c(reply: FastifyReply, status: number, error: string, message: string, headers: Record<string, string> = {}) {
  return reply.code(status).headers(headers).send({ value: { error, message, stacktrace: '' } });
}

/** Registered with the prefix /wd/hub (its not-found answers are W3C's). */
const webdriverRoutes: FastifyPluginAsync = async (app) => {
  const { registry, config: fleetConfig } = app;
  // Its own client: WebDriver commands may take minutes (page loads) and answer megabytes (screenshots).
  const http = createDeviceHttp({ timeoutMs: 330_000, token: fleetConfig.deviceToken, maxBytes: WEBDRIVER_BODY_LIMIT, maxSockets: 16, maxFreeSockets: 4 });
  app.addHook('onClose', async () => http.close());
  const placed = new Map<string, Placed>();

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.validation ? 400 : err instanceof AppError ? err.statusCode : (err.statusCode ?? 500) < 500 ? err.statusCode! : 500;
    if (status >= 500) req.log.error({ err }, 'WebDriver request failed');
    const name = err instanceof AppError && err.code === 'webdriver_session_not_found' ? 'invalid session id' : status === 429 || status === 503 ? 'session not created' : status < 500 ? 'invalid argument' : 'unknown error';
    return w3c(reply, status, name, status >= 500 && !(err instanceof AppError) ? 'internal server error; see the service log' : err.message, err instanceof AppError ? err.headers : {});
  });
  app.setNotFoundHandler((req, reply) => w3c(reply, 404, 'unknown command', `no WebDriver command ${req.method} ${req.url.split('?')[0]}`));

  const find = (sid: string): Placed => {
    const p = placed.get(sid);
    if (!p) throw new AppError('webdriver_session_not_found', `no WebDriver session ${JSON.stringify(sid)} through this monitor`, 404);
    p.usedAt = Date.now();
    return p;
  };

  /** The device's capabilities with every URL made the monitor's. */
  function publicCapabilities(req: FastifyRequest, d: Device, sid: string, caps: Record<string, unknown>): Record<string, unknown> {
    const base = publicBase(req);
    const id = String(caps['outpost:session']);
    const path = `/sessions/${encodeURIComponent(d.id)}/${id}`;
    const password = typeof caps['outpost:vnc'] === 'string' ? /#password=([^&]+)/.exec(caps['outpost:vnc'])?.[1] : undefined;
    return {
      ...caps,
      'outpost:device': d.id,
      ...(caps['se:cdp'] ? { 'se:cdp': `${base.ws}${path}/cdp` } : {}),
      ...(caps['se:vnc'] ? { 'se:vnc': `${base.ws}${path}/vnc` } : {}),
      ...(password ? { 'outpost:vnc': `${base.http}/vnc/?device=${encodeURIComponent(d.id)}&session=${id}#password=${password}` } : {}),
      ...(caps.webSocketUrl ? { webSocketUrl: `${base.ws}/wd/hub/session/${sid}/se/bidi` } : {}),
    };
  }

  app.post('/session', { config: WEBDRIVER_ROUTE, bodyLimit: WEBDRIVER_BODY_LIMIT, schema: { response: { 200: W3CAnswer, '4xx': W3CError, '5xx': W3CError } } }, async (req, reply) => {
    const now = Date.now();
    for (const [sid, p] of placed) if (now - p.usedAt > FORGET_AFTER_MS) placed.delete(sid);
    const body = (req.body ?? {}) as { capabilities?: { alwaysMatch?: Record<string, unknown> } };
    const wanted = body.capabilities?.alwaysMatch?.['outpost:options'] as { device?: unknown } | undefined;
    let candidates: Device[];
    let forward: unknown = body;
    if (typeof wanted?.device === 'string') {
      const d = registry.get(wanted.device);
      if (!d) throw new AppError('not_found', `no device with id ${JSON.stringify(wanted.device)}`, 404);
      if (!up(d)) throw new AppError('device_not_online', `device ${d.id} is ${d.health.status}`, 409);
      candidates = [d];
      // The device knows nothing of devices: the choice is the monitor's.
      const { device: _d, ...rest } = wanted as Record<string, unknown>;
      forward = { ...body, capabilities: { ...body.capabilities, alwaysMatch: { ...body.capabilities!.alwaysMatch, 'outpost:options': rest } } };
    } else {
      candidates = rankDevices(registry.all(), TRIES);
      if (candidates.length === 0) throw new AppError('no_device_available', 'no online device has a free session slot', 503);
    }
    let last: { status: number; body: string } | null = null;
    for (const d of candidates) {
      const res = await http.send(d, { method: 'POST', path: '/wd/hub/session', body: forward });
      if (!res.ok) {
        last = { status: 502, body: JSON.stringify({ value: { error: 'session not created', message: `device ${d.id}: ${res.message}`, stacktrace: '' } }) };
        continue;
      }
      if (res.status === 200) {
        const answer = JSON.parse(res.body) as { value: { sessionId: string; capabilities: Record<string, unknown> } };
        const sid = answer.value.sessionId;
        placed.set(sid, { device: d, session: String(answer.value.capabilities['outpost:session']), usedAt: Date.now() });
        return { value: { sessionId: sid, capabilities: publicCapabilities(req, d, sid, answer.value.capabilities) } };
      }
      last = { status: res.status, body: res.body };
      // Full or draining: the next device may take it. Anything else is the client's to see.
      if (res.status !== 429 && res.status !== 503) break;
    }
    return reply.code(last!.status).type('application/json; charset=utf-8').send(last!.body);
  });

  app.get('/status', { config: WEBDRIVER_ROUTE, schema: { response: { 200: W3CAnswer } } }, async () => {
    const ready = rankDevices(registry.all(), 1).length > 0;
    return { value: { ready, message: ready ? 'an online device takes new sessions' : 'no online device has a free session slot' } };
  });

  async function relay(req: FastifyRequest, reply: FastifyReply, sid: string, method: 'GET' | 'POST' | 'DELETE', path: string) {
    const p = find(sid);
    const res = await http.send(p.device, { method, path, ...(method === 'POST' ? { body: req.body ?? {} } : {}) });
    if (!res.ok) throw new AppError('device_unreachable', `device ${p.device.id}: ${res.message}`, 502);
    if (method === 'DELETE' && path === `/wd/hub/session/${sid}`) placed.delete(sid);
    if (res.status === 404 && /invalid session id/.test(res.body)) placed.delete(sid);
    return reply.code(res.status).type('application/json; charset=utf-8').send(res.body);
  }

  app.delete('/session/:sid', { config: WEBDRIVER_ROUTE, schema: { params: WebDriverSessionParams, response: W3C_RELAYED } }, async (req, reply) => {
    const { sid } = req.params as { sid: string };
    return relay(req, reply, sid, 'DELETE', `/wd/hub/session/${sid}`);
  });
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/session/:sid/*',
    config: WEBDRIVER_ROUTE,
    bodyLimit: WEBDRIVER_BODY_LIMIT,
    schema: { params: WebDriverCommandParams, response: W3C_RELAYED },
    handler: async (req, reply) => {
      const { sid, '*': rest } = req.params as { sid: string; '*': string };
      return relay(req, reply, sid, req.method as 'GET' | 'POST' | 'DELETE', `/wd/hub/session/${sid}/${rest}`);
    },
  });

  app.get(
    '/session/:sid/se/bidi',
    {
      websocket: true,
      config: WEBDRIVER_ROUTE,
      schema: { params: WebDriverSessionParams, response: { 400: W3CError, 401: W3CError, 403: W3CError, 404: W3CError } },
      preValidation: async (req: FastifyRequest) => void find((req.params as { sid: string }).sid),
    },
    (socket, req) => {
      const { sid } = req.params as { sid: string };
      const p = find(sid);
      const headers: Record<string, string> = fleetConfig.deviceToken ? { authorization: `Bearer ${fleetConfig.deviceToken}` } : {};
      relayWebSocket(socket, `${deviceBaseUrl(p.device).replace(/^http/, 'ws')}/wd/hub/session/${sid}/se/bidi`, headers);
    },
  );
};

export default webdriverRoutes;
