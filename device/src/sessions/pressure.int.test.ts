// Admission that watches the host, under a real synthetic load (Debian's stress-ng): with
// OUTPOST_ADMIT_MAX_MEMORY_PCT set just above what the host uses now, stress-ng takes memory until
// the host is over it. Then the `reject` appliance answers 429 host_overloaded (the REST API and a
// connect-and-go URL alike), the `queue` appliance holds the create until stress-ng ends, and the
// counters in /metrics and /api/fleet/status say so. Memory, not CPU, so that the threshold holds
// whatever else the machine is doing (the rest of the suite runs beside this file); the CPU limit
// goes through the same code (pressure.test.ts, session-manager.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../../test/appliance.js';
import { waitFor } from '../../test/helpers.js';
import { rawRequest } from '../../test/route-table.js';

function memInfo(): { total: number; available: number } {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text)![1]) * 1024;
  return { total: kb('MemTotal'), available: kb('MemAvailable') };
}

const usedPct = async (t: TestAppliance) => {
  const { memory } = (await t.api('GET', '/api/fleet/status')).body.host as { memory: { total: number; used: number } };
  return (memory.used / memory.total) * 100;
};

describe('admission by host pressure (stress-ng)', () => {
  const { total, available } = memInfo();
  // Room for the rest of the suite to come and go without crossing it, and then stress-ng that
  // pushes the host well past it.
  const limitPct = Math.min(90, Math.ceil(((total - available) / total) * 100) + 15);
  const stressBytes = Math.round(total * ((limitPct + 10) / 100) - (total - available));
  const env = { OUTPOST_ADMIT_MAX_MEMORY_PCT: String(limitPct), OUTPOST_HOST_REFRESH_S: '0.5' };
  let rejecting: TestAppliance;
  let queueing: TestAppliance;
  let stress: ChildProcess | undefined;

  beforeAll(async () => {
    rejecting = await startAppliance({ ...env, OUTPOST_CAPACITY_POLICY: 'reject' });
    queueing = await startAppliance({ ...env, OUTPOST_CAPACITY_POLICY: 'queue', OUTPOST_QUEUE_TIMEOUT_S: '300' });
  });
  afterAll(async () => {
    stress?.kill('SIGKILL');
    await rejecting?.close();
    await queueing?.close();
  });

  it('refuses (reject) or holds (queue) new sessions while the host is over OUTPOST_ADMIT_MAX_MEMORY_PCT, and the counters move', { timeout: 300_000 }, async () => {
    expect(await usedPct(rejecting)).toBeLessThan(limitPct);
    const before = await rejecting.api('POST', '/api/sessions', {});
    expect(before.status, JSON.stringify(before.body)).toBe(201);

    // Bounded in time whatever happens to this test; killed as soon as the queue has been seen.
    stress = spawn('stress-ng', ['--vm', '1', '--vm-bytes', String(stressBytes), '--vm-keep', '--vm-populate', '--timeout', '240s', '--quiet'], { stdio: 'ignore' });
    const stopped = new Promise((r) => stress!.once('exit', r));
    try {
      for (const t of [rejecting, queueing]) {
        await waitFor(async () => (await usedPct(t)) > limitPct, { timeoutMs: 120_000, intervalMs: 250, what: `the host to be over ${limitPct}% memory` });
      }

      const refused = await rejecting.api('POST', '/api/sessions', {});
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('host_overloaded');
      expect(refused.body.error.message).toMatch(new RegExp(`over OUTPOST_ADMIT_MAX_MEMORY_PCT=${limitPct}`));
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const upgrade = await rawRequest(Number(new URL(rejecting.base).port), { method: 'GET', path: '/playwright', upgrade: true });
      expect(upgrade.status).toBe(429);
      expect(upgrade.body).toMatch(/host_overloaded/);

      let answered: number | null = null;
      const held = queueing.api('POST', '/api/sessions', { client_id: 'patient' }).then((r) => {
        answered = r.status;
        return r;
      });
      await waitFor(async () => (await queueing.api('GET', '/api/sessions')).body.capacity.queued === 1, { timeoutMs: 30_000, what: 'the create to wait in the queue' });
      expect(answered).toBeNull();
      expect((await queueing.api('GET', '/api/sessions')).body.sessions).toEqual([]);

      stress.kill('SIGTERM');
      await stopped;
      const done = await held;
      expect(done.status, JSON.stringify(done.body)).toBe(201);
      expect(done.body.client_id).toBe('patient');
    } finally {
      stress.kill('SIGKILL');
    }

    const rejectCounts = (await rejecting.api('GET', '/api/fleet/status')).body.sessions.counters;
    expect(rejectCounts.api).toMatchObject({ created: 1, rejected: { host_overloaded: 1 } });
    expect(rejectCounts.playwright).toMatchObject({ created: 0, rejected: { host_overloaded: 1 } });
    const queueCounts = (await queueing.api('GET', '/api/fleet/status')).body.sessions.counters;
    expect(queueCounts.api).toMatchObject({ created: 1, queued: 1, queue_timeouts: 0, rejected: {} });
    const metrics = (await rejecting.api('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/^outpost_sessions_rejected_total\{protocol="api",reason="host_overloaded"\} 1$/m);
    expect(metrics).toMatch(/^outpost_sessions_rejected_total\{protocol="playwright",reason="host_overloaded"\} 1$/m);
    expect((await queueing.api('GET', '/metrics')).body).toMatch(/^outpost_sessions_queued_total\{protocol="api"\} 1$/m);

    // Back under the limit, the rejecting appliance admits again.
    await waitFor(async () => (await usedPct(rejecting)) < limitPct, { timeoutMs: 60_000, intervalMs: 250, what: 'the host to be under the limit again' });
    expect((await rejecting.api('POST', '/api/sessions', {})).status).toBe(201);
  });
});
