import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, FleetStatus, HealthResponse } from '../shared/contract.js';

const statusRoutes: FastifyPluginAsyncTypebox<{ version: string }> = async (app, opts) => {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  // The one public API route: load balancers and systemd probes carry no token.
  app.get(
    '/api/health',
    { config: { public: true }, schema: { response: { 200: HealthResponse, 503: HealthResponse } } },
    async (_req, reply) => {
      if (closing) return reply.code(503).send({ status: 'stopping', version: opts.version });
      return { status: 'ok' as const, version: opts.version };
    },
  );

  app.get(
    '/api/fleet/status',
    { schema: { response: { 200: FleetStatus, 401: ErrorBody } } },
    async () => app.fleetStatus.current(),
  );
};

export default statusRoutes;
