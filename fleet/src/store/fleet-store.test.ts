import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { checkFleetStoreVersion, openFleetStore } from './fleet-store.js';
import { MIGRATIONS } from './migrations.js';
import { openStoreDatabase } from './store-database.js';
import { StoreTooNewError } from './store-errors.js';

// The schema as the code before numbered migrations wrote it, copied verbatim (commit 3f03fed):
// SCHEMA from fleet/src/store/fleet-store.ts, which every start ran, then what
// fleet/src/updates/rollout-store.ts added when the update server started. Such files are at
// user_version 0. A fixture, never to be edited: it is what is out there.
const SCHEMA_BEFORE_MIGRATIONS = `
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
const ROLLOUT_STORE_BEFORE_MIGRATIONS = `
ALTER TABLE rollouts ADD COLUMN previous_version TEXT;
CREATE INDEX IF NOT EXISTS update_reports_to_version ON update_reports (to_version, device_id);
`;

const LATEST = MIGRATIONS.length;
const HOUR = 3_600_000;
const T = 1_700_000_000_000;

/** Every table, column and index, to compare two files' schemas (the SQL text may differ). */
function schemaOf(file: string) {
  const db = new Database(file, { readonly: true });
  const objects = db.prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as Array<{ type: string; name: string }>;
  const shape = objects.map((o) => ({
    ...o,
    columns: o.type === 'table' ? db.pragma(`table_info(${o.name})`) : db.pragma(`index_xinfo(${o.name})`),
  }));
  db.close();
  return shape;
}

describe('fleet store', () => {
  let dir: { path: string; remove: () => void };
  let file: string;
  beforeEach(() => {
    dir = tempDir('outpost-fleet-store-');
    file = join(dir.path, 'fleet.sqlite');
  });
  afterEach(() => dir.remove());

  /** A file as the code before numbered migrations left it, with a row in every table. */
  function writeOldStore(opts: { updateServerRan: boolean }): void {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_BEFORE_MIGRATIONS);
    if (opts.updateServerRan) db.exec(ROLLOUT_STORE_BEFORE_MIGRATIONS);
    db.prepare(
      `INSERT INTO devices (id, status, reason, version, last_seen, last_status, failures, successes, updated_at)
       VALUES ('kiosk-1', 'online', NULL, '1.0.0', ?, '{"schema":1}', 0, 3, ?), ('kiosk-2', 'offline', 'no answer: timeout', NULL, NULL, NULL, 3, 0, ?)`,
    ).run(T, T, T);
    db.prepare("INSERT INTO snapshots (device_id, ts, status, cpu_pct, version) VALUES ('kiosk-1', ?, 'online', 12.5, '1.0.0')").run(T);
    db.prepare("INSERT INTO transitions (device_id, ts, from_status, to_status, reason) VALUES ('kiosk-2', ?, 'suspect', 'offline', 'no answer: timeout')").run(T);
    db.prepare(
      `INSERT INTO alerts (key, device_id, rule, severity, title, message, opened_at, resolved_at)
       VALUES ('device:kiosk-2:offline', 'kiosk-2', 'device_offline', 'critical', 'kiosk-2 is offline', 'no answer', ?, NULL),
              ('disk:kiosk-1', 'kiosk-1', 'disk', 'warning', 'kiosk-1 disk 91%', 'disk', ?, ?)`,
    ).run(T, T - HOUR, T);
    db.prepare("INSERT INTO notifications (alert_id, kind, channel, ts, ok, attempts, error) VALUES (1, 'open', 'webhook', ?, 1, 1, NULL)").run(T);
    db.prepare("INSERT INTO update_reports (device_id, ts, channel, from_version, to_version, result, message) VALUES ('kiosk-1', ?, 'stable', '0.9.0', '1.0.0', 'updated', NULL)").run(T);
    const rollout = { channel: 'stable', version: '1.0.0', percent: 100, state: 'complete', started_at: T - HOUR, updated_at: T };
    if (opts.updateServerRan) {
      db.prepare(
        'INSERT INTO rollouts (channel, version, percent, state, started_at, updated_at, halted_reason, previous_version) VALUES (@channel, @version, @percent, @state, @started_at, @updated_at, NULL, \'0.9.0\')',
      ).run(rollout);
    } else {
      db.prepare('INSERT INTO rollouts (channel, version, percent, state, started_at, updated_at, halted_reason) VALUES (@channel, @version, @percent, @state, @started_at, @updated_at, NULL)').run(rollout);
    }
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    db.close();
  }

  it('opens a store written before numbered migrations with its data', () => {
    writeOldStore({ updateServerRan: true });
    const store = openFleetStore(file);
    expect(store.schema).toEqual({ from: 0, to: LATEST });
    expect(store.devices().map((d) => [d.id, d.status, d.version, d.failures, d.last_status])).toEqual([
      ['kiosk-1', 'online', '1.0.0', 0, '{"schema":1}'],
      ['kiosk-2', 'offline', null, 3, null],
    ]);
    expect(store.history('kiosk-1', 0)).toEqual([
      { ts: T, status: 'online', cpu_pct: 12.5, mem_pct: null, disk_pct: null, temperature_c: null, sessions_active: null, latency_ms: null, version: '1.0.0' },
    ]);
    expect(store.transitions('kiosk-2', 0)).toEqual([{ device_id: 'kiosk-2', ts: T, from_status: 'suspect', to_status: 'offline', reason: 'no answer: timeout' }]);
    expect(store.openAlerts().map((a) => a.key)).toEqual(['device:kiosk-2:offline']);
    expect(store.resolvedAlerts(10).map((a) => a.key)).toEqual(['disk:kiosk-1']);
    expect(store.notifications(10)).toEqual([{ alert_id: 1, kind: 'open', channel: 'webhook', ts: T, ok: 1, attempts: 1, error: null }]);
    expect(store.reports(0, 10)).toEqual([{ device_id: 'kiosk-1', ts: T, channel: 'stable', from_version: '0.9.0', to_version: '1.0.0', result: 'updated', message: null }]);
    expect(store.reportOutcomes('1.0.0', 'stable')).toEqual([{ device_id: 'kiosk-1', result: 'updated' }]);
    expect(store.allRollouts()).toEqual([
      { channel: 'stable', version: '1.0.0', percent: 100, state: 'complete', previous_version: '0.9.0', started_at: T - HOUR, updated_at: T, halted_reason: null, force: false, target: null, deploy_id: null },
    ]);
    // The alerts' unique open key survived: a second open row for the same key is still refused.
    expect(() => store.openAlert({ key: 'device:kiosk-2:offline', device_id: 'kiosk-2', rule: 'device_offline', severity: 'critical', title: 't', message: 'm', opened_at: T })).toThrow(/UNIQUE/);
    store.close();

    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'meta'").all()).toEqual([]);
    db.close();
  });

  it('adds rollouts.previous_version to a store written before the update server had it', () => {
    writeOldStore({ updateServerRan: false });
    const store = openFleetStore(file);
    expect(store.allRollouts()).toEqual([
      { channel: 'stable', version: '1.0.0', percent: 100, state: 'complete', previous_version: null, started_at: T - HOUR, updated_at: T, halted_reason: null, force: false, target: null, deploy_id: null },
    ]);
    expect(store.devices()).toHaveLength(2);
    store.close();
  });

  it('adds rollouts.force, off, to a store written before it', () => {
    // Migrations 1 and 2 are what the release before rollouts.force left.
    openStoreDatabase(file, MIGRATIONS.slice(0, 2)).close();
    const db = new Database(file);
    db.prepare(
      "INSERT INTO rollouts (channel, version, percent, state, previous_version, started_at, updated_at, halted_reason) VALUES ('beta', '1.1.0', 50, 'active', '1.0.0', ?, ?, NULL)",
    ).run(T - HOUR, T);
    db.close();

    const store = openFleetStore(file);
    expect(store.schema).toEqual({ from: 2, to: LATEST });
    expect(store.allRollouts()).toEqual([
      { channel: 'beta', version: '1.1.0', percent: 50, state: 'active', previous_version: '1.0.0', started_at: T - HOUR, updated_at: T, halted_reason: null, force: false, target: null, deploy_id: null },
    ]);
    store.saveRollout({ ...store.allRollouts()[0]!, force: true });
    expect(store.allRollouts()[0]?.force).toBe(true);
    store.close();
  });

  it('adds rollout targets and the deploy history to a store written before them, keeping its rollouts', () => {
    // Migrations 1 to 3 are what the release before targeting left.
    openStoreDatabase(file, MIGRATIONS.slice(0, 3)).close();
    const db = new Database(file);
    db.prepare(
      "INSERT INTO rollouts (channel, version, percent, state, previous_version, started_at, updated_at, halted_reason, force) VALUES ('stable', '1.1.0', 50, 'active', '1.0.0', ?, ?, NULL, 1)",
    ).run(T - HOUR, T);
    db.close();

    const store = openFleetStore(file);
    expect(store.schema).toEqual({ from: 3, to: LATEST });
    expect(store.allRollouts()[0]).toMatchObject({ channel: 'stable', force: true, target: null, deploy_id: null });
    expect(store.deploys(null, 10)).toEqual([]);
    store.saveRollout({ ...store.allRollouts()[0]!, target: { group: 'lab', labels: { site: 'lab' } }, deploy_id: 7 });
    expect(store.allRollouts()[0]).toMatchObject({ target: { group: 'lab', labels: { site: 'lab' } }, deploy_id: 7 });
    const id = store.insertDeploy({ source: 'ansible', channel: null, version: '1.1.0', target: null, started_by: 'admin', started_at: T });
    store.addDeployEvent({ deploy_id: id, ts: T, kind: 'wave', message: 'wave 1', devices: ['kiosk-1'] });
    expect(store.endDeploy(id, T + 1, 'succeeded')).toBe(true);
    expect(store.endDeploy(id, T + 2, 'failed')).toBe(false);
    expect(store.deploys(null, 10)).toEqual([{ id, source: 'ansible', channel: null, version: '1.1.0', target: null, started_by: 'admin', started_at: T, ended_at: T + 1, outcome: 'succeeded' }]);
    expect(store.deployEvents(id)).toEqual([{ deploy_id: id, ts: T, kind: 'wave', message: 'wave 1', devices: ['kiosk-1'] }]);
    store.close();
  });

  it('gives a new file and an adopted old file the same tables, columns and indexes', () => {
    writeOldStore({ updateServerRan: true });
    openFleetStore(file).close();
    const fresh = join(dir.path, 'fresh.sqlite');
    openFleetStore(fresh).close();
    expect(schemaOf(fresh)).toEqual(schemaOf(file));
  });

  it('keeps its data and schema version across reopening', () => {
    const store = openFleetStore(file);
    expect(store.schema).toEqual({ from: 0, to: LATEST });
    store.writeBatch([{ id: 'kiosk-1', status: 'online', reason: null, version: '1.0.0', last_seen: T, last_status: null, failures: 0, successes: 1, updated_at: T }], [], []);
    store.close();
    const again = openFleetStore(file);
    expect(again.schema).toEqual({ from: LATEST, to: LATEST });
    expect(again.devices().map((d) => d.id)).toEqual(['kiosk-1']);
    again.close();
  });

  it("writes a poll cycle's batch in one transaction: all of it or, when a row is refused, none", () => {
    const store = openFleetStore(file);
    const row = (id: string) => ({ id, status: 'online' as const, reason: null, version: '1.0.0', last_seen: T, last_status: null, failures: 0, successes: 1, updated_at: T });
    const snapshot = { device_id: 'kiosk-1', ts: T, status: 'online' as const, cpu_pct: 1, mem_pct: 2, disk_pct: 3, temperature_c: 40, sessions_active: 0, latency_ms: 5, version: '1.0.0' };
    const refused = { device_id: 'kiosk-2', ts: T, from_status: 'online' as const, to_status: null as unknown as 'offline', reason: null };
    expect(() => store.writeBatch([row('kiosk-1'), row('kiosk-2')], [snapshot], [refused])).toThrow(/NOT NULL/);
    expect(store.devices()).toEqual([]);
    expect(store.history('kiosk-1', 0)).toEqual([]);

    store.writeBatch([row('kiosk-1'), row('kiosk-2')], [snapshot], [{ ...refused, to_status: 'suspect' }]);
    expect(store.devices()).toHaveLength(2);
    expect(store.history('kiosk-1', 0)).toHaveLength(1);
    expect(store.transitions('kiosk-2', 0)).toHaveLength(1);
    store.close();
  });

  it('prunes history older than the retention, keeping open alerts and rollouts whatever their age', () => {
    writeOldStore({ updateServerRan: true });
    const store = openFleetStore(file);
    const old = T - 48 * HOUR;
    store.writeBatch([], [{ device_id: 'kiosk-1', ts: old, status: 'online', cpu_pct: null, mem_pct: null, disk_pct: null, temperature_c: null, sessions_active: null, latency_ms: null, version: null }], [
      { device_id: 'kiosk-1', ts: old, from_status: 'unknown', to_status: 'online', reason: null },
    ]);
    store.recordReport({ device_id: 'kiosk-1', ts: old, channel: 'stable', from_version: null, to_version: '0.9.0', result: 'updated', message: null });
    const openedLongAgo = store.openAlert({ key: 'memory:kiosk-1', device_id: 'kiosk-1', rule: 'memory', severity: 'warning', title: 't', message: 'm', opened_at: old });
    store.recordNotification({ alert_id: openedLongAgo, kind: 'open', channel: 'slack', ts: old, ok: 1, attempts: 1, error: null });
    const resolvedLongAgo = store.openAlert({ key: 'disk:kiosk-2', device_id: 'kiosk-2', rule: 'disk', severity: 'warning', title: 't', message: 'm', opened_at: old });
    store.resolveAlert(resolvedLongAgo, old + 1);

    expect(store.prune(T - 24 * HOUR)).toEqual({ snapshots: 1, transitions: 1, alerts: 1, notifications: 1, reports: 1, silences: 0 });
    expect(store.history('kiosk-1', 0).map((s) => s.ts)).toEqual([T]);
    expect(store.openAlerts().map((a) => a.key).sort()).toEqual(['device:kiosk-2:offline', 'memory:kiosk-1']);
    expect(store.reports(0, 10).map((r) => r.ts)).toEqual([T]);
    expect(store.allRollouts()).toHaveLength(1);
    store.close();
  });

  it('refuses, naming OUTPOST_FLEET_DB, a file a newer release has migrated, and leaves it as it was', () => {
    writeOldStore({ updateServerRan: true });
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST + 1}`);
    db.close();

    expect(() => openFleetStore(file)).toThrow(StoreTooNewError);
    expect(() => openFleetStore(file)).toThrow(/^OUTPOST_FLEET_DB: /);
    expect(() => openFleetStore(file)).toThrow(`${file} has schema version ${LATEST + 1}, but this monitor knows versions up to ${LATEST}`);
    expect(() => checkFleetStoreVersion(file)).toThrow(StoreTooNewError);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST + 1);
    // Migration 2 (drop meta) did not run.
    expect(after.prepare("SELECT name FROM sqlite_master WHERE name = 'meta'").all()).toEqual([{ name: 'meta' }]);
    after.close();
  });

  it('checks the version of a file that does not exist yet without creating it', () => {
    expect(() => checkFleetStoreVersion(file)).not.toThrow();
    expect(existsSync(file)).toBe(false);
  });
});
