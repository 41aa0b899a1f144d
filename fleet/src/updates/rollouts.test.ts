import { describe } from 'vitest';
import { useTestStores } from '../../test/test-stores.js';
import { rolloutServiceCases } from './rollouts.cases.js';

// rollouts.int.test.ts runs the same cases on PostgreSQL too.
const stores = useTestStores();
describe.each(['sqlite'] as const)('rollout service on %s', (kind) => rolloutServiceCases(kind, stores));
