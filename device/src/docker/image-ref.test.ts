import { describe, expect, it } from 'vitest';
import { imageVersion, parseImageRef } from './image-ref.js';

describe('image references', () => {
  it.each([
    ['nginx', { repository: 'nginx', tag: null, digest: null }, 'latest'],
    ['autopilot:2.4.1', { repository: 'autopilot', tag: '2.4.1', digest: null }, '2.4.1'],
    ['registry.local:5000/fleet/autopilot:2.4.1', { repository: 'registry.local:5000/fleet/autopilot', tag: '2.4.1', digest: null }, '2.4.1'],
    ['registry.local:5000/fleet/autopilot', { repository: 'registry.local:5000/fleet/autopilot', tag: null, digest: null }, 'latest'],
    [
      'app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      { repository: 'app', tag: null, digest: 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' },
      '0123456789ab',
    ],
    ['app:1.0@sha256:abc', { repository: 'app', tag: '1.0', digest: 'sha256:abc' }, '1.0'],
  ])('%s', (ref, parsed, version) => {
    expect(parseImageRef(ref)).toEqual(parsed);
    expect(imageVersion(ref)).toBe(version);
  });
});
