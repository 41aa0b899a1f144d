// /metrics of the monitor itself, and /api/prometheus/targets: every device as a Prometheus http_sd
// target, so an existing Prometheus scrapes the fleet directly (the home-made store is for the
// dashboard, not for long-term metrics).
import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { ErrorBody, textResponse } from '../../../device/src/shared/index.js';

/** One target group of Prometheus http_sd: the addresses and the labels every scrape of them gets. */
const TargetGroup = Type.Object({
  targets: Type.Array(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
});

const metricsRoutes: FastifyPluginAsync = async (app) => {
  const metricsSchema = {
    response: { 200: textResponse('text/plain', 'Prometheus text format 0.0.4 (`text/plain; version=0.0.4`): process metrics and the outpost_fleet_* metrics'), 401: ErrorBody },
  };
  app.get('/metrics', { schema: metricsSchema }, async (_req, reply) => {
    const { registry } = app.fleetMetrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  app.get('/api/prometheus/targets', { schema: { response: { 200: Type.Array(TargetGroup), 401: ErrorBody } } }, async () =>
    app.registry.all().map((d) => ({
      targets: [`${d.address.includes(':') ? `[${d.address}]` : d.address}:${d.port}`],
      labels: {
        device_id: d.id,
        device_name: d.name,
        // Prometheus labels are flat strings: groups as ",a,b," so `=~".*,canary,.*"` matches.
        groups: `,${d.groups.join(',')},`,
        ...Object.fromEntries(Object.entries(d.labels).map(([k, v]) => [`label_${k.replace(/[^A-Za-z0-9_]/g, '_')}`, v])),
      },
    })),
  );
};

export default metricsRoutes;
