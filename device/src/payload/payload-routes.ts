import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody } from '../shared/contract.js';
import { PayloadNotConfiguredError } from '../shared/errors.js';
import { PayloadAction, PayloadDetailsBody, PayloadLogs } from '../shared/payload-schemas.js';
import type { PayloadService } from './payload-service.js';

const LogsQuery = Type.Object({ lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })) }, { additionalProperties: false });
const ActionParams = Type.Object({ action: PayloadAction }, { additionalProperties: false });
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
