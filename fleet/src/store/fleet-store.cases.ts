// The fleet store's behaviour, the same on SQLite and PostgreSQL: its tables (devices, alerts,
// updates), the per-cycle batch, pruning, the migrations after the first. fleet-store.test.ts runs
// these cases on SQLite (unit), fleet-store.int.test.ts on both (describe.each over STORE_KINDS).
import { beforeEach, expect, it } from 'vitest';
import { peekStore, type StoreKind, type StorePeek, type TestStores } from '../../test/test-stores.js';
import type { DeviceRow } from '../monitor/device-tables.js';
import { checkFleetStoreVersion, openFleetStore } from './fleet-store.js';
import { MIGRATIONS } from './migrations.js';
import { openStoreDatabase, readSchemaVersion } from './store-database.js';
import { StoreTooNewError } from './store-errors.js';
import type { StoreLocation } from './store-location.js';

export const LATEST = MIGRATIONS.length;
export const HOUR = 3_600_000;
export const T = 1_700_000_000_000;

const device = (id: string, over: Partial<DeviceRow> = {}): DeviceRow => ({
  id,
  status: 'online',
  reason: null,
  version: '1.0.0',
  last_seen: T,
  last_status: null,
  failures: 0,
  successes: 1,
  updated_at: T,
  polled_by: 'm1',
  flips: null,
  ...over,
});
const snapshot = (deviceId: string, ts: number) => ({
  device_id: deviceId,
  ts,
  status: 'online' as const,
  cpu_pct: 12.5,
  mem_pct: 40.25,
  disk_pct: 3,
  temperature_c: 41.5,
  sessions_active: 2,
  latency_ms: 5.125,
  version: '1.0.0',
});

