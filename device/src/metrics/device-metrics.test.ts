// The appliance's /metrics passes `promtool check metrics`, Prometheus' own linter, with every
// metric family present and the session counters and histogram holding series.
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleDeviceMetrics } from '../../test/metrics-sample.js';
import { metricFamilies, promtool } from '../../test/promtool.js';

describe('device /metrics', () => {
  let text: string;
  beforeAll(async () => {
    text = await sampleDeviceMetrics();
  });

  it('passes promtool check metrics', () => {
    const result = promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it("keeps the process metrics but not prom-client's gauges named like counters", () => {
    const families = metricFamilies(text);
    expect(families.get('nodejs_active_handles')).toBe('gauge');
    expect(families.get('process_cpu_seconds_total')).toBe('counter');
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) expect(families.has(name), name).toBe(false);
    expect(text).toMatch(/^outpost_sessions_created_total\{.*\} 2$/m);
    expect(text).toMatch(/^outpost_sessions_ended_total\{reason="deleted",protocol="api"\} 1$/m);
    expect(text).toMatch(/^outpost_sessions_rejected_total\{protocol="playwright",reason="capacity_exceeded"\} 1$/m);
  });
});
