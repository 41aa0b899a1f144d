// The cluster's table in the store: `monitors`, one row per monitor process that has used the
// store, with its lease. A monitor renews its row every tick (cluster.ts); the monitors whose lease
// has not lapsed, by the database's clock, are the ones that split the devices. A monitor that stops
// cleanly ends its lease at once, so the others take its devices without waiting the lease out.
// The queries serve SQLite and PostgreSQL alike (store/store-database.ts, "SQL").
import type { MigrationStep, StoreDatabase } from '../store/store-database.js';

export interface MonitorRow {
  id: string;
  url: string | null;
  hostname: string | null;
  pid: number | null;
  version: string | null;
  started_at: number;
  renewed_at: number;
  lease_until: number;
  /** JSON: MonitorStats. */
  stats: string | null;
}

export interface MonitorStats {
  devices: number;
  last_cycle: { at: number; duration_ms: number; polled: number; ok: number; failed: number; cpu_ms: number } | null;
  rss_bytes: number | null;
}

/** Migration 7's part. */
export const createMonitorTable: MigrationStep = {
  sqlite(db) {
    db.exec(`
CREATE TABLE IF NOT EXISTS monitors (
  id TEXT PRIMARY KEY,
  url TEXT,
  hostname TEXT,
  pid INTEGER,
  version TEXT,
  started_at INTEGER NOT NULL,
  renewed_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL,
  stats TEXT
);
`);
  },
  postgres: `
CREATE TABLE monitors (
  id TEXT PRIMARY KEY,
  url TEXT,
  hostname TEXT,
  pid INTEGER,
  version TEXT,
  started_at BIGINT NOT NULL,
  renewed_at BIGINT NOT NULL,
  lease_until BIGINT NOT NULL,
  stats TEXT
);
`,
};

const COLUMNS = ['id', 'url', 'hostname', 'pid', 'version', 'started_at', 'renewed_at', 'lease_until', 'stats'] as const;

export function openMonitorTable(db: StoreDatabase) {
  return {
    /** Writes this monitor's row with a new lease; started_at stays the first one of this process. */
    renew: (row: MonitorRow): Promise<void> =>
      db.insertMany(
        'monitors',
        COLUMNS,
        [row],
        `ON CONFLICT (id) DO UPDATE SET url=excluded.url, hostname=excluded.hostname, pid=excluded.pid, version=excluded.version,
  started_at=excluded.started_at, renewed_at=excluded.renewed_at, lease_until=excluded.lease_until, stats=excluded.stats`,
      ),
    list: () => db.all<MonitorRow>(`SELECT ${COLUMNS.join(', ')} FROM monitors ORDER BY id`),
    /** A clean stop: the lease ends now, the row stays listed (as not alive) until dropped. */
    endLease: async (id: string, at: number): Promise<void> => {
      await db.run('UPDATE monitors SET lease_until = ? WHERE id = ?', [at, id]);
    },
    /** Rows whose lease ended before `before`: monitors gone for good, or renamed. */
    dropEnded: (before: number) => db.run('DELETE FROM monitors WHERE lease_until < ?', [before]),
  };
}
