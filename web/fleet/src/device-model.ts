// Device presentation and list-filter logic, kept out of the components (and free of runtime
// imports, so device-model.test.ts runs without the app's aliases).
import type { Tone } from '@common/ui';
import type { DeviceFilters, DeviceStatus, DeviceView, FleetStatus } from './api';

/** Every status, in the order the server sorts them (online first; fleet/src/api/views.ts). */
export const STATUSES: readonly DeviceStatus[] = ['online', 'degraded', 'suspect', 'unknown', 'offline'];

export const STATUS_TONE: Record<DeviceStatus, Tone> = {
  online: 'ok',
  degraded: 'warn',
  suspect: 'warn',
  offline: 'bad',
  unknown: 'muted',
};

export const STATUS_HELP: Record<DeviceStatus, string> = {
  online: 'answering its status endpoint',
  degraded: 'answering, but reports a problem',
  suspect: 'missed recent polls; not yet confirmed offline',
  offline: 'confirmed unreachable',
  unknown: 'not polled yet',
};

export const EMPTY_FILTERS: DeviceFilters = { statuses: [], group: '', version: '', q: '', polledBy: '' };

function isStatus(s: string): s is DeviceStatus {
  return (STATUSES as readonly string[]).includes(s);
}

/** Filters from the page's query string (?status=a,b&group=&version=&q=&polled_by=), so a filtered view can be linked. */
export function filtersFromSearch(search: string): DeviceFilters {
  const p = new URLSearchParams(search);
  return {
    statuses: (p.get('status') ?? '').split(',').filter(isStatus),
    group: p.get('group') ?? '',
    version: p.get('version') ?? '',
    q: p.get('q') ?? '',
    polledBy: p.get('polled_by') ?? '',
  };
}

export function filtersToSearch(f: DeviceFilters): string {
  const p = new URLSearchParams();
  if (f.statuses.length > 0) p.set('status', f.statuses.join(','));
  if (f.group) p.set('group', f.group);
  if (f.version) p.set('version', f.version);
  if (f.q) p.set('q', f.q);
  if (f.polledBy) p.set('polled_by', f.polledBy);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function hasFilters(f: DeviceFilters): boolean {
  return f.statuses.length > 0 || !!f.group || !!f.version || !!f.q || !!f.polledBy;
}

/** Adds or removes one status from the multi-select, keeping the server's order. */
export function toggleStatus(current: DeviceStatus[], s: DeviceStatus): DeviceStatus[] {
  const next = current.includes(s) ? current.filter((x) => x !== s) : [...current, s];
  return STATUSES.filter((x) => next.includes(x));
}

/** A summary card click: show only that status, or everything again when it already was the only one. */
export function onlyStatus(current: DeviceStatus[], s: DeviceStatus): DeviceStatus[] {
  return current.length === 1 && current[0] === s ? [] : [s];
}

/** True when the device runs something other than the fleet's target version. */
export function offTarget(version: string | null, target: string | null): boolean {
  return target !== null && version !== null && version !== target;
}

export function sessionsLabel(d: Pick<DeviceView, 'sessions'>): string {
  return d.sessions ? `${d.sessions.active} / ${d.sessions.capacity}` : '—';
}

/** Rows of a device's session counters (sessions.counters): one per protocol, reasons spelled out. */
export function counterRows(counters: FleetStatus['sessions']['counters']): Array<{
  protocol: string;
  created: number;
  fromPool: number;
  queued: number;
  rejected: string;
  queueTimeouts: number;
  ended: string;
}> {
  const spell = (byReason: Record<string, number>) =>
    Object.entries(byReason)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ') || '0';
  return Object.entries(counters ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([protocol, c]) => ({
      protocol,
      created: c.created,
      fromPool: c.claimed_from_pool,
      queued: c.queued,
      rejected: spell(c.rejected),
      queueTimeouts: c.queue_timeouts,
      ended: spell(c.ended),
    }));
}

export function deviceHref(id: string): string {
  return `/devices/${encodeURIComponent(id)}`;
}

/** The device id of a /devices/<id> path, or null for any other path. */
export function deviceIdFromPath(path: string): string | null {
  const m = /^\/devices\/([^/]+)\/?$/.exec(path);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/**
 * The pages (of `pageSize` rows) to load for rows first..last on screen: those, plus the pages a
 * short scroll away, so the next page is usually there before it scrolls into view.
 */
export function pageSpan(first: number, last: number, total: number, pageSize: number, ahead = 60): [number, number] {
  if (total <= 0) return [0, 0];
  const lo = Math.max(0, first - ahead);
  const hi = Math.max(lo, Math.min(total - 1, last + ahead));
  return [Math.floor(lo / pageSize), Math.floor(hi / pageSize)];
}

export const SEVERITY_TONE: Record<string, Tone> = { critical: 'bad', warning: 'warn', info: 'info' };

export function severityTone(severity: string): Tone {
  return SEVERITY_TONE[severity] ?? 'muted';
}
