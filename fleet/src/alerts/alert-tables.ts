// The alert engine's tables in the store: `alerts` (at most one open row per key: a restart neither
// re-notifies nor forgets what is open) and `notifications` (each send, per channel).
import type { Sqlite, StoreDatabase } from '../store/store-database.js';
import type { Matcher, SilenceRow } from './silences.js';

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
  /** Set while someone has acknowledged the alert: no reminders, still open. */
  acked_at: number | null;
  acked_by: string | null;
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

/**
 * Migration 1's part (store/migrations.ts): the tables as first released. Idempotent, because files
 * written before numbered migrations already hold them.
 */
export function createAlertTables(db: Sqlite): void {
  db.exec(`
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
`);
}

/**
 * Migration 4's part: silences (matchers as JSON) and who acknowledged an open alert, and when.
 */
export function addSilencesAndAcks(db: Sqlite): void {
  db.exec(`
CREATE TABLE silences (
  id INTEGER PRIMARY KEY,
  matchers TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  comment TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX silences_ends ON silences (ends_at);
ALTER TABLE alerts ADD COLUMN acked_at INTEGER;
ALTER TABLE alerts ADD COLUMN acked_by TEXT;
`);
}

interface StoredSilence extends Omit<SilenceRow, 'matchers'> {
  matchers: string;
}

export function openAlertTables(store: StoreDatabase) {
  const { db } = store;
  const q = {
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
    pruneAlerts: db.prepare('DELETE FROM alerts WHERE resolved_at IS NOT NULL AND resolved_at < ?'),
    pruneNotifications: db.prepare('DELETE FROM notifications WHERE ts < ?'),
    ack: db.prepare('UPDATE alerts SET acked_at=?, acked_by=? WHERE id=?'),
    insertSilence: db.prepare(
      'INSERT INTO silences (matchers, starts_at, ends_at, comment, created_by, created_at) VALUES (@matchers, @starts_at, @ends_at, @comment, @created_by, @created_at)',
    ),
    silences: db.prepare('SELECT * FROM silences WHERE ends_at > ? ORDER BY starts_at, id'),
    endSilence: db.prepare('UPDATE silences SET starts_at=MIN(starts_at, @at), ends_at=@at WHERE id=@id'),
    pruneSilences: db.prepare('DELETE FROM silences WHERE ends_at < ?'),
  };
  const silence = (r: StoredSilence): SilenceRow => ({ ...r, matchers: JSON.parse(r.matchers) as Matcher[] });

  return {
    openAlert(a: Omit<AlertRow, 'id' | 'resolved_at' | 'last_notified_at' | 'notify_count' | 'acked_at' | 'acked_by'>): number {
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
    /** The store's prune runs this inside its one transaction. Open alerts are kept whatever their age. */
    prune: (before: number) => ({
      alerts: q.pruneAlerts.run(before).changes,
      notifications: q.pruneNotifications.run(before).changes,
      silences: q.pruneSilences.run(before).changes,
    }),
    /** by null: the acknowledgement is taken back. */
    ackAlert: (id: number, at: number | null, by: string | null) => q.ack.run(at, by, id),
    insertSilence(s: Omit<SilenceRow, 'id'>): number {
      return Number(q.insertSilence.run({ ...s, matchers: JSON.stringify(s.matchers) }).lastInsertRowid);
    },
    /** Silences that end after `after` (pass 0 for all that are kept). */
    silences: (after: number) => (q.silences.all(after) as StoredSilence[]).map(silence),
    endSilence: (id: number, at: number) => q.endSilence.run({ id, at }),
  };
}
