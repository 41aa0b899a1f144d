import { describe, expect, it } from 'vitest';
import { gatewayOf } from './docker-backend.js';

describe('session network', () => {
  it('uses the first host address of the subnet as the gateway', () => {
    expect(gatewayOf('10.89.0.0/24')).toBe('10.89.0.1');
    expect(gatewayOf('172.30.16.0/20')).toBe('172.30.16.1');
    expect(gatewayOf('10.89.0.77/24')).toBe('10.89.0.1');
  });
});
