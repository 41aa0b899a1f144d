// The monitor's tables in the store: `devices` (the last known state of every device: a restart
// starts from it), `snapshots` (thinned history) and `transitions` (status changes). The monitor
// writes all three once per poll cycle, in one transaction (writeBatch).
import type { DeviceStatus } from '../poller/device-state.js';
import type { Sqlite, StoreDatabase } from '../store/store-database.js';

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

/**
 * Migration 1's part (store/migrations.ts): the tables as first released. Idempotent, because files
 * written before numbered migrations already hold them.
 */
export function createDeviceTables(db: Sqlite): void {
  db.exec(`
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
`);
}

export function openDeviceTables(store: StoreDatabase) {
  const { db } = store;
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
    pruneSnapshots: db.prepare('DELETE FROM snapshots WHERE ts < ?'),
    pruneTransitions: db.prepare('DELETE FROM transitions WHERE ts < ?'),
  };

  return {
    /** One poll cycle's writes, all or nothing (fleet-store.test.ts, "writes a poll cycle's batch in one transaction"). */
    writeBatch: store.transaction((devices: DeviceRow[], snapshots: Array<SnapshotRow & { device_id: string }>, transitions: TransitionRow[]) => {
      for (const d of devices) q.upsertDevice.run(d);
      for (const s of snapshots) q.insertSnapshot.run(s);
      for (const t of transitions) q.insertTransition.run(t);
    }),
    devices: () => q.allDevices.all() as DeviceRow[],
    forgetDevice: (id: string) => q.deleteDevice.run(id),
    history: (deviceId: string, since: number) => q.history.all(deviceId, since) as SnapshotRow[],
    transitions: (deviceId: string, since: number, limit = 200) => q.transitions.all(deviceId, since, limit) as TransitionRow[],
    /** The store's prune runs this inside its one transaction. */
    prune: (before: number) => ({
      snapshots: q.pruneSnapshots.run(before).changes,
      transitions: q.pruneTransitions.run(before).changes,
    }),
  };
}
