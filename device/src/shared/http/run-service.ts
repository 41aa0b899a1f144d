// Listen and shut down gracefully on SIGTERM/SIGINT; shared by the device and fleet entry points.
// A second signal, a close that takes too long, or an uncaught error exits at once: systemd's stop
// timeout should never be what ends us. Exiting at once still runs the 'exit' hooks, where what
// the service started is ended synchronously (sessions/backends/child-processes.ts).
import type { FastifyInstance } from 'fastify';

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
  try {
    app = await opts.build();
    await app.listen({ host: opts.host, port: opts.port });
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
