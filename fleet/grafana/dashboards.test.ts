// The Grafana dashboards in fleet/grafana: importable by a stock Grafana (no datasource of ours
// baked in: every panel asks the `ds` variable, a Prometheus picked at import), laid out on
// Grafana's 24-column grid, with PromQL that Prometheus parses (promtool check rules on the
// expressions) and that reads only metrics a real /metrics of the device or the monitor exposes.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { promtool, sampleDeviceMetrics } from '../../device/test/index.js';
import { sampleFleetMetrics } from '../test/metrics-sample.js';
import { SCRAPE_SERIES, exposedNames, metricNamesIn } from '../test/promql.js';

const DIR = import.meta.dirname;
const DS = { type: 'prometheus', uid: '${ds}' };

interface Target {
  refId: string;
  expr: string;
  datasource: unknown;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: unknown;
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: unknown;
}
interface Dashboard {
  uid: string;
  title: string;
  id: null;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const dashboards = files.map((file) => ({ file, board: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Dashboard }));
const panelsOf = (d: Dashboard) => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const exprsOf = (d: Dashboard) => panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variableQuery = (v: Variable) => (typeof v.query === 'string' ? v.query : v.query.query);

/** What Grafana puts in place of its variables before the query reaches Prometheus. */
function substituted(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?(\w+)\}?/g, 'x');
}

describe('Grafana dashboards', () => {
  let exposed: Set<string>;
  beforeAll(async () => {
    const [device, fleet] = await Promise.all([sampleDeviceMetrics(), sampleFleetMetrics()]);
    exposed = new Set([...exposedNames(device), ...exposedNames(fleet), ...SCRAPE_SERIES]);
  });

  it('are the fleet overview, one device and rollouts, each with its own uid', () => {
    expect(files.sort()).toEqual(['device.json', 'fleet-overview.json', 'rollouts.json']);
    expect(new Set(dashboards.map((d) => d.board.uid)).size).toBe(files.length);
  });

  it.each(dashboards)('$file imports into a stock Grafana: no id, a Prometheus chosen by the ds variable, on every panel and query', ({ board }) => {
    expect(board.id).toBeNull();
    expect(board.title).toMatch(/^Outpost \/ /);
    expect(board.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(board.templating.list[0]).toMatchObject({ name: 'ds', type: 'datasource', query: 'prometheus' });
    for (const v of board.templating.list.slice(1)) expect(v.datasource, v.name).toEqual(DS);
    const panels = panelsOf(board);
    expect(panels.length).toBeGreaterThan(5);
    expect(new Set(board.panels.flatMap((p) => [p, ...(p.panels ?? [])]).map((p) => p.id)).size).toBe(board.panels.flatMap((p) => [p, ...(p.panels ?? [])]).length);
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual(DS);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.datasource, p.title).toEqual(DS);
        expect(t.expr.trim(), p.title).not.toBe('');
      }
    }
  });

  it.each(dashboards)('$file lays its panels out on the 24-column grid without overlaps', ({ board }) => {
    const all = board.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const overlaps: string[] = [];
    all.forEach((a, i) => {
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
      for (const b of all.slice(i + 1)) {
        const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }
    });
    expect(overlaps).toEqual([]);
  });

  it.each(dashboards)('$file uses only variables it defines', ({ board }) => {
    const defined = new Set(board.templating.list.map((v) => v.name));
    const used = exprsOf(board).flatMap(({ expr }) => [...expr.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]!)).filter((n) => !n.startsWith('__'));
    expect(used.filter((n) => !defined.has(n))).toEqual([]);
  });

  it('have PromQL that Prometheus parses', () => {
    // promtool parses rule expressions: every query as a recording rule, variables substituted.
    const rules = dashboards.flatMap(({ file, board }) => exprsOf(board).map(({ expr }, i) => ({ record: `dashboard:${file.replace(/\W/g, '_')}:${i}`, expr: substituted(expr) })));
    const dir = mkdtempSync(join(tmpdir(), 'outpost-dashboards-'));
    try {
      const file = join(dir, 'queries.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
      const result = promtool(['check', 'rules', file]);
      expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('read only metrics the device and the monitor expose (or Prometheus adds to a scrape)', () => {
    const unknown: string[] = [];
    let read = 0;
    for (const { file, board } of dashboards) {
      for (const { panel, expr } of exprsOf(board)) {
        for (const name of metricNamesIn(expr)) {
          read++;
          if (!exposed.has(name)) unknown.push(`${file} "${panel}": ${name}`);
        }
      }
      for (const v of board.templating.list.filter((x) => x.type === 'query')) {
        // label_values(metric, label): the metric is the first argument.
        const m = /^label_values\((.+),\s*\w+\)$/.exec(variableQuery(v));
        expect(m, v.name).not.toBeNull();
        for (const name of metricNamesIn(m![1]!)) if (!exposed.has(name)) unknown.push(`${file} variable ${v.name}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(read).toBeGreaterThan(50);
  });
});
