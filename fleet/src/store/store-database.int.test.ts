// The store core on a real PostgreSQL (a throwaway cluster, fleet/test/postgres-cluster.ts) and on
// SQLite, the same cases; then what only PostgreSQL has: the version table and the migration lock.
import { describe, expect, it } from 'vitest';
import { STORE_KINDS, useTestStores } from '../../test/test-stores.js';
import { storeDatabaseCases, table } from './store-database.cases.js';
import { openStoreDatabase } from './store-database.js';

const stores = useTestStores();
describe.each(STORE_KINDS)('store database on %s', (kind) => storeDatabaseCases(kind, stores));

describe('store database on postgres: the version table and the lock', () => {
  it('records each migration run, with its owner and description, in schema_migrations', async () => {
    const location = await stores.fresh('postgres');
    const store = await openStoreDatabase(location, [table(1, 'a', []), table(2, 'b', [])]);
    expect(await store.all('SELECT version, owner, description FROM schema_migrations ORDER BY version')).toEqual([
      { version: 1, owner: 'test', description: 'create a' },
      { version: 2, owner: 'test', description: 'create b' },
    ]);
    await store.close();
  });

  it('migrates once when several monitors open one database at the same time', async () => {
    const location = await stores.fresh('postgres');
    const list = () => [table(1, 'a', []), table(2, 'b', []), table(3, 'c', [])];
    const opened = await Promise.all([1, 2, 3].map(() => openStoreDatabase(location, list())));
    // One of them ran the migrations under the lock; the others found them done.
    expect(opened.map((s) => s.schema.from).sort()).toEqual([0, 3, 3]);
    expect(await opened[0]!.all('SELECT version FROM schema_migrations ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    await Promise.all(opened.map((s) => s.close()));
  });
});
