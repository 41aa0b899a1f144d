// Prometheus metrics of the monitor: per-device up/state, poll durations, cycle time and CPU,
// versions across the fleet, rollouts and update reports. What Prometheus rules and Grafana
// dashboards may use of them: fleet/prometheus/rules.yml, fleet/grafana/.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from '../../device/src/shared/index.js';
import type { AlertEngine } from './alerts/alert-engine.js';
import type { DeviceRegistry } from './devices/device-registry.js';
import type { PollResult } from './poller/device-state.js';
import type { CycleStats } from './poller/poller.js';
import type { RolloutView } from './updates/rollouts.js';
import type { ReportResult } from './updates/update-reports.js';

const STATES = ['online', 'degraded', 'suspect', 'offline', 'unknown'] as const;

const ROLLOUT_STATES = ['active', 'halted', 'complete'] as const;
const ROLLOUT_OUTCOMES = ['selected', 'updated', 'failed', 'postponed', 'waiting_window'] as const;

export interface FleetMetricsSources {
  registry: () => DeviceRegistry;
  alerts: () => AlertEngine;
  /** Each channel's rollout with its figures (rollouts.list(), which reads the store). */
  rollouts: () => Promise<RolloutView[]>;
  /** The version devices should run (drift is measured against it), or null. */
  targetVersion: () => string | null;
}

export function createFleetMetrics(opts: FleetMetricsSources) {
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
  new Gauge({
    name: 'outpost_fleet_devices_by_version',
    help: 'Devices by the version they last reported ("unknown" before their first answer)',
    labelNames: ['version'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const d of opts.registry().all()) {
        const v = d.health.lastStatus?.appliance.version ?? 'unknown';
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      for (const [version, n] of counts) this.set({ version }, n);
    },
  });
  new Gauge({
    name: 'outpost_fleet_target_version_info',
    help: 'The version devices should run (OUTPOST_FLEET_TARGET_VERSION, else what the stable channel fully rolled out); absent when there is none',
    labelNames: ['version'],
    registers: [registry],
    collect() {
      this.reset();
      const v = opts.targetVersion();
      if (v !== null) this.set({ version: v }, 1);
    },
  });
  // The three rollout gauges read one rollouts.list() per scrape: it counts every selected device.
  let rollouts: { at: number; views: Promise<RolloutView[]> } | null = null;
  const rolloutViews = (): Promise<RolloutView[]> => {
    const now = Date.now();
    if (rollouts === null || now - rollouts.at > 1000) rollouts = { at: now, views: opts.rollouts() };
    return rollouts.views;
  };
  new Gauge({
    name: 'outpost_fleet_rollout_percent',
    help: "Share of the channel's devices the rollout offers its version to, in percent",
    labelNames: ['channel', 'version'],
    registers: [registry],
    async collect() {
      const views = await rolloutViews();
      this.reset();
      for (const r of views) this.set({ channel: r.channel, version: r.version }, r.percent);
    },
  });
  new Gauge({
    name: 'outpost_fleet_rollout_state',
    help: "Each channel's rollout state (1 for the current one: active, halted or complete)",
    labelNames: ['channel', 'version', 'state'],
    registers: [registry],
    async collect() {
      const views = await rolloutViews();
      this.reset();
      for (const r of views) for (const state of ROLLOUT_STATES) this.set({ channel: r.channel, version: r.version, state }, r.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'outpost_fleet_rollout_devices',
    help: "Devices of each channel's rollout: selected by it, and by the outcome of their latest update report about its version",
    labelNames: ['channel', 'version', 'outcome'],
    registers: [registry],
    async collect() {
      const views = await rolloutViews();
      this.reset();
      for (const r of views) for (const outcome of ROLLOUT_OUTCOMES) this.set({ channel: r.channel, version: r.version, outcome }, r[outcome]);
    },
  });
  const reports = new Counter({
    name: 'outpost_fleet_update_reports_total',
    help: 'Update reports devices sent (POST /api/updates/report), by result',
    labelNames: ['result'],
    registers: [registry],
  });
  return {
    registry,
    /** A device's update report was recorded. */
    updateReport(result: ReportResult): void {
      reports.inc({ result });
    },
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
