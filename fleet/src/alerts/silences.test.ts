import { describe, expect, it } from 'vitest';
import { useTestStores } from '../../test/test-stores.js';
import { alertEngineCases } from './alert-engine.cases.js';
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

// alert-engine.int.test.ts runs the same cases on PostgreSQL too.
const stores = useTestStores();
describe.each(['sqlite'] as const)('alert engine with silences and acknowledgements on %s', (kind) => alertEngineCases(kind, stores));
