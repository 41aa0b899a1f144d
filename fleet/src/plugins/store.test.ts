import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { MIGRATIONS } from '../store/migrations.js';
import { StoreTooNewError } from '../store/store-errors.js';
import { oneDeviceFleet } from '../../test/test-fleet.js';

describe('store plugin', () => {
  it('does not start on a store that a newer release has migrated, and says which variable to look at', async () => {
    const dir = tempDir('outpost-fleet-plugin-');
    try {
      const db = new Database(join(dir.path, 'fleet.sqlite'));
      db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      db.close();
      const built = oneDeviceFleet(dir.path);
      await expect(built).rejects.toBeInstanceOf(StoreTooNewError);
      await expect(built).rejects.toThrow(/^OUTPOST_FLEET_DB: /);
    } finally {
      dir.remove();
    }
  });
});
