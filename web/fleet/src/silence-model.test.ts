import { describe, expect, it } from 'vitest';
import { buildSilenceBody, EMPTY_SILENCE_FORM, matcherText, parseMatchers, sortSilences } from './silence-model';

describe('silence form', () => {
  it('reads device, group, rule and severity as such and any other name as a device label', () => {
    expect(parseMatchers('device=kiosk-7, site=lab ,label:rack=2, rule=disk')).toEqual({
      ok: true,
      matchers: [
        { name: 'device', value: 'kiosk-7' },
        { name: 'label:site', value: 'lab' },
        { name: 'label:rack', value: '2' },
        { name: 'rule', value: 'disk' },
      ],
    });
    expect(matcherText({ name: 'label:site', value: 'lab' })).toBe('site=lab');
  });

  it('refuses what is not name=value, no matcher at all, and a missing comment', () => {
    expect(parseMatchers('kiosk-7')).toEqual({ ok: false, error: 'Matchers: "kiosk-7" is not name=value.' });
    expect(parseMatchers(' , ')).toMatchObject({ ok: false });
    expect(buildSilenceBody({ ...EMPTY_SILENCE_FORM, matchers: 'site=lab' })).toMatchObject({ ok: false, error: expect.stringContaining('Comment') });
  });

  it('builds the body, with a start only when one is given', () => {
    expect(buildSilenceBody({ matchers: 'site=lab', start: '', durationS: 7200, comment: ' rewiring ' })).toEqual({
      ok: true,
      body: { matchers: [{ name: 'label:site', value: 'lab' }], duration_s: 7200, comment: 'rewiring' },
    });
    const planned = buildSilenceBody({ matchers: 'group=lobby', start: '2030-01-02T03:04', durationS: 3600, comment: 'window' });
    expect(planned.ok && planned.body.starts_at).toBe(new Date('2030-01-02T03:04').toISOString());
  });

  it('lists active, then planned, then expired silences', () => {
    const s = (id: number, state: 'active' | 'planned' | 'expired', starts_at: string, ends_at: string) => ({ id, state, starts_at, ends_at, matchers: [], comment: '', created_by: 'admin', created_at: starts_at });
    const sorted = sortSilences([s(1, 'expired', '2030-01-01', '2030-01-02'), s(2, 'planned', '2030-02-02', '2030-02-03'), s(3, 'active', '2030-01-01', '2030-03-01'), s(4, 'planned', '2030-02-01', '2030-02-03')]);
    expect(sorted.map((x) => x.id)).toEqual([3, 4, 2, 1]);
  });
});
