import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody } from '../../../device/src/shared/index.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import { SilenceInputError } from '../alerts/alert-errors.js';
import { silenceState, type SilenceRow } from '../alerts/silences.js';
import type { AlertRow } from '../store/fleet-store.js';
import { actorOf } from './actor.js';
import { CreateSilenceBody, FleetAlert, NotificationView, Silence } from './schemas.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function time(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new SilenceInputError(`${field} must be an ISO 8601 time like 2026-03-01T12:00:00Z, got ${JSON.stringify(value)}`);
  return ms;
}

function silenceView(s: SilenceRow, now: number): Silence {
  return {
    id: s.id,
    matchers: s.matchers,
    starts_at: new Date(s.starts_at).toISOString(),
    ends_at: new Date(s.ends_at).toISOString(),
    state: silenceState(s, now),
    comment: s.comment,
    created_by: s.created_by,
    created_at: new Date(s.created_at).toISOString(),
  };
}

const KeyParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 300 }) });
const SilenceParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const Query = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')])),
    device: Type.Optional(Type.String({ maxLength: 253 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 500 })),
  },
  { additionalProperties: false },
);
const NotificationsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })) }, { additionalProperties: false });

function view(a: AlertRow, engine: AlertEngine): FleetAlert {
  return {
    id: a.id,
    key: a.key,
    device_id: a.device_id,
    rule: a.rule,
    severity: a.severity,
    title: a.title,
    message: a.message,
    state: a.resolved_at ? 'resolved' : 'open',
    opened_at: new Date(a.opened_at).toISOString(),
    resolved_at: a.resolved_at ? new Date(a.resolved_at).toISOString() : null,
    last_notified_at: a.last_notified_at ? new Date(a.last_notified_at).toISOString() : null,
    notify_count: a.notify_count,
    silenced_by: engine.silencedBy(a),
    acked_at: iso(a.acked_at),
    acked_by: a.acked_by,
  };
}

const alertRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { alerts: alertEngine, store } = app;
  app.get('/api/alerts', { schema: { querystring: Query, response: { 200: Type.Array(FleetAlert), 400: ErrorBody, 401: ErrorBody } } }, async (req) => {
    const { state = 'open', device, limit = 500 } = req.query;
    let rows: AlertRow[] = [];
    if (state === 'open' || state === 'all') rows = rows.concat(alertEngine.open());
    if (state === 'resolved' || state === 'all') rows = rows.concat(await store.resolvedAlerts(limit));
    if (device) rows = rows.filter((a) => a.device_id === device);
    return rows.slice(0, limit).map((a) => view(a, alertEngine));
  });

  // Acknowledge: reminders stop, the alert stays open (and still resolves with a message).
  const ackSchema = { params: KeyParams, response: { 200: FleetAlert, 400: ErrorBody, 404: ErrorBody } };
  app.post('/api/alerts/:key/ack', { schema: ackSchema }, async (req) => view(await alertEngine.ack(req.params.key, actorOf(req)), alertEngine));
  app.delete('/api/alerts/:key/ack', { schema: ackSchema }, async (req) => view(await alertEngine.unack(req.params.key), alertEngine));

  app.get('/api/silences', { schema: { response: { 200: Type.Array(Silence) } } }, async () => {
    const now = Date.now();
    return alertEngine.silences().map((s) => silenceView(s, now));
  });
  app.post('/api/silences', { schema: { body: CreateSilenceBody, response: { 201: Silence, 400: ErrorBody } } }, async (req, reply) => {
    const { matchers, comment, duration_s } = req.body;
    const starts_at = time('starts_at', req.body.starts_at);
    const ends_at = time('ends_at', req.body.ends_at);
    const row = await alertEngine.createSilence({ matchers, comment, ...(starts_at !== undefined ? { starts_at } : {}), ...(ends_at !== undefined ? { ends_at } : {}), ...(duration_s !== undefined ? { duration_s } : {}) }, actorOf(req));
    return reply.code(201).send(silenceView(row, Date.now()));
  });
  // Ending early: DELETE as Alertmanager's API has it, or POST …/expire for clients that avoid DELETE.
  const expireSchema = { params: SilenceParams, response: { 200: Silence, 400: ErrorBody, 404: ErrorBody } };
  const expire = async (req: { params: { id: number } }) => silenceView(await alertEngine.expireSilence(req.params.id), Date.now());
  app.delete('/api/silences/:id', { schema: expireSchema }, expire);
  app.post('/api/silences/:id/expire', { schema: expireSchema }, expire);

  app.get('/api/notifications', { schema: { querystring: NotificationsQuery, response: { 200: Type.Array(NotificationView), 400: ErrorBody, 401: ErrorBody } } }, async (req) =>
    (await store.notifications(req.query.limit ?? 200)).map((n) => ({ ...n, ok: n.ok === 1, ts: new Date(n.ts).toISOString() })),
  );
};

export default alertRoutes;
