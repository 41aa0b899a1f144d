// The logger type services take: Fastify's child loggers and plain pino loggers both fit.
export type { FastifyBaseLogger as Log } from 'fastify';
