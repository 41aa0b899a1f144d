import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type TSchema } from 'typebox';
import { ErrorBody, PayloadState } from '../contract.js';
import { PayloadNotConfiguredError } from '../errors.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const PayloadDetailsBody = Type.Object({
  name: Type.String(),
  state: PayloadState,
  image: Nullable(Type.String()),
  version: Nullable(Type.String()),
  started_at: Nullable(Type.String()),
  restarts: Type.Integer(),
  health: Nullable(Type.String()),
  container_id: Nullable(Type.String()),
  error: Nullable(Type.String()),
  checked_at: Type.String(),
});

const payloadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/payload', { schema: { response: { 200: PayloadDetailsBody, 404: ErrorBody } } }, async () => {
    if (!app.payload) throw new PayloadNotConfiguredError();
    return app.payload.refresh();
  });
};

export default payloadRoutes;
