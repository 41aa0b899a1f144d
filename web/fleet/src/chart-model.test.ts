import { describe, expect, it } from 'vitest';
import type { Snapshot } from './api';
import { linePath, statusSegments, type ChartBox } from './chart-model';

const BOX: ChartBox = { width: 110, height: 120, left: 10, right: 0, top: 10, bottom: 10 };
const H = 3_600_000;
const snap = (t: number, status: Snapshot['status'], cpu: number | null): Snapshot => ({
  ts: new Date(t).toISOString(),
  status,
  cpu_pct: cpu,
  mem_pct: null,
  disk_pct: null,
  temperature_c: null,
  sessions_active: null,
  latency_ms: null,
  version: null,
});

describe('history chart geometry', () => {
  it('draws a line through the values and breaks it at nulls and at gaps in the data', () => {
    const t0 = 0;
    const points = [0, 0.1, 0.2, 0.3, 0.4, 5, 5.1].map((h, i) => ({ t: t0 + h * H, v: i === 3 ? null : 50 }));
    const d = linePath(BOX, t0, t0 + 10 * H, points);
    // Three runs: before the null, between it and the 4.6 h gap, after the gap.
    expect(d.match(/M/g)).toHaveLength(3);
    expect(d.startsWith('M10.0,60.0')).toBe(true);
  });

  it('turns snapshots and transitions into status bands, merging neighbours with the same status', () => {
    const snaps = [snap(0, 'online', 10), snap(1 * H, 'online', 10), snap(2 * H, 'offline', null)];
    const bands = statusSegments(BOX, 0, 4 * H, snaps, [{ ts: new Date(3 * H).toISOString(), from: 'offline', to: 'online', reason: null }]);
    expect(bands.map((b) => [b.status, Math.round(b.x), Math.round(b.width)])).toEqual([
      ['online', 10, 50],
      ['offline', 60, 25],
      ['online', 85, 25],
    ]);
  });
});
