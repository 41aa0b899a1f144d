import { describe, expect, it } from 'vitest';
import { defaultMaxSessions, loadDeviceConfig } from './config.js';
import { ConfigError } from './shared/env.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadDeviceConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('device config', () => {
  it('applies the defaults of DESIGN.md', () => {
    const c = loadDeviceConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8080);
    expect(c.apiToken).toBeUndefined();
    expect(c.backend).toBe('process');
    expect(c.chromiumPath).toBe('/usr/lib/chromium/chromium');
    expect(c.sessions.capacityPolicy).toBe('reject');
    expect(c.sessions.poolHeadless).toBe(1);
    expect(c.sessions.poolVnc).toBe(1);
    expect(c.sessions.ttlS).toBe(3600);
    expect(c.sessions.idleS).toBe(600);
    expect(c.device.name).toBe(c.device.id);
    expect(c.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('parses labels, numbers and enums', () => {
    const c = loadDeviceConfig({
      OUTPOST_PORT: '9090',
      OUTPOST_DEVICE_ID: 'kiosk-7',
      OUTPOST_DEVICE_LABELS: 'site=lisbon, role=kiosk ,empty=',
      OUTPOST_BACKEND: 'docker',
      OUTPOST_CAPACITY_POLICY: 'recycle',
      OUTPOST_MAX_SESSIONS: '3',
    });
    expect(c.port).toBe(9090);
    expect(c.device).toEqual({ id: 'kiosk-7', name: 'kiosk-7', labels: { site: 'lisbon', role: 'kiosk', empty: '' } });
    expect(c.backend).toBe('docker');
    expect(c.sessions.capacityPolicy).toBe('recycle');
    expect(c.sessions.maxSessions).toBe(3);
  });

  it.each([
    ['OUTPOST_PORT', 'eighty', 'an integer from 0 to 65535'],
    ['OUTPOST_PORT', '70000', 'an integer from 0 to 65535'],
    ['OUTPOST_BACKEND', 'kubernetes', 'one of process, docker'],
    ['OUTPOST_CAPACITY_POLICY', 'drop', 'one of reject, queue, recycle'],
    ['OUTPOST_POOL_HEADLESS', '-1', 'an integer from 0 to 100'],
    ['OUTPOST_SESSION_TTL_S', '1.5', 'an integer'],
    ['OUTPOST_DEVICE_LABELS', 'a b=c', 'key=value'],
    ['OUTPOST_DEVICE_ID', 'has space', 'an id of letters'],
    ['OUTPOST_CHROMIUM_PATH', 'chromium', 'an absolute path'],
    ['OUTPOST_API_TOKEN', 'short', 'at least 16'],
    ['OUTPOST_PUBLIC_URL', 'kiosk-7.example', 'an http(s) URL without a path'],
    ['OUTPOST_PUBLIC_URL', 'https://kiosk-7.example/outpost', 'an http(s) URL without a path'],
  ])('rejects %s=%s naming the variable', (name, value, expected) => {
    const err = configError({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message).toContain(name);
    expect(err.message).toContain(expected);
    expect(err.message).toContain(JSON.stringify(value));
  });

  it('refuses a non-loopback host without an API token', () => {
    const err = configError({ OUTPOST_HOST: '0.0.0.0' });
    expect(err.variable).toBe('OUTPOST_API_TOKEN');
    expect(err.message).toMatch(/OUTPOST_HOST=0\.0\.0\.0 is not a loopback address/);
  });

  it('accepts a non-loopback host with a token, and loopback hosts without one', () => {
    expect(loadDeviceConfig({ OUTPOST_HOST: '0.0.0.0', OUTPOST_API_TOKEN: 'x'.repeat(32) }).apiToken).toHaveLength(32);
    for (const host of ['127.0.0.1', '127.3.4.5', 'localhost', '::1']) {
      expect(loadDeviceConfig({ OUTPOST_HOST: host }).host).toBe(host);
    }
  });

  it('sizes capacity from the host', () => {
    expect(defaultMaxSessions(1024 ** 3, 1)).toBe(2);
    expect(defaultMaxSessions(24 * 1024 ** 3, 2)).toBe(8);
    expect(defaultMaxSessions(256 * 1024 ** 3, 64)).toBe(64);
  });
});
