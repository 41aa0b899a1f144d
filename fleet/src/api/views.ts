// Devices as the fleet API shows them (schemas.ts), built from the in-memory registry.
import type { Device } from '../devices/device-registry.js';
import { deviceBaseUrl } from '../devices/device-http.js';
import type { FleetStatus } from '../../../device/src/shared/index.js';
import type { DeviceView } from './schemas.js';

/** `polledBy`: the monitor whose share the device is in (cluster/cluster.ts; the one monitor when single). */
export function deviceView(d: Device, full: boolean, openAlerts: number, polledBy: string | null): DeviceView {
  const s = d.health.lastStatus;
  return {
    id: d.id,
    name: d.name,
    address: d.address,
    port: d.port,
    groups: d.groups,
    labels: d.labels,
    status: d.health.status,
    reason: d.health.reason,
    version: s?.appliance.version ?? null,
    last_seen: d.health.lastSeen ? new Date(d.health.lastSeen).toISOString() : null,
    latency_ms: d.health.lastDurationMs,
    sessions: s ? { active: s.sessions.active, capacity: s.sessions.capacity, ...rejected(s.sessions.counters) } : null,
    alerts: openAlerts,
    flapping: d.health.flapping,
    drain: s?.appliance.drain?.state ?? null,
    url: `${deviceBaseUrl(d)}/`,
    polled_by: polledBy,
    ...(full ? { last_status: s } : {}),
  };
}

/** The sum of a device's rejections over protocols and reasons, when it counts them. */
function rejected(counters: FleetStatus['sessions']['counters']): { rejected?: number } {
  if (!counters) return {};
  let n = 0;
  for (const c of Object.values(counters)) for (const v of Object.values(c.rejected)) n += v;
  return { rejected: n };
}

const RANK: Record<string, number> = { online: 0, degraded: 1, suspect: 2, unknown: 3, offline: 4 };

/** Online first, then by name (DESIGN.md). */
export function compareDevices(a: Device, b: Device): number {
  return (RANK[a.health.status] ?? 9) - (RANK[b.health.status] ?? 9) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}
