import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AlertRow } from '../store/fleet-store.js';
import { ErrorBody } from '../../../device/src/shared/index.js';
import { FleetAlert, NotificationView } from './schemas.js';

const Query = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')])),
    device: Type.Optional(Type.String({ maxLength: 253 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 500 })),
  },
  { additionalProperties: false },
);
const NotificationsQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })) }, { additionalProperties: false });

function view(a: AlertRow): FleetAlert {
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
  };
}

const alertRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { alerts: alertEngine, store } = app;
  app.get('/api/alerts', { schema: { querystring: Query, response: { 200: Type.Array(FleetAlert), 400: ErrorBody, 401: ErrorBody } } }, async (req) => {
    const { state = 'open', device, limit = 500 } = req.query;
    let rows: AlertRow[] = [];
    if (state === 'open' || state === 'all') rows = rows.concat(alertEngine.open());
    if (state === 'resolved' || state === 'all') rows = rows.concat(store.resolvedAlerts(limit));
    if (device) rows = rows.filter((a) => a.device_id === device);
    return rows.slice(0, limit).map(view);
  });

  app.get('/api/notifications', { schema: { querystring: NotificationsQuery, response: { 200: Type.Array(NotificationView), 400: ErrorBody, 401: ErrorBody } } }, async (req) =>
    store.notifications(req.query.limit ?? 200).map((n) => ({ ...n, ok: n.ok === 1, ts: new Date(n.ts).toISOString() })),
  );
};

export default alertRoutes;
