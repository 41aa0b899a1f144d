// Fleet sessions: the device UI's create form (web/common/session-model.ts) plus where to run it.
import { buildCreateBody, type BuildResult, type CreateForm } from '@common/session-model';
import type { DeviceView, FleetCreateSessionBody, FleetSession } from './api';

/** The device select's value for "let the monitor pick the least-loaded online device". */
export const LEAST_LOADED = '';

export type FleetBuildResult = { ok: true; body: FleetCreateSessionBody } | Extract<BuildResult, { ok: false }>;

export function buildFleetCreateBody(form: CreateForm, device: string): FleetBuildResult {
  const built = buildCreateBody(form);
  if (!built.ok) return built;
  return { ok: true, body: device === LEAST_LOADED ? built.body : { ...built.body, device } };
}

/** A session's API path on the monitor; its artifacts are under it (artifact-model.ts). */
export function fleetSessionPath(s: Pick<FleetSession, 'device' | 'id'>): string {
  return `/api/sessions/${encodeURIComponent(s.device)}/${encodeURIComponent(s.id)}`;
}

/** Session ids are unique per device only. */
export function sessionKey(s: Pick<FleetSession, 'device' | 'id'>): string {
  return `${s.device}/${s.id}`;
}

/** "name · 2/8 sessions" for the device select; devices that are full come last and say so. */
export function targetLabel(d: DeviceView): string {
  const load = d.sessions ? `${d.sessions.active}/${d.sessions.capacity} sessions` : 'no session info';
  const name = d.name === d.id ? d.id : `${d.name} (${d.id})`;
  return `${name} · ${load}${d.status === 'degraded' ? ' · degraded' : ''}`;
}

export function isFull(d: DeviceView): boolean {
  return !d.sessions || d.sessions.active >= d.sessions.capacity;
}
