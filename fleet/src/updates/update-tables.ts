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
  /** Who the percent is taken of: a registry group and/or labels; null, the whole channel. */
  target: RolloutTarget | null;
  /** The deploy history entry (deploy-history.ts) this rollout writes to; null before migration 6. */
  deploy_id: number | null;
}

export interface RolloutTarget {
  group?: string;
  labels?: Record<string, string>;
}

/** As the table holds it: SQLite has no boolean, and better-sqlite3 binds none; the target is JSON. */
type RolloutRow = Omit<Rollout, 'force' | 'target'> & { force: 0 | 1; target: string | null };

export type DeploySource = 'rollout' | 'ansible';

/** One entry of the deploy history: a rollout of a channel, or an Ansible deploy/rollback run. */
export interface DeployRow {
  id: number;
  source: DeploySource;
  channel: string | null;
  version: string;
  target: RolloutTarget | null;
  started_by: string;
  started_at: number;
  ended_at: number | null;
  /** Null while running; rollouts end completed or superseded, Ansible runs say their own. */
  outcome: string | null;
}

export interface DeployEventRow {
  deploy_id: number;
  ts: number;
  kind: string;
  message: string;
  /** Devices the event names (failing devices of an automatic halt, a wave's hosts). */
  devices: string[];
}

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

/**
 * Migration 6's part: rollout targeting (rollouts.target, JSON) and the deploy history (deploys,
 * deploy_events), which rollouts and Ansible runs both write.
 */
export function addRolloutTargetsAndHistory(db: Sqlite): void {
  db.exec(`
ALTER TABLE rollouts ADD COLUMN target TEXT;
ALTER TABLE rollouts ADD COLUMN deploy_id INTEGER;
CREATE TABLE deploys (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  channel TEXT,
  version TEXT NOT NULL,
  target TEXT,
  started_by TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome TEXT
);
CREATE INDEX deploys_channel ON deploys (channel, id);
CREATE TABLE deploy_events (
  id INTEGER PRIMARY KEY,
  deploy_id INTEGER NOT NULL REFERENCES deploys (id),
  ts INTEGER NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  devices TEXT NOT NULL
);
CREATE INDEX deploy_events_deploy ON deploy_events (deploy_id, id);
`);
}

type DeployDbRow = Omit<DeployRow, 'target'> & { target: string | null };
const parseTarget = (t: string | null): RolloutTarget | null => (t === null ? null : (JSON.parse(t) as RolloutTarget));

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
    deviceReports: db.prepare(
      'SELECT device_id, ts, channel, from_version, to_version, result, message FROM update_reports WHERE device_id = ? ORDER BY ts DESC, id DESC LIMIT ?',
    ),
    allRollouts: db.prepare(
      'SELECT channel, version, percent, state, previous_version, started_at, updated_at, halted_reason, force, target, deploy_id FROM rollouts ORDER BY channel',
    ),
    saveRollout: db.prepare(
      `INSERT INTO rollouts (channel, version, percent, state, previous_version, started_at, updated_at, halted_reason, force, target, deploy_id)
       VALUES (@channel, @version, @percent, @state, @previous_version, @started_at, @updated_at, @halted_reason, @force, @target, @deploy_id)
       ON CONFLICT(channel) DO UPDATE SET version=excluded.version, percent=excluded.percent, state=excluded.state,
         previous_version=excluded.previous_version, started_at=excluded.started_at, updated_at=excluded.updated_at,
         halted_reason=excluded.halted_reason, force=excluded.force, target=excluded.target, deploy_id=excluded.deploy_id`,
    ),
    insertDeploy: db.prepare(
      'INSERT INTO deploys (source, channel, version, target, started_by, started_at) VALUES (@source, @channel, @version, @target, @started_by, @started_at)',
    ),
    endDeploy: db.prepare('UPDATE deploys SET ended_at = @ended_at, outcome = @outcome WHERE id = @id AND ended_at IS NULL'),
    deploy: db.prepare('SELECT id, source, channel, version, target, started_by, started_at, ended_at, outcome FROM deploys WHERE id = ?'),
    deploys: db.prepare('SELECT id, source, channel, version, target, started_by, started_at, ended_at, outcome FROM deploys ORDER BY id DESC LIMIT ?'),
    channelDeploys: db.prepare(
      'SELECT id, source, channel, version, target, started_by, started_at, ended_at, outcome FROM deploys WHERE channel = ? ORDER BY id DESC LIMIT ?',
    ),
    insertEvent: db.prepare('INSERT INTO deploy_events (deploy_id, ts, kind, message, devices) VALUES (@deploy_id, @ts, @kind, @message, @devices)'),
    events: db.prepare('SELECT deploy_id, ts, kind, message, devices FROM deploy_events WHERE deploy_id = ? ORDER BY id'),
  };
  const deployOf = (r: DeployDbRow): DeployRow => ({ ...r, target: parseTarget(r.target) });

  return {
    recordReport: (r: ReportRow) => q.insertReport.run(r),
    /** Newest first. */
    reports: (since: number, limit: number) => q.reports.all(since, limit) as ReportRow[],
    reportOutcomes: (version: string, channel: string) => q.outcomes.all(version, channel) as DeviceOutcome[],
    /** One device's reports, newest first. */
    deviceReports: (deviceId: string, limit: number) => q.deviceReports.all(deviceId, limit) as ReportRow[],
    allRollouts: () => (q.allRollouts.all() as RolloutRow[]).map((r): Rollout => ({ ...r, force: r.force === 1, target: parseTarget(r.target) })),
    saveRollout: (r: Rollout) =>
      q.saveRollout.run({ ...r, force: r.force ? 1 : 0, target: r.target === null ? null : JSON.stringify(r.target) } satisfies RolloutRow),
    insertDeploy: (d: Omit<DeployRow, 'id' | 'ended_at' | 'outcome'>): number =>
      Number(q.insertDeploy.run({ ...d, target: d.target === null ? null : JSON.stringify(d.target) }).lastInsertRowid),
    /** False when the entry is unknown or has already ended. */
    endDeploy: (id: number, endedAt: number, outcome: string): boolean => q.endDeploy.run({ id, ended_at: endedAt, outcome }).changes === 1,
    deploy: (id: number): DeployRow | undefined => {
      const r = q.deploy.get(id) as DeployDbRow | undefined;
      return r && deployOf(r);
    },
    /** Newest first. */
    deploys: (channel: string | null, limit: number): DeployRow[] =>
      ((channel === null ? q.deploys.all(limit) : q.channelDeploys.all(channel, limit)) as DeployDbRow[]).map(deployOf),
    addDeployEvent: (e: DeployEventRow) => q.insertEvent.run({ ...e, devices: JSON.stringify(e.devices) }),
    deployEvents: (id: number): DeployEventRow[] =>
      (q.events.all(id) as Array<Omit<DeployEventRow, 'devices'> & { devices: string }>).map((e) => ({ ...e, devices: JSON.parse(e.devices) as string[] })),
    /** The store's prune runs this inside its one transaction. Rollouts are state, not history: kept. */
    prune: (before: number) => ({ reports: q.pruneReports.run(before).changes }),
  };
}
