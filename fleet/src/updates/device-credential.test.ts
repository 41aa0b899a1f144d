import { describe, expect, it } from 'vitest';
import { createDeviceCredentials } from './device-credential.js';

describe('device update credentials', () => {
  const creds = createDeviceCredentials('a-monitor-secret-for-tests');

  it('names the device it was made for, and only that one', () => {
    const token = creds.tokenFor('tb1.lab');
    expect(token.startsWith('tb1.lab.')).toBe(true);
    expect(creds.deviceOf(token)).toBe('tb1.lab');
    expect(creds.deviceOf(creds.tokenFor('tb2'))).toBe('tb2');
  });

  it('refuses a credential relabelled for another device, made with another secret, or malformed', () => {
    const mac = creds.tokenFor('tb1').split('.').pop()!;
    expect(creds.deviceOf(`tb2.${mac}`)).toBeNull();
    expect(creds.deviceOf(createDeviceCredentials('another-secret-entirely').tokenFor('tb1'))).toBeNull();
    for (const bad of [undefined, '', 'tb1', `tb1.${mac.slice(1)}`, `.${mac}`, 'a-monitor-secret-for-tests']) expect(creds.deviceOf(bad), String(bad)).toBeNull();
  });
});
