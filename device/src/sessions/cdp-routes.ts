// The browser's DevTools protocol through the appliance's port, for CDP clients: Puppeteer
// (`puppeteer.connect({ browserWSEndpoint: cdp_endpoint })`), Playwright's `connectOverCDP` (also
// with the endpoint's http:// form, which reads json/version/ first) and CDP agents. The websockets
// relay to the browser's own DevTools sockets on loopback (devtools.ts); the discovery routes
// answer what chromium answers, with every URL pointing back through this relay, so nothing a
// client is told leads to the browser's port. Same auth, activity and connection count as the
// Playwright relay.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { browserSocketUrl, devtoolsJson, devtoolsOrigin } from './devtools.js';
import { relayToSession } from './session-relay.js';
import { publicBase } from './session-view.js';

const Params = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }, { additionalProperties: false });
const TargetParams = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    kind: Type.String({ pattern: '^[a-z_]{1,32}$' }),
    target: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }),
  },
  { additionalProperties: false },
);
const Version = Type.Object({ Browser: Type.String(), 'Protocol-Version': Type.String(), webSocketDebuggerUrl: Type.String() }, { additionalProperties: true });
const Target = Type.Object(
  { id: Type.String(), type: Type.String(), title: Type.String(), url: Type.String(), webSocketDebuggerUrl: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
const errors = { 401: ErrorBody, 404: ErrorBody, 502: ErrorBody };
const upgradeErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 502: ErrorBody };

const cdpRoutes: FastifyPluginAsyncTypebox<{ publicUrl?: string }> = async (app, opts) => {
  const manager = app.sessionManager;
  /** Where each accepted upgrade goes, decided before it (an unknown session is a plain 404). */
  const targets = new WeakMap<FastifyRequest, string>();
  const base = (req: FastifyRequest, id: string) => `${publicBase(req, opts.publicUrl).ws}/sessions/${id}/cdp`;
  const relay = (socket: Parameters<typeof relayToSession>[2], req: FastifyRequest) =>
    relayToSession(manager, manager.get((req.params as { id: string }).id), socket, targets.get(req)!);

  app.get(
    '/sessions/:id/cdp',
    {
      websocket: true,
      schema: { params: Params, response: upgradeErrors },
      preValidation: async (req: FastifyRequest, _reply: FastifyReply) => {
        targets.set(req, await browserSocketUrl(manager.get((req.params as { id: string }).id)));
      },
    },
    relay,
  );

  app.get(
    '/sessions/:id/cdp/devtools/:kind/:target',
    {
      websocket: true,
      schema: { params: TargetParams, response: upgradeErrors },
      preValidation: async (req: FastifyRequest, _reply: FastifyReply) => {
        const { id, kind, target } = req.params as { id: string; kind: string; target: string };
        targets.set(req, `ws://${devtoolsOrigin(manager.get(id))}/devtools/${kind}/${target}`);
      },
    },
    relay,
  );

  const versionRoute = { schema: { params: Params, response: { 200: Version, ...errors } } };
  const version = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const { id } = req.params;
    const v = await devtoolsJson<{ Browser: string; 'Protocol-Version': string }>(manager.get(id), '/json/version');
    return { ...v, webSocketDebuggerUrl: base(req, id) };
  };
  // The app ignores a trailing slash, so json/version/ (what connectOverCDP asks for) lands here too.
  app.get('/sessions/:id/cdp/json/version', versionRoute, version);

  const listRoute = { schema: { params: Params, response: { 200: Type.Array(Target), ...errors } } };
  const list = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const { id } = req.params;
    const targetsNow = await devtoolsJson<Array<{ id: string; type: string; title: string; url: string; devtoolsFrontendUrl?: string; webSocketDebuggerUrl?: string }>>(
      manager.get(id),
      '/json/list',
    );
    return targetsNow.map(({ devtoolsFrontendUrl: _frontend, webSocketDebuggerUrl: ws, ...t }) => ({
      ...t,
      ...(typeof ws === 'string' ? { webSocketDebuggerUrl: `${base(req, id)}${new URL(ws).pathname}` } : {}),
    }));
  };
  for (const path of ['/sessions/:id/cdp/json/list', '/sessions/:id/cdp/json']) app.get(path, listRoute, list);
};

export default cdpRoutes;
