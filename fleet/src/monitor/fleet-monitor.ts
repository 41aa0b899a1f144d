// Ties the fleet together: inventory → registry → poller → state, store and alerts. One instance per
// fleet process; the API reads from it. Its store writes (a cycle's batch, a device forgotten) go
// out one after another in the order they were made; the poller does not wait for them.
import cron, { type ScheduledTask } from 'node-cron';
import type { Log } from '../../../device/src/shared/index.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { FleetConfig } from '../config.js';
import type { Device, DeviceIdentity, DeviceRegistry } from '../devices/device-registry.js';
import type { DeviceHealth, DeviceStatus, PollResult, Transition } from '../poller/device-state.js';
import { createPoller, type CycleStats, type Poller } from '../poller/poller.js';
import type { StatusClient } from '../poller/status-client.js';
import type { FleetStore } from '../store/fleet-store.js';
import type { DeviceRow, SnapshotRow, TransitionRow } from './device-tables.js';

export interface FleetMonitorOptions {
  config: FleetConfig;
  store: FleetStore;
  registry: DeviceRegistry;
  client: StatusClient;
  alerts: AlertEngine;
  log: Log;
  onCycle?: (stats: CycleStats) => void;
  onPoll?: (device: Device, result: PollResult) => void;
}

const pct = (used: number, total: number) => (total > 0 ? Math.round((used / total) * 1000) / 10 : null);

function snapshotOf(d: Device, ts: number): SnapshotRow & { device_id: string } {
  const s = d.health.lastStatus;
  const fresh = d.health.status === 'online' || d.health.status === 'degraded';
  const disk = s?.host.disks.reduce((worst, x) => Math.max(worst, x.size > 0 ? x.used / x.size : 0), 0);
  return {
    device_id: d.id,
    ts,
    status: d.health.status,
    cpu_pct: fresh && s ? s.host.cpu.usage_pct : null,
    mem_pct: fresh && s ? pct(s.host.memory.used, s.host.memory.total) : null,
    disk_pct: fresh && disk !== undefined ? Math.round(disk * 1000) / 10 : null,
    temperature_c: fresh && s ? s.host.temperature_c : null,
    sessions_active: fresh && s ? s.sessions.active : null,
    latency_ms: d.health.lastDurationMs,
    version: s?.appliance.version ?? null,
  };
}

