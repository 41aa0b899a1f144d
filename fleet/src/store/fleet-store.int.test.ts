// The fleet store on a real PostgreSQL (a throwaway cluster, fleet/test/postgres-cluster.ts) and on
// SQLite: the same cases, and the same tables and columns on both.
import { describe, expect, it } from 'vitest';
import { peekStore, STORE_KINDS, useTestStores } from '../../test/test-stores.js';
import { fleetStoreCases } from './fleet-store.cases.js';
import { openFleetStore } from './fleet-store.js';

const stores = useTestStores();
describe.each(STORE_KINDS)('fleet store on %s', (kind) => fleetStoreCases(kind, stores));

describe('fleet store on both', () => {
  it('gives PostgreSQL the tables and columns, in order, that SQLite has', async () => {
    const shapes = await Promise.all(
      STORE_KINDS.map(async (kind) => {
        const location = await stores.fresh(kind);
        await (await openFleetStore(location)).close();
        const peek = await peekStore(location);
        try {
          return await peek.columns();
        } finally {
          await peek.close();
        }
      }),
    );
    expect(Object.keys(shapes[0]!)).toContain('devices');
    expect(shapes[1]).toEqual(shapes[0]);
  });
});
