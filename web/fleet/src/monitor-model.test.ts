import { describe, expect, it } from 'vitest';
import type { MonitorList, MonitorView } from './api';
import { cycleCounts, modeLine, monitorRows, durationLabel } from './monitor-model';

const at = '2030-01-01T00:00:00.000Z';
const monitor = (id: string, over: Partial<MonitorView> = {}): MonitorView => ({
  id,
  url: `http://${id}`,
  hostname: id.split(':')[0]!,
  pid: 1,
  version: '1.0.0',
  started_at: at,
  renewed_at: at,
  lease_until: at,
  alive: true,
  leader: false,
  self: false,
  devices: 0,
  last_cycle: null,
  rss_bytes: null,
  ...over,
});
const shared = (monitors: MonitorView[], leader: string | null = 'b:9000'): MonitorList => ({ mode: 'shared', self: 'a:9000', leader, lease_s: 15, monitors });

describe('monitor rows', () => {
  it('put the leader first, then the live monitors, then the dead ones, each by id', () => {
    const rows = monitorRows(shared([monitor('d:9000', { alive: false, devices: 40 }), monitor('c:9000'), monitor('b:9000', { leader: true }), monitor('a:9000')]));
    expect(rows.map((r) => r.id)).toEqual(['b:9000', 'a:9000', 'c:9000', 'd:9000']);
  });

  it("give each live monitor its share of the devices the live ones poll, and a dead one none", () => {
    const rows = monitorRows(shared([monitor('a:9000', { devices: 30 }), monitor('b:9000', { leader: true, devices: 10 }), monitor('d:9000', { alive: false, devices: 40 })]));
    expect(rows.map((r) => [r.id, r.sharePct])).toEqual([
      ['b:9000', 25],
      ['a:9000', 75],
      ['d:9000', 0],
    ]);
    expect(monitorRows(shared([monitor('a:9000')]))[0]!.sharePct).toBe(0);
  });
});

describe('the mode line', () => {
  it('says a SQLite monitor is the only one', () => {
    expect(modeLine({ mode: 'single', self: 'a:9000', leader: 'a:9000', lease_s: 15, monitors: [monitor('a:9000', { leader: true, self: true })] })).toBe(
      'The store is SQLite: this monitor is the only one and polls every device.',
    );
  });

  it('counts the live and dead monitors on PostgreSQL and says when there is no leader', () => {
    expect(modeLine(shared([monitor('a:9000'), monitor('b:9000', { leader: true })]))).toBe('The store is PostgreSQL: 2 live monitors share the fleet, each on a 15 s lease.');
    expect(modeLine(shared([monitor('a:9000'), monitor('b:9000', { alive: false })], null))).toBe(
      'The store is PostgreSQL: 1 live monitor polls the fleet, each on a 15 s lease; 1 dead (lease lapsed; the others took over its devices); no leader at the moment.',
    );
  });
});

describe('a cycle in words', () => {
  it('spells the duration, the counts and the CPU time', () => {
    expect(durationLabel(1234)).toBe('1.2 s');
    expect(durationLabel(84.6)).toBe('85 ms');
    expect(cycleCounts({ at, duration_ms: 1234, polled: 60, ok: 54, failed: 6, cpu_ms: 119.6 })).toBe('60 polled · 54 ok · 6 failed · CPU 120 ms');
  });
});
