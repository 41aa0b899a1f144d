// The update server's tables in the store: `update_reports` (what each device said about each update
// attempt) and `rollouts` (one row per channel: the rollout's state, written only by the rollout
// state machine).
import type { Sqlite, StoreDatabase } from '../store/store-database.js';

export type RolloutState = 'active' | 'halted' | 'complete';

export interface Rollout {
  channel: string;
  version: string;
  percent: number;
  state: RolloutState;
  /** The channel's last complete version: what devices outside the rollout (or all, when halted) run. */
  previous_version: string | null;
  started_at: number;
  updated_at: number;
  halted_reason: string | null;
  /** Selected devices switch without waiting for live sessions to drain (scripts/update.sh). */
  force: boolean;
}

/** As the table holds it: SQLite has no boolean, and better-sqlite3 binds none. */
type RolloutRow = Omit<Rollout, 'force'> & { force: 0 | 1 };

export interface ReportRow {
  device_id: string;
  ts: number;
  channel: string | null;
  from_version: string | null;
  to_version: string | null;
  result: string;
  message: string | null;
}

export interface DeviceOutcome {
  device_id: string;
  result: string;
}

/**
 * Migration 1's part (store/migrations.ts): the tables as first released. Idempotent, because files
 * written before numbered migrations already hold them, with or without rollouts.previous_version
 * (which the update server added with an ALTER TABLE at every start).
 */
export function createUpdateTables(db: Sqlite): void {
  // previous_version last: where the ALTER TABLE put it on older files, so both agree.
  db.exec(`
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
CREATE INDEX IF NOT EXISTS update_reports_to_version ON update_reports (to_version, device_id);
CREATE TABLE IF NOT EXISTS rollouts (
  channel TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  percent INTEGER NOT NULL,
  state TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  halted_reason TEXT,
  previous_version TEXT
);
`);
  const columns = db.prepare('PRAGMA table_info(rollouts)').all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'previous_version')) db.exec('ALTER TABLE rollouts ADD COLUMN previous_version TEXT');
}

/**
 * Migration 3's part: rollouts.force. Existing rollouts were never forced, hence the default
 * (fleet-store.test.ts, "adds rollouts.force, off, to a store written before it").
 */
export function addRolloutForce(db: Sqlite): void {
  db.exec('ALTER TABLE rollouts ADD COLUMN force INTEGER NOT NULL DEFAULT 0');
}

export function openUpdateTables(store: StoreDatabase) {
  const { db } = store;
  const q = {
    insertReport: db.prepare(
      'INSERT INTO update_reports (device_id, ts, channel, from_version, to_version, result, message) VALUES (@device_id, @ts, @channel, @from_version, @to_version, @result, @message)',
    ),
    reports: db.prepare('SELECT device_id, ts, channel, from_version, to_version, result, message FROM update_reports WHERE ts >= ? ORDER BY ts DESC LIMIT ?'),
    // The latest report per device about this version (a device that failed, then retried and
    // succeeded, counts as updated). Reports that name another channel are someone else's. The
    // update_reports_to_version index keeps this to the version's reports, not the whole history.
    outcomes: db.prepare(
      `SELECT r.device_id, r.result FROM update_reports r
       JOIN (SELECT MAX(id) AS id FROM update_reports WHERE to_version = ? AND (channel IS NULL OR channel = ?) GROUP BY device_id) m ON m.id = r.id`,
    ),
    pruneReports: db.prepare('DELETE FROM update_reports WHERE ts < ?'),
    allRollouts: db.prepare('SELECT channel, version, percent, state, previous_version, started_at, updated_at, halted_reason, force FROM rollouts ORDER BY channel'),
    saveRollout: db.prepare(
      `INSERT INTO rollouts (channel, version, percent, state, previous_version, started_at, updated_at, halted_reason, force)
       VALUES (@channel, @version, @percent, @state, @previous_version, @started_at, @updated_at, @halted_reason, @force)
       ON CONFLICT(channel) DO UPDATE SET version=excluded.version, percent=excluded.percent, state=excluded.state,
         previous_version=excluded.previous_version, started_at=excluded.started_at, updated_at=excluded.updated_at,
         halted_reason=excluded.halted_reason, force=excluded.force`,
    ),
  };

  return {
    recordReport: (r: ReportRow) => q.insertReport.run(r),
    /** Newest first. */
    reports: (since: number, limit: number) => q.reports.all(since, limit) as ReportRow[],
    reportOutcomes: (version: string, channel: string) => q.outcomes.all(version, channel) as DeviceOutcome[],
    allRollouts: () => (q.allRollouts.all() as RolloutRow[]).map((r): Rollout => ({ ...r, force: r.force === 1 })),
    saveRollout: (r: Rollout) => q.saveRollout.run({ ...r, force: r.force ? 1 : 0 } satisfies RolloutRow),
    /** The store's prune runs this inside its one transaction. Rollouts are state, not history: kept. */
    prune: (before: number) => ({ reports: q.pruneReports.run(before).changes }),
  };
}
