// Public shapes of the fleet API (snake_case), built from the in-memory registry.
import Type, { type Static, type TSchema } from 'typebox';
import { FleetStatus } from '../../../device/src/contract.js';
import type { Device } from '../devices/device-registry.js';
import { deviceBaseUrl } from '../devices/device-http.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const DeviceStatusSchema = Type.Union([
  Type.Literal('online'),
  Type.Literal('suspect'),
  Type.Literal('offline'),
  Type.Literal('degraded'),
  Type.Literal('unknown'),
]);

export const DeviceView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Type.String(),
  port: Type.Integer(),
  groups: Type.Array(Type.String()),
  labels: Type.Record(Type.String(), Type.String()),
  status: DeviceStatusSchema,
  reason: Nullable(Type.String()),
  version: Nullable(Type.String()),
  last_seen: Nullable(Type.String()),
  latency_ms: Nullable(Type.Number()),
  sessions: Nullable(Type.Object({ active: Type.Integer(), capacity: Type.Integer() })),
  alerts: Type.Integer(),
  flapping: Type.Boolean(),
  url: Type.String(),
  last_status: Type.Optional(Nullable(FleetStatus)),
});
export type DeviceView = Static<typeof DeviceView>;

export function deviceView(d: Device, full: boolean, openAlerts: number): DeviceView {
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
    sessions: s ? { active: s.sessions.active, capacity: s.sessions.capacity } : null,
    alerts: openAlerts,
    flapping: d.health.flapping,
    url: `${deviceBaseUrl(d)}/`,
    ...(full ? { last_status: s } : {}),
  };
}

const RANK: Record<string, number> = { online: 0, degraded: 1, suspect: 2, unknown: 3, offline: 4 };

/** Online first, then by name (DESIGN.md). */
export function compareDevices(a: Device, b: Device): number {
  return (RANK[a.health.status] ?? 9) - (RANK[b.health.status] ?? 9) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}
