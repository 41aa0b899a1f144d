// Ties the fleet together: inventory → registry → poller → state, store and alerts. One instance per
// fleet process; the API reads from it. Its store writes (a cycle's batch, a device forgotten) go
// out one after another in the order they were made; the poller does not wait for them.
// With monitors sharing the store (cluster/cluster.ts) it polls and writes only its own share; the
// other devices are mirrored into the registry from their rows at every cluster tick, so the API
// answers for the whole fleet. A row is written when the device's status, version, failing or
// alert-relevant state changes (and with every snapshot), so the mirror sees those within a tick;
// figures between snapshots (CPU, sessions) are the owner's alone. Only the leader evaluates alerts
// (over every device, its own after each poll and the mirrored ones as their rows arrive) and prunes.
import cron, { type ScheduledTask } from 'node-cron';
import type { Log } from '../../../device/src/shared/index.js';
import { desiredAlerts, type AlertEngine } from '../alerts/alert-engine.js';
import type { Cluster } from '../cluster/cluster.js';
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
  cluster: Cluster;
  /** The fleet's target version, for the alert-relevant part of a device's row (shared mode). */
  targetVersion?: () => string | null;
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

/**
 * Rows of other monitors written this long before the newest one seen are read again by the mirror:
 * a row is stamped with its writer's clock when the batch is built, and commits later.
 */
const MIRROR_OVERLAP_MS = 10_000;

export function createFleetMonitor(opts: FleetMonitorOptions) {
  const { config, store, registry, alerts, cluster, log } = opts;
  const shared = cluster.mode === 'shared';
  const self = cluster.self;
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
    owns: shared ? (d) => cluster.owns(d.id) : undefined,
    phase: shared ? () => cluster.phase() : undefined,
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
      if (cluster.isLeader()) alerts.evaluate(d);
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
      polled_by: self,
      flips: d.health.flips.length > 0 ? JSON.stringify(d.health.flips) : null,
    };
  }

  /** What the leader's alert rules would open for the device: a change is written at once for the mirror. */
  function alertSignature(d: Device): string {
    const { always, fromData } = desiredAlerts(d, config.alerts, opts.targetVersion?.() ?? null);
    return [...always.keys(), ...(fromData?.keys() ?? [])].join(',');
  }

  const lastPersisted = new Map<string, string>();
  /** Write what changed in this cycle in one transaction; resolves when it (and every write before it) is done. */
  function flush(): Promise<void> {
    const now = Date.now();
    const rows: DeviceRow[] = [];
    for (const d of registry.all()) {
      if (!d.dirty) continue;
      d.dirty = false;
      // Another monitor's device (mirrored, or lost to a monitor that joined): its owner writes it.
      if (shared && !cluster.owns(d.id)) continue;
      let sig = `${d.health.status}|${d.health.reason}|${d.health.lastStatus?.appliance.version}|${d.health.failures > 0}`;
      if (shared) sig += `|${d.health.flapping}|${alertSignature(d)}`;
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
    if (added.length || removed.length) cluster.devicesChanged();
    for (const id of removed) {
      mirrored.delete(id);
      // Its alerts close once, on the leader; the others see that at their next tick.
      if (cluster.isLeader()) alerts.forgetDevice(id);
      void write(`forget ${id}`, () => store.forgetDevice(id));
      lastPersisted.delete(id);
    }
    if (added.length || removed.length || changed.length) {
      log.info({ devices: registry.size(), added: added.length, removed: removed.length, changed: changed.length }, 'inventory applied');
    }
  }

  /** Takes a device's state from its row (at start, and for the mirror). */
  function applyRow(row: DeviceRow): Device | undefined {
    const d = registry.get(row.id);
    if (!d) return undefined;
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
        health.lastStatusText = row.last_status;
      } catch {
        // a damaged row only loses the detail
      }
    }
    if (row.flips) {
      try {
        health.flips = JSON.parse(row.flips) as number[];
        health.flapping = health.flips.length >= 4;
      } catch {
        // as above
      }
    }
    registry.restore(row.id, health);
    return d;
  }

  /** The newest `updated_at` the mirror has seen, and what it applied of each device. */
  let mirrorSeen = 0;
  const mirrored = new Map<string, number>();

  /** Start from the last known state: statuses, last answers, counters. */
  async function restore(): Promise<void> {
    for (const row of await store.devices()) {
      applyRow(row);
      mirrored.set(row.id, row.updated_at);
      mirrorSeen = Math.max(mirrorSeen, row.updated_at);
    }
  }

  /** Other monitors' devices as their rows now say (each tick, shared mode); the leader evaluates their alerts. */
  async function mirror(): Promise<void> {
    const rows = await store.devicesChangedSince(mirrorSeen - MIRROR_OVERLAP_MS, self);
    const leading = cluster.isLeader();
    for (const row of rows) {
      mirrorSeen = Math.max(mirrorSeen, row.updated_at);
      if (cluster.owns(row.id) || mirrored.get(row.id) === row.updated_at) continue;
      mirrored.set(row.id, row.updated_at);
      const d = applyRow(row);
      if (d && leading) alerts.evaluate(d);
    }
  }

  if (shared) {
    cluster.onOwnership((gained, lost) => {
      // Another monitor polls these now: no idle connection to them stays open here (a monitor that
      // starts alone owns the whole fleet until the others' leases are read, and would otherwise
      // keep a descriptor per device of theirs until the devices time the connections out).
      for (const id of lost) {
        const d = registry.get(id);
        if (d) opts.client.release(d);
      }
      for (const id of gained) {
        const d = registry.get(id);
        if (!d) continue;
        d.nextPollAt = 0;
        // Written at its first poll here, whatever this monitor wrote of it before.
        lastPersisted.delete(id);
      }
      if (gained.length > 0) poller.kick();
    });
    // Devices first, then the alerts as the store has them (the leader sends what nobody sent).
    cluster.onTick(async () => {
      await mirror();
      await alerts.sync();
    });
    // A new leader starts from the open alerts and every device's state as they are now.
    cluster.onLeadership((leading) => {
      if (!leading) return;
      alerts
        .sync()
        .then(() => {
          if (cluster.isLeader()) for (const d of registry.all()) alerts.evaluate(d);
        })
        .catch((err: unknown) => log.error({ err }, 'cannot take the alerts over'));
    });
  }

  return {
    poller,
    applyInventory,
    onTransition(fn: (d: Device, t: Transition) => void): () => void {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async start(): Promise<void> {
      // The share first: the first cycle polls only this monitor's devices.
      await cluster.start();
      await restore();
      poller.start();
      alerts.startReminders();
      pruneTask = cron.schedule(config.store.pruneSchedule, async () => {
        // Once for the fleet: the leader prunes.
        if (!cluster.isLeader()) return;
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
      // The others take this monitor's devices at their next tick, not after the lease.
      await cluster.stop();
      await flush();
      await alerts.close();
    },
    flush,
  };
}

export type FleetMonitor = ReturnType<typeof createFleetMonitor>;
