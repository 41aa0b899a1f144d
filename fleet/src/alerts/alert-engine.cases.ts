// The alert engine's silences and acknowledgements over a real store, the same on SQLite and
// PostgreSQL: silences.test.ts runs these cases on SQLite (unit), alert-engine.int.test.ts on both.
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { StoreKind, TestStores } from '../../test/test-stores.js';
import { openFleetStore, type FleetStore } from '../store/fleet-store.js';
import { AlertNotOpenError, createAlertEngine, type AlertEngine, SilenceNotFoundError } from './alert-engine.js';
import type { ChannelSet } from './channels/channel-set.js';
import type { Notification } from './channels/types.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');

export function alertEngineCases(kind: StoreKind, stores: TestStores): void {
  let store: FleetStore;
  let engine: AlertEngine;
  let clock = T0;
  let sent: Notification[];
  const channels: ChannelSet = {
    send: async (n) => {
      sent.push(n);
      return [{ channel: 'fake', ok: true, attempts: 1, error: null }];
    },
    close: async () => undefined,
  };
  const build = () =>
    createAlertEngine({
      store,
      channels,
      rules: { diskPct: 90, memoryPct: 90, temperatureC: 80, reminderS: 600 },
      targetVersion: () => null,
      deviceUrl: () => null,
      deviceInfo: (id) => (id === 'kiosk-1' ? { groups: ['lobby'], labels: { site: 'lab' } } : null),
      log: pino({ level: 'silent' }),
      now: () => clock,
    });
  const offline = (device: string) => engine.raise(`offline:${device}`, device, { rule: 'device_offline', severity: 'critical', title: `${device} is offline`, message: 'no answer' });
  const kinds = () => sent.map((n) => `${n.kind} ${n.alertId}`);

  beforeEach(async () => {
    clock = T0;
    sent = [];
    store = await openFleetStore(await stores.fresh(kind));
    engine = await build();
  });
  afterEach(async () => {
    await engine.close();
    await store.close();
  });

  it('keeps a silenced alert open and marked, and sends nothing for it: no first message, no reminder, no resolved', async () => {
    const s = await engine.createSilence({ matchers: [{ name: 'label:site', value: 'lab' }], duration_s: 3600, comment: 'lab rewiring' }, 'admin');
    offline('kiosk-1');
    offline('kiosk-2');
    const [k1] = engine.open().filter((a) => a.key === 'offline:kiosk-1');
    expect(engine.silencedBy(k1!)).toEqual([s.id]);
    clock += 20 * MIN;
    engine.remind();
    engine.clear('offline:kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-2', 'reminder offline:kiosk-2']);
  });

  it("sends a held alert's first message when its silence runs out, and then reminds as usual", async () => {
    await engine.createSilence({ matchers: [{ name: 'device', value: 'kiosk-1' }], duration_s: 600, comment: 'reboot' }, 'admin');
    offline('kiosk-1');
    engine.remind();
    expect(kinds()).toEqual([]);
    clock += 10 * MIN;
    engine.remind();
    expect(kinds()).toEqual(['open offline:kiosk-1']);
    clock += 10 * MIN;
    engine.remind();
    engine.clear('offline:kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-1', 'reminder offline:kiosk-1', 'resolved offline:kiosk-1']);
  });

  it('mutes the reminders and the resolved message of an alert that was already sent when the silence began', async () => {
    offline('kiosk-1');
    await engine.createSilence({ matchers: [{ name: 'group', value: 'lobby' }], duration_s: 3600, comment: 'on it' }, 'admin');
    clock += 20 * MIN;
    engine.remind();
    engine.clear('offline:kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-1']);
  });

  it('starts a planned silence at its start, and one ended early lets the held alert out at once', async () => {
    const planned = await engine.createSilence({ matchers: [{ name: 'rule', value: 'device_offline' }], starts_at: T0 + 5 * MIN, duration_s: 3600, comment: 'window' }, 'admin');
    offline('kiosk-1');
    clock += 5 * MIN;
    offline('kiosk-2');
    expect(kinds()).toEqual(['open offline:kiosk-1']);
    const ended = await engine.expireSilence(planned.id);
    expect(ended.ends_at).toBe(clock);
    expect(kinds()).toEqual(['open offline:kiosk-1', 'open offline:kiosk-2']);
    await expect(engine.expireSilence(999)).rejects.toThrow(SilenceNotFoundError);
  });

  it('ending a planned silence early means it never starts', async () => {
    const planned = await engine.createSilence({ matchers: [{ name: 'device', value: 'kiosk-1' }], starts_at: T0 + 60 * MIN, duration_s: 600, comment: 'later' }, 'admin');
    clock += MIN;
    const ended = await engine.expireSilence(planned.id);
    expect([ended.starts_at, ended.ends_at]).toEqual([clock, clock]);
    clock += 60 * MIN;
    offline('kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-1']);
  });

  it('an acknowledged alert stays open without reminders; its resolved message still goes out; un-ack brings reminders back', async () => {
    offline('kiosk-1');
    clock += MIN;
    const acked = await engine.ack('offline:kiosk-1', 'admin');
    expect([acked.acked_by, acked.acked_at]).toEqual(['admin', clock]);
    clock += 30 * MIN;
    engine.remind();
    expect(kinds()).toEqual(['open offline:kiosk-1']);
    await engine.unack('offline:kiosk-1');
    engine.remind();
    engine.clear('offline:kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-1', 'reminder offline:kiosk-1', 'resolved offline:kiosk-1']);
    await expect(engine.ack('offline:kiosk-1', 'admin')).rejects.toThrow(AlertNotOpenError);
  });

  it('keeps silences and acknowledgements across a restart', async () => {
    const s = await engine.createSilence({ matchers: [{ name: 'device', value: 'kiosk-1' }], duration_s: 3600, comment: 'kept' }, 'admin');
    offline('kiosk-2');
    await engine.ack('offline:kiosk-2', 'admin');
    await engine.close();
    engine = await build();
    expect(engine.silences().map((x) => [x.id, x.comment, x.matchers])).toEqual([[s.id, 'kept', [{ name: 'device', value: 'kiosk-1' }]]]);
    expect(engine.open().map((a) => [a.key, a.acked_by, a.acked_at])).toEqual([['offline:kiosk-2', 'admin', T0]]);
  });

  it('writes an alert opened and resolved at once in order: the resolve finds the new row', async () => {
    offline('kiosk-3');
    engine.clear('offline:kiosk-3');
    offline('kiosk-3');
    await engine.written();
    expect((await store.resolvedAlerts(10)).map((a) => [a.key, a.resolved_at])).toEqual([['offline:kiosk-3', T0]]);
    expect((await store.openAlerts()).map((a) => [a.key, a.notify_count])).toEqual([['offline:kiosk-3', 1]]);
    const [open] = engine.open();
    expect(open!.id).toBe((await store.openAlerts())[0]!.id);
  });
}
