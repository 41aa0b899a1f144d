// The Docker VNC orchestrator's routes, kept so its clients keep working against an Outpost device
// (../shared/seeds: "GET /access?id=…", /status, /remove, /remove-all, /health). Behaviour as that
// orchestrator documented it: reuse a client's session, claim a warm one, recreate on a size change,
// recycle the least recently used when full, 503 when nothing can be freed.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { BadRequestError, ClientNotFoundError } from '../shared/errors.js';
import { CLIENT_ID_PATTERN, SessionStatus } from '../shared/session-schemas.js';
import { liveViewUrl, redirectBase } from './session-view.js';

const Dim = Type.Integer({ minimum: 200, maximum: 7680 });
// Unknown query parameters are ignored (cache busters and the like), as the orchestrator did.
const AccessQuery = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 128 })),
  width: Type.Optional(Dim),
  height: Type.Optional(Type.Integer({ minimum: 200, maximum: 4320 })),
});
const IdQuery = Type.Object({ id: Type.Optional(Type.String({ maxLength: 128 })) });
const RemoveBody = Type.Object({ status: Type.String(), client_id: Type.String(), session_id: Type.String() });
const RemoveAllBody = Type.Object({ status: Type.Union([Type.Literal('empty'), Type.Literal('removed_all')]), removed: Type.Integer() });
// Width and height as strings, and pool sessions as client "__pool__": the orchestrator's shape.
const StatusBody = Type.Object({
  active_containers: Type.Integer(),
  pool_containers: Type.Integer(),
  max_slots: Type.Integer(),
  records: Type.Array(
    Type.Object({
      client_id: Type.Union([Type.String(), Type.Null()]),
      session_id: Type.String(),
      kind: Type.Union([Type.Literal('headless'), Type.Literal('vnc')]),
      status: SessionStatus,
      width: Type.String(),
      height: Type.String(),
      created_at: Type.String(),
      last_accessed_at: Type.String(),
    }),
  ),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody, 502: ErrorBody, 503: ErrorBody };
/** Listed together in the API docs, apart from the native API. */
const tags = ['compatibility'];
const clientIdRe = new RegExp(CLIENT_ID_PATTERN);

function requireId(id: string | undefined): string {
  if (id === undefined || id.trim() === '') throw new BadRequestError('Missing required parameter: id');
  if (!clientIdRe.test(id)) throw new BadRequestError('Parameter id must be letters, digits and _ . : @ - (at most 128 characters)');
  return id;
}

const compatRoutes: FastifyPluginAsyncTypebox<{ publicUrl?: string }> = async (app, opts) => {
  const manager = app.sessionManager;

  // A person opens /access from a link, so another site may send the browser here, but only as a
  // navigation the user made (it makes a session: http/cross-site.ts).
  const access = { crossSiteNavigation: 'user-activated' } as const;
  const accessSchema = {
    tags,
    querystring: AccessQuery,
    response: { 302: { description: "To the session's live view page (relative, or on OUTPOST_PUBLIC_URL)", type: 'null' }, ...errors },
  } as const;
  app.get('/access', { config: access, schema: accessSchema }, async (req, reply) => {
    const id = requireId(req.query.id);
    // Width and height only count together; one alone is ignored, as the orchestrator did.
    const custom = req.query.width !== undefined && req.query.height !== undefined;
    const { session } = await manager.create(
      { vnc: true, client_id: id, ...(custom ? { width: req.query.width, height: req.query.height } : {}) },
      { policy: 'recycle', protocol: 'compat' },
    );
    // The password is in this URL: to the configured public URL or relative, never to the Host
    // the request carried. Held by cross-site.int.test.ts ("redirects /access relatively").
    const url = liveViewUrl(redirectBase(opts.publicUrl), session);
    if (!url) throw new BadRequestError('the session has no live view');
    return reply.redirect(url, 302);
  });

  app.get('/status', { schema: { tags, response: { 200: StatusBody, 401: ErrorBody } } }, async () => {
    const all = manager.all();
    return {
      active_containers: all.filter((s) => !s.pool).length,
      pool_containers: all.filter((s) => s.pool).length,
      max_slots: manager.maxSlots(),
      records: all.map((s) => ({
        client_id: s.pool ? '__pool__' : s.clientId,
        session_id: s.id,
        kind: s.kind,
        status: s.status,
        width: String(s.width),
        height: String(s.height),
        created_at: new Date(s.createdAt).toISOString(),
        last_accessed_at: new Date(s.lastSeenAt).toISOString(),
      })),
    };
  });

  app.get('/remove', { schema: { tags, querystring: IdQuery, response: { 200: RemoveBody, ...errors } } }, async (req) => {
    const id = requireId(req.query.id);
    const s = manager.findByClient(id);
    if (!s) throw new ClientNotFoundError(id);
    await manager.remove(s.id, 'removed');
    return { status: 'removed', client_id: id, session_id: s.id };
  });

  app.get('/remove-all', { schema: { tags, response: { 200: RemoveAllBody, 401: ErrorBody } } }, async () => {
    const removed = await manager.removeAll('removed');
    return removed === 0 ? { status: 'empty' as const, removed: 0 } : { status: 'removed_all' as const, removed };
  });

  app.get('/health', { schema: { tags, response: { 200: Type.Object({ status: Type.Literal('ok') }), 401: ErrorBody } } }, async () => ({ status: 'ok' as const }));
};

export default compatRoutes;
