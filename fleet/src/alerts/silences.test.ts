import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../device/test/index.js';
import { openFleetStore, type FleetStore } from '../store/fleet-store.js';
import { AlertNotOpenError, createAlertEngine, type AlertEngine, SilenceNotFoundError } from './alert-engine.js';
import type { ChannelSet } from './channels/channel-set.js';
import type { Notification } from './channels/types.js';
import { type AlertSubject, checkMatchers, matches, newSilenceWindow, SilenceInputError, silencedBy, silenceState, type SilenceRow } from './silences.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');

const kiosk: AlertSubject = { device_id: 'kiosk-1', rule: 'device_offline', severity: 'critical', groups: ['lobby', 'canary'], labels: { site: 'lab', rack: '2' } };
const silence = (over: Partial<SilenceRow> = {}): SilenceRow => ({
  id: 1,
  matchers: [{ name: 'device', value: 'kiosk-1' }],
  starts_at: T0,
  ends_at: T0 + 60 * MIN,
  comment: 'maintenance',
  created_by: 'admin',
  created_at: T0,
  ...over,
});

describe('silence matchers', () => {
  it.each([
    [[{ name: 'device', value: 'kiosk-1' }], true],
    [[{ name: 'device', value: 'kiosk-2' }], false],
    [[{ name: 'group', value: 'canary' }], true],
    [[{ name: 'group', value: 'kitchen' }], false],
    [[{ name: 'label:site', value: 'lab' }], true],
    [[{ name: 'label:site', value: 'shop' }], false],
    [[{ name: 'label:floor', value: 'lab' }], false],
    [[{ name: 'rule', value: 'device_offline' }], true],
    [[{ name: 'severity', value: 'warning' }], false],
    // Every matcher must match.
    [[{ name: 'label:site', value: 'lab' }, { name: 'rule', value: 'device_offline' }], true],
    [[{ name: 'label:site', value: 'lab' }, { name: 'rule', value: 'disk' }], false],
  ])('%j matches kiosk-1 offline: %s', (matchers, expected) => {
    expect(matches({ matchers }, kiosk)).toBe(expected);
  });

  it('matches an alert about the fleet as a whole only by rule or severity', () => {
    const rollout: AlertSubject = { device_id: null, rule: 'rollout', severity: 'warning', groups: [], labels: {} };
    expect(matches({ matchers: [{ name: 'rule', value: 'rollout' }] }, rollout)).toBe(true);
    expect(matches({ matchers: [{ name: 'device', value: 'kiosk-1' }] }, rollout)).toBe(false);
  });

  it.each([
    [[], 'matchers: at least one matcher is needed'],
    [[{ name: 'site', value: 'lab' }], 'matchers[0].name must be device, group, rule, severity or label:<key>'],
    [[{ name: 'label:', value: 'lab' }], 'matchers[0].name must be'],
    [[{ name: 'device', value: 'kiosk-1' }, { name: 'group', value: ' ' }], 'matchers[1].value must not be empty'],
    [[{ name: 'severity', value: 'high' }], 'matchers[0].value must be info, warning or critical'],
  ])('refuses %j, saying which matcher is wrong', (matchers, message) => {
    expect(() => checkMatchers(matchers)).toThrow(SilenceInputError);
    expect(() => checkMatchers(matchers)).toThrow(message);
  });

  it('is planned before its start, active inside its window, expired at its end', () => {
    const s = silence({ starts_at: T0 + 10 * MIN, ends_at: T0 + 20 * MIN });
    expect(silenceState(s, T0)).toBe('planned');
    expect(silenceState(s, T0 + 10 * MIN)).toBe('active');
    expect(silenceState(s, T0 + 20 * MIN)).toBe('expired');
    expect(silencedBy([s], kiosk, T0)).toEqual([]);
    expect(silencedBy([s, silence({ id: 2 })], kiosk, T0 + 15 * MIN)).toEqual([1, 2]);
  });

  it('takes a window from ends_at or duration_s and refuses one that never ends or already ended', () => {
    const m = [{ name: 'device', value: 'kiosk-1' }];
    expect(newSilenceWindow({ matchers: m, duration_s: 3600, comment: 'x' }, T0)).toEqual({ starts_at: T0, ends_at: T0 + 60 * MIN });
    expect(newSilenceWindow({ matchers: m, starts_at: T0 + MIN, ends_at: T0 + 2 * MIN, comment: 'x' }, T0)).toEqual({ starts_at: T0 + MIN, ends_at: T0 + 2 * MIN });
    expect(() => newSilenceWindow({ matchers: m, comment: 'x' }, T0)).toThrow('ends_at or duration_s is needed');
    expect(() => newSilenceWindow({ matchers: m, starts_at: T0 - 2 * MIN, ends_at: T0 - MIN, comment: 'x' }, T0)).toThrow('ends_at must be in the future');
    expect(() => newSilenceWindow({ matchers: m, duration_s: 60, comment: ' ' }, T0)).toThrow('comment must say why');
  });
});

