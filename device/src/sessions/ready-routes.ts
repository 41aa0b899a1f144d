// GET /api/ready: 200 once a browser of this appliance has started and loaded its probe page
// (readiness.ts), else 503 with what is happening. GET /api/ready/probe is that page. Both are
// public, like /api/health: the update gates and the readiness check's own browser carry no token.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { textResponse } from '../shared/http/api-docs.js';
import { ReadyResponse } from '../shared/contract.js';

const readyRoutes: FastifyPluginAsyncTypebox<{ version: string }> = async (app, opts) => {
  const { readiness } = app;
  app.get(
    '/api/ready',
    { config: { public: true }, schema: { response: { 200: ReadyResponse, 503: ReadyResponse } } },
    async (_req, reply) => {
      const view = readiness.view();
      return reply.code(view.status === 'ready' ? 200 : 503).header('cache-control', 'no-store').send({ ...view, version: opts.version });
    },
  );
  // The token is the only content: nothing from the request is echoed, and the page runs nothing.
  const page = `<!doctype html><meta charset="utf-8"><title>Outpost readiness probe</title><p id="outpost-ready">${readiness.token}</p>\n`;
  const probeSchema = { response: { 200: textResponse('text/html', "The probe page: the readiness check's token in a <p>") } };
  app.get('/api/ready/probe', { config: { public: true }, schema: probeSchema }, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
      .send(page),
  );
};

export default readyRoutes;
