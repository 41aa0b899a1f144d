// The browser's DevTools protocol through the appliance's port, for CDP clients: Puppeteer
// (`puppeteer.connect({ browserWSEndpoint: cdp_endpoint })`), Playwright's `connectOverCDP` (also
// with the endpoint's http:// form, which reads json/version/ first) and CDP agents. The websockets
// relay to the browser's own DevTools sockets on loopback (backends/devtools-port.ts); the
// discovery routes answer what chromium answers, with every URL pointing back through this relay,
// so nothing a client is told leads to the browser's port. Same auth, activity and connection
// count as the Playwright relay.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { BrowserUnreachableError, SessionNotFoundError } from '../shared/errors.js';
import { relayWebSocket } from '../shared/ws-relay.js';
import type { Session } from './session-manager.js';
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
const FETCH_TIMEOUT_MS = 5000;

const cdpRoutes: FastifyPluginAsyncTypebox<{ publicUrl?: string }> = async (app, opts) => {
  const manager = app.sessionManager;
  /** Where each accepted upgrade goes, decided before it (an unknown session is a plain 404). */
  const targets = new WeakMap<FastifyRequest, string>();

  function devtools(id: string): { session: Session; origin: string } {
    const s = manager.get(id);
    if (s.pool || s.status !== 'ready' || !s.browser) throw new SessionNotFoundError(id);
    const cdp = s.browser.cdp;
    if (!cdp) throw new SessionNotFoundError(`${id}/cdp (this backend gives sessions no DevTools endpoint)`);
    return { session: s, origin: `${cdp.host}:${cdp.port}` };
  }

  async function fetchJson<T>(id: string, origin: string, path: string): Promise<T> {
    try {
      const res = await fetch(`http://${origin}${path}`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`status ${res.status}`);
      return (await res.json()) as T;
    } catch (err) {
      throw new BrowserUnreachableError(id, (err as Error).message);
    }
  }

  const base = (req: FastifyRequest, id: string) => `${publicBase(req, opts.publicUrl).ws}/sessions/${id}/cdp`;

  function relay(socket: Parameters<typeof relayWebSocket>[0], req: FastifyRequest): void {
    const s = manager.get((req.params as { id: string }).id);
    let detach = () => {};
    const r = relayWebSocket(socket, targets.get(req)!, {}, { onActivity: () => manager.noteActivity(s), onClose: () => detach() });
    detach = manager.attach(s, r);
  }

  app.get(
    '/sessions/:id/cdp',
    {
      websocket: true,
      schema: { params: Params, response: upgradeErrors },
      preValidation: async (req: FastifyRequest, _reply: FastifyReply) => {
        const { id } = req.params as { id: string };
        const { origin } = devtools(id);
        const version = await fetchJson<{ webSocketDebuggerUrl: string }>(id, origin, '/json/version');
        const path = new URL(version.webSocketDebuggerUrl).pathname;
        targets.set(req, `ws://${origin}${path}`);
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
        targets.set(req, `ws://${devtools(id).origin}/devtools/${kind}/${target}`);
      },
    },
    relay,
  );

  const versionRoute = { schema: { params: Params, response: { 200: Version, ...errors } } };
  const version = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const { id } = req.params;
    const v = await fetchJson<{ Browser: string; 'Protocol-Version': string }>(id, devtools(id).origin, '/json/version');
    return { ...v, webSocketDebuggerUrl: base(req, id) };
  };
  // The app ignores a trailing slash, so json/version/ (what connectOverCDP asks for) lands here too.
  app.get('/sessions/:id/cdp/json/version', versionRoute, version);

  const listRoute = { schema: { params: Params, response: { 200: Type.Array(Target), ...errors } } };
  const list = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const { id } = req.params;
    const targetsNow = await fetchJson<Array<{ id: string; type: string; title: string; url: string; devtoolsFrontendUrl?: string; webSocketDebuggerUrl?: string }>>(
      id,
      devtools(id).origin,
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
