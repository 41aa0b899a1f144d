// Connect-and-go through the monitor: ws://<monitor>/playwright and ws://<monitor>/cdp place the
// connection's session on the least-loaded online device (or on ?device=), by opening that device's
// own connect-and-go URL (device/src/sessions/connect-routes.ts) before answering the client's
// upgrade. A device that is full or draining (429/503) passes the connection to the next one; any
// other refusal is answered as the device gave it. The session ends when the client disconnects:
// the device sees its relay close.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type WebSocket from 'ws';
import { AppError, ErrorBody, NotFoundError, openUpstream, playwrightHeaders, relayWebSocket, type UpstreamRefusal } from '../../../device/src/shared/index.js';
import { deviceBaseUrl } from '../devices/device-http.js';
import type { Device } from '../devices/device-registry.js';
import { FleetConnectQuery } from './schemas.js';
import { rankDevices, up } from './session-routes.js';

/** Devices tried in turn when the first ones turn the session away for being full or draining. */
const TRIES = 3;
/** A device's create may wait in its capacity queue (OUTPOST_QUEUE_TIMEOUT_S, 30 s by default). */
const OPEN_TIMEOUT_MS = 60_000;

const Query = Type.Object({ ...FleetConnectQuery.properties, device: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })) }, { additionalProperties: false });
const upgradeErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody, 502: ErrorBody, 503: ErrorBody };

function refusalError(d: Device, r: UpstreamRefusal): AppError {
  try {
    const { error } = JSON.parse(r.body) as { error: { code: string; message: string } };
    if (typeof error?.code === 'string' && typeof error.message === 'string') return new AppError(error.code, `device ${d.id}: ${error.message}`, r.status);
  } catch {
    // not an Outpost error body
  }
  return new AppError('device_refused', `device ${d.id} answered ${r.status}`, r.status >= 400 && r.status < 600 ? r.status : 502);
}

const connectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { registry, config } = app;
  const deviceHeaders: Record<string, string> = config.deviceToken ? { authorization: `Bearer ${config.deviceToken}` } : {};
  const opened = new WeakMap<FastifyRequest, WebSocket>();

  for (const protocol of ['playwright', 'cdp'] as const) {
    app.get(
      `/${protocol}`,
      {
        websocket: true,
        schema: { querystring: Query, response: upgradeErrors },
        preHandler: async (req: FastifyRequest) => {
          const { device: wanted, token: _t, access_token: _a, ...fields } = req.query as Record<string, string | number | boolean | undefined>;
          let candidates: Device[];
          if (typeof wanted === 'string') {
            const d = registry.get(wanted);
            if (!d) throw new NotFoundError(`no device with id ${JSON.stringify(wanted)}`);
            if (!up(d)) throw new AppError('device_not_online', `device ${d.id} is ${d.health.status}`, 409);
            candidates = [d];
          } else {
            candidates = rankDevices(registry.all(), TRIES);
            if (candidates.length === 0) throw new AppError('no_device_available', 'no online device has a free session slot', 503);
          }
          const query = new URLSearchParams(Object.entries(fields).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]]))).toString();
          const headers = { ...deviceHeaders, ...playwrightHeaders(req.headers) };
          let last: AppError | null = null;
          for (const d of candidates) {
            const url = `${deviceBaseUrl(d).replace(/^http/, 'ws')}/${protocol}${query ? `?${query}` : ''}`;
            let answer: WebSocket | UpstreamRefusal;
            try {
              answer = await openUpstream(url, headers, OPEN_TIMEOUT_MS);
            } catch (err) {
              last = new AppError('device_unreachable', `device ${d.id}: ${(err as Error).message}`, 502);
              continue;
            }
            if (!('status' in answer)) {
              // The client may have gone while the device made the session: closing ends it there.
              if (req.raw.socket.destroyed) answer.close(1001, 'client went away');
              else {
                req.raw.socket.once('close', () => answer.readyState === answer.OPEN && answer.close(1001, 'client went away'));
                opened.set(req, answer);
              }
              return;
            }
            last = refusalError(d, answer);
            // Full or draining: another device may take it. Anything else is the client's to see.
            if (answer.status !== 429 && answer.status !== 503) break;
          }
          throw last!;
        },
      },
      (socket, req) => {
        const upstream = opened.get(req);
        if (!upstream) return socket.close(1011, 'no session');
        relayWebSocket(socket, upstream, {});
      },
    );
  }
};

export default connectRoutes;
