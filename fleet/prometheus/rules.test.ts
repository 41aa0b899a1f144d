// fleet/prometheus/rules.yml: valid for Prometheus (promtool check rules), doing what its unit
// tests say (promtool test rules rules.test.yml), and reading only metrics the device and the
// monitor expose on a real /metrics (or that it records itself, or that Prometheus adds).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promtool, sampleDeviceMetrics } from '../../device/test/index.js';
import { sampleFleetMetrics } from '../test/metrics-sample.js';
import { SCRAPE_SERIES, exposedNames, metricNamesIn } from '../test/promql.js';

const DIR = import.meta.dirname;
const RULES = join(DIR, 'rules.yml');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: Rule[] }> }).groups;
const rules = groups.flatMap((g) => g.rules);

describe('Prometheus rules', () => {
  let exposed: Set<string>;
  beforeAll(async () => {
    const [device, fleet] = await Promise.all([sampleDeviceMetrics(), sampleFleetMetrics()]);
    exposed = new Set([...exposedNames(device), ...exposedNames(fleet)]);
  });

  it('pass promtool check rules', () => {
    const result = promtool(['check', 'rules', RULES]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const result = promtool(['test', 'rules', join(DIR, 'rules.test.yml')]);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('read only metrics the services expose, that the rules record, or that Prometheus adds', () => {
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const unknown = rules.flatMap((r) => [...metricNamesIn(r.expr)].filter((n) => !exposed.has(n) && !recorded.has(n) && !SCRAPE_SERIES.has(n)).map((n) => `${r.alert ?? r.record}: ${n}`));
    expect(unknown).toEqual([]);
    // The reader finds the metrics at all (an empty set would pass the check above).
    expect(metricNamesIn(rules.find((r) => r.alert === 'OutpostDeviceOffline')!.expr)).toEqual(new Set(['outpost_fleet_device_state']));
  });

  it('give every alert a severity the monitor also uses, and a summary', () => {
    const alerts = rules.filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThan(10);
    for (const a of alerts) {
      expect(['info', 'warning', 'critical'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
    }
  });

  it('cover devices down, slow poll cycles, exhausted capacity and update failures', () => {
    const names = rules.map((r) => r.alert);
    for (const a of ['OutpostDeviceOffline', 'OutpostPollCycleSlow', 'OutpostSessionCapacityExhausted', 'OutpostUpdateFailures', 'OutpostUpdateFailed', 'OutpostRolloutHalted']) expect(names).toContain(a);
  });
});
