// The update server's rollout service (DESIGN.md, "Update server"): staged rollouts per channel,
// the manifest each device asks for, and the update reports devices send back. Composed of three
// parts: which devices a rollout selects (rollout-selection.ts), the rollout state machine with
// its automatic halt (rollout-state.ts), and the reports (update-reports.ts). What is left here is
// the manifest, which reads all three, and the wiring.
import type { Log } from '../../../device/src/shared/index.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { FleetStore } from '../store/fleet-store.js';
import { createReleaseCatalog, type Release, type ReleaseCatalog } from './releases.js';
import { createDeployHistory } from './deploy-history.js';
import { createRolloutSelection, type SelectionRegistry } from './rollout-selection.js';
import { createRolloutStates } from './rollout-state.js';
import type { Rollout } from './update-tables.js';
import { createUpdateReports, isFailure, type UpdateReport } from './update-reports.js';

// update-routes.ts reads rollouts through this service.
export type { RolloutView } from './rollout-state.js';

export interface Manifest {
  channel: string;
  /** Null: stay on whatever runs now. */
  version: string | null;
  release: Release | null;
  rollout: { percent: number; state: Rollout['state'] } | null;
  selected: boolean;
  /** Switch without waiting for live sessions: only a device offered a forced rollout's own version. */
  force: boolean;
}

export interface RolloutServiceOptions {
  store: FleetStore;
  config: { updates: { channels: string[]; failureThreshold: number; releasesDir: string } };
  /** Registry devices: who counts as selected when working out a failure rate. */
  registry: SelectionRegistry;
  alerts: Pick<AlertEngine, 'raise' | 'clear'>;
  log: Log;
  releases?: ReleaseCatalog;
  now?: () => number;
}

export async function createRolloutService(opts: RolloutServiceOptions) {
  const { store, log, alerts } = opts;
  const { channels, failureThreshold } = opts.config.updates;
  const now = opts.now ?? Date.now;
  const releases = opts.releases ?? createReleaseCatalog(opts.config.updates.releasesDir);
  const selection = createRolloutSelection(opts.registry);
  const reports = createUpdateReports({ store, selection, alerts, log, now });
  const history = createDeployHistory({ store, now });
  const states = await createRolloutStates({ store, channels, failureThreshold, releases, counts: reports.counts, devices: reports.devices, history, alerts, log, now });
  // Manifest requests whose release went missing: warn once per version, not once per device.
  const warnedMissing = new Set<string>();

  return {
    releases,
    channels: states.channels,
    rollouts: states.rollouts,
    list: states.list,
    get: states.get,
    start: states.start,
    halt: states.halt,
    resume: states.resume,
    /** Cluster mode, every tick: the rollouts as the store has them (a halt made on another monitor). */
    refresh: states.refresh,
    targetVersion: states.targetVersion,
    devices: states.devices,
    assertChannel: states.assertChannel,
    history,
    deviceReports: reports.deviceReports,

    /** What `deviceId` on `channel` should run now. */
    async manifest(channel: string, deviceId: string): Promise<Manifest> {
      states.assertChannel(channel);
      const r = states.current(channel);
      if (!r) return { channel, version: null, release: null, rollout: null, selected: false, force: false };
      // Outside the target (or the percent), a device is told to stay on the previous version.
      const selected = r.state !== 'halted' && selection.selects(r, deviceId);
      const version = selected ? r.version : r.previous_version;
      const rollout = { percent: r.percent, state: r.state };
      if (version === null) return { channel, version: null, release: null, rollout, selected, force: false };
      const release = await releases.get(version);
      if (!release?.signed) {
        // Removed from the directory after the rollout began: "stay" is the only safe answer.
        if (!warnedMissing.has(version)) log.warn({ channel, version, dir: releases.dir }, `release ${version} is offered on ${channel} but is missing or unsigned; devices are told to stay`);
        warnedMissing.add(version);
        return { channel, version: null, release: null, rollout, selected, force: false };
      }
      warnedMissing.delete(version);
      // Force is the operator's say about the new version; a device kept on the previous one (or
      // sent back to it by a halt) drains as usual.
      return { channel, version, release, rollout, selected, force: selected && r.force };
    },

    /** Record a device's update result; raise or clear its alert; halt the rollout when failures pass the threshold. */
    async report(rep: UpdateReport): Promise<void> {
      await reports.record(rep);
      const to = rep.to_version ?? null;
      if (isFailure(rep.result) && to !== null) await states.failureReported(rep.channel ?? null, to);
      if (rep.result === 'updated' && to !== null) await states.updateReported(rep.channel ?? null, to);
    },

    reports: reports.list,
  };
}

export type RolloutService = Awaited<ReturnType<typeof createRolloutService>>;
