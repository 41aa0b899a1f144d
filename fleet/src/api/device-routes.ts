// Devices, versions and history: server-side filtering and paging, so the dashboard stays fast
// with 10,000 devices.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DrainStatus, ErrorBody, NotFoundError } from '../../../device/src/shared/index.js';
import type { Device } from '../devices/device-registry.js';
import { DeviceDetail, DeviceHistory, DeviceView, FleetSummary, VersionCount } from './schemas.js';
import { compareDevices, deviceView } from './views.js';

const ListQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ pattern: '^(online|suspect|offline|degraded|unknown)(,(online|suspect|offline|degraded|unknown))*$' })),
    group: Type.Optional(Type.String({ maxLength: 200 })),
    version: Type.Optional(Type.String({ maxLength: 100 })),
    q: Type.Optional(Type.String({ maxLength: 200 })),
    /** Only the devices this monitor polls (its id, as in GET /api/monitors). */
    polled_by: Type.Optional(Type.String({ maxLength: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20_000 })),
    view: Type.Optional(Type.Union([Type.Literal('summary'), Type.Literal('full')])),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 253 }) }, { additionalProperties: false });
const HistoryQuery = Type.Object({ hours: Type.Optional(Type.Number({ minimum: 0.01, maximum: 24 * 90, default: 24 })) }, { additionalProperties: false });

function counts(values: Iterable<string>): Array<{ key: string; count: number }> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

const deviceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { registry, alerts, store, monitor, cluster } = app;

  function openAlertsByDevice(): Map<string, number> {
    const m = new Map<string, number>();
    for (const a of alerts.open()) if (a.device_id) m.set(a.device_id, (m.get(a.device_id) ?? 0) + 1);
    return m;
  }

  function getDevice(id: string): Device {
    const d = registry.get(id);
    if (!d) throw new NotFoundError(`no device with id ${JSON.stringify(id)}`);
    return d;
  }

  app.get('/api/devices', { schema: { querystring: ListQuery, response: { 200: Type.Array(DeviceView), 400: ErrorBody, 401: ErrorBody } } }, async (req, reply) => {
    const { status, group, version, q, polled_by, offset = 0, limit, view } = req.query;
    const statuses = status ? new Set(status.split(',')) : null;
    const needle = q?.toLowerCase();
    const matching = registry
      .all()
      .filter(
        (d) =>
          (!statuses || statuses.has(d.health.status)) &&
          (!group || d.groups.includes(group)) &&
          (!version || (d.health.lastStatus?.appliance.version ?? 'unknown') === version) &&
          (!polled_by || cluster.ownerOf(d.id) === polled_by) &&
          (!needle || d.id.toLowerCase().includes(needle) || d.name.toLowerCase().includes(needle) || d.address.includes(needle)),
      )
      .sort(compareDevices);
    const page = matching.slice(offset, limit === undefined ? undefined : offset + limit);
    const perDevice = openAlertsByDevice();
    void reply.header('x-total-count', String(matching.length));
    return page.map((d) => deviceView(d, view === 'full', perDevice.get(d.id) ?? 0, cluster.ownerOf(d.id)));
  });

  app.get('/api/devices/summary', { schema: { response: { 200: FleetSummary } } }, async () => {
    const all = registry.all();
    const byStatus: Record<string, number> = { online: 0, degraded: 0, suspect: 0, offline: 0, unknown: 0 };
    for (const d of all) byStatus[d.health.status] = (byStatus[d.health.status] ?? 0) + 1;
    const cycle = monitor.poller.lastCycle();
    return {
      total: all.length,
      by_status: byStatus,
      versions: counts(all.map((d) => d.health.lastStatus?.appliance.version ?? 'unknown')),
      groups: counts(all.flatMap((d) => d.groups)),
      alerts_open: alerts.openCount(),
      target_version: app.targetVersion(),
      last_cycle: cycle
        ? { started_at: new Date(cycle.startedAt).toISOString(), duration_ms: cycle.durationMs, polled: cycle.polled, ok: cycle.ok, failed: cycle.failed }
        : null,
    };
  });

  app.get('/api/versions', { schema: { response: { 200: Type.Array(VersionCount) } } }, async () => {
    const all = registry.all();
    return counts(all.map((d) => d.health.lastStatus?.appliance.version ?? 'unknown')).map(({ key, count }) => ({
      version: key,
      count,
      online: all.filter((d) => (d.health.lastStatus?.appliance.version ?? 'unknown') === key && (d.health.status === 'online' || d.health.status === 'degraded')).length,
    }));
  });

  // Drain a device for an operator (its own POST/DELETE /api/drain): no new sessions there, live
  // ones finish. The device's answer comes back as it is; the next poll shows the drain.
  const DrainBody = Type.Union([
    Type.Object({ timeout_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })) }, { additionalProperties: false }),
    Type.Null(),
  ]);
  const drainResponses = { 200: Type.Object({ drain: Type.Union([DrainStatus, Type.Null()]) }), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 502: ErrorBody, 503: ErrorBody };
  type DrainAnswer = { drain: DrainStatus | null };
  app.post('/api/devices/:id/drain', { schema: { params: IdParams, body: DrainBody, response: drainResponses } }, async (req, reply) => {
    const d = getDevice(req.params.id);
    const { status, data } = await app.deviceApi.json(d, { method: 'POST', path: '/api/drain', body: req.body ?? {} });
    return reply.code(status as 200).send(data as DrainAnswer);
  });
  app.delete('/api/devices/:id/drain', { schema: { params: IdParams, response: drainResponses } }, async (req, reply) => {
    const d = getDevice(req.params.id);
    const { status, data } = await app.deviceApi.json(d, { method: 'DELETE', path: '/api/drain' });
    return reply.code(status as 200).send(data as DrainAnswer);
  });

  app.get('/api/devices/:id', { schema: { params: IdParams, response: { 200: DeviceDetail, 404: ErrorBody } } }, async (req) => {
    const d = getDevice(req.params.id);
    return {
      ...deviceView(d, true, alerts.open().filter((a) => a.device_id === d.id).length, cluster.ownerOf(d.id)),
      transitions: (await store.transitions(d.id, 0, 50)).map((t) => ({ ts: new Date(t.ts).toISOString(), from: t.from_status, to: t.to_status, reason: t.reason })),
      alerts_recent: (await store.deviceAlerts(d.id, 50)).map((a) => ({
        id: a.id,
        key: a.key,
        rule: a.rule,
        severity: a.severity,
        title: a.title,
        opened_at: new Date(a.opened_at).toISOString(),
        resolved_at: a.resolved_at ? new Date(a.resolved_at).toISOString() : null,
      })),
    };
  });

  app.get('/api/devices/:id/history', { schema: { params: IdParams, querystring: HistoryQuery, response: { 200: DeviceHistory, 400: ErrorBody, 404: ErrorBody } } }, async (req) => {
    const d = getDevice(req.params.id);
    const since = Date.now() - (req.query.hours ?? 24) * 3_600_000;
    return {
      device: d.id,
      snapshots: (await store.history(d.id, since)).map((s) => ({ ...s, ts: new Date(s.ts).toISOString() })),
      transitions: (await store.transitions(d.id, since, 1000)).map((t) => ({ ts: new Date(t.ts).toISOString(), from: t.from_status, to: t.to_status, reason: t.reason })),
    };
  });
};

export default deviceRoutes;
