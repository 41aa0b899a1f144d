// The drain (drain.ts): POST /api/drain starts it (or moves its deadline), GET /api/drain shows it,
// DELETE /api/drain ends it. scripts/update.sh drains before switching releases; the fleet monitor
// drains a device for an operator (POST/DELETE /api/devices/:id/drain).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DrainStatus, ErrorBody } from '../shared/contract.js';

/** A day: an update's drain waits 30 min by default (OUTPOST_UPDATE_DRAIN_TIMEOUT_S). */
const MAX_TIMEOUT_S = 86_400;

const StartBody = Type.Union([
  Type.Object(
    { timeout_s: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIMEOUT_S, description: 'End the sessions still live after this many seconds; without it, wait for them.' })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const DrainBody = Type.Object({ drain: Type.Union([DrainStatus, Type.Null()]) }, { additionalProperties: false });

const drainRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { drain } = app;
  app.get('/api/drain', { schema: { response: { 200: DrainBody, 401: ErrorBody } } }, async () => ({ drain: drain.view() }));
  app.post('/api/drain', { schema: { body: StartBody, response: { 200: DrainBody, 400: ErrorBody, 401: ErrorBody } } }, async (req) => ({
    drain: drain.start(req.body?.timeout_s),
  }));
  app.delete('/api/drain', { schema: { response: { 200: DrainBody, 401: ErrorBody } } }, async () => {
    drain.stop();
    return { drain: null };
  });
};

export default drainRoutes;
