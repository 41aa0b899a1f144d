import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { DeviceConfig } from '../config.js';
import type { DrainStatus, SessionsSummary } from '../shared/contract.js';
import { createUpdateStateReader, type UpdateStateReader } from '../update/update-state.js';
import { createFleetStatusService, type FleetStatusService } from './fleet-status.js';

declare module 'fastify' {
  interface FastifyInstance {
    fleetStatus: FleetStatusService;
    updateState: UpdateStateReader;
  }
}

export interface StatusPluginOptions {
  config: DeviceConfig;
  startedAt: Date;
  /** Read at request time, so the session manager may be attached after this plugin. */
  sessions: (app: FastifyInstance) => SessionsSummary;
  drain: (app: FastifyInstance) => DrainStatus | null;
}

export default fp<StatusPluginOptions>(
  async (app, opts) => {
    const update = createUpdateStateReader({
      file: opts.config.update.stateFile,
      channel: opts.config.update.channel,
      log: app.log.child({ module: 'update-state' }),
    });
    await update.refresh();
    const timer = setInterval(() => void update.refresh(), opts.config.hostRefreshS * 1000);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));

    app.decorate('updateState', update);
    app.decorate(
      'fleetStatus',
      createFleetStatusService({
        config: opts.config,
        startedAt: opts.startedAt,
        host: app.hostMonitor,
        payload: app.payload,
        update,
        sessions: () => opts.sessions(app),
        drain: () => opts.drain(app),
      }),
    );
  },
  { name: 'fleet-status', dependencies: ['host-monitor', 'payload'] },
);
