// Connect-and-go: ws://<appliance>/playwright and ws://<appliance>/cdp, one fixed URL per protocol
// for clients that cannot make a POST first (Uptime Kuma's real-browser monitor, a Puppeteer
// script given only a browserWSEndpoint). The connection opens a session, from the warm pool
// when its options match, and the session ends when its last such client disconnects (or at its
// TTL). Options are query parameters (the create body's fields but labels; a list as the parameter
// repeated, geolocation as lat,lon[,accuracy]); the token is ?token=, ?access_token= or the
// Authorization header.
// A refusal (a bad option, capacity, the drain) is an HTTP answer before the upgrade, as
// browserless gives it, so the client sees the status and the reason.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { BadRequestError } from '../shared/errors.js';
import { checkValue } from '../shared/http/validation.js';
import { SessionGeolocation, createSessionBody, type CreateSessionBody } from '../shared/session-schemas.js';
import { browserSocketUrl } from './devtools.js';
import type { Session } from './session-manager.js';
import { playwrightHeaders } from '../shared/ws-relay.js';
import { relayToSession } from './session-relay.js';

const NUMBER = '-?\\d+(\\.\\d+)?';

/** The query a connect-and-go URL takes: the create body's fields but labels, and the token. */
export function connectQuery(limits: Parameters<typeof createSessionBody>[0]) {
  const { labels: _labels, geolocation: _geolocation, ...fields } = createSessionBody(limits).properties;
  return Type.Object(
    {
      ...fields,
      geolocation: Type.Optional(Type.String({ pattern: `^${NUMBER},${NUMBER}(,${NUMBER})?$` })),
      token: Type.Optional(Type.String()),
      access_token: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  );
}

/** `lat,lon[,accuracy]` as the create body's geolocation, checked like the body's. */
export function queryGeolocation(text: string): CreateSessionBody['geolocation'] {
  const [latitude, longitude, accuracy] = text.split(',').map(Number);
  const geolocation = { latitude: latitude!, longitude: longitude!, ...(accuracy !== undefined ? { accuracy } : {}) };
  const problem = checkValue(SessionGeolocation, geolocation, 'querystring.geolocation');
  if (problem !== null) throw new BadRequestError(problem);
  return geolocation;
}

const upgradeErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody, 502: ErrorBody, 503: ErrorBody };

const connectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const manager = app.sessionManager;
  const Query = connectQuery(manager.limits);
  const opened = new WeakMap<FastifyRequest, { session: Session; target: string }>();
  /** Connect-and-go clients per session: the session ends when the last one leaves. */
  const holders = new Map<Session, number>();

  function holdUntilClosed(s: Session, socket: Socket): void {
    holders.set(s, (holders.get(s) ?? 0) + 1);
    const release = () => {
      const left = (holders.get(s) ?? 1) - 1;
      if (left > 0) return void holders.set(s, left);
      holders.delete(s);
      // Already ended (TTL, DELETE, a crash) is fine: there is nothing left to end.
      manager.remove(s.id, 'disconnected').catch(() => undefined);
    };
    // The raw socket, not the websocket: it closes also when the upgrade never completes.
    if (socket.destroyed) release();
    else socket.once('close', release);
  }

  for (const protocol of ['playwright', 'cdp'] as const) {
    app.get(
      `/${protocol}`,
      {
        websocket: true,
        schema: { querystring: Query, response: upgradeErrors },
        // After validation (preHandler), so the options are checked before a session is made.
        preHandler: async (req: FastifyRequest) => {
          const { token: _t, access_token: _a, geolocation, ...fields } = req.query as Omit<CreateSessionBody, 'geolocation'> & { geolocation?: string; token?: string; access_token?: string };
          const create: CreateSessionBody = geolocation === undefined ? fields : { ...fields, geolocation: queryGeolocation(geolocation) };
          const { session } = await manager.create(create, { protocol });
          holdUntilClosed(session, req.raw.socket);
          try {
            const target = protocol === 'playwright' ? session.browser!.wsEndpoint : await browserSocketUrl(session);
            opened.set(req, { session, target });
          } catch (err) {
            manager.remove(session.id, 'disconnected').catch(() => undefined);
            throw err;
          }
        },
      },
      (socket, req) => {
        const { session, target } = opened.get(req)!;
        relayToSession(manager, session, socket, target, protocol === 'playwright' ? playwrightHeaders(req.headers) : {});
      },
    );
  }
};

export default connectRoutes;
