// The update server's part of the fleet store: the rollouts table (plus the previous_version
// column it needs) and the report queries a rollout's counts and automatic halt are built on.
// The tables themselves are created by fleet-store.ts; this module only migrates and queries them.
import type { FleetStore } from '../store/fleet-store.js';

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
}

export interface DeviceOutcome {
  device_id: string;
  result: string;
}

export function openRolloutTable(store: FleetStore) {
  const { db } = store;
  // Added after the first release of the store: databases created before it lack the column.
  const columns = db.prepare('PRAGMA table_info(rollouts)').all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'previous_version')) db.exec('ALTER TABLE rollouts ADD COLUMN previous_version TEXT');
  // Counting a rollout's outcome reads only that version's reports, not the whole history.
  db.exec('CREATE INDEX IF NOT EXISTS update_reports_to_version ON update_reports (to_version, device_id)');

  const q = {
    all: db.prepare('SELECT channel, version, percent, state, previous_version, started_at, updated_at, halted_reason FROM rollouts ORDER BY channel'),
    put: db.prepare(
      `INSERT INTO rollouts (channel, version, percent, state, previous_version, started_at, updated_at, halted_reason)
       VALUES (@channel, @version, @percent, @state, @previous_version, @started_at, @updated_at, @halted_reason)
       ON CONFLICT(channel) DO UPDATE SET version=excluded.version, percent=excluded.percent, state=excluded.state,
         previous_version=excluded.previous_version, started_at=excluded.started_at, updated_at=excluded.updated_at,
         halted_reason=excluded.halted_reason`,
    ),
    // The latest report per device about this version (a device that failed, then retried and
    // succeeded, counts as updated). Reports that name another channel are someone else's.
    outcomes: db.prepare(
      `SELECT r.device_id, r.result FROM update_reports r
       JOIN (SELECT MAX(id) AS id FROM update_reports WHERE to_version = ? AND (channel IS NULL OR channel = ?) GROUP BY device_id) m ON m.id = r.id`,
    ),
  };

  return {
    all: () => q.all.all() as Rollout[],
    put: (r: Rollout) => q.put.run(r),
    outcomes: (version: string, channel: string) => q.outcomes.all(version, channel) as DeviceOutcome[],
  };
}

export type RolloutTable = ReturnType<typeof openRolloutTable>;
