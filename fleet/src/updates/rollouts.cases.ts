// The rollout service over a real store, alone and as two monitors sharing it, the same on SQLite
// and PostgreSQL: rollouts.test.ts runs these cases on SQLite (unit), rollouts.int.test.ts on both
// (describe.each over STORE_KINDS).
import { rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import type { StoreKind, TestStores } from '../../test/test-stores.js';
import type { Device } from '../devices/device-registry.js';
import { openFleetStore, type FleetStore } from '../store/fleet-store.js';
import type { StoreLocation } from '../store/store-location.js';
import { isSelected } from './rollout-selection.js';
import { createRolloutService, type RolloutService } from './rollouts.js';
import { ReleaseChecksumMismatchError, ReleaseNotFoundError, ReleaseNotSignedError, RolloutNotFoundError, UnknownChannelError } from './update-errors.js';
import { writeRelease } from './test-support.js';

type Raised = { key: string; deviceId: string | null; rule: string; severity: string; title: string; message: string };

/** Alerts as the alert engine keeps them: open by key; `raised` counts every raise. */
function fakeAlerts() {
  const open = new Map<string, Raised>();
  const raised: string[] = [];
  return {
    open,
    raised,
    raise: (key: string, deviceId: string | null, d: Omit<Raised, 'key' | 'deviceId'>) => {
      raised.push(key);
      open.set(key, { key, deviceId, ...d });
    },
    clear: (key: string) => void open.delete(key),
  };
}

function device(id: string, channel?: string): Pick<Device, 'id' | 'health'> {
  const lastStatus = channel ? { appliance: { update: { channel } } } : null;
  return { id, health: { lastStatus } } as unknown as Pick<Device, 'id' | 'health'>;
}

const ids = (n: number, prefix = 'dev-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

export function rolloutServiceCases(kind: StoreKind, stores: TestStores): void {
  let dir: { path: string; remove: () => void };
  let releasesDir: string;
  let location: StoreLocation;
  let store: FleetStore;
  let alerts: ReturnType<typeof fakeAlerts>;
  let registry: Array<Pick<Device, 'id' | 'health'> & Partial<Pick<Device, 'groups' | 'labels'>>>;
  let svc: RolloutService;
  let clock: number;

  const make = (failureThreshold = 20) =>
    createRolloutService({
      store,
      config: { updates: { channels: ['stable', 'beta'], failureThreshold, releasesDir } },
      registry: { all: () => registry, get: (id) => registry.find((d) => d.id === id) },
      alerts,
      log: pino({ level: 'silent' }),
      now: () => clock,
    });

  beforeEach(async () => {
    dir = tempDir('outpost-rollouts-');
    releasesDir = join(dir.path, 'releases');
    location = await stores.fresh(kind);
    store = await openFleetStore(location);
    alerts = fakeAlerts();
    registry = ids(10).map((id) => device(id));
    clock = 1_700_000_000_000;
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) writeRelease(releasesDir, v);
    svc = await make();
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  const pick = (version: string, percent: number, want: boolean) => {
    const id = ids(1000, 'kiosk-').find((d) => isSelected('stable', version, d, percent) === want);
    if (!id) throw new Error('no such device');
    return id;
  };

  it('offers nothing (stay) before any rollout, and refuses unknown channels', async () => {
    expect(await svc.manifest('stable', 'kiosk-1')).toMatchObject({ version: null, release: null, rollout: null });
    await expect(svc.manifest('nightly', 'kiosk-1')).rejects.toBeInstanceOf(UnknownChannelError);
    await expect(svc.start('nightly', '1.0.0', 10)).rejects.toBeInstanceOf(UnknownChannelError);
    await expect(svc.halt('stable')).rejects.toBeInstanceOf(RolloutNotFoundError);
  });

  it('gives selected devices the new version and the others the previous complete one', async () => {
    await svc.start('stable', '1.0.0', 100);
    const r = await svc.start('stable', '1.1.0', 50);
    expect(r).toMatchObject({ version: '1.1.0', percent: 50, state: 'active', previous_version: '1.0.0' });

    const inside = await svc.manifest('stable', pick('1.1.0', 50, true));
    expect(inside).toMatchObject({ version: '1.1.0', selected: true, rollout: { percent: 50, state: 'active' } });
    expect(inside.release).toMatchObject({ file: 'outpost-1.1.0-linux-x64.tar.gz', signed: true });
    const outside = await svc.manifest('stable', pick('1.1.0', 50, false));
    expect(outside).toMatchObject({ version: '1.0.0', selected: false });
    expect(outside.release?.file).toBe('outpost-1.0.0-linux-x64.tar.gz');
  });

  it('forces only the devices a forced rollout selects, and none while it is halted', async () => {
    await svc.start('stable', '1.0.0', 100);
    expect(await svc.start('stable', '1.1.0', 50, true)).toMatchObject({ force: true });
    const inside = pick('1.1.0', 50, true);
    const outside = pick('1.1.0', 50, false);
    expect(await svc.manifest('stable', inside)).toMatchObject({ version: '1.1.0', selected: true, force: true });
    // Kept on the previous version: it drains as usual.
    expect(await svc.manifest('stable', outside)).toMatchObject({ version: '1.0.0', selected: false, force: false });
    await svc.halt('stable');
    expect(await svc.manifest('stable', inside)).toMatchObject({ version: '1.0.0', force: false });
    await svc.resume('stable');
    expect(await svc.manifest('stable', inside)).toMatchObject({ version: '1.1.0', force: true });
    // Raising the percent without force clears it.
    await svc.start('stable', '1.1.0', 75);
    expect(await svc.manifest('stable', inside)).toMatchObject({ version: '1.1.0', force: false });
  });

  it('forces nobody before any rollout or when the release to force is gone', async () => {
    expect(await svc.manifest('stable', 'kiosk-1')).toMatchObject({ force: false });
    await svc.start('stable', '1.0.0', 100, true);
    expect(await svc.manifest('stable', 'kiosk-1')).toMatchObject({ version: '1.0.0', force: true });
    rmSync(join(releasesDir, 'outpost-1.0.0-linux-x64.tar.gz'));
    utimesSync(releasesDir, new Date(), new Date(Date.now() + 5000));
    expect(await svc.manifest('stable', 'kiosk-1')).toMatchObject({ version: null, selected: true, force: false });
  });

  it('tells unselected devices to stay when the channel has no complete version yet', async () => {
    await svc.start('stable', '1.0.0', 10);
    expect(await svc.manifest('stable', pick('1.0.0', 10, false))).toMatchObject({ version: null, release: null, selected: false });
  });

  it('offers everyone the previous version while halted, and the rollout again once resumed', async () => {
    await svc.start('stable', '1.0.0', 100);
    await svc.start('stable', '1.1.0', 50);
    const inside = pick('1.1.0', 50, true);
    expect(await svc.halt('stable', 'bad build')).toMatchObject({ state: 'halted', halted_reason: 'bad build' });
    expect(await svc.manifest('stable', inside)).toMatchObject({ version: '1.0.0', selected: false, rollout: { state: 'halted' } });
    expect(await svc.resume('stable')).toMatchObject({ state: 'active', halted_reason: null });
    expect(await svc.manifest('stable', inside)).toMatchObject({ version: '1.1.0', selected: true });
  });

  it('remembers the last complete version across re-targets, percent moves and restarts', async () => {
    await svc.start('stable', '1.0.0', 100);
    clock += 1000;
    await svc.start('stable', '1.1.0', 10);
    const started = (await svc.get('stable')).started_at;
    clock += 1000;
    // An incomplete rollout replaced by another: 1.0.0 is still what the channel last completed.
    await svc.start('stable', '1.2.0', 10);
    expect((await svc.get('stable'))).toMatchObject({ version: '1.2.0', previous_version: '1.0.0' });
    clock += 1000;
    expect(await svc.start('stable', '1.2.0', 100)).toMatchObject({ state: 'complete', previous_version: '1.0.0', started_at: started + 1000 });
    await svc.start('stable', '1.1.0', 25);
    expect((await svc.get('stable'))).toMatchObject({ version: '1.1.0', previous_version: '1.2.0' });
    await svc.start('stable', '1.1.0', 25, true);
    // A new service on the same database (a restart) migrates nothing twice and knows the same.
    expect(await (await make()).get('stable')).toMatchObject({ version: '1.1.0', percent: 25, previous_version: '1.2.0', force: true });
  });

  it('refuses releases that are missing, unsigned or do not match their checksum', async () => {
    await expect(svc.start('stable', '9.9.9', 10)).rejects.toBeInstanceOf(ReleaseNotFoundError);
    writeRelease(releasesDir, '2.0.0', { signed: false });
    await expect(svc.start('stable', '2.0.0', 10)).rejects.toBeInstanceOf(ReleaseNotSignedError);
    writeRelease(releasesDir, '2.0.1', { sha256: 'f'.repeat(64) });
    await expect(svc.start('stable', '2.0.1', 10)).rejects.toBeInstanceOf(ReleaseChecksumMismatchError);
    expect((await svc.list())).toEqual([]);
  });

  it('reports the settled stable version as the drift target', async () => {
    expect(svc.targetVersion()).toBeNull();
    await svc.start('stable', '1.0.0', 50);
    expect(svc.targetVersion()).toBeNull();
    await svc.start('stable', '1.0.0', 100);
    expect(svc.targetVersion()).toBe('1.0.0');
    await svc.start('stable', '1.1.0', 50);
    expect(svc.targetVersion()).toBe('1.0.0');
    await svc.start('beta', '1.2.0', 100);
    expect(svc.targetVersion()).toBe('1.0.0');
  });

  it('raises a device alert on a rolled back update and clears it once the device updates', async () => {
    await svc.report({ device: 'kiosk-7', channel: 'stable', from_version: '1.0.0', to_version: '1.1.0', result: 'rolled_back', message: 'health check timed out' });
    expect(alerts.open.get('device:kiosk-7:update')).toMatchObject({ rule: 'update', severity: 'warning', title: 'kiosk-7: update to 1.1.0 rolled back', message: 'health check timed out' });
    await svc.report({ device: 'kiosk-7', channel: 'stable', to_version: '1.1.0', result: 'current' });
    expect(alerts.open.has('device:kiosk-7:update')).toBe(true);
    await svc.report({ device: 'kiosk-7', channel: 'stable', from_version: '1.0.0', to_version: '1.1.0', result: 'updated' });
    expect(alerts.open.has('device:kiosk-7:update')).toBe(false);
    await svc.report({ device: 'kiosk-8', to_version: '1.1.0', result: 'refused', message: 'bad signature' });
    expect(alerts.open.get('device:kiosk-8:update')?.title).toBe('kiosk-8: update to 1.1.0 refused');
    expect(await store.reports(0, 10)).toHaveLength(4);
  });

  it('halts the rollout once failures reach the threshold of the selected devices', async () => {
    registry = ids(40).map((id) => device(id));
    await svc.start('stable', '1.0.0', 100);
    // (About 20 selected: one failure alone stays under the 20% threshold.)
    await svc.start('stable', '1.1.0', 50);
    const selected = registry.map((d) => d.id).filter((id) => isSelected('stable', '1.1.0', id, 50));
    const needed = Math.ceil(selected.length * 0.2);
    expect((await svc.get('stable')).selected).toBe(selected.length);
    // A device that failed and then succeeded on a retry is not a failure.
    await svc.report({ device: selected[needed]!, channel: 'stable', to_version: '1.1.0', result: 'rolled_back' });
    await svc.report({ device: selected[needed]!, channel: 'stable', to_version: '1.1.0', result: 'updated' });
    for (const id of selected.slice(0, needed - 1)) await svc.report({ device: id, channel: 'stable', to_version: '1.1.0', result: 'failed' });
    expect((await svc.get('stable'))).toMatchObject({ state: 'active', failed: needed - 1, updated: 1 });
    expect(alerts.open.has('rollout:stable')).toBe(false);

    await svc.report({ device: selected[needed - 1]!, channel: 'stable', to_version: '1.1.0', result: 'rolled_back', message: 'new version never became healthy' });
    const r = (await svc.get('stable'));
    expect(r).toMatchObject({ state: 'halted', halted_reason: `${needed} of ${selected.length} devices failed to update to 1.1.0`, failed: needed });
    expect(alerts.open.get('rollout:stable')).toMatchObject({ rule: 'rollout', severity: 'critical', deviceId: null });
  });

  it('halts on a refused release, so the next rollout falls back to the last good version', async () => {
    registry = ids(4).map((id) => device(id));
    await svc.start('stable', '1.0.0', 100);
    await svc.start('stable', '1.1.0', 100);
    await svc.report({ device: 'dev-0', channel: 'stable', to_version: '1.1.0', result: 'refused', message: 'bad signature' });
    expect((await svc.get('stable'))).toMatchObject({ state: 'halted', previous_version: '1.0.0' });
    await svc.start('stable', '1.2.0', 100);
    expect((await svc.get('stable')).previous_version).toBe('1.0.0');
  });

  it('counts failed devices the registry does not know among the selected', async () => {
    registry = [];
    await svc.start('stable', '1.1.0', 50);
    await svc.report({ device: 'stranger', channel: 'stable', to_version: '1.1.0', result: 'failed' });
    expect((await svc.get('stable'))).toMatchObject({ state: 'halted', halted_reason: '1 of 1 devices failed to update to 1.1.0', selected: 1 });
  });

  it('leaves devices that report another channel out of the selected count', async () => {
    registry = [...ids(20).map((id) => device(id, 'beta')), device('mine-0', 'stable')];
    await svc.start('stable', '1.1.0', 100);
    expect((await svc.get('stable')).selected).toBe(1);
  });

  it('halts a rollout at 100% that fails, and ignores failures of other versions and channels', async () => {
    registry = ids(4).map((id) => device(id));
    await svc.start('stable', '1.1.0', 100);
    await svc.report({ device: 'dev-0', channel: 'stable', to_version: '1.1.0', result: 'failed' });
    expect((await svc.get('stable')).state).toBe('halted');
    await svc.start('stable', '1.2.0', 50);
    await svc.report({ device: 'dev-1', channel: 'stable', to_version: '1.1.0', result: 'failed' });
    await svc.report({ device: 'dev-2', channel: 'beta', to_version: '1.2.0', result: 'failed' });
    expect((await svc.get('stable')).state).toBe('active');
  });

  it('does not halt again on success reports after an operator resumes, but does on a new failure', async () => {
    registry = ids(10).map((id) => device(id));
    await svc.start('stable', '1.1.0', 100);
    await svc.start('stable', '1.1.0', 90);
    const selected = registry.map((d) => d.id).filter((id) => isSelected('stable', '1.1.0', id, 90));
    for (const id of selected.slice(0, 3)) await svc.report({ device: id, channel: 'stable', to_version: '1.1.0', result: 'failed' });
    expect((await svc.get('stable')).state).toBe('halted');
    await svc.resume('stable');
    expect(alerts.open.has('rollout:stable')).toBe(false);
    await svc.report({ device: selected[3]!, channel: 'stable', to_version: '1.1.0', result: 'updated' });
    expect((await svc.get('stable')).state).toBe('active');
    await svc.report({ device: selected[4]!, channel: 'stable', to_version: '1.1.0', result: 'failed' });
    expect((await svc.get('stable')).state).toBe('halted');
  });

  it('tells devices to stay when the offered release has been removed', async () => {
    await svc.start('stable', '1.0.0', 100);
    rmSync(join(releasesDir, 'outpost-1.0.0-linux-x64.tar.gz'));
    utimesSync(releasesDir, new Date(), new Date(Date.now() + 5000));
    expect(await svc.manifest('stable', 'kiosk-1')).toMatchObject({ version: null, selected: true });
  });

  describe('targeting', () => {
    const tagged = (id: string, site: string, group = 'kiosks') => ({ ...device(id), groups: [group], labels: { site } });

    it('offers the version only to the target, and tells everyone else to stay on the previous version', async () => {
      registry = [...ids(20, 'lab-').map((id) => tagged(id, 'lab')), ...ids(20, 'shop-').map((id) => tagged(id, 'shop'))];
      await svc.start('stable', '1.0.0', 100);
      const r = await svc.start('stable', '1.1.0', 100, false, { target: { labels: { site: 'lab' } } });
      expect(r).toMatchObject({ target: { labels: { site: 'lab' } }, selected: 20 });
      expect(await svc.manifest('stable', 'lab-3')).toMatchObject({ version: '1.1.0', selected: true });
      expect(await svc.manifest('stable', 'shop-3')).toMatchObject({ version: '1.0.0', selected: false });
      expect(await svc.manifest('stable', 'stranger')).toMatchObject({ version: '1.0.0', selected: false });
    });

    it('takes the failure rate over the selected devices only', async () => {
      registry = [...ids(10, 'lab-').map((id) => tagged(id, 'lab', 'lab')), ...ids(30, 'shop-').map((id) => tagged(id, 'shop', 'shop'))];
      await svc.start('stable', '1.1.0', 100, false, { target: { group: 'lab' } });
      // A device outside the target that reports a failure is not part of this rollout.
      await svc.report({ device: 'shop-0', channel: 'stable', to_version: '1.1.0', result: 'failed' });
      await svc.report({ device: 'shop-1', channel: 'stable', to_version: '1.1.0', result: 'failed' });
      expect((await svc.get('stable'))).toMatchObject({ state: 'complete', selected: 10, failed: 0 });
      await svc.report({ device: 'lab-0', channel: 'stable', to_version: '1.1.0', result: 'failed' });
      expect((await svc.get('stable')).state).toBe('complete');
      await svc.report({ device: 'lab-1', channel: 'stable', to_version: '1.1.0', result: 'rolled_back' });
      expect((await svc.get('stable'))).toMatchObject({ state: 'halted', halted_reason: '2 of 10 devices failed to update to 1.1.0' });
      const halt = (await svc.history.list('stable', 1))[0]!.events.find((e) => e.kind === 'halted');
      expect(halt).toMatchObject({ message: expect.stringContaining('halted automatically: 2 of 10'), devices: ['lab-0', 'lab-1'] });
    });
  });

  describe('deploy history', () => {
    it('records who started a rollout, each change, and its end when superseded', async () => {
      await svc.start('stable', '1.0.0', 10, false, { startedBy: 'ops' });
      clock += 1000;
      await svc.start('stable', '1.0.0', 50, true, { startedBy: 'ops' });
      await svc.halt('stable', 'checking logs');
      await svc.resume('stable');
      await svc.start('stable', '1.1.0', 20, false, { target: { group: 'kiosks' } });
      const [newer, older] = (await svc.history.list('stable', 10));
      expect(newer).toMatchObject({ source: 'rollout', channel: 'stable', version: '1.1.0', started_by: 'admin', ended_at: null, outcome: null, target: { group: 'kiosks' } });
      expect(older).toMatchObject({ version: '1.0.0', started_by: 'ops', started_at: 1_700_000_000_000, outcome: 'superseded', ended_at: clock });
      expect(older!.events.map((e) => e.kind)).toEqual(['started', 'percent', 'force', 'halted', 'resumed', 'superseded']);
      expect(older!.events[1]!.message).toBe('percent raised from 10% to 50% by ops');
      expect(older!.events[3]!.message).toBe('halted by admin: checking logs');
      expect((await svc.history.list('beta', 10))).toEqual([]);
    });

    it('ends a rollout completed once every selected device reports updated', async () => {
      registry = ids(3).map((id) => device(id));
      await svc.start('stable', '1.1.0', 100);
      await svc.report({ device: 'dev-0', channel: 'stable', to_version: '1.1.0', result: 'updated' });
      await svc.report({ device: 'dev-1', channel: 'stable', to_version: '1.1.0', result: 'postponed' });
      expect((await svc.history.list('stable', 1))[0]!.outcome).toBeNull();
      await svc.report({ device: 'dev-1', channel: 'stable', to_version: '1.1.0', result: 'updated' });
      await svc.report({ device: 'dev-2', channel: 'stable', to_version: '1.1.0', result: 'updated' });
      const [entry] = (await svc.history.list('stable', 1));
      expect(entry).toMatchObject({ outcome: 'completed', ended_at: clock });
      expect(entry!.events.at(-1)!.message).toBe('completed: all 3 selected devices updated to 1.1.0');
    });

    it('lists a device\'s reports newest first', async () => {
      await svc.start('stable', '1.1.0', 100);
      await svc.report({ device: 'dev-0', channel: 'stable', to_version: '1.1.0', result: 'postponed' });
      clock += 1;
      await svc.report({ device: 'dev-0', channel: 'stable', to_version: '1.1.0', result: 'updated' });
      await svc.report({ device: 'dev-1', channel: 'stable', to_version: '1.1.0', result: 'failed' });
      expect((await svc.deviceReports('dev-0', 10)).map((r) => r.result)).toEqual(['updated', 'postponed']);
    });
  });

  describe('two monitors', () => {
    // A second service on its own connection to the same store, with its own alerts: another monitor.
    let other: { store: FleetStore; alerts: ReturnType<typeof fakeAlerts>; svc: RolloutService };
    beforeEach(async () => {
      const otherStore = await openFleetStore(location);
      const otherAlerts = fakeAlerts();
      const otherSvc = await createRolloutService({
        store: otherStore,
        config: { updates: { channels: ['stable', 'beta'], failureThreshold: 10, releasesDir } },
        registry: { all: () => registry, get: (id) => registry.find((d) => d.id === id) },
        alerts: otherAlerts,
        log: pino({ level: 'silent' }),
        now: () => clock,
      });
      other = { store: otherStore, alerts: otherAlerts, svc: otherSvc };
    });
    afterEach(async () => {
      await other.store.close();
    });

    it("serves a halt made on the other monitor once refreshed, and resumes from the store's row", async () => {
      await svc.start('stable', '1.0.0', 100);
      await svc.start('stable', '1.1.0', 50);
      const inside = pick('1.1.0', 50, true);
      await other.svc.refresh();
      expect(await other.svc.manifest('stable', inside)).toMatchObject({ version: '1.1.0', selected: true });
      await svc.halt('stable', 'bad build');
      // Until its next refresh (a cluster tick), the other monitor serves what it last read.
      expect(await other.svc.manifest('stable', inside)).toMatchObject({ version: '1.1.0' });
      await other.svc.refresh();
      expect(await other.svc.manifest('stable', inside)).toMatchObject({ version: '1.0.0', selected: false, rollout: { state: 'halted' } });
      // Resumed on the first monitor, which has not refreshed: it reads the row in its turn.
      expect(await other.svc.resume('stable')).toMatchObject({ state: 'active' });
      expect(await svc.halt('stable', 'again')).toMatchObject({ state: 'halted', halted_reason: 'again' });
      expect((await svc.history.list('stable', 1))[0]!.events.map((e) => e.kind)).toEqual(['started', 'halted', 'resumed', 'halted']);
    });

    it('halts once when failure reports reach both monitors at once: one history event, one alert', async () => {
      svc = await make(10);
      registry = ids(10).map((id) => device(id));
      await svc.start('stable', '1.1.0', 100);
      await other.svc.refresh();
      // Each report alone reaches the threshold.
      await Promise.all([
        svc.report({ device: 'dev-0', channel: 'stable', to_version: '1.1.0', result: 'failed' }),
        other.svc.report({ device: 'dev-1', channel: 'stable', to_version: '1.1.0', result: 'rolled_back' }),
      ]);
      expect(await svc.get('stable')).toMatchObject({ state: 'halted' });
      expect(await other.svc.get('stable')).toMatchObject({ state: 'halted' });
      const rolloutRaises = () => [...alerts.raised, ...other.alerts.raised].filter((k) => k.startsWith('rollout:'));
      expect(rolloutRaises()).toEqual(['rollout:stable']);
      const [entry] = await svc.history.list('stable', 1);
      expect(entry!.events.filter((e) => e.kind === 'halted')).toHaveLength(1);
      // Later reports on either side halt nothing more.
      await other.svc.report({ device: 'dev-2', channel: 'stable', to_version: '1.1.0', result: 'failed' });
      await svc.report({ device: 'dev-3', channel: 'stable', to_version: '1.1.0', result: 'failed' });
      expect(rolloutRaises()).toEqual(['rollout:stable']);
    });

    it('completes a rollout once when the last reports reach both monitors at once', async () => {
      registry = ids(2).map((id) => device(id));
      await svc.start('stable', '1.1.0', 100);
      await other.svc.refresh();
      await svc.report({ device: 'dev-0', channel: 'stable', to_version: '1.1.0', result: 'updated' });
      await Promise.all([
        svc.report({ device: 'dev-1', channel: 'stable', to_version: '1.1.0', result: 'updated' }),
        other.svc.report({ device: 'dev-1', channel: 'stable', to_version: '1.1.0', result: 'updated' }),
      ]);
      const [entry] = await svc.history.list('stable', 1);
      expect(entry).toMatchObject({ outcome: 'completed' });
      expect(entry!.events.filter((e) => e.kind === 'completed')).toHaveLength(1);
    });
  });
}
