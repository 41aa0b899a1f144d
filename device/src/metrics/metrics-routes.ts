import type { FastifyPluginAsync } from 'fastify';
import { textResponse } from '../shared/http/api-docs.js';
import { ErrorBody } from '../shared/contract.js';

/** The Prometheus text exposition format (0.0.4), as prom-client writes it. */
const METRICS_RESPONSE = {
  200: textResponse('text/plain', 'Prometheus text format 0.0.4 (`text/plain; version=0.0.4`): process metrics and the outpost_* metrics'),
  401: ErrorBody,
};

const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/metrics', { schema: { response: METRICS_RESPONSE } }, async (_req, reply) => {
    const { registry } = app.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};

export default metricsRoutes;
