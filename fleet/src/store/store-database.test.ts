import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { checkMigrationList, openStoreDatabase, readSchemaVersion, type Migration } from './store-database.js';
import { StoreTooNewError } from './store-errors.js';

const table = (version: number, name: string, ran: number[]): Migration => ({
  version,
  owner: 'test',
  description: `create ${name}`,
  up(db) {
    ran.push(version);
    db.exec(`CREATE TABLE ${name} (id INTEGER PRIMARY KEY)`);
  },
});

const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);

describe('store database', () => {
  let dir: { path: string; remove: () => void };
  let file: string;
  beforeEach(() => {
    dir = tempDir('outpost-store-db-');
    file = join(dir.path, 'nested', 'fleet.sqlite');
  });
  afterEach(() => dir.remove());

  it('creates the file in WAL mode and runs every migration in order, recording the last in user_version', () => {
    const ran: number[] = [];
    const store = openStoreDatabase(file, [table(1, 'a', ran), table(2, 'b', ran)]);
    expect(ran).toEqual([1, 2]);
    expect(store.schema).toEqual({ from: 0, to: 2 });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(tables(store.db)).toEqual(['a', 'b']);
    store.close();
    store.close();
    expect(readSchemaVersion(file)).toBe(2);
  });

  it('runs only the migrations a file has not had yet', () => {
    const ran: number[] = [];
    openStoreDatabase(file, [table(1, 'a', ran)]).close();
    const store = openStoreDatabase(file, [table(1, 'a', ran), table(2, 'b', ran), table(3, 'c', ran)]);
    expect(ran).toEqual([1, 2, 3]);
    expect(store.schema).toEqual({ from: 1, to: 3 });
    store.close();
    openStoreDatabase(file, [table(1, 'a', ran), table(2, 'b', ran), table(3, 'c', ran)]).close();
    expect(ran).toEqual([1, 2, 3]);
  });

  it('rolls back every pending migration when one fails, leaving the file at its old version', () => {
    const ran: number[] = [];
    const broken: Migration = { version: 2, owner: 'test', description: 'fails half way', up: (db) => db.exec('CREATE TABLE half (id INTEGER); SELECT * FROM missing') };
    expect(() => openStoreDatabase(file, [table(1, 'a', ran), broken])).toThrow(/no such table: missing/);
    expect(readSchemaVersion(file)).toBe(0);
    const db = new Database(file);
    expect(tables(db)).toEqual([]);
    db.close();
  });

  it('refuses a file a newer release has migrated, naming OUTPOST_FLEET_DB, and writes nothing to it', () => {
    const ran: number[] = [];
    openStoreDatabase(file, [table(1, 'a', ran), table(2, 'b', ran)]).close();
    const db = new Database(file);
    db.pragma('journal_mode = DELETE');
    db.close();

    let err: unknown;
    try {
      openStoreDatabase(file, [table(1, 'a', ran)]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreTooNewError);
    expect((err as Error).message).toBe(
      `OUTPOST_FLEET_DB: ${file} has schema version 2, but this monitor knows versions up to 1: a newer release of Outpost wrote it. ` +
        'Run that release, or point OUTPOST_FLEET_DB at another file.',
    );
    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(2);
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
    after.close();
  });

  it('reads the schema version of a file without creating one', () => {
    expect(readSchemaVersion(file)).toBe(0);
    expect(() => new Database(file, { fileMustExist: true })).toThrow();
  });

  it('refuses a migration list that skips, repeats or reorders a number before opening anything', () => {
    const ran: number[] = [];
    expect(() => checkMigrationList([table(1, 'a', ran), table(3, 'c', ran)])).toThrow(/entry 2 is numbered 3/);
    expect(() => checkMigrationList([table(1, 'a', ran), table(1, 'b', ran)])).toThrow(/entry 2 is numbered 1/);
    expect(() => openStoreDatabase(file, [table(2, 'b', ran), table(1, 'a', ran)])).toThrow(/entry 1 is numbered 2/);
    expect(readSchemaVersion(file)).toBe(0);
    expect(ran).toEqual([]);
  });
});
