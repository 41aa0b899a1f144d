// The rollout service on a real PostgreSQL (fleet/test/postgres-cluster.ts) and on SQLite: the same cases.
import { describe } from 'vitest';
import { STORE_KINDS, useTestStores } from '../../test/test-stores.js';
import { rolloutServiceCases } from './rollouts.cases.js';

const stores = useTestStores();
describe.each(STORE_KINDS)('rollout service on %s', (kind) => rolloutServiceCases(kind, stores));
