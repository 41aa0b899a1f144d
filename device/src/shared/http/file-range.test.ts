import { describe, expect, it } from 'vitest';
import { parseRange, RangeNotSatisfiableError } from './file-range.js';

describe('parseRange', () => {
  it('reads one byte range, open-ended and suffix ranges, within the size', () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-5000', 100)).toEqual({ start: 50, end: 99 });
  });

  it('serves the whole file for what it does not take, and refuses a range past the end', () => {
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
    expect(parseRange('bytes=-', 100)).toBeNull();
    expect(() => parseRange('bytes=100-', 100)).toThrow(RangeNotSatisfiableError);
    expect(() => parseRange('bytes=9-3', 100)).toThrow(RangeNotSatisfiableError);
    expect(() => parseRange('bytes=0-0', 0)).toThrow(RangeNotSatisfiableError);
  });
});
