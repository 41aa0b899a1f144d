// The Monitors page's logic, kept out of the components (and free of runtime imports, so
// monitor-model.test.ts runs without the app's aliases): the order of the monitors, their shares of
// the fleet, the store's mode and a poll cycle in words.
import type { MonitorList, MonitorView } from './api';

export interface MonitorRow extends MonitorView {
  /** Its share of the devices the live monitors poll, 0–100. */
  sharePct: number;
}

/** Live monitors first, the leader first among them, then the dead ones until they drop out; by id within each. */
export function monitorRows(list: MonitorList): MonitorRow[] {
  const total = list.monitors.reduce((n, m) => n + (m.alive ? m.devices : 0), 0);
  const rank = (m: MonitorView) => (m.alive ? (m.leader ? 0 : 1) : 2);
  return [...list.monitors]
    .sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))
    .map((m) => ({ ...m, sharePct: total > 0 && m.alive ? Math.min(100, (m.devices / total) * 100) : 0 }));
}

/** One line on how the fleet is shared: by one SQLite monitor, or by the live monitors on PostgreSQL. */
export function modeLine(list: MonitorList): string {
  if (list.mode === 'single') return 'The store is SQLite: this monitor is the only one and polls every device.';
  const alive = list.monitors.filter((m) => m.alive).length;
  const dead = list.monitors.length - alive;
  const parts = [`The store is PostgreSQL: ${alive} live monitor${alive === 1 ? ' polls' : 's share'} the fleet, each on a ${list.lease_s} s lease`];
  if (dead > 0) parts.push(`${dead} dead (lease lapsed; the others took over its devices)`);
  if (list.leader === null) parts.push('no leader at the moment');
  return `${parts.join('; ')}.`;
}

/** A cycle's duration: "1.2 s", or "85 ms" under a second (a small fleet's cycle is that short). */
export function durationLabel(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What a cycle did: "60 polled · 54 ok · 6 failed · CPU 120 ms". */
export function cycleCounts(c: NonNullable<MonitorView['last_cycle']>): string {
  return `${c.polled} polled · ${c.ok} ok · ${c.failed} failed · CPU ${Math.round(c.cpu_ms)} ms`;
}
