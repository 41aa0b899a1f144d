// The store's core (DESIGN.md, "Store"): opens the SQLite file (WAL), brings its schema up to date
// with numbered migrations recorded in `PRAGMA user_version`, offers the one transaction helper the
// per-cycle batch and pruning use, and closes. It knows no table: the tables belong to the modules
// that use them, and migrations.ts puts their migrations in one ordered list.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreTooNewError } from './store-errors.js';

export type Sqlite = Database.Database;

export interface Migration {
  /** The file's user_version once this has run: 1, 2, 3, … in list order. */
  version: number;
  /** The module whose tables it changes. */
  owner: string;
  description: string;
  /** Runs inside the transaction that also records the new user_version. */
  up(db: Sqlite): void;
}

export interface StoreDatabase {
  readonly db: Sqlite;
  /** The schema version the file was at when opened, and the one it is at now. */
  readonly schema: { from: number; to: number };
  /** Wraps fn so that every call runs in one transaction (the per-cycle batch, pruning). */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /** Idempotent. */
  close(): void;
}

/** A list that skips, repeats or reorders a number is a programming error: refuse it before touching a file. */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list: entry ${i + 1} is numbered ${m.version}; migrations are numbered 1, 2, 3, … in order`);
  });
}

export const latestVersion = (migrations: readonly Migration[]): number => migrations.at(-1)?.version ?? 0;

const versionOf = (db: Sqlite): number => db.pragma('user_version', { simple: true }) as number;

/**
 * The schema version of an existing store file, read without writing anything; 0 when there is no
 * file yet. For checks at boot that must not create or migrate the file.
 */
export function readSchemaVersion(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return versionOf(db);
  } finally {
    db.close();
  }
}

export function openStoreDatabase(file: string, migrations: readonly Migration[]): StoreDatabase {
  checkMigrationList(migrations);
  const latest = latestVersion(migrations);
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  let from: number;
  try {
    db.pragma('busy_timeout = 5000');
    // Checked before anything is written, the journal mode included: a file from a newer release
    // is left exactly as it was.
    from = versionOf(db);
    if (from > latest) throw new StoreTooNewError(file, from, latest);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // All pending migrations in one write transaction: a file is either fully migrated or not
    // touched, and a second monitor opening the same file waits instead of migrating twice.
    db.transaction(() => {
      const now = versionOf(db);
      if (now > latest) throw new StoreTooNewError(file, now, latest);
      for (const m of migrations) {
        if (m.version <= now) continue;
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      }
    }).immediate();
  } catch (err) {
    db.close();
    throw err;
  }

  return {
    db,
    schema: { from, to: latest },
    transaction: (fn) => db.transaction(fn),
    close() {
      if (db.open) db.close();
    },
  };
}
