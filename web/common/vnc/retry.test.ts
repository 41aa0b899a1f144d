import { describe, expect, it } from 'vitest';
import { RETRY_DELAYS_MS, retryDelayMs } from './retry';

describe('live-view retry', () => {
  it('waits longer after each failure in a row, then stops', () => {
    const delays = RETRY_DELAYS_MS.map((_, i) => retryDelayMs(i + 1));
    expect(delays).toEqual([...RETRY_DELAYS_MS]);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThan(delays[i - 1]!);
    expect(retryDelayMs(RETRY_DELAYS_MS.length + 1)).toBeNull();
  });

  it('does not retry without a failure', () => {
    expect(retryDelayMs(0)).toBeNull();
    expect(retryDelayMs(-1)).toBeNull();
    expect(retryDelayMs(1.5)).toBeNull();
  });
});
