// Logging shared by both services: the logger type services take (Fastify's child loggers and
// plain pino loggers both fit) and the levels OUTPOST_LOG_LEVEL / OUTPOST_FLEET_LOG_LEVEL accept.
export type { FastifyBaseLogger as Log } from 'fastify';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
