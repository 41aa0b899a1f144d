// One error handler and one not-found handler for both services: every failure leaves as
// { error: { code, message } }. 4xx messages say what was wrong; 5xx bodies hide internals and
// the details go to the log with the request.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, statusOf } from '../errors.js';
import { describeValidation } from './validation.js';

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

/** Codes for Fastify's and plugins' own 4xx errors that have no entry above (the file server's 403). */
const STATUS_CODES: Record<number, string> = { 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed' };

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (err.validation) {
    void reply.code(400).send({
      error: { code: 'validation_failed', message: describeValidation(err.validation, err.validationContext) },
    });
    return;
  }
  const status = statusOf(err);
  if (err instanceof AppError) {
    if (status >= 500) req.log.error({ err }, err.message);
    void reply.code(status).headers(err.headers).send({ error: { code: err.code, message: err.message } });
    return;
  }
  if (status < 500) {
    const code = FASTIFY_CODES[err.code] ?? (err instanceof SyntaxError ? 'bad_json' : (STATUS_CODES[status] ?? 'bad_request'));
    void reply.code(status).send({ error: { code, message: err.message } });
    return;
  }
  req.log.error({ err }, 'request failed');
  void reply.code(500).send({ error: { code: 'internal_error', message: 'internal server error; see the service log' } });
}

export function sendNotFound(req: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({
    error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` },
  });
}
