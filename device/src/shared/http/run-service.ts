// Listen and shut down gracefully on SIGTERM/SIGINT; shared by the device and fleet entry points.
// A second signal, a close that takes too long, or an uncaught error exits at once: systemd's stop
// timeout should never be what ends us. Exiting at once still runs the 'exit' hooks, where what
// the service started is ended synchronously (sessions/backends/child-processes.ts).
import type { FastifyInstance } from 'fastify';
import { takeSystemdSocket } from './socket-activation.js';

export async function runService(opts: {
  name: string;
  build: () => Promise<FastifyInstance>;
  host: string;
  port: number;
  closeTimeoutMs?: number;
  /** The message for an error that is the configuration's fault (printed without a stack), else undefined. */
  configurationError?: (err: unknown) => string | undefined;
}): Promise<FastifyInstance> {
  let app: FastifyInstance;
  // Until here: Node's start and the import of every module (the bulk of a restart's downtime).
  const importedMs = performance.now();
  const socket = takeSystemdSocket();
  try {
    app = await opts.build();
    const builtMs = performance.now();
    // A socket from systemd (socket-activation.ts) is already bound, to what its .socket unit says
    // (Node ignores the host then; one that is not "localhost" keeps Fastify from binding more).
    await app.listen(socket === null ? { host: opts.host, port: opts.port } : ({ fd: socket, host: '0.0.0.0' } as { host: string }));
    const addr = app.server.address();
    const where = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : String(addr);
    if (socket !== null && typeof addr === 'object' && addr && addr.port !== opts.port) {
      app.log.warn({ socket: where, port: opts.port }, 'the socket systemd passed is not on the configured port: its .socket unit and the port setting disagree');
    }
    app.log.info(
      { socket_activated: socket !== null, address: where, imported_ms: Math.round(importedMs), built_ms: Math.round(builtMs - importedMs), listening_ms: Math.round(performance.now()) },
      'ready to serve',
    );
  } catch (err) {
    const problem = opts.configurationError?.(err);
    process.stderr.write(problem ? `${opts.name}: configuration error: ${problem}\n` : `${opts.name}: failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out, exiting');
      process.exit(1);
    }, opts.closeTimeoutMs ?? 15_000);
    timer.unref();
    // With systemd's socket, stop accepting at once: connections made from now on wait in the
    // socket's backlog for the next process, instead of being told 503 while this one winds down.
    if (socket !== null) app.server.close();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Node's default for these skips the 'exit' hooks; exiting through process.exit runs them.
  const fatal = (kind: string) => (err: unknown) => {
    app.log.fatal({ err }, `${kind}, exiting`);
    process.exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));
  return app;
}
