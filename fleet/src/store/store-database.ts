// The store's core (DESIGN.md, "Store"): one interface, StoreDatabase, with two implementations
// chosen by OUTPOST_FLEET_DB (store-location.ts): a SQLite file (sqlite-database.ts, better-sqlite3,
// the default) or a PostgreSQL database (postgres-database.ts, node-postgres). Either is brought up
// to date with the same numbered migrations (migrations.ts), offers the one transaction API the
// per-cycle batch and pruning use, and closes. It knows no table: the tables belong to the modules
// that use them, which write their queries once, for both (see "SQL" below).
//
// Why the interface is asynchronous. A PostgreSQL client can only answer later, and the monitor must
// not know which store it has; so every call returns a promise, and the SQLite side wraps its
// synchronous better-sqlite3 calls in resolved promises. What SQLite keeps of its speed (one
// monitor, 10,000 devices on 2 cores, `npm run bench:fleet`):
// - statements are prepared once per SQL text and reused, as before;
// - a call made while no transaction is open runs at once, synchronously, as before;
// - the per-cycle batch is still one transaction, and its rows go in through insertMany, which on
//   SQLite runs one prepared statement per row in a plain loop: three awaits per batch, not one per row.
// One SQLite connection means one transaction at a time and nothing else on it meanwhile (a
// statement would join the transaction), so while one is open other calls wait their turn, in order
// (store-database.cases.ts, "keeps a call made while a transaction is open out of it").
// PostgreSQL runs a transaction on a connection of its own from a small pool; insertMany sends
// multi-row INSERTs there (one round trip per thousand rows, not per row). Several monitors share one
// PostgreSQL database (cluster/cluster.ts): `shared` says a store can be shared, `now()` is the
// database's clock their leases are counted on, and `leaderLock()` is PostgreSQL's advisory lock
// on a connection of its own.
//
// SQL. Queries are written once with `@name` (an object of parameters) or `?` (an array)
// placeholders, in the SQL both dialects share: INSERT … ON CONFLICT … DO UPDATE with `excluded`,
// CASE instead of SQLite's two-argument MIN, explicit column lists. PostgreSQL gets them as $1, $2, …
// (sql-placeholders.ts). Only the migrations' DDL differs per dialect (types, identity columns).
import type { Log } from '../../../device/src/shared/index.js';
import type { Sqlite } from './sqlite-database.js';
import type { StoreLocation } from './store-location.js';

export type Dialect = 'sqlite' | 'postgres';

/** Named parameters (`@name` in the SQL) as an object (a row: extra properties are ignored), or positional ones (`?`) as an array. */
export type SqlParams = object;

/** What runs SQL: the database itself (each call on its own) or an open transaction. */
export interface SqlRunner {
  /** The number of rows changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** An INSERT into a table with an integer `id`: the new row's id. */
  insert(sql: string, params?: SqlParams): Promise<number>;
  /**
   * Inserts rows (objects with at least `columns`) into `table`, then `tail` (an ON CONFLICT clause,
   * written once for both dialects). On PostgreSQL rows go in chunks of one statement each, so an
   * upsert must not carry the same key twice in one call.
   */
  insertMany(table: string, columns: readonly string[], rows: readonly object[], tail?: string): Promise<void>;
}

/**
 * Who runs the once-only work among the monitors sharing a store: a session advisory lock held on
 * a connection of its own, so that it ends with that connection (a monitor killed, a network gone).
 */
export interface LeaderLock {
  /** Takes the lock if it is free, or checks that it is still held; false when another holds it or the connection failed. */
  hold(): Promise<boolean>;
  /** Held as of the last hold(), and the connection has not failed since. */
  held(): boolean;
  /** Gives the lock up and closes its connection; idempotent. */
  release(): Promise<void>;
}

export interface StoreDatabase extends SqlRunner {
  readonly dialect: Dialect;
  /** Several monitor processes can use this store at once (PostgreSQL); a SQLite file has one. */
  readonly shared: boolean;
  /** The database's clock in ms: what leases shared between machines are counted on. */
  now(): Promise<number>;
  /** An advisory lock by key; on a store that is not shared it is always held by its one process. */
  leaderLock(key: bigint, opts?: { onLost?: () => void }): LeaderLock;
  /** The schema version the store was at when opened, and the one it is at now. */
  readonly schema: { from: number; to: number };
  /**
   * Runs fn in one transaction: committed when its promise resolves, rolled back when it rejects.
   * Only `tx` runs SQL inside it; a call on the database itself waits until it ends (on SQLite),
   * so calling one from fn would never finish.
   */
  transaction<R>(fn: (tx: SqlRunner) => Promise<R>): Promise<R>;
  /** Idempotent; waits for calls already made. */
  close(): Promise<void>;
}

export interface MigrationStep {
  /** SQLite: runs inside the transaction that also records the new user_version. */
  sqlite(db: Sqlite): void;
  /** PostgreSQL: statements (several allowed; '' for none) run inside the transaction that also records the version. */
  postgres: string;
}

export interface Migration extends MigrationStep {
  /** The store's version once this has run: 1, 2, 3, … in list order. */
  version: number;
  /** The module whose tables it changes. */
  owner: string;
  description: string;
}

/** Several modules' steps as one migration's, in order. */
export function steps(...parts: MigrationStep[]): MigrationStep {
  return {
    sqlite: (db) => parts.forEach((p) => p.sqlite(db)),
    postgres: parts.map((p) => p.postgres.trim()).filter((s) => s !== '').join('\n'),
  };
}

/** A list that skips, repeats or reorders a number is a programming error: refuse it before touching a store. */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list: entry ${i + 1} is numbered ${m.version}; migrations are numbered 1, 2, 3, … in order`);
  });
}

export const latestVersion = (migrations: readonly Migration[]): number => migrations.at(-1)?.version ?? 0;

export interface OpenOptions {
  /** Where the PostgreSQL pool reports a connection it lost while idle. */
  log?: Log;
}

/** Opens the store at `location` and runs the migrations it has not had yet (all in one transaction). */
export async function openStoreDatabase(location: StoreLocation, migrations: readonly Migration[], opts: OpenOptions = {}): Promise<StoreDatabase> {
  checkMigrationList(migrations);
  // Loaded when used: a SQLite monitor never loads pg, and the reverse.
  if (location.kind === 'sqlite') return (await import('./sqlite-database.js')).openSqliteDatabase(location.file, migrations);
  return (await import('./postgres-database.js')).openPostgresDatabase(location, migrations, opts);
}

/**
 * The schema version of an existing store, read without writing anything; 0 when there is none
 * yet. For checks at boot that must not create or migrate the store.
 */
export async function readSchemaVersion(location: StoreLocation): Promise<number> {
  if (location.kind === 'sqlite') return (await import('./sqlite-database.js')).readSqliteSchemaVersion(location.file);
  return (await import('./postgres-database.js')).readPostgresSchemaVersion(location);
}
