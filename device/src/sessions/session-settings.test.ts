// A create's profile and identity (session-settings.ts).
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../shared/errors.js';
import { sameSettings, settingsOf } from './session-settings.js';

const processBackend = { name: 'process' as const, profiles: true, sessionSettings: true };
const dockerBackend = { name: 'docker' as const, profiles: true };
const plainBackend = { name: 'docker' as const };

describe('settingsOf', () => {
  it('is plain without profile or identity fields, so the pool can serve it', () => {
    expect(settingsOf({ width: 800 }, processBackend)).toEqual({ profile: null, identity: null });
  });

  it('gathers the identity fields, absent ones as null', () => {
    expect(settingsOf({ profile: 'shop', timezone: 'Europe/Berlin', locale: 'de-DE' }, processBackend)).toEqual({
      profile: 'shop',
      identity: { proxy: null, userAgent: null, locale: 'de-DE', timezone: 'Europe/Berlin' },
    });
  });

  it('refuses a time zone the host does not know, and settings a backend cannot apply', () => {
    expect(() => settingsOf({ timezone: 'Mars/Olympus_Mons' }, processBackend)).toThrow(/timezone "Mars\/Olympus_Mons"/);
    expect(() => settingsOf({ profile: 'shop' }, plainBackend)).toThrow(/profile is not kept by the docker backend/);
    expect(() => settingsOf({ user_agent: 'x' }, dockerBackend)).toThrow(/proxy, user_agent, locale and timezone .* the docker backend does not apply them/);
    expect(settingsOf({}, dockerBackend)).toEqual({ profile: null, identity: null });
  });

  it('takes a profile on a backend that keeps profiles but not the identity fields', () => {
    expect(settingsOf({ profile: 'shop' }, dockerBackend)).toEqual({ profile: 'shop', identity: null });
    expect(() => settingsOf({ profile: 'shop', timezone: 'Europe/Berlin' }, dockerBackend)).toThrow(BadRequestError);
    expect(() => settingsOf({ profile: 'shop', proxy: 'http://127.0.0.1:3128' }, dockerBackend)).toThrow(/proxy, user_agent, locale and timezone/);
  });

  it('compares settings for a client getting its session back', () => {
    const a = settingsOf({ profile: 'shop', locale: 'de-DE' }, processBackend);
    expect(sameSettings(a, settingsOf({ profile: 'shop', locale: 'de-DE' }, processBackend))).toBe(true);
    expect(sameSettings(a, settingsOf({ profile: 'shop' }, processBackend))).toBe(false);
  });
});
