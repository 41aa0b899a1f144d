import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freePort, tempDir } from '../../../device/test/index.js';
import { useTestStores } from '../../test/test-stores.js';
import { storeDatabaseCases, table } from './store-database.cases.js';
import { checkMigrationList, openStoreDatabase, readSchemaVersion } from './store-database.js';
import { StoreTooNewError, StoreUnavailableError } from './store-errors.js';
import { parseStoreLocation } from './store-location.js';

/** A password of the test's own: only its redaction is under test. */
const PW = `pw-${randomBytes(6).toString('hex')}`;

// The cases both stores share run here on SQLite; store-database.int.test.ts runs them on PostgreSQL too.
const stores = useTestStores();
describe.each(['sqlite'] as const)('store database on %s', (kind) => storeDatabaseCases(kind, stores));

describe('store database on sqlite: the file', () => {
  it('creates the file, and its directory, in WAL mode', async () => {
    const dir = tempDir('outpost-store-db-');
    try {
      const location = parseStoreLocation(join(dir.path, 'nested', 'fleet.sqlite'));
      await (await openStoreDatabase(location, [table(1, 'a', [])])).close();
      const db = new Database(join(dir.path, 'nested', 'fleet.sqlite'), { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(1);
      db.close();
    } finally {
      dir.remove();
    }
  });

  it('leaves the journal mode of a file a newer release has migrated as it was', async () => {
    const dir = tempDir('outpost-store-db-');
    try {
      const file = join(dir.path, 'fleet.sqlite');
      await (await openStoreDatabase(parseStoreLocation(file), [table(1, 'a', []), table(2, 'b', [])])).close();
      const db = new Database(file);
      db.pragma('journal_mode = DELETE');
      db.close();
      await expect(openStoreDatabase(parseStoreLocation(file), [table(1, 'a', [])])).rejects.toBeInstanceOf(StoreTooNewError);
      const after = new Database(file, { readonly: true });
      expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
      after.close();
    } finally {
      dir.remove();
    }
  });

  it('reads the schema version of a file without creating one', async () => {
    const dir = tempDir('outpost-store-db-');
    try {
      const file = join(dir.path, 'fleet.sqlite');
      expect(await readSchemaVersion(parseStoreLocation(file))).toBe(0);
      expect(() => new Database(file, { fileMustExist: true })).toThrow();
    } finally {
      dir.remove();
    }
  });
});

describe('store database', () => {
  it('refuses a migration list that skips, repeats or reorders a number before opening anything', async () => {
    const dir = tempDir('outpost-store-db-');
    try {
      const location = parseStoreLocation(join(dir.path, 'fleet.sqlite'));
      const ran: number[] = [];
      expect(() => checkMigrationList([table(1, 'a', ran), table(3, 'c', ran)])).toThrow(/entry 2 is numbered 3/);
      expect(() => checkMigrationList([table(1, 'a', ran), table(1, 'b', ran)])).toThrow(/entry 2 is numbered 1/);
      await expect(openStoreDatabase(location, [table(2, 'b', ran), table(1, 'a', ran)])).rejects.toThrow(/entry 1 is numbered 2/);
      expect(await readSchemaVersion(location)).toBe(0);
      expect(ran).toEqual([]);
    } finally {
      dir.remove();
    }
  });

  it('says which PostgreSQL store it cannot reach, without its password', async () => {
    // Nothing listens on a port just found free: the connection is refused at once.
    const port = await freePort();
    const err = await openStoreDatabase(parseStoreLocation(`postgres://outpost:${PW}@127.0.0.1:${port}/fleet`), [table(1, 'a', [])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`^OUTPOST_FLEET_DB: cannot open the store at postgres://outpost:\\*\\*\\*@127\\.0\\.0\\.1:${port}/fleet: .*ECONNREFUSED`));
    expect((err as Error).message).not.toContain(PW);
  });
});
