// Prometheus metrics of the appliance: process metrics plus outpost_* gauges for everything
// /api/fleet/status reports. Gauges read the same cached snapshot at scrape time, so a scrape is as
// cheap as a status request. One registry per app instance keeps tests independent.
import { Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from '../shared/process-metrics.js';
import type { FleetStatusService } from '../status/fleet-status.js';

export interface DeviceMetrics {
  registry: Registry;
}

export function createDeviceMetrics(opts: { status: FleetStatusService; extra?: (registry: Registry) => void }): DeviceMetrics {
  const registry = new Registry();
  collectProcessMetrics(registry);
  const snap = () => opts.status.current();

  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });

  gauge('outpost_info', 'Appliance identity and version (always 1)', ['device_id', 'device_name', 'version'], (g) => {
    const s = snap();
    g.set({ device_id: s.device.id, device_name: s.device.name, version: s.appliance.version }, 1);
  });
  gauge('outpost_uptime_seconds', 'Seconds since the appliance started', [], (g) => g.set(snap().appliance.uptime_s));
  gauge('outpost_host_uptime_seconds', 'Host uptime in seconds', [], (g) => g.set(snap().host.uptime_s));
  gauge('outpost_host_cpu_cores', 'CPU cores of the host', [], (g) => g.set(snap().host.cpu.cores));
  gauge('outpost_host_cpu_usage_percent', 'Host CPU usage in percent', [], (g) => g.set(snap().host.cpu.usage_pct));
  gauge('outpost_host_load1', 'Host load average over 1 minute', [], (g) => g.set(snap().host.cpu.load1));
  gauge('outpost_host_memory_total_bytes', 'Host memory in bytes', [], (g) => g.set(snap().host.memory.total));
  gauge('outpost_host_memory_used_bytes', 'Host memory in use in bytes', [], (g) => g.set(snap().host.memory.used));
  gauge('outpost_host_disk_size_bytes', 'Filesystem size in bytes', ['mount'], (g) => {
    for (const d of snap().host.disks) g.set({ mount: d.mount }, d.size);
  });
  gauge('outpost_host_disk_used_bytes', 'Filesystem bytes used', ['mount'], (g) => {
    for (const d of snap().host.disks) g.set({ mount: d.mount }, d.used);
  });
  gauge('outpost_host_temperature_celsius', 'CPU temperature (absent when the host has no sensor)', [], (g) => {
    const t = snap().host.temperature_c;
    if (t !== null) g.set(t);
  });
  gauge('outpost_sessions_active', 'Browser sessions assigned to clients', [], (g) => g.set(snap().sessions.active));
  gauge('outpost_sessions_capacity', 'Maximum concurrent sessions', [], (g) => g.set(snap().sessions.capacity));
  gauge('outpost_pool_ready', 'Warm pool sessions ready to claim', ['kind'], (g) => {
    const p = snap().sessions.pool;
    g.set({ kind: 'headless' }, p.headless.ready);
    g.set({ kind: 'vnc' }, p.vnc.ready);
  });
  gauge('outpost_pool_target', 'Warm pool target size', ['kind'], (g) => {
    const p = snap().sessions.pool;
    g.set({ kind: 'headless' }, p.headless.target);
    g.set({ kind: 'vnc' }, p.vnc.target);
  });
  gauge('outpost_drain_state', 'The drain: 1 for the current state (off, draining or drained)', ['state'], (g) => {
    const state = snap().appliance.drain?.state ?? 'off';
    for (const s of ['off', 'draining', 'drained']) g.set({ state: s }, s === state ? 1 : 0);
  });
  gauge('outpost_payload_up', '1 when the payload container is running', ['name', 'state'], (g) => {
    const p = snap().payload;
    if (p) g.set({ name: p.name, state: p.state }, p.state === 'running' ? 1 : 0);
  });
  gauge('outpost_payload_restarts', 'Restart count of the payload container', ['name'], (g) => {
    const p = snap().payload;
    if (p) g.set({ name: p.name }, p.restarts);
  });
  gauge('outpost_alerts_active', 'Active device alerts by severity', ['severity'], (g) => {
    const counts = { info: 0, warning: 0, critical: 0 };
    for (const a of snap().alerts) counts[a.severity] += 1;
    for (const [severity, n] of Object.entries(counts)) g.set({ severity }, n);
  });
  gauge('outpost_update_last_result', 'Last update result (1 for the current result label)', ['result', 'channel'], (g) => {
    const u = snap().appliance.update;
    if (u.last_result) g.set({ result: u.last_result, channel: u.channel }, 1);
  });
  opts.extra?.(registry);
  return { registry };
}
