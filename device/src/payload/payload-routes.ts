import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type TSchema } from 'typebox';
import { ErrorBody, PayloadState } from '../contract.js';
import { PayloadNotConfiguredError } from '../errors.js';
import type { PayloadService } from './payload-service.js';

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

const PayloadLogs = Type.Object({
  name: Type.String(),
  lines: Type.Array(
    Type.Object({ stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]), time: Nullable(Type.String()), text: Type.String() }),
  ),
});
const LogsQuery = Type.Object({ lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })) }, { additionalProperties: false });
const ActionParams = Type.Object(
  { action: Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('restart')]) },
  { additionalProperties: false },
);
const errors = { 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody };

const payloadRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const payload = (): PayloadService => {
    if (!app.payload) throw new PayloadNotConfiguredError();
    return app.payload;
  };

  app.get('/api/payload', { schema: { response: { 200: PayloadDetailsBody, ...errors } } }, async () => payload().refresh());

  app.post(
    '/api/payload/:action',
    { schema: { params: ActionParams, response: { 200: PayloadDetailsBody, 400: ErrorBody, ...errors } } },
    async (req) => payload().act(req.params.action),
  );

  app.get('/api/payload/logs', { schema: { querystring: LogsQuery, response: { 200: PayloadLogs, 400: ErrorBody, ...errors } } }, async (req) => {
    const p = payload();
    return { name: p.name, lines: await p.logs(req.query.lines ?? 200) };
  });
};

export default payloadRoutes;
