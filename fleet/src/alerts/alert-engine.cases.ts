// The alert engine's silences and acknowledgements over a real store, and two monitors (a leader and
// a follower) sharing one store, the same on SQLite and PostgreSQL: silences.test.ts runs these
// cases on SQLite (unit), alert-engine.int.test.ts on both.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreKind, TestStores } from '../../test/test-stores.js';
import type { StoreLocation } from '../store/store-location.js';
import { openFleetStore, type FleetStore } from '../store/fleet-store.js';
import { AlertNotOpenError, createAlertEngine, type AlertEngine, SilenceNotFoundError } from './alert-engine.js';
import type { ChannelSet } from './channels/channel-set.js';
import type { Notification } from './channels/types.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');

export function alertEngineCases(kind: StoreKind, stores: TestStores): void {
  let location: StoreLocation;
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
  const rules = { diskPct: 90, memoryPct: 90, temperatureC: 80, reminderS: 600 };
  const build = () =>
    createAlertEngine({
      store,
      channels,
      rules,
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
    location = await stores.fresh(kind);
    store = await openFleetStore(location);
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

  describe('two monitors on one store', () => {
    // Each monitor: its own connection to the one store, its own channels (a fake: what is tested
    // is who sends what, not delivery) and a leader flag the test moves as the cluster's lock would.
    interface Monitor {
      engine: AlertEngine;
      store: FleetStore;
      sent: string[];
      leader: boolean;
      dead: boolean;
    }
    let monitors: Monitor[];
    const halted = { rule: 'rollout', severity: 'critical' as const, title: 'Rollout of 1.1.0 on stable halted', message: '2 of 10 devices failed' };
    const ROLLOUT = 'rollout:stable';

    /** `hang`: a channel that takes the message and never answers (a leader about to die). */
    async function monitor(leader: boolean, send: 'ok' | 'hang' = 'ok'): Promise<Monitor> {
      const m: Monitor = { sent: [], leader, dead: false, store: await openFleetStore(location), engine: undefined as unknown as AlertEngine };
      const channels: ChannelSet = {
        send: (n) => {
          m.sent.push(`${n.kind} ${n.alertId}`);
          return send === 'hang' ? new Promise(() => undefined) : Promise.resolve([{ channel: 'fake', ok: true, attempts: 1, error: null }]);
        },
        close: async () => undefined,
      };
      m.engine = await createAlertEngine({
        store: m.store,
        channels,
        rules,
        targetVersion: () => null,
        deviceUrl: () => null,
        log: pino({ level: 'silent' }),
        now: () => clock,
        leader: () => m.leader,
        shared: true,
      });
      monitors.push(m);
      return m;
    }
    /** Killed: no close, nothing more it started will finish; its connection goes. */
    async function kill(m: Monitor): Promise<void> {
      m.dead = true;
      m.leader = false;
      await m.store.close();
    }
    const settled = async (...ms: Monitor[]) => {
      for (const m of ms) await m.engine.written();
    };
    const stored = async () => (await store.openAlerts()).map((a) => [a.key, a.notify_count, a.acked_by]);

    beforeEach(() => {
      monitors = [];
    });
    afterEach(async () => {
      for (const m of monitors.filter((x) => !x.dead)) {
        await m.engine.close();
        await m.store.close();
      }
    });

    it("sends a follower's raise once, from the leader, after the leader's sync; the follower sends and reminds nothing", async () => {
      const [leader, follower] = [await monitor(true), await monitor(false)];
      follower.engine.raise(ROLLOUT, null, halted);
      // The same key raised on both at once (a report on each): still one open row.
      follower.engine.raise('device:kiosk-1:update', 'kiosk-1', { ...halted, rule: 'update', severity: 'warning' });
      leader.engine.raise('device:kiosk-1:update', 'kiosk-1', { ...halted, rule: 'update', severity: 'warning' });
      await settled(follower, leader);
      expect(follower.engine.open().map((a) => a.key).sort()).toEqual(['device:kiosk-1:update', ROLLOUT]);
      await leader.engine.sync();
      await leader.engine.sync();
      await follower.engine.sync();
      clock += 5 * MIN;
      follower.engine.remind();
      await settled(leader, follower);
      expect(leader.sent.sort()).toEqual(['open device:kiosk-1:update', `open ${ROLLOUT}`]);
      expect(follower.sent).toEqual([]);
      expect((await stored()).sort()).toEqual([
        ['device:kiosk-1:update', 1, null],
        [ROLLOUT, 1, null],
      ]);
      expect(follower.engine.open().map((a) => [a.key, a.notify_count]).sort()).toEqual([
        ['device:kiosk-1:update', 1],
        [ROLLOUT, 1],
      ]);
    });

    it("resolves on a follower's clear, and the leader sends the resolved once", async () => {
      const [leader, follower] = [await monitor(true), await monitor(false)];
      leader.engine.raise(ROLLOUT, null, halted);
      await settled(leader);
      await follower.engine.sync();
      follower.engine.clear(ROLLOUT);
      // A key opened on the leader since the follower's last sync: the follower closes it too.
      leader.engine.raise('device:kiosk-1:update', 'kiosk-1', { ...halted, rule: 'update' });
      await settled(leader);
      follower.engine.clear('device:kiosk-1:update');
      await settled(follower);
      expect(follower.engine.open()).toEqual([]);
      expect(await stored()).toEqual([]);
      await leader.engine.sync();
      await leader.engine.sync();
      await settled(leader);
      expect(leader.engine.open()).toEqual([]);
      expect(leader.sent).toEqual([`open ${ROLLOUT}`, 'open device:kiosk-1:update', `resolved ${ROLLOUT}`, 'resolved device:kiosk-1:update']);
      expect(follower.sent).toEqual([]);
    });

    it('sends the resolved once when the leader clears an alert a follower has closed already', async () => {
      const [leader, follower] = [await monitor(true), await monitor(false)];
      leader.engine.raise(ROLLOUT, null, halted);
      await settled(leader);
      await follower.engine.sync();
      follower.engine.clear(ROLLOUT);
      await settled(follower);
      leader.engine.clear(ROLLOUT);
      await settled(leader);
      await leader.engine.sync();
      await settled(leader);
      expect(leader.sent).toEqual([`open ${ROLLOUT}`, `resolved ${ROLLOUT}`]);
    });

    it("stops the leader's reminders on a follower's ack, and brings them back on its un-ack", async () => {
      const [leader, follower] = [await monitor(true), await monitor(false)];
      leader.engine.raise('offline:kiosk-1', 'kiosk-1', { rule: 'device_offline', severity: 'critical', title: 'kiosk-1 is offline', message: 'no answer' });
      await settled(leader);
      await follower.engine.sync();
      await follower.engine.ack('offline:kiosk-1', 'night-shift');
      await leader.engine.sync();
      expect(leader.engine.open()[0]).toMatchObject({ acked_by: 'night-shift', acked_at: clock });
      clock += 20 * MIN;
      leader.engine.remind();
      expect(leader.sent).toEqual(['open offline:kiosk-1']);
      await follower.engine.unack('offline:kiosk-1');
      await leader.engine.sync();
      leader.engine.remind();
      expect(leader.sent).toEqual(['open offline:kiosk-1', 'reminder offline:kiosk-1']);
    });

    it("holds the leader's first message back under a silence made on a follower, and sends it when the follower ends it", async () => {
      const [leader, follower] = [await monitor(true), await monitor(false)];
      const s = await follower.engine.createSilence({ matchers: [{ name: 'rule', value: 'rollout' }], duration_s: 3600, comment: 'known bad build' }, 'admin');
      await leader.engine.sync();
      expect(leader.engine.silences().map((x) => x.id)).toEqual([s.id]);
      leader.engine.raise(ROLLOUT, null, halted);
      // Raised on the follower under the silence: held back by the leader too.
      follower.engine.raise('rollout:beta', null, { ...halted, title: 'Rollout on beta halted' });
      await settled(leader, follower);
      await leader.engine.sync();
      await settled(leader);
      expect(leader.sent).toEqual([]);
      await follower.engine.expireSilence(s.id);
      await leader.engine.sync();
      await settled(leader);
      expect(leader.sent.sort()).toEqual(['open rollout:beta', `open ${ROLLOUT}`]);
      expect(follower.sent).toEqual([]);
    });

    it('sends once what a leader that died before sending had opened', async () => {
      const [old, next] = [await monitor(true, 'hang'), await monitor(false)];
      old.engine.raise(ROLLOUT, null, halted);
      // Its row is in; the channels have the message and never answer.
      await vi.waitFor(async () => expect(await stored()).toEqual([[ROLLOUT, 0, null]]));
      expect(old.sent).toEqual([`open ${ROLLOUT}`]);
      await next.engine.sync();
      await kill(old);
      next.leader = true;
      await next.engine.sync();
      await next.engine.sync();
      await settled(next);
      expect(next.sent).toEqual([`open ${ROLLOUT}`]);
      expect(await stored()).toEqual([[ROLLOUT, 1, null]]);
    });

    it("sends nothing again after a leader's normal send, and the new leader reminds on the old one's schedule", async () => {
      const [old, next] = [await monitor(true), await monitor(false)];
      old.engine.raise(ROLLOUT, null, halted);
      await settled(old);
      await kill(old);
      next.leader = true;
      await next.engine.sync();
      await settled(next);
      expect(next.sent).toEqual([]);
      clock += 9 * MIN;
      next.engine.remind();
      expect(next.sent).toEqual([]);
      clock += MIN;
      next.engine.remind();
      expect(next.sent).toEqual([`reminder ${ROLLOUT}`]);
    });

    it('keeps what memory changed while a sync read the store: a clear, an ack, a raise whose writes are still queued', async () => {
      const [leader, follower] = [await monitor(true), await monitor(false)];
      const offline = { rule: 'device_offline', severity: 'critical' as const, title: 'kiosk-1 is offline', message: 'no answer' };
      leader.engine.raise(ROLLOUT, null, halted);
      leader.engine.raise('offline:kiosk-1', 'kiosk-1', offline);
      await settled(leader);
      // Queued first, the sync reads the store before the writes below land.
      const syncing = leader.engine.sync();
      leader.engine.clear(ROLLOUT);
      const acking = leader.engine.ack('offline:kiosk-1', 'admin');
      leader.engine.raise('rollout:beta', null, { ...halted, title: 'Rollout on beta halted' });
      await syncing;
      await acking;
      expect(leader.engine.open().map((a) => [a.key, a.acked_by]).sort()).toEqual([
        ['offline:kiosk-1', 'admin'],
        ['rollout:beta', null],
      ]);
      await settled(leader);
      await leader.engine.sync();
      await follower.engine.sync();
      await settled(leader);
      expect(leader.sent).toEqual([`open ${ROLLOUT}`, 'open offline:kiosk-1', `resolved ${ROLLOUT}`, 'open rollout:beta']);
      expect(follower.engine.open().map((a) => [a.key, a.acked_by]).sort()).toEqual([
        ['offline:kiosk-1', 'admin'],
        ['rollout:beta', null],
      ]);
    });
  });
}
