// pino options for both services: structured JSON, pretty only on a TTY, secrets redacted, and
// request lines at debug unless something went wrong (status polls every few seconds would
// otherwise drown the journal).
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { stripAccessToken } from './auth.js';

export function loggerOptions(level: string, name: string): FastifyServerOptions['logger'] {
  return {
    level,
    name,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    serializers: {
      req(req: { method: string; url: string; ip?: string; id?: string }) {
        return { method: req.method, url: stripAccessToken(req.url), remoteAddress: req.ip, id: req.id };
      },
    },
    ...(process.stdout.isTTY && level !== 'silent'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

export class QuietLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = { req: request, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (error || reply.statusCode >= 500) reply.log.error({ ...fields, err: error ?? undefined }, 'request failed');
    else if (reply.statusCode >= 400) reply.log.info(fields, 'request rejected');
    else reply.log.debug(fields, 'request completed');
  }
}
