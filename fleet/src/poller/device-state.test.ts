import { describe, expect, it } from 'vitest';
import type { FleetStatus } from '../../../device/src/shared/index.js';
import { applyResult, initialHealth, nextDelayMs, type PollResult } from './device-state.js';

const rules = { failuresToOffline: 3, successesToOnline: 2 };
const status = (over: Partial<FleetStatus> = {}) => ({ alerts: [], payload: null, ...over }) as unknown as FleetStatus;
const ok = (s = status()): PollResult => ({ ok: true, status: s, durationMs: 5 });
const fail: PollResult = { ok: false, kind: 'no_answer', message: 'connect ECONNREFUSED', durationMs: 1 };

function run(results: PollResult[], h = initialHealth()) {
  const seen: string[] = [];
  let t = 0;
  for (const r of results) {
    applyResult(h, r, rules, (t += 1000));
    seen.push(h.status);
  }
  return { h, seen };
}

describe('device state machine', () => {
  it('goes online on the first answer', () => {
    expect(run([ok()]).seen).toEqual(['online']);
  });

  it('needs N failures to go offline and M successes to come back', () => {
    const { seen, h } = run([ok(), fail, fail, fail, ok(), ok(), ok()]);
    expect(seen).toEqual(['online', 'suspect', 'suspect', 'offline', 'offline', 'online', 'online']);
    expect(h.reason).toBeNull();
  });

  it('never reports one lost answer as an outage', () => {
    const { seen } = run([ok(), fail, ok(), fail, ok()]);
    expect(seen).not.toContain('offline');
  });

  it('names the kind of failure in the reason', () => {
    const h = initialHealth();
    applyResult(h, { ok: false, kind: 'http_error', message: 'status 500', durationMs: 1 }, rules, 1);
    expect(h.reason).toBe('HTTP error: status 500');
    applyResult(h, { ok: false, kind: 'bad_payload', message: '/host must be object', durationMs: 1 }, rules, 2);
    expect(h.reason).toBe('bad payload: /host must be object');
  });

  it('is degraded when the device answers with alerts or a stopped payload', () => {
    const h = initialHealth();
    applyResult(h, ok(status({ payload: { name: 'autopilot', state: 'exited' } as FleetStatus['payload'] })), rules, 1);
    expect(h.status).toBe('degraded');
    expect(h.reason).toBe('payload autopilot is exited');
    applyResult(h, ok(status({ alerts: [{ id: 'disk:/', severity: 'warning', message: 'disk / is 95% full', since: '' }] })), rules, 2);
    expect(h.reason).toBe('disk / is 95% full');
    applyResult(h, ok(), rules, 3);
    expect(h.status).toBe('online');
  });

  it('damps flapping: after repeated up/down changes it needs twice the successes', () => {
    const h = initialHealth();
    const cycle = [ok(), fail, fail, fail, ok(), ok()];
    run([...cycle, ...cycle, ...cycle], h);
    expect(h.flapping).toBe(true);
    run([fail, fail, fail, ok(), ok(), ok()], h);
    expect(h.status).toBe('offline');
    run([ok()], h);
    expect(h.status).toBe('online');
  });

  it('backs off exponentially once offline, up to the cap', () => {
    const { h } = run([fail, fail, fail]);
    expect(nextDelayMs(h, 15_000, 300_000, rules)).toBe(15_000);
    run([fail, fail], h);
    expect(nextDelayMs(h, 15_000, 300_000, rules)).toBe(60_000);
    run([fail, fail, fail, fail, fail], h);
    expect(nextDelayMs(h, 15_000, 300_000, rules)).toBe(300_000);
  });
});
