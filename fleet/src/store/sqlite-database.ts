// The SQLite store (the default): one file in WAL mode, its schema version in `PRAGMA user_version`,
// one better-sqlite3 connection. Why its calls are wrapped in promises, and what keeps the batch
// fast: store-database.ts.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { latestVersion, type Migration, type SqlParams, type SqlRunner, type StoreDatabase } from './store-database.js';
import { StoreTooNewError } from './store-errors.js';

export type Sqlite = Database.Database;

const versionOf = (db: Sqlite): number => db.pragma('user_version', { simple: true }) as number;

export function readSqliteSchemaVersion(file: string): number {
  if (!existsSync(file)) return 0;
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return versionOf(db);
  } finally {
    db.close();
  }
}

/**
 * The one connection's turn-taking: a call runs at once when nothing holds the connection or waits
 * for it; otherwise (a transaction is open, or calls are queued behind one) it waits, in order.
 */
function createTurns() {
  let waiting = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const done = () => {
    waiting--;
  };
  function queue<R>(fn: () => R | Promise<R>): Promise<R> {
    waiting++;
    const p = tail.then(fn);
    // Registered before any caller's await on p: the count drops before they resume.
    tail = p.then(done, done);
    return p;
  }
  return {
    queue,
    now<R>(fn: () => R): Promise<R> {
      if (waiting > 0) return queue(fn);
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
  };
}

function insertSql(table: string, columns: readonly string[], tail = ''): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})${tail ? ` ${tail}` : ''}`;
}

export function openSqliteDatabase(file: string, migrations: readonly Migration[]): StoreDatabase {
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
        m.sqlite(db);
        db.pragma(`user_version = ${m.version}`);
      }
    }).immediate();
  } catch (err) {
    db.close();
    throw err;
  }

  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const args = (p: SqlParams | undefined): unknown[] => (p === undefined ? [] : Array.isArray(p) ? (p as unknown[]) : [p]);
  const sync = {
    run: (sql: string, p?: SqlParams) => prepared(sql).run(...args(p)).changes,
    all: (sql: string, p?: SqlParams) => prepared(sql).all(...args(p)),
    get: (sql: string, p?: SqlParams) => prepared(sql).get(...args(p)),
    insert: (sql: string, p?: SqlParams) => Number(prepared(sql).run(...args(p)).lastInsertRowid),
    insertMany(table: string, columns: readonly string[], rows: readonly object[], tail?: string): void {
      if (rows.length === 0) return;
      const s = prepared(insertSql(table, columns, tail));
      for (const r of rows) s.run(r);
    },
  };
  /** The sync calls as a SqlRunner, each call passed through `via`. */
  const runner = (via: <R>(fn: () => R) => Promise<R>): SqlRunner => ({
    run: (sql, p) => via(() => sync.run(sql, p)),
    all: <T>(sql: string, p?: SqlParams) => via(() => sync.all(sql, p) as T[]),
    get: <T>(sql: string, p?: SqlParams) => via(() => sync.get(sql, p) as T | undefined),
    insert: (sql, p) => via(() => sync.insert(sql, p)),
    insertMany: (table, columns, rows, tail) => via(() => sync.insertMany(table, columns, rows, tail)),
  });
  const turns = createTurns();
  const inTransaction = runner(<R>(fn: () => R) => {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  });
  let closing: Promise<void> | undefined;

  return {
    dialect: 'sqlite',
    schema: { from, to: latest },
    shared: false,
    now: async () => Date.now(),
    // One process per file: it always leads.
    leaderLock: () => ({ hold: async () => true, held: () => true, release: async () => undefined }),
    ...runner(turns.now),
    transaction: <R>(fn: (tx: SqlRunner) => Promise<R>) =>
      turns.queue(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(inTransaction);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      }),
    close: () =>
      (closing ??= turns.queue(() => {
        if (db.open) db.close();
      })),
  };
}
