import { mkdir } from 'node:fs/promises';
import fp from 'fastify-plugin';
import type { DeviceConfig } from '../config.js';
import { ownerKey } from './backends/owned-processes.js';
import { createDockerBackend } from './backends/docker-backend.js';
import { createProcessBackend } from './backends/process-backend.js';
import type { SessionBackend } from './backends/session-backend.js';
import { createDrain, type Drain } from './drain.js';
import { createPressure } from './pressure.js';
import { createReadiness, type Readiness } from './readiness.js';
import { createArtifacts, type Artifacts } from './artifacts.js';
import { createSessionCounters, type SessionCounters } from './session-counters.js';
import { createSessionDownloads } from './session-downloads.js';
import { createSessionLogs, type SessionLogs } from './session-logs.js';
import { toArtifactRecord } from './session-view.js';
import { createSessionManager, type EndReason, type Session, type SessionManager } from './session-manager.js';

declare module 'fastify' {
  interface FastifyInstance {
    sessionManager: SessionManager;
    sessionCounters: SessionCounters;
    sessionLogs: SessionLogs;
    sessionArtifacts: Artifacts;
    /** Called for every session that ends (after its browser is gone); returns the way to stop listening. */
    onSessionEnded(listener: (s: Session, reason: EndReason) => void): () => void;
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
    const counters = createSessionCounters(app.metrics.registry);
    app.decorate('sessionCounters', counters);
    const logs = createSessionLogs();
    app.decorate('sessionLogs', logs);
    // Recordings, downloads, logs and records that outlive their sessions (artifacts.ts).
    const artifacts = createArtifacts({
      dataDir: config.dataDir,
      retentionH: config.artifacts.retentionH,
      maxBytes: config.artifacts.maxMb * 1024 * 1024,
      log: log.child({ module: 'artifacts' }),
      live: () => new Set(manager.all().map((s) => s.id)),
    });
    app.decorate('sessionArtifacts', artifacts);
    const downloads = createSessionDownloads({ targetDir: artifacts.downloadsDir, note: logs.note });
    const endedListeners = new Set<(s: Session, reason: EndReason) => void>();
    app.decorate('onSessionEnded', (listener: (s: Session, reason: EndReason) => void) => {
      endedListeners.add(listener);
      return () => void endedListeners.delete(listener);
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
    const pressure = createPressure({
      limits: { maxCpuPct: config.sessions.admitMaxCpuPct, maxMemoryPct: config.sessions.admitMaxMemoryPct },
      host: () => app.hostMonitor.snapshot(),
      sampleEveryS: config.hostRefreshS,
      onRelief: () => manager.relieved(),
    });
    const manager = createSessionManager({
      config,
      log,
      backend: chosen,
      admit: () => drain.admit(),
      poolPaused: () => drain.active,
      ...(pressure.enabled ? { pressure: pressure.over, pressureRetryAfterS: pressure.retryAfterS } : {}),
      recording: {
        fps: config.artifacts.recordingFps,
        fit: config.artifacts.recordingSize,
        pathFor: async (id) => {
          await mkdir(artifacts.dirOf(id), { recursive: true, mode: 0o700 });
          return artifacts.recordingPath(id);
        },
      },
      // Before a client has its session: the record is written and the watchers listen, so the
      // start page's console and downloads are kept too.
      async prepare(s) {
        await artifacts.open(toArtifactRecord(s, null));
        downloads.started(s);
        await logs.started(s, `session started (${s.fromPool ? 'claimed from the warm pool' : 'cold start'}, over ${s.protocol})`);
      },
      events: {
        ...counters.events,
        recordingFailed(s, error) {
          log.warn({ sessionId: s.id, error }, 'session recording failed; the session goes on');
          logs.note(s, `recording failed: ${error}`, 'error');
        },
        ended(s, reason) {
          counters.events.ended?.(s, reason);
          if (!s.pool) {
            downloads.ended(s);
            logs.ended(s, reason);
            artifacts.close(toArtifactRecord(s, { at: Date.now(), reason }), logs.get(s.id));
          }
          for (const listener of endedListeners) listener(s, reason);
        },
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
    app.addHook('onReady', async () => {
      await manager.start();
      artifacts.start();
    });
    app.addHook('preClose', async () => {
      drain.close();
      pressure.close();
      await app.readiness.close();
      await manager.close();
      downloads.close();
      logs.close();
      await artifacts.stop();
    });
  },
  { name: 'sessions', dependencies: ['metrics', 'docker', 'host-monitor'] },
);

/** Where this host reaches a server bound to `address`: the wildcard means loopback. */
function loopbackFor(address: string, family: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return family === 'IPv6' ? `[${address}]` : address;
}
