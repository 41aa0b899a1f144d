// GET /api/monitors: the monitors that share the fleet, their leases, shares and own health.
// STAND-IN for the dashboard's branch (c16-ui): it answers for a single SQLite monitor only (mode
// 'single': itself, the leader, alive, every device). The cluster core (fleet/src/cluster/,
// app.cluster.monitors()) replaces this file and selfMonitorId at merge.
import { hostname } from 'node:os';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody } from '../../../device/src/shared/index.js';
import type { FleetConfig } from '../config.js';
import { MonitorList } from './schemas.js';

/** OUTPOST_FLEET_LEASE_S's default (c16-spec.md); a single monitor holds no lease. */
const LEASE_S = 15;

/** This monitor's id: OUTPOST_FLEET_MONITOR_ID's default, `<hostname>:<port>`. */
export function selfMonitorId(config: Pick<FleetConfig, 'port'>): string {
  return `${hostname()}:${config.port}`;
}

const monitorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const self = selfMonitorId(config);
  const startedAt = new Date(Date.now() - process.uptime() * 1000).toISOString();

  app.get('/api/monitors', { schema: { response: { 200: MonitorList, 401: ErrorBody } } }, async () => {
    const now = Date.now();
    const cycle = app.monitor.poller.lastCycle();
    return {
      mode: 'single' as const,
      self,
      leader: self,
      lease_s: LEASE_S,
      monitors: [
        {
          id: self,
          url: config.publicUrl ?? `http://${config.host}:${config.port}`,
          hostname: hostname(),
          pid: process.pid,
          version: config.version,
          started_at: startedAt,
          renewed_at: new Date(now).toISOString(),
          lease_until: new Date(now + LEASE_S * 1000).toISOString(),
          alive: true,
          leader: true,
          self: true,
          devices: app.registry.size(),
          last_cycle: cycle
            ? { at: new Date(cycle.startedAt).toISOString(), duration_ms: cycle.durationMs, polled: cycle.polled, ok: cycle.ok, failed: cycle.failed, cpu_ms: cycle.cpuMs }
            : null,
          rss_bytes: process.memoryUsage().rss,
        },
      ],
    };
  });
};

export default monitorRoutes;
