// The monitor's /metrics passes `promtool check metrics`, Prometheus' own linter, after a poll
// cycle (its device does not answer, so the failure counter and the poll histogram have series).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricFamilies, promtool, tempDir } from '../../device/test/index.js';
import { oneDeviceFleet } from '../test/test-fleet.js';

describe('fleet /metrics', () => {
  const dir = tempDir('outpost-fleet-metrics-');
  let app: FastifyInstance;
  let text: string;

  beforeAll(async () => {
    app = await oneDeviceFleet(dir.path);
    await app.ready();
    await app.monitor.poller.runCycle();
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
});
