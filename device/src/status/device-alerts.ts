// Alerts the device raises about itself. Each alert keeps the time it first fired ("since") while it
// stays active, so the fleet monitor can dedupe on (device, id) and show how long it has lasted.
import type { DeviceAlert, HostStatus, PayloadStatus, Severity, UpdateStatus } from '../shared/contract.js';

export interface AlertThresholds {
  diskPct: number;
  memoryPct: number;
  temperatureC: number;
}

export interface AlertInputs {
  host: HostStatus;
  payload: PayloadStatus | null;
  update: UpdateStatus;
}

interface Candidate {
  id: string;
  severity: Severity;
  message: string;
}

const GIB = 1024 ** 3;

export function evaluateAlerts(inputs: AlertInputs, t: AlertThresholds): Candidate[] {
  const out: Candidate[] = [];
  for (const d of inputs.host.disks) {
    if (d.size <= 0) continue;
    const pct = (d.used / d.size) * 100;
    if (pct >= t.diskPct) {
      out.push({
        id: `disk:${d.mount}`,
        severity: pct >= Math.max(t.diskPct, 97) ? 'critical' : 'warning',
        message: `disk ${d.mount} is ${pct.toFixed(0)}% full (${((d.size - d.used) / GIB).toFixed(1)} GiB free)`,
      });
    }
  }
  const mem = inputs.host.memory;
  if (mem.total > 0) {
    const pct = (mem.used / mem.total) * 100;
    if (pct >= t.memoryPct) {
      out.push({ id: 'memory', severity: pct >= 98 ? 'critical' : 'warning', message: `memory is ${pct.toFixed(0)}% used` });
    }
  }
  const temp = inputs.host.temperature_c;
  if (temp !== null && temp >= t.temperatureC) {
    out.push({
      id: 'temperature',
      severity: temp >= t.temperatureC + 10 ? 'critical' : 'warning',
      message: `CPU temperature is ${temp.toFixed(0)} °C`,
    });
  }
  const p = inputs.payload;
  if (p && p.state !== 'running') {
    const why =
      p.state === 'missing'
        ? 'does not exist'
        : p.state === 'docker_unavailable'
          ? 'cannot be checked: the Docker engine is unavailable'
          : `is ${p.state}`;
    out.push({ id: 'payload', severity: 'critical', message: `payload container ${p.name} ${why}` });
  }
  const u = inputs.update;
  if (u.last_result === 'rolled_back' || u.last_result === 'failed') {
    out.push({
      id: 'update',
      severity: 'warning',
      message: u.last_result === 'rolled_back' ? 'the last update failed its health check and was rolled back' : 'the last update failed',
    });
  }
  return out;
}

export function createAlertTracker(thresholds: AlertThresholds) {
  const since = new Map<string, string>();
  return {
    evaluate(inputs: AlertInputs, now = new Date()): DeviceAlert[] {
      const active = evaluateAlerts(inputs, thresholds);
      const ids = new Set(active.map((a) => a.id));
      for (const id of since.keys()) if (!ids.has(id)) since.delete(id);
      return active.map((a) => {
        let first = since.get(a.id);
        if (!first) {
          first = now.toISOString();
          since.set(a.id, first);
        }
        return { ...a, since: first };
      });
    },
  };
}
export type AlertTracker = ReturnType<typeof createAlertTracker>;
