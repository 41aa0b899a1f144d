// Sessions API and the two websocket routes that carry Playwright and VNC through the
// appliance's port (DESIGN.md, "Sessions").
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { SessionNotFoundError } from '../shared/errors.js';
import type { Session } from './session-manager.js';
import { SessionList, SessionListQuery, SessionLogs, SessionParams, SessionView, createSessionBody, touchSessionBody, wantsEnded, type CreateSessionBody } from '../shared/session-schemas.js';
import { publicBase, toView } from './session-view.js';
import { bridgeWebSocketToTcp, playwrightHeaders } from '../shared/ws-relay.js';
import { relayToSession } from './session-relay.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody, 502: ErrorBody, 503: ErrorBody };
// Refusals before the upgrade; the 101 is added by the API docs (api-docs.ts).
const upgradeErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const sessionRoutes: FastifyPluginAsyncTypebox<{ backend: 'process' | 'docker'; publicUrl?: string }> = async (app, opts) => {
  const manager = app.sessionManager;
  const limits = { maxTtlS: manager.limits.maxTtlS, maxIdleS: manager.limits.maxIdleS };
  const view = (req: FastifyRequest, s: Session) => toView(manager, s, publicBase(req, opts.publicUrl), opts.backend);

  app.get('/api/sessions', { schema: { querystring: SessionListQuery, response: { 200: SessionList, 400: ErrorBody, 401: ErrorBody } } }, async (req) => ({
    sessions: manager.list().map((s) => view(req, s)),
    pool: manager.poolView(),
    capacity: manager.capacityView(),
    ...(wantsEnded(req.query) ? { ended: await app.sessionArtifacts.ended() } : {}),
  }));

  app.post(
    '/api/sessions',
    { schema: { body: createSessionBody(limits), response: { 200: SessionView, 201: SessionView, ...errors } } },
    async (req, reply) => {
      const { session, created } = await manager.create((req.body ?? {}) as CreateSessionBody);
      return reply.code(created ? 201 : 200).send(view(req, session));
    },
  );

  app.get('/api/sessions/:id', { schema: { params: SessionParams, response: { 200: SessionView, ...errors } } }, async (req) => {
    const s = manager.get(req.params.id);
    if (s.pool) throw new SessionNotFoundError(req.params.id);
    return view(req, s);
  });

  app.post(
    '/api/sessions/:id/touch',
    { schema: { params: SessionParams, body: touchSessionBody(limits), response: { 200: SessionView, ...errors } } },
    async (req) => view(req, manager.touch(req.params.id, req.body ?? null)),
  );

  app.delete('/api/sessions/:id', { schema: { params: SessionParams, response: { 200: SessionView, ...errors } } }, async (req) => {
    const s = await manager.remove(req.params.id, 'deleted');
    return view(req, s);
  });

  // What happened in the session (session-logs.ts): readable while it lives, then from its artifacts.
  app.get('/api/sessions/:id/logs', { schema: { params: SessionParams, response: { 200: SessionLogs, ...errors } } }, async (req) => {
    const logs = app.sessionLogs.get(req.params.id);
    if (logs) return { session: req.params.id, ...logs };
    // An ended session's, kept with its artifacts (also across a restart).
    const kept = await app.sessionArtifacts.logs(req.params.id);
    if (!kept) throw new SessionNotFoundError(req.params.id);
    return { session: req.params.id, ended: true, ...kept };
  });

  // Websockets: the session is checked before the upgrade, so an unknown id is a plain 404.
  const requireSession = (needVnc: boolean) => async (req: FastifyRequest, _reply: FastifyReply) => {
    const { id } = req.params as { id: string };
    const s = manager.get(id);
    // The live view may watch a session that is still starting (its page opening): the session's
    // view lists vnc as soon as the display runs, and the Sessions page offers it from then on.
    const live = s.status === 'ready' || (needVnc && s.status === 'starting');
    if (s.pool || !live || !s.browser) throw new SessionNotFoundError(id);
    if (needVnc && !s.browser.vnc) throw new SessionNotFoundError(`${id}/vnc (the session has no live view)`);
  };

  app.get(
    '/sessions/:id/playwright',
    { websocket: true, schema: { params: SessionParams, response: upgradeErrors }, preValidation: requireSession(false) },
    (socket, req) => {
      const s = manager.get((req.params as { id: string }).id);
      relayToSession(manager, s, socket, s.browser!.wsEndpoint, playwrightHeaders(req.headers));
    },
  );

  app.get(
    '/sessions/:id/vnc',
    { websocket: true, schema: { params: SessionParams, response: upgradeErrors }, preValidation: requireSession(true) },
    (socket, req) => {
      const s = manager.get((req.params as { id: string }).id);
      const vnc = s.browser!.vnc!;
      let detach = () => {};
      const bridge = bridgeWebSocketToTcp(socket, vnc.host, vnc.port, {
        onActivity: () => manager.noteActivity(s),
        onClose: () => detach(),
      });
      detach = manager.attach(s, bridge);
    },
  );
};

export default sessionRoutes;
