// Admission that watches the host (browserless's HEALTH, for an edge box that also runs a payload):
// with OUTPOST_ADMIT_MAX_CPU_PCT and/or OUTPOST_ADMIT_MAX_MEMORY_PCT set, no new session starts
// while the host is over either. The figures are the host monitor's samples (CPU averaged over
// OUTPOST_HOST_REFRESH_S); this module only compares them, and says when the host is back under.
import type { HostStatus } from '../shared/contract.js';

export interface PressureLimits {
  maxCpuPct: number | null;
  maxMemoryPct: number | null;
}

export interface Pressure {
  /** Off when neither limit is set: over() is then always null. */
  readonly enabled: boolean;
  /** Why the host takes no new session now (a sentence for the 429), or null. */
  over(): string | null;
  /** Seconds until the next sample can say otherwise (the 429's Retry-After). */
  readonly retryAfterS: number;
  close(): void;
}

export function createPressure(opts: {
  limits: PressureLimits;
  host: () => Pick<HostStatus, 'cpu' | 'memory'>;
  sampleEveryS: number;
  /** Called once each time the host goes from over a limit to under both. */
  onRelief: () => void;
}): Pressure {
  const { maxCpuPct, maxMemoryPct } = opts.limits;
  const enabled = maxCpuPct !== null || maxMemoryPct !== null;

  function over(): string | null {
    if (!enabled) return null;
    const { cpu, memory } = opts.host();
    if (maxCpuPct !== null && cpu.usage_pct > maxCpuPct) {
      return `the host's CPU is ${cpu.usage_pct.toFixed(0)}% busy, over OUTPOST_ADMIT_MAX_CPU_PCT=${maxCpuPct}`;
    }
    const memPct = memory.total > 0 ? (memory.used / memory.total) * 100 : 0;
    if (maxMemoryPct !== null && memPct > maxMemoryPct) {
      return `the host's memory is ${memPct.toFixed(0)}% used, over OUTPOST_ADMIT_MAX_MEMORY_PCT=${maxMemoryPct}`;
    }
    return null;
  }

  // Watch for the way back under, to wake queued creates and refill the pool: a second is short
  // next to a sample interval, and the check reads memory only.
  let wasOver = false;
  const timer = enabled
    ? setInterval(() => {
        const now = over() !== null;
        if (wasOver && !now) opts.onRelief();
        wasOver = now;
      }, 1000)
    : null;
  timer?.unref();

  return {
    enabled,
    over,
    retryAfterS: opts.sampleEveryS,
    close() {
      if (timer) clearInterval(timer);
    },
  };
}
