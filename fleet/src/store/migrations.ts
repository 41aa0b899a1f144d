// The store's schema history: one ordered list, numbered from 1, for SQLite and PostgreSQL alike;
// a SQLite file's `PRAGMA user_version`, a PostgreSQL database's schema_migrations table, says how
// far along it is. The DDL lives with the module that owns the tables, once per dialect where the
// two differ (types, identity columns); this list only puts it in order. An entry that has been
// released is never edited or renumbered: a change to a table is a new entry at the end, written by
// the module that owns the table, for both dialects.
import { addSilencesAndAcks, createAlertTables } from '../alerts/alert-tables.js';
import { createMonitorTable } from '../cluster/monitor-tables.js';
import { addDevicePoller, createDeviceTables } from '../monitor/device-tables.js';
import { addRolloutForce, addRolloutTargetsAndHistory, createUpdateTables } from '../updates/update-tables.js';
import { steps, type Migration } from './store-database.js';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    owner: 'monitor, alerts, updates',
    description: 'devices, snapshots, transitions; alerts, notifications; update_reports, rollouts',
    // Files written before numbered migrations are at user_version 0 and already hold these
    // tables: every SQLite statement is idempotent, so such a file keeps its data (fleet-store.test.ts,
    // "opens a store written before numbered migrations with its data").
    ...steps(createDeviceTables, createAlertTables, createUpdateTables),
  },
  {
    version: 2,
    owner: 'store',
    description: 'drop the meta table (created since the first release, never read or written)',
    sqlite: (db) => db.exec('DROP TABLE IF EXISTS meta'),
    postgres: 'DROP TABLE IF EXISTS meta',
  },
  {
    version: 3,
    owner: 'updates',
    description: 'rollouts.force: selected devices switch without waiting for live sessions',
    ...addRolloutForce,
  },
  {
    version: 4,
    owner: 'alerts',
    description: 'silences; alerts.acked_at, alerts.acked_by',
    ...addSilencesAndAcks,
  },
  // 5 was taken by a branch developed alongside this one that, merged, needed no migration; it
  // holds its place so that stores already at 6 keep their numbering.
  { version: 5, owner: 'store', description: 'reserved (no change)', sqlite: () => undefined, postgres: '' },
  {
    version: 6,
    owner: 'updates',
    description: 'rollouts.target and rollouts.deploy_id; the deploy history (deploys, deploy_events)',
    ...addRolloutTargetsAndHistory,
  },
  {
    version: 7,
    owner: 'monitor, cluster',
    description: 'devices.polled_by and devices.flips; the monitors table (leases of the monitors sharing the store)',
    ...steps(addDevicePoller, createMonitorTable),
  },
];
