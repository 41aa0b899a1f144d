import { describe, expect, it } from 'vitest';
import { allocatePorts, rangeSlots } from './port-allocator.js';

describe('port allocation', () => {
  const range = { min: 5000, max: 5003 };
  it('hands out the lowest free ports', () => {
    expect(allocatePorts(range, new Set(), 2)).toEqual([5000, 5001]);
    expect(allocatePorts(range, new Set([5000, 5002]), 2)).toEqual([5001, 5003]);
  });
  it('returns null when the range is exhausted', () => {
    expect(allocatePorts(range, new Set([5000, 5001, 5002]), 2)).toBeNull();
    expect(allocatePorts(range, new Set([5000, 5001, 5002, 5003]), 1)).toBeNull();
  });
  it('counts slots of a range', () => {
    expect(rangeSlots(range, 2)).toBe(2);
    expect(rangeSlots({ min: 1, max: 5 }, 2)).toBe(2);
  });
});