describe('alert engine with silences and acknowledgements', () => {
  const dir = tempDir('outpost-silences-');
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

  beforeEach(() => {
    clock = T0;
    sent = [];
    store = openFleetStore(join(dir.path, `fleet-${Math.random()}.sqlite`));
    engine = build();
  });
  afterEach(async () => {
    await engine.close();
    store.close();
  });

  it('keeps a silenced alert open and marked, and sends nothing for it: no first message, no reminder, no resolved', () => {
    const s = engine.createSilence({ matchers: [{ name: 'label:site', value: 'lab' }], duration_s: 3600, comment: 'lab rewiring' }, 'admin');
    offline('kiosk-1');
    offline('kiosk-2');
    const [k1] = engine.open().filter((a) => a.key === 'offline:kiosk-1');
    expect(engine.silencedBy(k1!)).toEqual([s.id]);
    clock += 20 * MIN;
    engine.remind();
    engine.clear('offline:kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-2', 'reminder offline:kiosk-2']);
  });

  it("sends a held alert's first message when its silence runs out, and then reminds as usual", () => {
    engine.createSilence({ matchers: [{ name: 'device', value: 'kiosk-1' }], duration_s: 600, comment: 'reboot' }, 'admin');
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

  it('mutes the reminders and the resolved message of an alert that was already sent when the silence began', () => {
    offline('kiosk-1');
    engine.createSilence({ matchers: [{ name: 'group', value: 'lobby' }], duration_s: 3600, comment: 'on it' }, 'admin');
    clock += 20 * MIN;
    engine.remind();
    engine.clear('offline:kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-1']);
  });

  it('starts a planned silence at its start, and one ended early lets the held alert out at once', () => {
    const planned = engine.createSilence({ matchers: [{ name: 'rule', value: 'device_offline' }], starts_at: T0 + 5 * MIN, duration_s: 3600, comment: 'window' }, 'admin');
    offline('kiosk-1');
    clock += 5 * MIN;
    offline('kiosk-2');
    expect(kinds()).toEqual(['open offline:kiosk-1']);
    const ended = engine.expireSilence(planned.id);
    expect(ended.ends_at).toBe(clock);
    expect(kinds()).toEqual(['open offline:kiosk-1', 'open offline:kiosk-2']);
    expect(() => engine.expireSilence(999)).toThrow(SilenceNotFoundError);
  });

  it('ending a planned silence early means it never starts', () => {
    const planned = engine.createSilence({ matchers: [{ name: 'device', value: 'kiosk-1' }], starts_at: T0 + 60 * MIN, duration_s: 600, comment: 'later' }, 'admin');
    clock += MIN;
    const ended = engine.expireSilence(planned.id);
    expect([ended.starts_at, ended.ends_at]).toEqual([clock, clock]);
    clock += 60 * MIN;
    offline('kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-1']);
  });

  it('an acknowledged alert stays open without reminders; its resolved message still goes out; un-ack brings reminders back', () => {
    offline('kiosk-1');
    clock += MIN;
    const acked = engine.ack('offline:kiosk-1', 'admin');
    expect([acked.acked_by, acked.acked_at]).toEqual(['admin', clock]);
    clock += 30 * MIN;
    engine.remind();
    expect(kinds()).toEqual(['open offline:kiosk-1']);
    engine.unack('offline:kiosk-1');
    engine.remind();
    engine.clear('offline:kiosk-1');
    expect(kinds()).toEqual(['open offline:kiosk-1', 'reminder offline:kiosk-1', 'resolved offline:kiosk-1']);
    expect(() => engine.ack('offline:kiosk-1', 'admin')).toThrow(AlertNotOpenError);
  });

  it('keeps silences and acknowledgements across a restart', async () => {
    const s = engine.createSilence({ matchers: [{ name: 'device', value: 'kiosk-1' }], duration_s: 3600, comment: 'kept' }, 'admin');
    offline('kiosk-2');
    engine.ack('offline:kiosk-2', 'admin');
    await engine.close();
    engine = build();
    expect(engine.silences().map((x) => [x.id, x.comment, x.matchers])).toEqual([[s.id, 'kept', [{ name: 'device', value: 'kiosk-1' }]]]);
    expect(engine.open().map((a) => [a.key, a.acked_by, a.acked_at])).toEqual([['offline:kiosk-2', 'admin', T0]]);
  });
});
