// Sizes and relative times as the UIs print them (format.ts).
import { describe, expect, it } from 'vitest';
import { ago, bytes } from './format';

describe('bytes', () => {
  it('prints binary units with one decimal below 100 and none from 100 or in bytes', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1023)).toBe('1023 B');
    expect(bytes(1024)).toBe('1.0 KiB');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(12_345_678)).toBe('11.8 MiB');
    expect(bytes(150 * 1024 ** 2)).toBe('150 MiB');
    expect(bytes(3 * 1024 ** 5)).toBe('3072 TiB');
  });

  it('prints a dash for a size it does not have', () => {
    expect(bytes(null)).toBe('—');
    expect(bytes(undefined)).toBe('—');
    expect(bytes(Number.NaN)).toBe('—');
  });
});

describe('ago', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('counts back from now, reads a moment of skew as just now, and says never for no time', () => {
    expect(ago('2025-06-01T11:55:00Z', now)).toBe('5m 0s ago');
    expect(ago('2025-06-01T12:00:03Z', now)).toBe('just now');
    expect(ago('2025-06-02T12:00:00Z', now)).toBe('in 1d 0h');
    expect(ago(null, now)).toBe('never');
    expect(ago('not a date', now)).toBe('—');
  });
});