export function createFleetMonitor(opts: FleetMonitorOptions) {
  const { config, store, registry, alerts, log } = opts;
  const snapshotMs = config.store.snapshotIntervalS * 1000;
  let pendingTransitions: TransitionRow[] = [];
  let pendingSnapshots: Array<SnapshotRow & { device_id: string }> = [];
  let pruneTask: ScheduledTask | undefined;
  let writing: Promise<void> = Promise.resolve();
  /** After every write before it; a failure is logged, and the next write goes ahead. */
  function write(what: string, fn: () => Promise<unknown>): Promise<void> {
    writing = writing.then(fn).then(
      () => undefined,
      (err: unknown) => log.error({ err }, `cannot write to the store (${what})`),
    );
    return writing;
  }
  const listeners = new Set<(d: Device, t: Transition) => void>();

  const poller: Poller = createPoller({
    registry,
    client: opts.client,
    rules: { failuresToOffline: config.poll.failuresToOffline, successesToOnline: config.poll.successesToOnline },
    intervalMs: config.poll.intervalS * 1000,
    jitterPct: config.poll.jitterPct,
    concurrency: config.poll.concurrency,
    backoffMaxMs: config.poll.backoffMaxS * 1000,
    log: log.child({ module: 'poller' }),
    onResult(d, result, transition) {
      const now = Date.now();
      if (transition) {
        pendingTransitions.push({ device_id: d.id, ts: now, from_status: transition.from, to_status: transition.to, reason: transition.reason });
        if (transition.to === 'offline' || transition.from === 'offline') log.info({ device: d.id, ...transition }, `device ${transition.to}`);
        for (const l of listeners) l(d, transition);
      }
      // Thinned history: one snapshot per interval, and one at every status change.
      if (transition || now - d.lastSnapshotAt >= snapshotMs) {
        pendingSnapshots.push(snapshotOf(d, now));
        d.lastSnapshotAt = now;
      }
      alerts.evaluate(d);
      opts.onPoll?.(d, result);
    },
    onCycle(stats) {
      void flush();
      opts.onCycle?.(stats);
    },
  });

  function rowOf(d: Device, now: number): DeviceRow {
    return {
      id: d.id,
      status: d.health.status,
      reason: d.health.reason,
      version: d.health.lastStatus?.appliance.version ?? null,
      last_seen: d.health.lastSeen,
      last_status: d.health.lastStatusText ?? (d.health.lastStatus ? JSON.stringify(d.health.lastStatus) : null),
      failures: d.health.failures,
      successes: d.health.successes,
      updated_at: now,
    };
  }

  const lastPersisted = new Map<string, string>();
  /** Write what changed in this cycle in one transaction; resolves when it (and every write before it) is done. */
  function flush(): Promise<void> {
    const now = Date.now();
    const rows: DeviceRow[] = [];
    for (const d of registry.all()) {
      if (!d.dirty) continue;
      d.dirty = false;
      const sig = `${d.health.status}|${d.health.reason}|${d.health.lastStatus?.appliance.version}|${d.health.failures > 0}`;
      const snap = d.lastSnapshotAt >= now - 1000;
      if (!snap && lastPersisted.get(d.id) === sig) continue;
      lastPersisted.set(d.id, sig);
      rows.push(rowOf(d, now));
    }
    const snaps = pendingSnapshots;
    const trans = pendingTransitions;
    pendingSnapshots = [];
    pendingTransitions = [];
    if (rows.length === 0 && snaps.length === 0 && trans.length === 0) return writing;
    return write('poll cycle', () => store.writeBatch(rows, snaps, trans));
  }

  function applyInventory(identities: DeviceIdentity[]): void {
    const { added, removed, changed } = registry.sync(identities);
    for (const id of removed) {
      alerts.forgetDevice(id);
      void write(`forget ${id}`, () => store.forgetDevice(id));
      lastPersisted.delete(id);
    }
    if (added.length || removed.length || changed.length) {
      log.info({ devices: registry.size(), added: added.length, removed: removed.length, changed: changed.length }, 'inventory applied');
    }
  }

  /** Start from the last known state: statuses, last answers, counters. */
  async function restore(): Promise<void> {
    for (const row of await store.devices()) {
      const d = registry.get(row.id);
      if (!d) continue;
      const health: Partial<DeviceHealth> = {
        status: row.status as DeviceStatus,
        reason: row.reason,
        failures: row.failures,
        successes: row.successes,
        lastSeen: row.last_seen,
      };
      if (row.last_status) {
        try {
          health.lastStatus = JSON.parse(row.last_status);
        } catch {
          // a damaged row only loses the detail
        }
      }
      registry.restore(row.id, health);
    }
  }

  return {
    poller,
    applyInventory,
    onTransition(fn: (d: Device, t: Transition) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async start(): Promise<void> {
      await restore();
      poller.start();
      alerts.startReminders();
      pruneTask = cron.schedule(config.store.pruneSchedule, async () => {
        const before = Date.now() - config.store.retentionDays * 86_400_000;
        try {
          const removed = await store.prune(before);
          log.info({ ...removed, before: new Date(before).toISOString() }, 'pruned history');
        } catch (err) {
          log.error({ err }, 'cannot prune the store');
        }
      }, { name: `outpost-prune-${process.pid}-${Math.random()}`, noOverlap: true });
      pruneTask.unref();
    },
    async stop(): Promise<void> {
      await pruneTask?.destroy();
      await poller.stop();
      await flush();
      await alerts.close();
    },
    flush,
  };
}

export type FleetMonitor = ReturnType<typeof createFleetMonitor>;
