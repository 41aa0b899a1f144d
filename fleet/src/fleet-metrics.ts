// Prometheus metrics of the monitor: per-device up/state, poll durations, cycle time and CPU.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../../device/src/shared/index.js';
import type { AlertEngine } from './alerts/alert-engine.js';
import type { DeviceRegistry } from './devices/device-registry.js';
import type { PollResult } from './poller/device-state.js';
import type { CycleStats } from './poller/poller.js';

const STATES = ['online', 'degraded', 'suspect', 'offline', 'unknown'] as const;

export function createFleetMetrics(opts: { registry: () => DeviceRegistry; alerts: () => AlertEngine }) {
  const registry = new Registry();
  collectProcessMetrics(registry);
  const pollSeconds = new Histogram({
    name: 'outpost_fleet_poll_duration_seconds',
    help: 'Time of one /api/fleet/status poll',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const failures = new Counter({ name: 'outpost_fleet_poll_failures_total', help: 'Failed polls by kind', labelNames: ['kind'], registers: [registry] });
  const cycleSeconds = new Gauge({ name: 'outpost_fleet_cycle_duration_seconds', help: 'Duration of the last poll cycle over the fleet', registers: [registry] });
  const cycleCpu = new Gauge({ name: 'outpost_fleet_cycle_cpu_seconds', help: 'CPU time the monitor spent during the last cycle', registers: [registry] });
  const cycleDevices = new Gauge({ name: 'outpost_fleet_cycle_devices', help: 'Devices polled in the last cycle', registers: [registry] });
  new Gauge({
    name: 'outpost_fleet_devices',
    help: 'Devices by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const counts: Record<string, number> = Object.fromEntries(STATES.map((s) => [s, 0]));
      for (const d of opts.registry().all()) counts[d.health.status] = (counts[d.health.status] ?? 0) + 1;
      for (const s of STATES) this.set({ status: s }, counts[s] ?? 0);
    },
  });
  new Gauge({
    name: 'outpost_fleet_device_up',
    help: '1 when the device answers (online or degraded)',
    labelNames: ['device'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of opts.registry().all()) this.set({ device: d.id }, d.health.status === 'online' || d.health.status === 'degraded' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'outpost_fleet_device_state',
    help: 'Device state (1 for the current state)',
    labelNames: ['device', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of opts.registry().all()) this.set({ device: d.id, state: d.health.status }, 1);
    },
  });
  new Gauge({
    name: 'outpost_fleet_alerts_open',
    help: 'Open alerts by severity',
    labelNames: ['severity'],
    registers: [registry],
    collect() {
      const c = { info: 0, warning: 0, critical: 0 };
      for (const a of opts.alerts().open()) c[a.severity] += 1;
      for (const [severity, n] of Object.entries(c)) this.set({ severity }, n);
    },
  });
  return {
    registry,
    poll(result: PollResult): void {
      pollSeconds.observe({ result: result.ok ? 'ok' : result.kind }, result.durationMs / 1000);
      if (!result.ok) failures.inc({ kind: result.kind });
    },
    cycle(stats: CycleStats): void {
      cycleSeconds.set(stats.durationMs / 1000);
      cycleCpu.set(stats.cpuMs / 1000);
      cycleDevices.set(stats.polled);
    },
  };
}

export type FleetMetrics = ReturnType<typeof createFleetMetrics>;
