// The alert engine's silences and acknowledgements on a real PostgreSQL (fleet/test/postgres-cluster.ts)
// and on SQLite: the same cases.
import { describe } from 'vitest';
import { STORE_KINDS, useTestStores } from '../../test/test-stores.js';
import { alertEngineCases } from './alert-engine.cases.js';

const stores = useTestStores();
describe.each(STORE_KINDS)('alert engine with silences and acknowledgements on %s', (kind) => alertEngineCases(kind, stores));
