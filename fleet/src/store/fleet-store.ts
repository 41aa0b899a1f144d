// The monitor's store (DESIGN.md, "Store"): a SQLite file by default, or a PostgreSQL database
// (OUTPOST_FLEET_DB, store-location.ts), opened and migrated by store-database.ts with the list in
// migrations.ts. Each table belongs to the module that uses it: devices, snapshots and transitions
// to the monitor (monitor/device-tables.ts), alerts and notifications to the alert engine
// (alerts/alert-tables.ts), update_reports and rollouts to the update server
// (updates/update-tables.ts). This file puts their queries behind the one FleetStore the rest of
// the monitor is handed, whichever database is behind it, and prunes all of them in one transaction.
// Every method is asynchronous (why: store-database.ts).
//
// The monitor writes once per poll cycle in one transaction (writeBatch); snapshots are thinned by
// the monitor before they get here. The store survives restarts: the monitor starts from the last
// known state of every device.
import { openAlertTables } from '../alerts/alert-tables.js';
import { openDeviceTables } from '../monitor/device-tables.js';
import { openUpdateTables } from '../updates/update-tables.js';
import { MIGRATIONS } from './migrations.js';
import { latestVersion, openStoreDatabase, readSchemaVersion, type OpenOptions } from './store-database.js';
import { StoreTooNewError } from './store-errors.js';
import type { StoreLocation } from './store-location.js';

// Its home is the alert engine's module; the API's alert routes read it through the store.
export type { AlertRow } from '../alerts/alert-tables.js';

export async function openFleetStore(location: StoreLocation, opts: OpenOptions = {}) {
  const core = await openStoreDatabase(location, MIGRATIONS, opts);
  const { prune: pruneDevices, ...devices } = openDeviceTables(core);
  const { prune: pruneAlerts, ...alerts } = openAlertTables(core);
  const { prune: pruneUpdates, ...updates } = openUpdateTables(core);
  return {
    ...devices,
    ...alerts,
    ...updates,
    /** The schema version the store was at when opened, and the one it is at now. */
    schema: core.schema,
    /** The database itself, for the monitors sharing it (cluster/cluster.ts: leases, the leader lock). */
    database: core,
    /** Drop history older than the retention; open alerts and rollouts are kept whatever their age. */
    prune: (before: number) =>
      core.transaction(async (tx) => ({ ...(await pruneDevices(tx, before)), ...(await pruneAlerts(tx, before)), ...(await pruneUpdates(tx, before)) })),
    /** Idempotent; waits for calls already made. */
    close: () => core.close(),
  };
}

/**
 * Refuses, before the monitor is built, a store that a newer release has migrated.
 * Writes nothing and creates nothing: the monitor opens (and migrates) the store itself.
 */
export async function checkFleetStoreVersion(location: StoreLocation): Promise<void> {
  const found = await readSchemaVersion(location);
  const known = latestVersion(MIGRATIONS);
  if (found > known) throw new StoreTooNewError(location.display, found, known, location.kind);
}

export type FleetStore = Awaited<ReturnType<typeof openFleetStore>>;
