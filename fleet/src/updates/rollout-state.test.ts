import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { openFleetStore, type FleetStore } from '../store/fleet-store.js';
import { parseStoreLocation } from '../store/store-location.js';
import { createDeployHistory } from './deploy-history.js';
import { createReleaseCatalog } from './releases.js';
import { createRolloutStates, shouldHalt } from './rollout-state.js';
import type { Rollout } from './update-tables.js';
import { writeRelease } from './test-support.js';

describe('shouldHalt', () => {
  it('halts when failures reach the threshold share of the selected devices', () => {
    expect(shouldHalt(0, 10, 20)).toBe(false);
    expect(shouldHalt(1, 10, 20)).toBe(false);
    expect(shouldHalt(2, 10, 20)).toBe(true);
    expect(shouldHalt(1, 5, 20)).toBe(true);
    expect(shouldHalt(4, 5, 100)).toBe(false);
    expect(shouldHalt(5, 5, 100)).toBe(true);
  });

  it('needs at least one failure, and counts an empty selection as one device', () => {
    expect(shouldHalt(0, 0, 0)).toBe(false);
    expect(shouldHalt(1, 0, 20)).toBe(true);
    expect(shouldHalt(1, 1000, 0)).toBe(true);
  });
});

describe('rollout states: force', () => {
  let dir: { path: string; remove: () => void };
  /** The rows as the store would hold them, keyed by channel. */
  let saved: Map<string, Rollout>;
  let failed: number;
  let historyStore: FleetStore;

  /** The store's compare-and-set: changes the channel's row of `version` when `when` holds. */
  const swap = (channel: string, version: string, when: (r: Rollout) => boolean, change: Partial<Rollout>): boolean => {
    const r = saved.get(channel);
    if (!r || r.version !== version || !when(r)) return false;
    saved.set(channel, { ...r, ...change });
    return true;
  };
  const make = () =>
    createRolloutStates({
      store: {
        allRollouts: async () => [...saved.values()],
        rollout: async (channel: string) => saved.get(channel),
        saveRollout: async (r: Rollout) => (saved.set(r.channel, r), 1),
        haltRollout: async (h) => swap(h.channel, h.version, (r) => r.state !== 'halted', { state: 'halted', halted_reason: h.halted_reason, updated_at: h.updated_at }),
        resumeRollout: async (h) => swap(h.channel, h.version, (r) => r.state === 'halted', { state: h.state, halted_reason: null, updated_at: h.updated_at }),
        linkRolloutDeploy: async (channel, version, deployId) => swap(channel, version, (r) => r.deploy_id === null, { deploy_id: deployId }),
      },
      channels: ['stable'],
      failureThreshold: 20,
      releases: createReleaseCatalog(join(dir.path, 'releases')),
      counts: async () => ({ selected: 1, updated: 0, failed, postponed: 0, waiting_window: 0 }),
      devices: async () => [{ device: 'dev-0', status: failed > 0 ? 'failed' : 'pending' }],
      history: createDeployHistory({ store: historyStore, now: () => 1_700_000_000_000 }),
      alerts: { raise: () => undefined, clear: () => undefined },
      log: pino({ level: 'silent' }),
      now: () => 1_700_000_000_000,
    });

  beforeEach(async () => {
    dir = tempDir('outpost-rollout-state-');
    for (const v of ['1.0.0', '1.1.0']) writeRelease(join(dir.path, 'releases'), v);
    saved = new Map();
    failed = 0;
    historyStore = await openFleetStore(parseStoreLocation(join(dir.path, 'history.sqlite')));
  });
  afterEach(async () => {
    await historyStore.close();
    dir.remove();
  });

  it('starts a rollout unforced unless asked, and stores force with it', async () => {
    const states = await make();
    expect(await states.start('stable', '1.0.0', 10)).toMatchObject({ force: false });
    expect(await states.start('stable', '1.0.0', 10, true)).toMatchObject({ force: true, percent: 10 });
    expect(saved.get('stable')).toMatchObject({ force: true });
    // A restart reads it back.
    expect(await (await make()).get('stable')).toMatchObject({ force: true });
  });

  it('keeps force through an operator halt, an automatic halt and a resume', async () => {
    const states = await make();
    await states.start('stable', '1.1.0', 50, true);
    expect(await states.halt('stable')).toMatchObject({ state: 'halted', force: true });
    expect(await states.resume('stable')).toMatchObject({ state: 'active', force: true });
    failed = 1;
    await states.failureReported('stable', '1.1.0');
    expect(saved.get('stable')).toMatchObject({ state: 'halted', force: true });
  });

  it('clears force when a post (a percent move or a re-target) leaves it out', async () => {
    const states = await make();
    await states.start('stable', '1.0.0', 10, true);
    expect(await states.start('stable', '1.0.0', 50)).toMatchObject({ percent: 50, force: false });
    await states.start('stable', '1.0.0', 50, true);
    expect(await states.start('stable', '1.1.0', 10)).toMatchObject({ version: '1.1.0', force: false });
    expect(saved.get('stable')?.force).toBe(false);
  });
});
