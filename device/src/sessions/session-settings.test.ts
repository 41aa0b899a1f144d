// A create's profile, identity and browser settings (session-settings.ts, extra-args.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { sameSettings, settingsOf } from './session-settings.js';

const processBackend = { name: 'process' as const, profiles: true, sessionSettings: true };
const dockerBackend = { name: 'docker' as const, profiles: true };
const plainBackend = { name: 'docker' as const };
const extensions = tempDir('outpost-extensions-');
afterAll(() => extensions.remove());
mkdirSync(join(extensions.path, 'stamp'));
writeFileSync(join(extensions.path, 'stamp', 'manifest.json'), JSON.stringify({ manifest_version: 3, name: 'stamp', version: '1' }));
mkdirSync(join(extensions.path, 'broken'));
writeFileSync(join(extensions.path, 'broken', 'manifest.json'), '{ not json');
const headless = { headless: true, extensionsDir: extensions.path };
const headful = { headless: false, extensionsDir: extensions.path };

const plainIdentity = { proxy: null, userAgent: null, locale: null, timezone: null, geolocation: null, blockUrls: [], extraArgs: [], extensions: [] };

describe('settingsOf', () => {
  it('is plain without profile or identity fields, so the pool can serve it', () => {
    expect(settingsOf({ width: 800 }, processBackend, headless)).toEqual({ profile: null, identity: null });
  });

  it('takes empty lists as asking for nothing, so such a create still comes from the pool', () => {
    expect(settingsOf({ block_urls: [], extra_args: [], extensions: [] }, processBackend, headless)).toEqual({ profile: null, identity: null });
  });

  it('gathers the identity fields, absent ones as null or empty', () => {
    expect(settingsOf({ profile: 'shop', timezone: 'Europe/Berlin', locale: 'de-DE' }, processBackend, headless)).toEqual({
      profile: 'shop',
      identity: { ...plainIdentity, locale: 'de-DE', timezone: 'Europe/Berlin' },
    });
  });

  it('gathers the position (accuracy 0 unless given), blocked URLs, switches and extensions', () => {
    const s = settingsOf(
      { vnc: true, geolocation: { latitude: 48.8584, longitude: 2.2945 }, block_urls: ['*.png', 'ads.example.com'], extra_args: ['--mute-audio', '--force-device-scale-factor=2'], extensions: ['stamp'] },
      processBackend,
      headful,
    );
    expect(s.identity).toEqual({
      ...plainIdentity,
      geolocation: { latitude: 48.8584, longitude: 2.2945, accuracy: 0 },
      blockUrls: ['*.png', 'ads.example.com'],
      extraArgs: ['--mute-audio', '--force-device-scale-factor=2'],
      extensions: ['stamp'],
    });
  });

  it('refuses a time zone the host does not know, and settings a backend cannot apply, naming them', () => {
    expect(() => settingsOf({ timezone: 'Mars/Olympus_Mons' }, processBackend, headless)).toThrow(/timezone "Mars\/Olympus_Mons"/);
    expect(() => settingsOf({ profile: 'shop' }, plainBackend, headless)).toThrow(/^profile is not kept by the docker backend/);
    expect(() => settingsOf({ user_agent: 'x' }, dockerBackend, headless)).toThrow(/user_agent .*docker backend/);
    expect(() => settingsOf({ geolocation: { latitude: 0, longitude: 0 }, block_urls: ['x'] }, dockerBackend, headless)).toThrow(/^geolocation and block_urls are served by the process backend/);
    expect(() => settingsOf({ extra_args: ['--mute-audio'], extensions: ['stamp'] }, dockerBackend, headful)).toThrow(/^extra_args and extensions are .*docker backend/);
    expect(settingsOf({}, dockerBackend, headless)).toEqual({ profile: null, identity: null });
  });

  it('takes extra_args from the allow-list only, with values of the right shape', () => {
    const ok = ['--disable-gpu', '--hide-scrollbars', '--font-render-hinting=none', '--force-device-scale-factor=1.5', '--disable-features=Translate,BackForwardCache', '--disable-blink-features=AutomationControlled'];
    expect(settingsOf({ extra_args: ok }, processBackend, headless).identity?.extraArgs).toEqual(ok);
    const refused: Array<[string[], RegExp]> = [
      [['--remote-debugging-port=9222'], /extra_args: --remote-debugging-port is not allowed: the appliance serves the browser's DevTools/],
      [['--remote-debugging-address=0.0.0.0'], /--remote-debugging-address is not allowed/],
      [['--no-sandbox'], /--no-sandbox is not allowed: chromium's sandbox/],
      [['--disable-setuid-sandbox'], /--disable-setuid-sandbox is not allowed/],
      [['--user-data-dir=/tmp/x'], /--user-data-dir is not allowed: use "profile"/],
      [['--load-extension=/tmp/x'], /--load-extension is not allowed: use "extensions"/],
      [['--proxy-server=http://evil:1'], /--proxy-server is not allowed: use "proxy"/],
      [['--lang=de'], /use "locale"/],
      [['--window-size=10,10'], /use "width" and "height"/],
      [['--renderer-cmd-prefix=gdb'], /--renderer-cmd-prefix is not on the allow-list \(--disable-gpu, /],
      [['--mute-audio=1'], /--mute-audio takes no value/],
      [['--force-device-scale-factor'], /--force-device-scale-factor needs =<value>, a number from 0.25 to 5/],
      [['--force-device-scale-factor=9'], /a number from 0.25 to 5/],
      [['--font-render-hinting=bold'], /one of none, slight, medium, full/],
      [['--disable-features=IsolateOrigins'], /--disable-features needs =<value>.*none about the sandbox or site isolation/],
      [['--disable-features=NetworkServiceSandbox'], /--disable-features needs/],
      [['--enable-features=A;B'], /--enable-features needs/],
      [['--mute-audio', '--mute-audio'], /--mute-audio is given twice/],
      [['--mute-audio --no-sandbox'], /"--mute-audio --no-sandbox" may hold only printable ASCII without spaces/],
      [['--disable-features=A\tB'], /may hold only printable ASCII/],
      [['--force-dark-mode\n'], /may hold only printable ASCII/],
      [['-mute-audio'], /"-mute-audio" is not a chromium switch/],
      [['--Mute-Audio'], /is not a chromium switch/],
      [['https://example.com'], /is not a chromium switch/],
    ];
    for (const [args, message] of refused) expect(() => settingsOf({ extra_args: args }, processBackend, headless), args.join(' ')).toThrow(message);
  });

  it('takes installed extensions for headful sessions only', () => {
    expect(() => settingsOf({ extensions: ['stamp'] }, processBackend, headless)).toThrow(/extensions run in headful sessions only: ask for "vnc": true or "headless": false/);
    expect(() => settingsOf({ extensions: ['missing'] }, processBackend, headful)).toThrow(/extensions: "missing" is not installed \(an unpacked extension in \$\{OUTPOST_DATA_DIR\}\/extensions\/missing\//);
    expect(() => settingsOf({ extensions: ['broken'] }, processBackend, headful)).toThrow(/extensions: "broken" has a manifest.json that is not JSON/);
  });

  it('takes a profile on a backend that keeps profiles but not the identity fields', () => {
    expect(settingsOf({ profile: 'shop' }, dockerBackend, headless)).toEqual({ profile: 'shop', identity: null });
    expect(() => settingsOf({ profile: 'shop', timezone: 'Europe/Berlin' }, dockerBackend, headless)).toThrow(/^timezone is served by the process backend/);
    expect(() => settingsOf({ profile: 'shop', proxy: 'http://127.0.0.1:3128' }, dockerBackend, headless)).toThrow(/^proxy is served by the process backend/);
  });

  it('compares settings for a client getting its session back', () => {
    const a = settingsOf({ profile: 'shop', locale: 'de-DE' }, processBackend, headless);
    expect(sameSettings(a, settingsOf({ profile: 'shop', locale: 'de-DE' }, processBackend, headless))).toBe(true);
    expect(sameSettings(a, settingsOf({ profile: 'shop' }, processBackend, headless))).toBe(false);
    const b = settingsOf({ block_urls: ['*.png'], geolocation: { latitude: 1, longitude: 2 } }, processBackend, headless);
    expect(sameSettings(b, settingsOf({ block_urls: ['*.png'], geolocation: { latitude: 1, longitude: 2, accuracy: 0 } }, processBackend, headless))).toBe(true);
    expect(sameSettings(b, settingsOf({ block_urls: ['*.gif'], geolocation: { latitude: 1, longitude: 2 } }, processBackend, headless))).toBe(false);
    expect(sameSettings(b, settingsOf({ block_urls: ['*.png'], geolocation: { latitude: 1, longitude: 3 } }, processBackend, headless))).toBe(false);
    const c = settingsOf({ headless: false, extensions: ['stamp'] }, processBackend, headful);
    expect(sameSettings(c, settingsOf({ headless: false }, processBackend, headful))).toBe(false);
    expect(sameSettings(settingsOf({ extra_args: ['--mute-audio'] }, processBackend, headless), settingsOf({}, processBackend, headless))).toBe(false);
  });
});
