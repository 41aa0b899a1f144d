import fp from 'fastify-plugin';
import { Counter, Histogram } from 'prom-client';
import type { DeviceConfig } from '../config.js';
import { ownerKey } from './backends/owned-processes.js';
import { createDockerBackend } from './backends/docker-backend.js';
import { createProcessBackend } from './backends/process-backend.js';
import type { SessionBackend } from './backends/session-backend.js';
import { createDrain, type Drain } from './drain.js';
import { createReadiness, type Readiness } from './readiness.js';
import { createSessionManager, type SessionManager } from './session-manager.js';

declare module 'fastify' {
  interface FastifyInstance {
    sessionManager: SessionManager;
    drain: Drain;
    readiness: Readiness;
  }
}

export interface SessionPluginOptions {
  config: DeviceConfig;
  /** Another backend (the docker one); by default the process backend. */
  backend?: SessionBackend;
}

export default fp<SessionPluginOptions>(
  async (app, { config, backend }) => {
    const log = app.log.child({ module: 'sessions' });
    const registry = app.metrics.registry;
    const created = new Counter({
      name: 'outpost_sessions_created_total',
      help: 'Sessions handed out, by kind and source (pool claim, cold start, reused by client id)',
      labelNames: ['kind', 'source'],
      registers: [registry],
    });
    const ended = new Counter({
      name: 'outpost_sessions_ended_total',
      help: 'Sessions ended, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    const launchSeconds = new Histogram({
      name: 'outpost_session_start_seconds',
      help: 'Cold start time of a session (launch to ready)',
      labelNames: ['kind'],
      buckets: [0.25, 0.5, 1, 2, 4, 8, 16, 32],
      registers: [registry],
    });
    const poolFailures = new Counter({
      name: 'outpost_pool_launch_failures_total',
      help: 'Warm pool launches that failed',
      labelNames: ['kind'],
      registers: [registry],
    });

    const key = ownerKey(config.dataDir);
    const chosen =
      backend ??
      (config.backend === 'docker'
        ? createDockerBackend({
            docker: app.docker,
            image: config.docker.image,
            network: config.docker.network,
            subnet: config.docker.subnet,
            ports: { min: config.docker.portMin, max: config.docker.portMax },
            healthTimeoutS: config.docker.healthTimeoutS,
            memoryMb: config.docker.memoryMb,
            ownerKey: key,
            log: log.child({ backend: 'docker' }),
          })
        : createProcessBackend({
            chromiumPath: config.chromiumPath,
            dataDir: config.dataDir,
            ownerKey: key,
            displayBase: config.sessions.displayBase,
            log: log.child({ backend: 'process' }),
          }));
    // The drain and the manager refer to each other; neither calls the other before boot ends.
    const drain = createDrain({
      target: {
        clientSessions: () => manager.summary().active,
        endPool: async () => void (await manager.removeAll('drained', 'pool')),
        endClients: async () => void (await manager.removeAll('drained', 'clients')),
        resume: () => manager.refillPool(),
      },
      log: log.child({ module: 'drain' }),
    });
    const manager = createSessionManager({
      config,
      log,
      backend: chosen,
      admit: () => drain.admit(),
      poolPaused: () => drain.active,
      events: {
        created(s, source, ms) {
          created.inc({ kind: s.kind, source });
          if (ms !== null) launchSeconds.observe({ kind: s.kind }, ms / 1000);
        },
        ended: (_s, reason) => ended.inc({ reason }),
        poolLaunchFailed: (kind) => poolFailures.inc({ kind }),
      },
    });
    app.decorate('sessionManager', manager);
    app.decorate('drain', drain);
    // The readiness check's browser loads the probe page from the port this app listens on.
    let probeUrl: string | null = null;
    app.addHook('onListen', async () => {
      const addr = app.server.address();
      if (addr && typeof addr === 'object') probeUrl = `http://${loopbackFor(addr.address, addr.family)}:${addr.port}/api/ready/probe`;
    });
    app.decorate('readiness', createReadiness({ backend: chosen, log: log.child({ module: 'readiness' }), probeUrl: () => probeUrl }));
    // Recovery happens before the port opens, so nothing is served from a stale state.
    app.addHook('onReady', async () => manager.start());
    app.addHook('preClose', async () => {
      drain.close();
      await app.readiness.close();
      await manager.close();
    });
  },
  { name: 'sessions', dependencies: ['metrics', 'docker'] },
);

/** Where this host reaches a server bound to `address`: the wildcard means loopback. */
function loopbackFor(address: string, family: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return family === 'IPv6' ? `[${address}]` : address;
}
