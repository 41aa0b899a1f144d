import { describe, expect, it } from 'vitest';
import { managedFilter, parseSessionLabels, sessionLabels } from './container-labels.js';

describe('container labels', () => {
  it('round-trips a client session', () => {
    const labels = sessionLabels({ session: 's1', client: 'alice', pool: false, owner: 'k', kind: 'vnc', width: 1024, height: 768 });
    expect(labels).toMatchObject({ 'outpost.managed': 'true', 'outpost.session': 's1', 'outpost.client': 'alice' });
    expect(parseSessionLabels(labels)).toEqual({ session: 's1', client: 'alice', pool: false, owner: 'k', kind: 'vnc', width: 1024, height: 768, profile: null });
  });
  it('names the persistent profile a container runs on, and only a valid profile name', () => {
    const labels = sessionLabels({ session: 's4', client: null, pool: false, owner: 'k', kind: 'headless', width: 1280, height: 800, profile: 'shop' });
    expect(labels['outpost.profile']).toBe('shop');
    expect(parseSessionLabels(labels)?.profile).toBe('shop');
    expect(parseSessionLabels({ ...labels, 'outpost.profile': '../etc' })?.profile).toBeNull();
  });
  it('marks pool sessions with __pool__', () => {
    const labels = sessionLabels({ session: 's2', client: null, pool: true, owner: 'k', kind: 'headless', width: 1280, height: 800 });
    expect(labels['outpost.client']).toBe('__pool__');
    expect(parseSessionLabels(labels)).toMatchObject({ client: null, pool: true });
    const anonymous = sessionLabels({ session: 's3', client: null, pool: false, owner: 'k', kind: 'headless', width: 1280, height: 800 });
    expect(anonymous['outpost.client']).toBe('');
    expect(parseSessionLabels(anonymous)).toMatchObject({ client: null, pool: false });
  });
  it('ignores containers that are not ours', () => {
    expect(parseSessionLabels(undefined)).toBeNull();
    expect(parseSessionLabels({ 'com.example': 'x' })).toBeNull();
    expect(parseSessionLabels({ 'outpost.managed': 'true' })).toBeNull();
  });
  it('filters by owner', () => {
    expect(managedFilter('abc')).toEqual(['outpost.managed=true', 'outpost.owner=abc']);
  });
});
