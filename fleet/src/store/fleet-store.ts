// The monitor's embedded store (DESIGN.md, "Store"): one SQLite file via better-sqlite3, WAL mode.
// Writes are batched into one transaction per poll cycle. Snapshots are thinned (one per device
// per snapshot interval, plus one on every status change); retention pruning runs on a schedule.
// The file survives restarts: the monitor starts from the last known state of every device.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DeviceStatus } from '../poller/device-state.js';

export interface DeviceRow {
  id: string;
  status: DeviceStatus;
  reason: string | null;
  version: string | null;
  last_seen: number | null;
  last_status: string | null;
  failures: number;
  successes: number;
  updated_at: number;
}

export interface SnapshotRow {
  ts: number;
  status: DeviceStatus;
  cpu_pct: number | null;
  mem_pct: number | null;
  disk_pct: number | null;
  temperature_c: number | null;
  sessions_active: number | null;
  latency_ms: number | null;
  version: string | null;
}

export interface TransitionRow {
  device_id: string;
  ts: number;
  from_status: DeviceStatus;
  to_status: DeviceStatus;
  reason: string | null;
}

export interface AlertRow {
  id: number;
  key: string;
  device_id: string | null;
  rule: string;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  message: string;
  opened_at: number;
  resolved_at: number | null;
  last_notified_at: number | null;
  notify_count: number;
}

