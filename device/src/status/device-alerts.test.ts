import { describe, expect, it } from 'vitest';
import type { HostStatus, UpdateStatus } from '../shared/contract.js';
import { createAlertTracker, evaluateAlerts } from './device-alerts.js';

const GIB = 1024 ** 3;
const thresholds = { diskPct: 90, memoryPct: 90, temperatureC: 80 };
const update: UpdateStatus = { channel: 'stable', last_check: null, last_result: null, previous_version: null };

function host(over: Partial<HostStatus> = {}): HostStatus {
  return {
    hostname: 'h',
    os: 'Debian',
    kernel: '6',
    uptime_s: 1,
    cpu: { cores: 2, load1: 0, usage_pct: 1 },
    memory: { total: 8 * GIB, used: 1 * GIB },
    disks: [{ mount: '/', size: 100 * GIB, used: 10 * GIB }],
    temperature_c: 40,
    ...over,
  };
}

describe('device alerts', () => {
  it('raises nothing on a healthy host', () => {
    expect(evaluateAlerts({ host: host(), payload: null, update }, thresholds)).toEqual([]);
  });

  it('raises disk, memory, temperature, payload and update alerts with severities', () => {
    const alerts = evaluateAlerts(
      {
        host: host({
          memory: { total: 8 * GIB, used: 7.9 * GIB },
          disks: [
            { mount: '/', size: 100 * GIB, used: 91 * GIB },
            { mount: '/data', size: 100 * GIB, used: 99 * GIB },
          ],
          temperature_c: 95,
        }),
        payload: { name: 'autopilot', state: 'exited', image: 'a:1', version: '1', started_at: null, restarts: 3 },
        update: { ...update, last_result: 'rolled_back' },
      },
      thresholds,
    );
    const byId = Object.fromEntries(alerts.map((a) => [a.id, a]));
    expect(byId['disk:/']?.severity).toBe('warning');
    expect(byId['disk:/data']?.severity).toBe('critical');
    expect(byId.memory?.severity).toBe('critical');
    expect(byId.temperature?.severity).toBe('critical');
    expect(byId.payload?.message).toBe('payload container autopilot is exited');
    expect(byId.update?.message).toMatch(/rolled back/);
  });

  it('keeps the first-fired time while an alert stays active and forgets it once resolved', () => {
    const tracker = createAlertTracker(thresholds);
    const hot = { host: host({ temperature_c: 85 }), payload: null, update };
    const t1 = new Date('2026-01-01T00:00:00Z');
    const t2 = new Date('2026-01-01T00:05:00Z');
    expect(tracker.evaluate(hot, t1)[0]?.since).toBe(t1.toISOString());
    expect(tracker.evaluate(hot, t2)[0]?.since).toBe(t1.toISOString());
    expect(tracker.evaluate({ ...hot, host: host() }, t2)).toEqual([]);
    expect(tracker.evaluate(hot, t2)[0]?.since).toBe(t2.toISOString());
  });
});
