// Assembles GET /api/fleet/status from in-memory snapshots only. Alerts are re-evaluated when one
// of their inputs changes (a new host sample, payload inspection or update record), not per request.
import type { DeviceConfig } from '../config.js';
import type { DrainStatus, FleetStatus, SessionsSummary } from '../shared/contract.js';
import type { HostMonitor } from '../host/host-monitor.js';
import type { PayloadService } from '../payload/payload-service.js';
import type { UpdateStateReader } from '../update/update-state.js';
import { createAlertTracker } from './device-alerts.js';

export interface FleetStatusSources {
  config: DeviceConfig;
  startedAt: Date;
  host: HostMonitor;
  payload: PayloadService | null;
  update: UpdateStateReader;
  sessions: () => SessionsSummary;
  drain: () => DrainStatus | null;
}

export interface FleetStatusService {
  current(now?: Date): FleetStatus;
}

export function createFleetStatusService(src: FleetStatusSources): FleetStatusService {
  const tracker = createAlertTracker(src.config.alerts);
  const startedAtIso = src.startedAt.toISOString();
  const device = { id: src.config.device.id, name: src.config.device.name, labels: src.config.device.labels };
  let memoKey: unknown[] = [];
  let memoAlerts: FleetStatus['alerts'] = [];

  return {
    current(now = new Date()) {
      const host = src.host.snapshot();
      const payloadDetails = src.payload?.details() ?? null;
      const payload = src.payload ? src.payload.status() : null;
      const update = src.update.current();
      const key = [host, payloadDetails, update];
      if (key.some((k, i) => k !== memoKey[i])) {
        memoAlerts = tracker.evaluate({ host, payload, update }, now);
        memoKey = key;
      }
      return {
        schema: 1,
        device,
        appliance: {
          version: src.config.version,
          started_at: startedAtIso,
          uptime_s: Math.max(0, Math.round((now.getTime() - src.startedAt.getTime()) / 1000)),
          update,
          drain: src.drain(),
        },
        host,
        sessions: src.sessions(),
        payload,
        alerts: memoAlerts,
        timestamp: now.toISOString(),
      };
    },
  };
}
