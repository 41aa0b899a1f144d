import { describe, expect, it } from 'vitest';
import { shouldHalt } from './rollout-state.js';

describe('shouldHalt', () => {
  it('halts when failures reach the threshold share of the selected devices', () => {
    expect(shouldHalt(0, 10, 20)).toBe(false);
    expect(shouldHalt(1, 10, 20)).toBe(false);
    expect(shouldHalt(2, 10, 20)).toBe(true);
    expect(shouldHalt(1, 5, 20)).toBe(true);
    expect(shouldHalt(4, 5, 100)).toBe(false);
    expect(shouldHalt(5, 5, 100)).toBe(true);
  });

  it('needs at least one failure, and counts an empty selection as one device', () => {
    expect(shouldHalt(0, 0, 0)).toBe(false);
    expect(shouldHalt(1, 0, 20)).toBe(true);
    expect(shouldHalt(1, 1000, 0)).toBe(true);
  });
});
