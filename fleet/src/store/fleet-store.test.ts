import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { useTestStores } from '../../test/test-stores.js';
import { fleetStoreCases, HOUR, LATEST, T } from './fleet-store.cases.js';
import { checkFleetStoreVersion, openFleetStore } from './fleet-store.js';
import { StoreTooNewError } from './store-errors.js';
import { parseStoreLocation, type StoreLocation } from './store-location.js';

// The cases both stores share run here on SQLite; fleet-store.int.test.ts runs them on PostgreSQL too.
// Below them, what only SQLite has: files written before numbered migrations (PostgreSQL came later).
const stores = useTestStores();
describe.each(['sqlite'] as const)('fleet store on %s', (kind) => fleetStoreCases(kind, stores));

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

describe('fleet store on sqlite: files from before numbered migrations', () => {
  let dir: { path: string; remove: () => void };
  let file: string;
  let location: StoreLocation;
  beforeEach(() => {
    dir = tempDir('outpost-fleet-store-');
    file = join(dir.path, 'fleet.sqlite');
    location = parseStoreLocation(file);
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

  it('opens a store written before numbered migrations with its data', async () => {
    writeOldStore({ updateServerRan: true });
    const store = await openFleetStore(location);
    expect(store.schema).toEqual({ from: 0, to: LATEST });
    expect((await store.devices()).map((d) => [d.id, d.status, d.version, d.failures, d.last_status])).toEqual([
      ['kiosk-1', 'online', '1.0.0', 0, '{"schema":1}'],
      ['kiosk-2', 'offline', null, 3, null],
    ]);
    expect(await store.history('kiosk-1', 0)).toEqual([
      { ts: T, status: 'online', cpu_pct: 12.5, mem_pct: null, disk_pct: null, temperature_c: null, sessions_active: null, latency_ms: null, version: '1.0.0' },
    ]);
    expect(await store.transitions('kiosk-2', 0)).toEqual([{ device_id: 'kiosk-2', ts: T, from_status: 'suspect', to_status: 'offline', reason: 'no answer: timeout' }]);
    expect((await store.openAlerts()).map((a) => a.key)).toEqual(['device:kiosk-2:offline']);
    expect((await store.resolvedAlerts(10)).map((a) => a.key)).toEqual(['disk:kiosk-1']);
    expect(await store.notifications(10)).toEqual([{ alert_id: 1, kind: 'open', channel: 'webhook', ts: T, ok: 1, attempts: 1, error: null }]);
    expect(await store.reports(0, 10)).toEqual([{ device_id: 'kiosk-1', ts: T, channel: 'stable', from_version: '0.9.0', to_version: '1.0.0', result: 'updated', message: null }]);
    expect(await store.reportOutcomes('1.0.0', 'stable')).toEqual([{ device_id: 'kiosk-1', result: 'updated' }]);
    expect(await store.allRollouts()).toEqual([
      { channel: 'stable', version: '1.0.0', percent: 100, state: 'complete', previous_version: '0.9.0', started_at: T - HOUR, updated_at: T, halted_reason: null, force: false, target: null, deploy_id: null },
    ]);
    // The alerts' unique open key survived: a second open row for the same key is still refused.
    await expect(store.openAlert({ key: 'device:kiosk-2:offline', device_id: 'kiosk-2', rule: 'device_offline', severity: 'critical', title: 't', message: 'm', opened_at: T })).rejects.toThrow(/UNIQUE/);
    await store.close();

    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'meta'").all()).toEqual([]);
    db.close();
  });

  it('adds rollouts.previous_version to a store written before the update server had it', async () => {
    writeOldStore({ updateServerRan: false });
    const store = await openFleetStore(location);
    expect(await store.allRollouts()).toEqual([
      { channel: 'stable', version: '1.0.0', percent: 100, state: 'complete', previous_version: null, started_at: T - HOUR, updated_at: T, halted_reason: null, force: false, target: null, deploy_id: null },
    ]);
    expect(await store.devices()).toHaveLength(2);
    await store.close();
  });

  it('gives a new file and an adopted old file the same tables, columns and indexes', async () => {
    writeOldStore({ updateServerRan: true });
    await (await openFleetStore(location)).close();
    const fresh = join(dir.path, 'fresh.sqlite');
    await (await openFleetStore(parseStoreLocation(fresh))).close();
    expect(schemaOf(fresh)).toEqual(schemaOf(file));
  });

  it('refuses, naming OUTPOST_FLEET_DB, a file a newer release has migrated, and leaves it as it was', async () => {
    writeOldStore({ updateServerRan: true });
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST + 1}`);
    db.close();

    await expect(openFleetStore(location)).rejects.toThrow(StoreTooNewError);
    await expect(openFleetStore(location)).rejects.toThrow(/^OUTPOST_FLEET_DB: /);
    await expect(openFleetStore(location)).rejects.toThrow(`${file} has schema version ${LATEST + 1}, but this monitor knows versions up to ${LATEST}`);
    await expect(checkFleetStoreVersion(location)).rejects.toThrow(StoreTooNewError);
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST + 1);
    // Migration 2 (drop meta) did not run.
    expect(after.prepare("SELECT name FROM sqlite_master WHERE name = 'meta'").all()).toEqual([{ name: 'meta' }]);
    after.close();
  });

  it('checks the version of a file that does not exist yet without creating it', async () => {
    await checkFleetStoreVersion(location);
    expect(existsSync(file)).toBe(false);
  });
});
