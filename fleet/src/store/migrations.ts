// The store's schema history: one ordered list, numbered from 1; a file's `PRAGMA user_version`
// says how far along it is. The DDL lives with the module that owns the tables; this list only
// puts it in order. An entry that has been released is never edited or renumbered: a change to a
// table is a new entry at the end, written by the module that owns the table.
import { addSilencesAndAcks, createAlertTables } from '../alerts/alert-tables.js';
import { createDeviceTables } from '../monitor/device-tables.js';
import { addRolloutForce, createUpdateTables } from '../updates/update-tables.js';
import type { Migration } from './store-database.js';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    owner: 'monitor, alerts, updates',
    description: 'devices, snapshots, transitions; alerts, notifications; update_reports, rollouts',
    // Files written before numbered migrations are at user_version 0 and already hold these
    // tables: every statement is idempotent, so such a file keeps its data (fleet-store.test.ts,
    // "opens a store written before numbered migrations with its data").
    up(db) {
      createDeviceTables(db);
      createAlertTables(db);
      createUpdateTables(db);
    },
  },
  {
    version: 2,
    owner: 'store',
    description: 'drop the meta table (created since the first release, never read or written)',
    up: (db) => db.exec('DROP TABLE IF EXISTS meta'),
  },
  {
    version: 3,
    owner: 'updates',
    description: 'rollouts.force: selected devices switch without waiting for live sessions',
    up: addRolloutForce,
  },
  {
    version: 4,
    owner: 'alerts',
    description: 'silences; alerts.acked_at, alerts.acked_by',
    up: addSilencesAndAcks,
  },
];
