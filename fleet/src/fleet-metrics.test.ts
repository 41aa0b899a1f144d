// The monitor's /metrics passes `promtool check metrics`, Prometheus' own linter, after a poll
// cycle (its device does not answer, so the failure counter and the poll histogram have series),
// a rollout and a failed update report; and the rollout and version figures are the API's.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricFamilies, promtool, tempDir } from '../../device/test/index.js';
import { busyFleet } from '../test/metrics-sample.js';

describe('fleet /metrics', () => {
  const dir = tempDir('outpost-fleet-metrics-');
  let app: FastifyInstance;
  let text: string;

  beforeAll(async () => {
    app = await busyFleet(dir.path);
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    text = res.body;
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  it('passes promtool check metrics', () => {
    const result = promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it("keeps the process metrics but not prom-client's gauges named like counters", () => {
    const families = metricFamilies(text);
    expect(families.get('nodejs_active_handles')).toBe('gauge');
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) expect(families.has(name), name).toBe(false);
    expect(text).toMatch(/^outpost_fleet_poll_failures_total\{kind="\w+"\} 1$/m);
    expect(text).toMatch(/^outpost_fleet_device_up\{device="kiosk-1"\} 0$/m);
  });

  it('counts devices by version, and shows each rollout and the update reports as the API does', async () => {
    expect(text).toMatch(/^outpost_fleet_devices_by_version\{version="unknown"\} 1$/m);
    expect(text).toMatch(/^outpost_fleet_update_reports_total\{result="failed"\} 1$/m);
    const [rollout] = (await app.inject('/api/rollouts')).json();
    const labels = `channel="stable",version="1.1.0"`;
    expect(text).toContain(`outpost_fleet_rollout_percent{${labels}} 50\n`);
    for (const state of ['active', 'halted', 'complete']) expect(text).toContain(`outpost_fleet_rollout_state{${labels},state="${state}"} ${rollout.state === state ? 1 : 0}\n`);
    for (const outcome of ['selected', 'updated', 'failed', 'postponed', 'waiting_window']) {
      expect(text).toContain(`outpost_fleet_rollout_devices{${labels},outcome="${outcome}"} ${rollout[outcome]}\n`);
    }
    expect(rollout.failed).toBe(1);
  });
});
