// The monitor's embedded store (DESIGN.md, "Store"): one SQLite file (OUTPOST_FLEET_DB), opened and
// migrated by store-database.ts with the list in migrations.ts. Each table belongs to the module
// that uses it: devices, snapshots and transitions to the monitor (monitor/device-tables.ts), alerts
// and notifications to the alert engine (alerts/alert-tables.ts), update_reports and rollouts to
// the update server (updates/update-tables.ts). This file puts their queries behind the one
// FleetStore the rest of the monitor is handed, and prunes all of them in one transaction.
//
// The monitor writes once per poll cycle in one transaction (writeBatch); snapshots are thinned by
// the monitor before they get here. The file survives restarts: the monitor starts from the last
// known state of every device.
import { openAlertTables } from '../alerts/alert-tables.js';
import { openDeviceTables } from '../monitor/device-tables.js';
import { openUpdateTables } from '../updates/update-tables.js';
import { MIGRATIONS } from './migrations.js';
import { latestVersion, openStoreDatabase, readSchemaVersion } from './store-database.js';
import { StoreTooNewError } from './store-errors.js';

// Its home is the alert engine's module; the API's alert routes read it through the store.
export type { AlertRow } from '../alerts/alert-tables.js';

export function openFleetStore(file: string) {
  const core = openStoreDatabase(file, MIGRATIONS);
  const { prune: pruneDevices, ...devices } = openDeviceTables(core);
  const { prune: pruneAlerts, ...alerts } = openAlertTables(core);
  const { prune: pruneUpdates, ...updates } = openUpdateTables(core);
  return {
    ...devices,
    ...alerts,
    ...updates,
    /** The schema version the file was at when opened, and the one it is at now. */
    schema: core.schema,
    /** Drop history older than the retention; open alerts and rollouts are kept whatever their age. */
    prune: core.transaction((before: number) => ({ ...pruneDevices(before), ...pruneAlerts(before), ...pruneUpdates(before) })),
    close: () => core.close(),
  };
}

/**
 * Refuses, before the monitor is built, a store file that a newer release has migrated (main.ts).
 * Writes nothing and creates no file: the monitor opens (and migrates) the store itself.
 */
export function checkFleetStoreVersion(file: string): void {
  const found = readSchemaVersion(file);
  const known = latestVersion(MIGRATIONS);
  if (found > known) throw new StoreTooNewError(file, found, known);
}

export type FleetStore = ReturnType<typeof openFleetStore>;