export interface NotificationRow {
  alert_id: number;
  kind: string;
  channel: string;
  ts: number;
  ok: number;
  attempts: number;
  error: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  reason TEXT,
  version TEXT,
  last_seen INTEGER,
  last_status TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  successes INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
  device_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  status TEXT NOT NULL,
  cpu_pct REAL, mem_pct REAL, disk_pct REAL, temperature_c REAL,
  sessions_active INTEGER, latency_ms REAL, version TEXT
);
CREATE INDEX IF NOT EXISTS snapshots_device_ts ON snapshots (device_id, ts);
CREATE INDEX IF NOT EXISTS snapshots_ts ON snapshots (ts);
CREATE TABLE IF NOT EXISTS transitions (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS transitions_device_ts ON transitions (device_id, ts);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  device_id TEXT,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  title TEXT NOT NULL,
  message TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  resolved_at INTEGER,
  last_notified_at INTEGER,
  notify_count INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_open_key ON alerts (key) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS alerts_device ON alerts (device_id, opened_at);
CREATE INDEX IF NOT EXISTS alerts_resolved ON alerts (resolved_at);
CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  ts INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX IF NOT EXISTS notifications_ts ON notifications (ts);
CREATE TABLE IF NOT EXISTS update_reports (
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  channel TEXT,
  from_version TEXT,
  to_version TEXT,
  result TEXT NOT NULL,
  message TEXT
);
CREATE INDEX IF NOT EXISTS update_reports_device ON update_reports (device_id, ts);
CREATE TABLE IF NOT EXISTS rollouts (
  channel TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  percent INTEGER NOT NULL,
  state TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  halted_reason TEXT
);
`;

export function openFleetStore(file: string) {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const q = {
    upsertDevice: db.prepare(
      `INSERT INTO devices (id, status, reason, version, last_seen, last_status, failures, successes, updated_at)
       VALUES (@id, @status, @reason, @version, @last_seen, @last_status, @failures, @successes, @updated_at)
       ON CONFLICT(id) DO UPDATE SET status=excluded.status, reason=excluded.reason, version=excluded.version,
         last_seen=excluded.last_seen, last_status=COALESCE(excluded.last_status, devices.last_status),
         failures=excluded.failures, successes=excluded.successes, updated_at=excluded.updated_at`,
    ),
    allDevices: db.prepare('SELECT * FROM devices'),
    deleteDevice: db.prepare('DELETE FROM devices WHERE id = ?'),
    insertSnapshot: db.prepare(
      `INSERT INTO snapshots (device_id, ts, status, cpu_pct, mem_pct, disk_pct, temperature_c, sessions_active, latency_ms, version)
       VALUES (@device_id, @ts, @status, @cpu_pct, @mem_pct, @disk_pct, @temperature_c, @sessions_active, @latency_ms, @version)`,
    ),
    history: db.prepare('SELECT ts, status, cpu_pct, mem_pct, disk_pct, temperature_c, sessions_active, latency_ms, version FROM snapshots WHERE device_id = ? AND ts >= ? ORDER BY ts'),
    insertTransition: db.prepare('INSERT INTO transitions (device_id, ts, from_status, to_status, reason) VALUES (@device_id, @ts, @from_status, @to_status, @reason)'),
    transitions: db.prepare('SELECT device_id, ts, from_status, to_status, reason FROM transitions WHERE device_id = ? AND ts >= ? ORDER BY ts DESC LIMIT ?'),
    openAlert: db.prepare(
      `INSERT INTO alerts (key, device_id, rule, severity, title, message, opened_at) VALUES (@key, @device_id, @rule, @severity, @title, @message, @opened_at)`,
    ),
    updateAlert: db.prepare('UPDATE alerts SET severity=@severity, title=@title, message=@message WHERE id=@id'),
    resolveAlert: db.prepare('UPDATE alerts SET resolved_at=? WHERE id=?'),
    notified: db.prepare('UPDATE alerts SET last_notified_at=?, notify_count=notify_count+1 WHERE id=?'),
    openAlerts: db.prepare('SELECT * FROM alerts WHERE resolved_at IS NULL ORDER BY opened_at DESC'),
    resolvedAlerts: db.prepare('SELECT * FROM alerts WHERE resolved_at IS NOT NULL ORDER BY resolved_at DESC LIMIT ?'),
    deviceAlerts: db.prepare('SELECT * FROM alerts WHERE device_id = ? ORDER BY opened_at DESC LIMIT ?'),
    insertNotification: db.prepare(
      'INSERT INTO notifications (alert_id, kind, channel, ts, ok, attempts, error) VALUES (@alert_id, @kind, @channel, @ts, @ok, @attempts, @error)',
    ),
    notifications: db.prepare('SELECT alert_id, kind, channel, ts, ok, attempts, error FROM notifications ORDER BY id DESC LIMIT ?'),
    insertReport: db.prepare(
      'INSERT INTO update_reports (device_id, ts, channel, from_version, to_version, result, message) VALUES (@device_id, @ts, @channel, @from_version, @to_version, @result, @message)',
    ),
    reports: db.prepare('SELECT device_id, ts, channel, from_version, to_version, result, message FROM update_reports WHERE ts >= ? ORDER BY ts DESC LIMIT ?'),
    latestReports: db.prepare(
      `SELECT r.device_id, r.ts, r.channel, r.from_version, r.to_version, r.result, r.message FROM update_reports r
       JOIN (SELECT device_id, MAX(id) AS id FROM update_reports GROUP BY device_id) m ON m.id = r.id`,
    ),
    getRollout: db.prepare('SELECT * FROM rollouts WHERE channel = ?'),
    allRollouts: db.prepare('SELECT * FROM rollouts ORDER BY channel'),
    putRollout: db.prepare(
      `INSERT INTO rollouts (channel, version, percent, state, started_at, updated_at, halted_reason)
       VALUES (@channel, @version, @percent, @state, @started_at, @updated_at, @halted_reason)
       ON CONFLICT(channel) DO UPDATE SET version=excluded.version, percent=excluded.percent, state=excluded.state,
         started_at=excluded.started_at, updated_at=excluded.updated_at, halted_reason=excluded.halted_reason`,
    ),
  };

  return {
    db,
    writeBatch: db.transaction((devices: DeviceRow[], snapshots: Array<SnapshotRow & { device_id: string }>, transitions: TransitionRow[]) => {
      for (const d of devices) q.upsertDevice.run(d);
      for (const s of snapshots) q.insertSnapshot.run(s);
      for (const t of transitions) q.insertTransition.run(t);
    }),
    devices: () => q.allDevices.all() as DeviceRow[],
    forgetDevice: (id: string) => q.deleteDevice.run(id),
    history: (deviceId: string, since: number) => q.history.all(deviceId, since) as SnapshotRow[],
    transitions: (deviceId: string, since: number, limit = 200) => q.transitions.all(deviceId, since, limit) as TransitionRow[],
    openAlert(a: Omit<AlertRow, 'id' | 'resolved_at' | 'last_notified_at' | 'notify_count'>): number {
      return Number(q.openAlert.run(a).lastInsertRowid);
    },
    updateAlert: (a: Pick<AlertRow, 'id' | 'severity' | 'title' | 'message'>) => q.updateAlert.run(a),
    resolveAlert: (id: number, at: number) => q.resolveAlert.run(at, id),
    markNotified: (id: number, at: number) => q.notified.run(at, id),
    openAlerts: () => q.openAlerts.all() as AlertRow[],
    resolvedAlerts: (limit: number) => q.resolvedAlerts.all(limit) as AlertRow[],
    deviceAlerts: (deviceId: string, limit: number) => q.deviceAlerts.all(deviceId, limit) as AlertRow[],
    recordNotification: (n: NotificationRow) => q.insertNotification.run(n),
    notifications: (limit: number) => q.notifications.all(limit) as NotificationRow[],
    recordReport: (r: { device_id: string; ts: number; channel: string | null; from_version: string | null; to_version: string | null; result: string; message: string | null }) =>
      q.insertReport.run(r),
    reports: (since: number, limit: number) => q.reports.all(since, limit) as Array<Record<string, unknown>>,
    latestReports: () => q.latestReports.all() as Array<{ device_id: string; ts: number; channel: string | null; from_version: string | null; to_version: string | null; result: string; message: string | null }>,
    getRollout: (channel: string) => q.getRollout.get(channel) as RolloutRow | undefined,
    rollouts: () => q.allRollouts.all() as RolloutRow[],
    putRollout: (r: RolloutRow) => q.putRollout.run(r),
    /** Drop history older than the retention; open alerts are kept whatever their age. */
    prune(before: number): { snapshots: number; transitions: number; alerts: number; notifications: number; reports: number } {
      const run = db.transaction(() => ({
        snapshots: db.prepare('DELETE FROM snapshots WHERE ts < ?').run(before).changes,
        transitions: db.prepare('DELETE FROM transitions WHERE ts < ?').run(before).changes,
        alerts: db.prepare('DELETE FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < ?').run(before).changes,
        notifications: db.prepare('DELETE FROM notifications WHERE ts < ?').run(before).changes,
        reports: db.prepare('DELETE FROM update_reports WHERE ts < ?').run(before).changes,
      }));
      return run();
    },
    close() {
      if (db.open) db.close();
    },
  };
}

export interface RolloutRow {
  channel: string;
  version: string;
  percent: number;
  state: 'active' | 'halted' | 'complete';
  started_at: number;
  updated_at: number;
  halted_reason: string | null;
}

export type FleetStore = ReturnType<typeof openFleetStore>;