export function fleetStoreCases(kind: StoreKind, stores: TestStores): void {
  let location: StoreLocation;
  const peek = async <R>(fn: (p: StorePeek) => Promise<R>): Promise<R> => {
    const p = await peekStore(location);
    try {
      return await fn(p);
    } finally {
      await p.close();
    }
  };
  beforeEach(async () => {
    location = await stores.fresh(kind);
  });

  it('keeps its data and schema version across reopening', async () => {
    const store = await openFleetStore(location);
    expect(store.schema).toEqual({ from: 0, to: LATEST });
    await store.writeBatch([device('kiosk-1')], [], []);
    await store.close();
    const again = await openFleetStore(location);
    expect(again.schema).toEqual({ from: LATEST, to: LATEST });
    expect(await again.devices()).toEqual([device('kiosk-1')]);
    await again.close();
  });

  it("writes a poll cycle's batch in one transaction: all of it or, when a row is refused, none", async () => {
    const store = await openFleetStore(location);
    const refused = { device_id: 'kiosk-2', ts: T, from_status: 'online' as const, to_status: null as unknown as 'offline', reason: null };
    await expect(store.writeBatch([device('kiosk-1'), device('kiosk-2')], [snapshot('kiosk-1', T)], [refused])).rejects.toThrow(/NOT NULL|not-null/);
    expect(await store.devices()).toEqual([]);
    expect(await store.history('kiosk-1', 0)).toEqual([]);

    await store.writeBatch([device('kiosk-1'), device('kiosk-2')], [snapshot('kiosk-1', T)], [{ ...refused, to_status: 'suspect' }]);
    expect((await store.devices()).map((d) => d.id)).toEqual(['kiosk-1', 'kiosk-2']);
    const { device_id: _, ...stored } = snapshot('kiosk-1', T);
    expect(await store.history('kiosk-1', 0)).toEqual([stored]);
    expect(await store.transitions('kiosk-2', 0)).toEqual([{ device_id: 'kiosk-2', ts: T, from_status: 'online', to_status: 'suspect', reason: null }]);
    await store.close();
  });

  it("updates a device's row on the next cycle, keeping its last status when the poll brought none", async () => {
    const store = await openFleetStore(location);
    await store.writeBatch([device('kiosk-1', { last_status: '{"schema":1}' })], [], []);
    await store.writeBatch([device('kiosk-1', { status: 'suspect', reason: 'no answer: timeout', failures: 1, successes: 0, last_status: null, updated_at: T + 1 })], [], []);
    expect(await store.devices()).toEqual([device('kiosk-1', { status: 'suspect', reason: 'no answer: timeout', failures: 1, successes: 0, last_status: '{"schema":1}', updated_at: T + 1 })]);
    await store.forgetDevice('kiosk-1');
    expect(await store.devices()).toEqual([]);
    await store.close();
  });

  it('writes a cycle of 10,000 devices in one batch', async () => {
    const store = await openFleetStore(location);
    const ids = Array.from({ length: 10_000 }, (_, i) => `kiosk-${String(i).padStart(5, '0')}`);
    await store.writeBatch(
      ids.map((id) => device(id)),
      ids.map((id) => snapshot(id, T)),
      [],
    );
    await store.writeBatch(
      ids.map((id) => device(id, { status: 'offline', updated_at: T + 1 })),
      [],
      [],
    );
    const rows = await store.devices();
    expect(rows).toHaveLength(10_000);
    expect(rows.every((d) => d.status === 'offline')).toBe(true);
    expect(await store.history('kiosk-09999', 0)).toHaveLength(1);
    await store.close();
  });

  it('keeps one open alert per key, and gives ids back as numbers', async () => {
    const store = await openFleetStore(location);
    const alert = { key: 'offline:kiosk-2', device_id: 'kiosk-2', rule: 'device_offline', severity: 'critical' as const, title: 'kiosk-2 is offline', message: 'no answer', opened_at: T };
    const id = await store.openAlert(alert);
    expect(typeof id).toBe('number');
    await expect(store.openAlert(alert)).rejects.toThrow(/UNIQUE|unique constraint/);
    await store.updateAlert({ id, severity: 'warning', title: 'kiosk-2 again', message: 'still no answer' });
    await store.ackAlert(id, T + 1, 'admin');
    await store.markNotified(id, T + 2);
    await store.recordNotification({ alert_id: id, kind: 'open', channel: 'webhook', ts: T + 2, ok: 1, attempts: 1, error: null });
    expect(await store.openAlerts()).toEqual([
      { id, ...alert, severity: 'warning', title: 'kiosk-2 again', message: 'still no answer', resolved_at: null, last_notified_at: T + 2, notify_count: 1, acked_at: T + 1, acked_by: 'admin' },
    ]);
    expect(await store.notifications(10)).toEqual([{ alert_id: id, kind: 'open', channel: 'webhook', ts: T + 2, ok: 1, attempts: 1, error: null }]);
    await store.resolveAlert(id, T + 3);
    // Resolved, the key is free again.
    const second = await store.openAlert({ ...alert, opened_at: T + 4 });
    expect(second).toBeGreaterThan(id);
    expect((await store.resolvedAlerts(10)).map((a) => a.id)).toEqual([id]);
    expect((await store.deviceAlerts('kiosk-2', 10)).map((a) => a.id)).toEqual([second, id]);
    await store.close();
  });

  it('opens a key once whichever monitor asks, and resolves a row once whichever closes it', async () => {
    // Two stores on one database: two monitors.
    const [a, b] = [await openFleetStore(location), await openFleetStore(location)];
    const alert = { key: 'rollout:stable', device_id: null, rule: 'rollout', severity: 'critical' as const, title: 'halted', message: 'm', opened_at: T };
    const both = await Promise.all([a.openAlertOnce(alert), b.openAlertOnce({ ...alert, opened_at: T + 1 })]);
    expect(both.map((r) => r.inserted).sort()).toEqual([false, true]);
    const first = both.find((r) => r.inserted)!.row;
    expect(both.map((r) => r.row.id)).toEqual([first.id, first.id]);
    expect(first).toMatchObject({ resolved_at: null, last_notified_at: null, notify_count: 0, acked_at: null });
    await a.markNotified(first.id, T + 2);
    expect(await b.openAlertOnce({ ...alert, title: 'other' })).toEqual({ inserted: false, row: { ...first, last_notified_at: T + 2, notify_count: 1 } });
    expect(await a.openAlerts()).toHaveLength(1);

    expect(await a.resolveAlert(first.id, T + 3)).toBe(1);
    expect(await b.resolveAlert(first.id, T + 4)).toBe(0);
    expect((await b.alert(first.id))?.resolved_at).toBe(T + 3);
    const reopened = await b.openAlertOnce(alert);
    expect(reopened).toMatchObject({ inserted: true, row: { key: alert.key } });
    expect((await a.resolveOpenAlert(alert.key, T + 5)).map((r) => [r.id, r.resolved_at])).toEqual([[reopened.row.id, T + 5]]);
    expect(await b.resolveOpenAlert(alert.key, T + 6)).toEqual([]);
    await a.close();
    await b.close();
  });

  it('keeps silences with their matchers, and ends one early, a planned one from the moment it ends', async () => {
    const store = await openFleetStore(location);
    const matchers = [{ name: 'device', value: 'kiosk-1' }];
    const now = await store.insertSilence({ matchers, starts_at: T, ends_at: T + HOUR, comment: 'maintenance', created_by: 'admin', created_at: T });
    const planned = await store.insertSilence({ matchers, starts_at: T + 2 * HOUR, ends_at: T + 3 * HOUR, comment: 'later', created_by: 'admin', created_at: T });
    await store.endSilence(now, T + 10);
    await store.endSilence(planned, T + 20);
    expect(await store.silences(0)).toEqual([
      { id: now, matchers, starts_at: T, ends_at: T + 10, comment: 'maintenance', created_by: 'admin', created_at: T },
      { id: planned, matchers, starts_at: T + 20, ends_at: T + 20, comment: 'later', created_by: 'admin', created_at: T },
    ]);
    expect(await store.silences(T + 15)).toHaveLength(1);
    await store.close();
  });

  it('counts each device by its latest report about a version, on that channel or none', async () => {
    const store = await openFleetStore(location);
    const report = (deviceId: string, ts: number, result: string, channel: string | null = 'stable') => ({ device_id: deviceId, ts, channel, from_version: '1.0.0', to_version: '1.1.0', result, message: null });
    await store.recordReport(report('kiosk-1', T, 'failed'));
    await store.recordReport(report('kiosk-1', T + 1, 'updated'));
    await store.recordReport(report('kiosk-2', T, 'rolled_back', null));
    await store.recordReport(report('kiosk-3', T, 'updated', 'beta'));
    expect((await store.reportOutcomes('1.1.0', 'stable')).sort((a, b) => a.device_id.localeCompare(b.device_id))).toEqual([
      { device_id: 'kiosk-1', result: 'updated' },
      { device_id: 'kiosk-2', result: 'rolled_back' },
    ]);
    expect((await store.deviceReports('kiosk-1', 10)).map((r) => r.result)).toEqual(['updated', 'failed']);
    expect((await store.reports(T + 1, 10)).map((r) => r.device_id)).toEqual(['kiosk-1']);
    await store.close();
  });

  it('prunes history older than the retention, keeping open alerts and rollouts whatever their age', async () => {
    const store = await openFleetStore(location);
    const old = T - 48 * HOUR;
    await store.writeBatch([device('kiosk-1')], [snapshot('kiosk-1', old), snapshot('kiosk-1', T)], [
      { device_id: 'kiosk-1', ts: old, from_status: 'unknown', to_status: 'online', reason: null },
    ]);
    await store.recordReport({ device_id: 'kiosk-1', ts: old, channel: 'stable', from_version: null, to_version: '0.9.0', result: 'updated', message: null });
    await store.recordReport({ device_id: 'kiosk-1', ts: T, channel: 'stable', from_version: '0.9.0', to_version: '1.0.0', result: 'updated', message: null });
    await store.saveRollout({ channel: 'stable', version: '1.0.0', percent: 100, state: 'complete', previous_version: '0.9.0', started_at: old, updated_at: old, halted_reason: null, force: false, target: null, deploy_id: null });
    const openedLongAgo = await store.openAlert({ key: 'memory:kiosk-1', device_id: 'kiosk-1', rule: 'memory', severity: 'warning', title: 't', message: 'm', opened_at: old });
    await store.recordNotification({ alert_id: openedLongAgo, kind: 'open', channel: 'slack', ts: old, ok: 1, attempts: 1, error: null });
    const resolvedLongAgo = await store.openAlert({ key: 'disk:kiosk-2', device_id: 'kiosk-2', rule: 'disk', severity: 'warning', title: 't', message: 'm', opened_at: old });
    await store.resolveAlert(resolvedLongAgo, old + 1);
    await store.insertSilence({ matchers: [{ name: 'device', value: 'kiosk-1' }], starts_at: old, ends_at: old + HOUR, comment: 'c', created_by: 'admin', created_at: old });

    expect(await store.prune(T - 24 * HOUR)).toEqual({ snapshots: 1, transitions: 1, alerts: 1, notifications: 1, reports: 1, silences: 1 });
    expect((await store.history('kiosk-1', 0)).map((s) => s.ts)).toEqual([T]);
    expect((await store.openAlerts()).map((a) => a.key)).toEqual(['memory:kiosk-1']);
    expect((await store.reports(0, 10)).map((r) => r.ts)).toEqual([T]);
    expect(await store.allRollouts()).toHaveLength(1);
    await store.close();
  });

  it('adds rollouts.force, off, to a store written before it', async () => {
    // Migrations 1 and 2 are what the release before rollouts.force left.
    await (await openStoreDatabase(location, MIGRATIONS.slice(0, 2))).close();
    await peek((p) =>
      p.exec("INSERT INTO rollouts (channel, version, percent, state, previous_version, started_at, updated_at, halted_reason) VALUES ('beta', '1.1.0', 50, 'active', '1.0.0', ?, ?, NULL)", [T - HOUR, T]),
    );

    const store = await openFleetStore(location);
    expect(store.schema).toEqual({ from: 2, to: LATEST });
    expect(await store.allRollouts()).toEqual([
      { channel: 'beta', version: '1.1.0', percent: 50, state: 'active', previous_version: '1.0.0', started_at: T - HOUR, updated_at: T, halted_reason: null, force: false, target: null, deploy_id: null },
    ]);
    await store.saveRollout({ ...(await store.allRollouts())[0]!, force: true });
    expect((await store.allRollouts())[0]?.force).toBe(true);
    await store.close();
  });

  it('adds rollout targets and the deploy history to a store written before them, keeping its rollouts', async () => {
    // Migrations 1 to 3 are what the release before targeting left.
    await (await openStoreDatabase(location, MIGRATIONS.slice(0, 3))).close();
    await peek((p) =>
      p.exec(
        "INSERT INTO rollouts (channel, version, percent, state, previous_version, started_at, updated_at, halted_reason, force) VALUES ('stable', '1.1.0', 50, 'active', '1.0.0', ?, ?, NULL, 1)",
        [T - HOUR, T],
      ),
    );

    const store = await openFleetStore(location);
    expect(store.schema).toEqual({ from: 3, to: LATEST });
    expect((await store.allRollouts())[0]).toMatchObject({ channel: 'stable', force: true, target: null, deploy_id: null });
    expect(await store.deploys(null, 10)).toEqual([]);
    await store.saveRollout({ ...(await store.allRollouts())[0]!, target: { group: 'lab', labels: { site: 'lab' } }, deploy_id: 7 });
    expect((await store.allRollouts())[0]).toMatchObject({ target: { group: 'lab', labels: { site: 'lab' } }, deploy_id: 7 });
    const id = await store.insertDeploy({ source: 'ansible', channel: null, version: '1.1.0', target: null, started_by: 'admin', started_at: T });
    await store.addDeployEvent({ deploy_id: id, ts: T, kind: 'wave', message: 'wave 1', devices: ['kiosk-1'] });
    expect(await store.endDeploy(id, T + 1, 'succeeded')).toBe(true);
    expect(await store.endDeploy(id, T + 2, 'failed')).toBe(false);
    expect(await store.deploys(null, 10)).toEqual([{ id, source: 'ansible', channel: null, version: '1.1.0', target: null, started_by: 'admin', started_at: T, ended_at: T + 1, outcome: 'succeeded' }]);
    expect(await store.deploys('stable', 10)).toEqual([]);
    expect(await store.deploy(id + 1)).toBeUndefined();
    expect(await store.deployEvents(id)).toEqual([{ deploy_id: id, ts: T, kind: 'wave', message: 'wave 1', devices: ['kiosk-1'] }]);
    await store.close();
  });

  it('refuses, naming OUTPOST_FLEET_DB, a store a newer release has migrated, and leaves it as it was', async () => {
    await (await openFleetStore(location)).close();
    await peek((p) => p.setVersion(LATEST + 1));

    await expect(openFleetStore(location)).rejects.toThrow(StoreTooNewError);
    await expect(openFleetStore(location)).rejects.toThrow(`OUTPOST_FLEET_DB: ${location.display} has schema version ${LATEST + 1}, but this monitor knows versions up to ${LATEST}`);
    await expect(checkFleetStoreVersion(location)).rejects.toThrow(StoreTooNewError);
    expect(await readSchemaVersion(location)).toBe(LATEST + 1);
  });

  it('checks the version of a store that has none yet without creating anything', async () => {
    await checkFleetStoreVersion(location);
    expect(await readSchemaVersion(location)).toBe(0);
  });
}
