// Admission by pressure: which limit a host sample is over, and the one call when it comes back.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPressure } from './pressure.js';

const GiB = 1024 ** 3;
const sample = (cpu: number, usedGiB: number) => ({ cpu: { cores: 2, load1: 0, usage_pct: cpu }, memory: { total: 10 * GiB, used: usedGiB * GiB } });

afterEach(() => vi.useRealTimers());

describe('pressure', () => {
  it('is off, and starts no timer, without a limit', () => {
    vi.useFakeTimers();
    const p = createPressure({ limits: { maxCpuPct: null, maxMemoryPct: null }, host: () => sample(100, 10), sampleEveryS: 5, onRelief: () => undefined });
    expect(p.enabled).toBe(false);
    expect(p.over()).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('names the limit the host is over, CPU first; at the limit is not over', () => {
    let now = sample(80, 9);
    const p = createPressure({ limits: { maxCpuPct: 80, maxMemoryPct: 85 }, host: () => now, sampleEveryS: 5, onRelief: () => undefined });
    expect(p.over()).toMatch(/memory is 90% used, over OUTPOST_ADMIT_MAX_MEMORY_PCT=85/);
    now = sample(95, 9);
    expect(p.over()).toMatch(/CPU is 95% busy, over OUTPOST_ADMIT_MAX_CPU_PCT=80/);
    now = sample(80, 8.5);
    expect(p.over()).toBeNull();
    expect(p.retryAfterS).toBe(5);
    p.close();
  });

  it('calls onRelief once each time the host comes back under, and stops with close()', async () => {
    vi.useFakeTimers();
    let now = sample(99, 1);
    let reliefs = 0;
    const p = createPressure({ limits: { maxCpuPct: 50, maxMemoryPct: null }, host: () => now, sampleEveryS: 5, onRelief: () => (reliefs += 1) });
    await vi.advanceTimersByTimeAsync(3000);
    expect(reliefs).toBe(0);
    now = sample(10, 1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(reliefs).toBe(1);
    now = sample(99, 1);
    await vi.advanceTimersByTimeAsync(1000);
    now = sample(10, 1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reliefs).toBe(2);
    p.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
