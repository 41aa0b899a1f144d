// /metrics of the monitor itself, and /api/prometheus/targets: every device as a Prometheus http_sd
// target, so an existing Prometheus scrapes the fleet directly (the home-made store is for the
// dashboard, not for long-term metrics).
import type { FastifyPluginAsync } from 'fastify';

const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/metrics', async (_req, reply) => {
    const { registry } = app.fleetMetrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  app.get('/api/prometheus/targets', async () =>
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
